/**
 * A coordinator the clerk adds to the directory on the dashboard is recognised by the running WeChat bot without a
 * restart (issue #24): the bot process reads the directory as the worker does (plan/directory-live.ts), from
 * data/directory.yaml once there is one, again when it changes, and keeps the last good one while the file is
 * spoiled, saying once in its log where the file is wrong. The bot's handlers run on wechaty-puppet-mock; the
 * campaign is a stand-in client with one duty (what is tested is who the bot takes the writer to be).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { PuppetMock, mock } from 'wechaty-puppet-mock';
import { WechatyBuilder } from 'wechaty';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { registerHandlers } from '../bot/bot';
import { botDirectory } from '../bot/main';
import { answer } from '../bot/replies';
import { SEED_DIRECTORY } from '../cli/campaign-input';
import { DirectoryStore } from '../dashboard/directory-page';
import { loadDirectory } from '../plan/files';
import type { Actor } from '../workflows/messages';
import type { DutyState, LedgerEntry } from '../workflows/types';
import { until } from './until';

const UNIT = '县民政局';
const NEWCOMER = { name: '郑新来（虚构）', wechat: 'demo-u04-newcomer', wecom: 'zhengxinlai', email: 'zheng.newcomer@example.org' };
const DUTY = `duban/live-bot/t1/d1/${UNIT}`;

/** One campaign with one open duty of the unit; the acknowledgements it was asked to record. */
function oneDutyClient(): { client: Client; acknowledged: Actor[] } {
  const acknowledged: Actor[] = [];
  const entry: LedgerEntry = { dutyId: DUTY, code: '1', kind: 'deadline', taskNumber: 1, unit: UNIT, deadline: '2029-05-31', status: 'open', level: 'none', remindersSent: 0, escalationsSent: 0, ended: false, updatedAt: 0 };
  const client = {
    workflow: {
      getHandle: () => ({
        query: async (q: { name: string }) => (q.name === 'ledgerPage' ? { entries: [entry], total: 1 } : [entry]),
        signal: async () => undefined,
        executeUpdate: async (_u: unknown, { args }: { args: [{ actor: Actor }] }) => {
          acknowledged.push(args[0].actor);
          return { taskNumber: 1, unit: UNIT, deadline: '2029-05-31', status: 'acknowledged' } as DutyState;
        },
      }),
    },
  } as unknown as Client;
  return { client, acknowledged };
}

describe('the WeChat bot and a directory changed while it runs', () => {
  let stop: () => Promise<void> = async () => undefined;
  afterAll(() => stop());

  it('recognises a coordinator added on the dashboard at their next reply, and keeps the last good directory while the file is spoiled', async () => {
    const data = mkdtempSync(join(tmpdir(), 'duban-bot-live-dir-'));
    const logged: { level: 'info' | 'warn'; line: string }[] = [];
    const log = { info: (line: string) => logged.push({ level: 'info', line }), warn: (line: string) => logged.push({ level: 'warn', line }) };
    // As `duban bot` builds it (no throttle here: the test changes the file between two replies).
    const directory = botDirectory({ DUBAN_DATA_DIR: data }, log, { checkEveryMs: 0 });
    const { client, acknowledged } = oneDutyClient();

    const mocker = new mock.Mocker();
    const bot = WechatyBuilder.build({ puppet: new PuppetMock({ mocker }) });
    const self = mocker.createContact({ name: '督办助手' });
    const newcomer = mocker.createContact({ id: NEWCOMER.wechat, name: NEWCOMER.name });
    const room = mocker.createRoom({ topic: `${UNIT}督办工作群`, memberIdList: [self.id, newcomer.id] });
    const said: string[] = [];
    room.on('message', (m) => void (m.talker().id === self.id && said.push(m.text() ?? '')));
    const ctx = { client, directory, campaignWorkflowId: 'duban/live-bot' };
    registerHandlers(bot, ctx);
    await bot.start();
    stop = () => bot.stop();
    mocker.login(self);
    await until('login', () => bot.isLoggedIn);
    const reply = async (text: string) => {
      const before = said.length;
      newcomer.say(text).to(room);
      return until(`the bot's answer to ${text}`, () => said[before]);
    };

    // Not in the directory yet: refused, nothing recorded.
    expect(await reply('收到 1')).toContain('您不在督办通讯录中');
    expect(acknowledged).toEqual([]);

    // The clerk uploads a directory with the newcomer as the unit's second coordinator (the desk's own store
    // writes data/directory.yaml, the first one uploaded here).
    const changed = loadDirectory(SEED_DIRECTORY);
    changed.units[UNIT]!.coordinators.push(NEWCOMER);
    const store = new DirectoryStore(join(data, 'directory.yaml'), SEED_DIRECTORY);
    expect(store.replace({ field: 'file', filename: '通讯录.yaml', bytes: Buffer.from(stringify(changed)) }, Date.parse('2029-05-30T10:00+08:00')).ok).toBe(true);

    // The same bot, not restarted: the newcomer's reply acts, in their name.
    expect(await reply('收到 1')).toContain(`已确认 1（任务1）· ${UNIT}`);
    expect(acknowledged).toEqual([{ person: NEWCOMER.name, unit: UNIT, role: 'coordinator' }]);
    expect(logged.filter((l) => l.level === 'info').map((l) => l.line)).toEqual([expect.stringContaining(join(data, 'directory.yaml'))]);
    // The other platforms' listeners share the one reply path and so the same directory (chat/start.ts).
    expect(await answer(ctx, { id: NEWCOMER.wecom, name: NEWCOMER.wecom, channel: 'wecom' }, '收到 1', false)).toContain('已确认');

    // Someone spoils the file by hand: the bot goes on with the last good directory; its log says where, once.
    writeFileSync(join(data, 'directory.yaml'), 'units:\n  县民政局: [\n');
    expect(await reply('收到 1')).toContain('已确认');
    expect(await reply('收到 1')).toContain('已确认');
    const warnings = logged.filter((l) => l.level === 'warn').map((l) => l.line);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/directory\.yaml 第 3 行第 \d+ 列 \(line 3, column \d+\)/);
    expect(warnings[0]).toContain('继续使用上一份有效的');
    expect(acknowledged).toHaveLength(4);
  });
});
