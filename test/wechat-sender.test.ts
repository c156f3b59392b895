/**
 * Whom the WeChat sender posts to, on wechaty-puppet-mock: people by the WeChat id the directory gives (never
 * by a display name anyone can choose), a unit's group by its id or by a topic exactly one group has, and the
 * administrators when an alert cannot go by email.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PuppetMock, mock } from 'wechaty-puppet-mock';
import { WechatyBuilder } from 'wechaty';
import { afterEach, describe, expect, it } from 'vitest';
import { createWechatSender } from '../bot/sender';
import { SendLedger } from '../channels/ledger';
import { loadDirectory } from '../plan/files';
import type { Directory } from '../plan/directory';
import type { OutgoingMessage } from '../workflows/types';
import { until } from './until';
import { linkSecretSource } from '../links/secret';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const seed = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
const UNIT = '县民政局';
const coordinator = seed.units[UNIT]!.coordinators[0]!;

function message(over: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    key: `sender-test/${randomUUID()}`,
    kind: 'reminder',
    toUnits: [UNIT],
    recipients: [{ unit: UNIT, role: 'coordinators' }],
    level: 'blue',
    at: Date.parse('2022-05-30T09:00+08:00'),
    subject: '【督办】[任务1] 测试',
    text: '任务1 还有 1 个工作日截止',
    ...over,
  };
}

let stop: () => Promise<void> = async () => undefined;
afterEach(async () => stop());

async function botWith(setup: (mocker: mock.Mocker, self: mock.ContactMock) => void) {
  const mocker = new mock.Mocker();
  const bot = WechatyBuilder.build({ puppet: new PuppetMock({ mocker }) });
  await bot.start();
  const self = mocker.createContact({ name: '督办助手' });
  setup(mocker, self);
  mocker.login(self);
  await until('login', () => bot.isLoggedIn);
  stop = () => bot.stop();
  return bot;
}

const heard = (c: mock.ContactMock | mock.RoomMock) => {
  const got: string[] = [];
  c.on('message', (m) => {
    got.push(m.text() ?? '');
  });
  return got;
};

describe('the WeChat sender', () => {
  it('messages a person by the WeChat id the directory gives, never someone who took the display name of a person without one', async () => {
    // No group for the unit: coordinators are messaged directly. The second coordinator has no WeChat id (email only).
    const second = { name: '李四（虚构）', email: 'lisi@example.org' };
    const unit = { ...seed.units[UNIT]!, wechatGroup: undefined, coordinators: [coordinator, second] };
    const directory: Directory = { ...seed, units: { ...seed.units, [UNIT]: unit } };
    let impostor!: mock.ContactMock;
    let real!: mock.ContactMock;
    const bot = await botWith((mocker) => {
      impostor = mocker.createContact({ id: 'wxid_impostor', name: second.name });
      real = mocker.createContact({ id: coordinator.wechat!, name: '别的昵称' });
    });
    const toImpostor = heard(impostor);
    const toReal = heard(real);
    const sender = createWechatSender({ bot, directory, ledger: new SendLedger(), intervalMs: 0 });
    expect((await sender.send(message())).delivered).toEqual([UNIT]);
    await until('the coordinator got it', () => toReal.length > 0);
    expect(toReal[0]).toContain('任务1 还有 1 个工作日截止');
    await new Promise((r) => setTimeout(r, 200));
    expect(toImpostor).toEqual([]);
  });

  it('refuses to guess between two groups with the unit’s topic, and finds the group by its id when given', async () => {
    const topic = seed.units[UNIT]!.wechatGroup!;
    let a!: mock.RoomMock;
    let b!: mock.RoomMock;
    const bot = await botWith((mocker, self) => {
      const c = mocker.createContact({ id: coordinator.wechat!, name: coordinator.name });
      a = mocker.createRoom({ topic, memberIdList: [self.id, c.id] });
      b = mocker.createRoom({ topic, memberIdList: [self.id, c.id] });
    });
    const inA = heard(a);
    const inB = heard(b);
    const ledger = new SendLedger();
    const byTopic = createWechatSender({ bot, directory: seed, ledger, intervalMs: 0 });
    await expect(byTopic.send(message())).rejects.toThrow(/有 2 个名为「.+」的微信群.*wechatGroupId/);
    const directory: Directory = { ...seed, units: { ...seed.units, [UNIT]: { ...seed.units[UNIT]!, wechatGroupId: b.id } } };
    const byId = createWechatSender({ bot, directory, ledger, intervalMs: 0 });
    expect((await byId.send(message())).delivered).toEqual([UNIT]);
    await until('the post in the group named by id', () => inB.length > 0);
    expect(inA).toEqual([]);
  });

  it('tells the administrators by their WeChat id', async () => {
    const admin = { name: '系统管理员', wechat: 'wxid_duban_admin', email: 'duban-admin@example.org' };
    const directory: Directory = { ...seed, admins: [admin] };
    let adminContact!: mock.ContactMock;
    const bot = await botWith((mocker) => {
      adminContact = mocker.createContact({ id: admin.wechat, name: admin.name });
    });
    const got = heard(adminContact);
    const sender = createWechatSender({ bot, directory, ledger: new SendLedger(), intervalMs: 0 });
    await sender.sendToAdmins(message({ kind: 'alert', subject: '【督办系统告警】', text: '邮件发送失败（不再重试，本条未送达）' }));
    await until('the admin got it', () => got.length > 0);
    expect(got[0]).toContain('【督办系统告警】邮件发送失败');
    const none = createWechatSender({ bot, directory: { ...seed, admins: [{ name: '无微信', email: 'x@example.org' }] }, ledger: new SendLedger(), intervalMs: 0 });
    await expect(none.sendToAdmins(message({ kind: 'alert' }))).rejects.toThrow(/管理员没有可用的微信号/);
  });

  it('carries action links: each person’s own in a direct message, the unit’s in its own group, none in a group units share', async () => {
    const secret = linkSecretSource(join(mkdtempSync(join(tmpdir(), 'duban-wechat-links-')), 'link-secret'));
    const links = { publicUrl: 'http://duban.example.org', secret };
    const topic = seed.units[UNIT]!.wechatGroup!;
    let room!: mock.RoomMock;
    let direct!: mock.ContactMock;
    const bot = await botWith((mocker, self) => {
      direct = mocker.createContact({ id: coordinator.wechat!, name: coordinator.name });
      room = mocker.createRoom({ topic, memberIdList: [self.id, direct.id] });
    });
    const inRoom = heard(room);
    const toPerson = heard(direct);
    const msg = message({ dutyId: 'sender-test/duty', unit: UNIT, taskNumber: 1, code: '1' });
    // The unit's own group.
    await createWechatSender({ bot, directory: seed, ledger: new SendLedger(), intervalMs: 0, links }).send(msg);
    await until('the group post', () => inRoom.length > 0);
    expect(inRoom[0]).toMatch(/确认收到（编号 1）：http:\/\/duban\.example\.org\/a\/[A-Za-z0-9_.-]+/);
    // Direct (no group): the person's own links.
    const noGroup: Directory = { ...seed, units: { ...seed.units, [UNIT]: { ...seed.units[UNIT]!, wechatGroup: undefined } } };
    await createWechatSender({ bot, directory: noGroup, ledger: new SendLedger(), intervalMs: 0, links }).send({ ...msg, key: `${msg.key}-direct` });
    await until('the direct message', () => toPerson.some((t) => t.includes('/a/')));
    // A group another unit shares: no links.
    const shared: Directory = { ...seed, units: { ...seed.units, 县教科局: { ...seed.units['县教科局']!, wechatGroup: topic } } };
    const before = inRoom.length;
    await createWechatSender({ bot, directory: shared, ledger: new SendLedger(), intervalMs: 0, links }).send({ ...msg, key: `${msg.key}-shared` });
    await until('the shared-group post', () => inRoom.length > before);
    expect(inRoom.at(-1)).not.toContain('/a/');
  });
});
