/**
 * Morning messages as WeCom smart-robot template cards (issue #25): the card drawn from a morning message and its
 * button keys (each names one duty code, or every listed code for 全部收到); the card sent by the notify activity
 * through the SDK to a local long-connection server (test/wecom-gateway.ts), its coordinator then getting no
 * email; a click acting through the reply path once per event msgid and the card updated in place; then end to
 * end on a real campaign of the seed plan: 收到 (once, also after a restart), 延期 (answered with the form, nothing
 * acted), 完成.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../activities';
import type { ReplyContext } from '../bot/replies';
import { buttonsFor, encodeKey, extensionHow, morningCard, parseCardClick, parseKey, type CardClick } from '../chat/wecom-cards';
import { startWecomFromEnv, WecomRobot, type WecomRobotConfig } from '../chat/wecom-robot';
import type { EmailSender } from '../channels/email';
import { SendLedger } from '../channels/ledger';
import { createWecomCardSender, type CardRobot } from '../channels/wecom-card-sender';
import { loadCampaign } from '../cli/campaign-input';
import type { Log } from '../ops/log';
import type { Directory } from '../plan/directory';
import { loadDirectory } from '../plan/files';
import { statusQuery } from '../workflows/messages';
import { morningMessage } from '../workflows/morning';
import type { OutgoingMessage } from '../workflows/types';
import { startBotCampaign, type BotCampaign } from './bot-campaign';
import { devServerEnv } from './env';
import { until } from './until';
import { startWecomGateway, TEST_BOT, type WecomGateway } from './wecom-gateway';

const lines: string[] = [];
const quiet: Log = { debug: () => undefined, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
const fast = { log: quiet, reconnectMs: 50, heartbeatMs: 5_000, startWaitMs: 3_000, requestTimeoutMs: 2_000 };
const configFor = (gw: WecomGateway): WecomRobotConfig => ({ ...TEST_BOT, wsUrl: gw.url });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const at = Date.parse('2022-05-06T09:00:00+08:00');

/** A duty's item as a duty hands it to the desk. */
function item(unit: string, task: number, code: string, over: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    key: `t/${unit}/${code}/${randomUUID()}`,
    kind: 'ack-request',
    dutyId: `duban/test/t${task}/${unit}/${code}`,
    taskNumber: task,
    unit,
    code,
    toUnits: [unit],
    recipients: [{ unit, role: 'coordinators' }],
    level: 'blue',
    at,
    deadline: '2022-05-20',
    subject: `【督办】[任务${task}]`,
    text: `任务${task}：请于5月20日前报送。`,
    ...over,
  };
}

/** Emails as the notify activity hands them to SMTP: who got which message. */
function fakeEmail() {
  const calls: { key: string; to: string[]; note?: string }[] = [];
  const email: EmailSender = {
    async send(msg, to, note) {
      calls.push({ key: msg.key, to, ...(note ? { note } : {}) });
      return { channel: 'email', accepted: to, rejected: [] };
    },
    close: () => undefined,
  };
  return { email, calls };
}

describe('the morning card and its button keys', () => {
  const unit = '县以工代赈中心';

  it('one duty: 收到/完成/延期 each naming its code; the key carries the card’s codes and parses back', () => {
    const msg = morningMessage('c1', { at, unit, items: [item(unit, 4, '4')] });
    const card = morningCard(msg, unit, 'u1')!;
    expect(card.card_type).toBe('button_interaction');
    expect(card.task_id).toMatch(/^[A-Za-z0-9_\-@]{1,128}$/);
    expect(card.button_list!.map((b) => b.text)).toEqual(['收到 4', '完成 4', '延期 4']);
    expect(card.button_list!.map((b) => parseKey(b.key))).toEqual([
      { act: 'ack', code: '4', codes: ['4'] },
      { act: 'done', code: '4', codes: ['4'] },
      { act: 'ext', code: '4', codes: ['4'] },
    ]);
    expect(card.horizontal_content_list).toEqual([{ keyname: '编号 4', value: '任务4 请确认·蓝色 截止05-20' }]);
    // Another person's card of the same message is another card.
    expect(morningCard(msg, unit, 'u2')!.task_id).not.toBe(card.task_id);
  });

  it('three or more duties: 全部收到 names every listed code, 完成…/延期… ask; never more than 6 buttons', () => {
    const msg = morningMessage('c1', { at, unit, items: [item(unit, 4, '4'), item(unit, 7, '7'), item(unit, 12, '12a'), item(unit, 12, '12b')] });
    const card = morningCard(msg, unit, 'u1')!;
    expect(card.button_list!.map((b) => b.text)).toEqual(['全部收到（4项）', '收到 4', '收到 7', '收到 12a', '完成…', '延期…']);
    expect(parseKey(card.button_list![0]!.key)).toEqual({ act: 'ackall', codes: ['4', '7', '12a', '12b'] });
    expect(parseKey(card.button_list![4]!.key)).toEqual({ act: 'done?', codes: ['4', '7', '12a', '12b'] });
    for (const n of [1, 2, 3, 6, 40]) expect(buttonsFor(Array.from({ length: n }, (_, i) => String(i + 1))).length).toBeLessThanOrEqual(6);
    expect(Buffer.byteLength(buttonsFor(Array.from({ length: 40 }, (_, i) => `b${i + 100}z`))[0]!.key)).toBeLessThanOrEqual(1024);
  });

  it('only the unit’s own coded duties get buttons; a message with none, or not a morning message, gets no card', () => {
    const office = '县乡村振兴局';
    const other = item(unit, 4, '4', { recipients: [{ unit: office, role: 'coordinators' }], toUnits: [office], kind: 'escalation' });
    expect(morningCard(morningMessage('c1', { at, unit: office, items: [other] }), office, 'u1')).toBeUndefined();
    const single = item(unit, 4, '4');
    expect(morningCard(single, unit, 'u1')).toBeUndefined();
  });

  it('a key that is not duban’s, or names a code the card does not list, is no click', () => {
    expect(parseKey('approve')).toBeUndefined();
    expect(parseKey('duban1|ack|9|4')).toBeUndefined();
    expect(parseKey('duban1|ackall|4|4,7')).toBeUndefined();
    expect(parseKey('duban1|rm|4|4')).toBeUndefined();
    expect(parseKey(encodeKey({ act: 'ack', code: '4', codes: ['4', '7'] }))).toEqual({ act: 'ack', code: '4', codes: ['4', '7'] });
  });

  it('reads a click as the server nests it (event.template_card_event) and as the SDK’s types put it (flat)', () => {
    const key = encodeKey({ act: 'ack', code: '4', codes: ['4'] });
    const nested = parseCardClick({ msgid: 'e1', msgtype: 'event', from: { userid: 'u1' }, event: { eventtype: 'template_card_event', template_card_event: { event_key: key, task_id: 't1' } } });
    const flat = parseCardClick({ msgid: 'e1', msgtype: 'event', from: { userid: 'u1' }, event: { eventtype: 'template_card_event', event_key: key, task_id: 't1' } });
    const expected = { ok: true, click: { messageId: 'e1', userid: 'u1', conversationId: 'u1', taskId: 't1', key: { act: 'ack', code: '4', codes: ['4'] } } };
    expect(nested).toEqual(expected);
    expect(flat).toEqual(expected);
    expect(parseCardClick({ msgid: 'e1', msgtype: 'event', from: { userid: 'u1' }, event: { eventtype: 'template_card_event', template_card_event: { event_key: 'approve', task_id: 't1' } } }).ok).toBe(false);
  });
});

describe('cards through the SDK against a local long-connection server', () => {
  const seed = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
  const unit = '县以工代赈中心';
  const [first, ...others] = seed.units[unit]!.coordinators;
  const directory: Directory = { ...seed, units: { ...seed.units, [unit]: { ...seed.units[unit]!, coordinators: [{ ...first!, wecom: 'wecom-yigong-01' }, ...others] } } };
  let gw: WecomGateway;
  let robot: WecomRobot | undefined;
  const clicks: CardClick[] = [];

  beforeAll(async () => {
    gw = await startWecomGateway();
  });
  afterEach(async () => {
    await robot?.stop();
    robot = undefined;
    clicks.length = 0;
    lines.length = 0;
    gw.expireReqIdsAfter(24 * 3600_000);
  });
  afterAll(async () => gw.close());

  const start = async (answerMs = 0) => {
    robot = new WecomRobot({
      ...fast,
      config: configFor(gw),
      onCardClick: async (click) => {
        clicks.push(click);
        if (answerMs) await sleep(answerMs);
        return { text: `已受理 ${click.key.code ?? ''}`, card: { card_type: 'button_interaction', sub_title_text: `已受理 ${click.key.code ?? ''}`, button_list: buttonsFor(click.key.codes), task_id: click.taskId } };
      },
    });
    await robot.start(async () => undefined);
    return robot;
  };

  it('the notify activity sends the card to the coordinator’s userid; that coordinator gets no email, the others and leaders do', async () => {
    const r = await start();
    const { email, calls } = fakeEmail();
    const wecomCards = createWecomCardSender({ directory, ledger: new SendLedger(), robot: () => r });
    const msg = morningMessage(`c-${randomUUID()}`, { at, unit, items: [item(unit, 4, '4', { recipients: [{ unit, role: 'coordinators' }, { unit, role: 'leaders' }] })] });
    const before = gw.cards.length;
    await createActivities({ directory, email, wecomCards }).notify(msg);
    const sent = gw.cards.slice(before);
    expect(sent).toEqual([expect.objectContaining({ chatid: 'wecom-yigong-01', card: expect.objectContaining({ task_id: morningCard(msg, unit, 'wecom-yigong-01')!.task_id }) })]);
    const emailed = calls.flatMap((c) => c.to);
    expect(emailed).not.toContain(first!.email);
    for (const p of [...others, ...seed.units[unit]!.leaders]) if (p.email) expect(emailed).toContain(p.email);
    // The activity run again (a retry): the ledger has the card; no second card.
    await createActivities({ directory, email, wecomCards }).notify(msg);
    expect(gw.cards.length).toBe(before + 1);
  });

  it('with the robot not connected in this process, the message goes by email exactly as without cards', async () => {
    const msg = morningMessage(`c-${randomUUID()}`, { at, unit, items: [item(unit, 4, '4')] });
    const without = fakeEmail();
    await createActivities({ directory, email: without.email }).notify(msg);
    const disconnected: CardRobot = { connected: false, postCard: async () => Promise.reject(new Error('must not be called')) };
    const withCards = fakeEmail();
    await createActivities({ directory, email: withCards.email, wecomCards: createWecomCardSender({ directory, ledger: new SendLedger(), robot: () => disconnected }) }).notify(msg);
    expect(withCards.calls).toEqual(without.calls);
    expect(without.calls.flatMap((c) => c.to)).toContain(first!.email);
  });

  it('a card the server refuses leaves its coordinator to email', async () => {
    const refusing: CardRobot = { connected: true, postCard: async () => Promise.reject(new Error('errcode 40058')) };
    const { email, calls } = fakeEmail();
    const msg = morningMessage(`c-${randomUUID()}`, { at, unit, items: [item(unit, 4, '4')] });
    await createActivities({ directory, email, wecomCards: createWecomCardSender({ directory, ledger: new SendLedger(), robot: () => refusing }) }).notify(msg);
    expect(calls.flatMap((c) => c.to)).toContain(first!.email);
  });

  it('a click is handled once per event msgid, and the card is updated in place for the clicker', async () => {
    const r = await start();
    const msg = morningMessage(`c-${randomUUID()}`, { at, unit, items: [item(unit, 4, '4')] });
    await createActivities({ directory, wecomCards: createWecomCardSender({ directory, ledger: new SendLedger(), robot: () => r }) }).notify(msg);
    const card = gw.cards.at(-1)!;
    const msgid = `e-${randomUUID()}`;
    const reqId = gw.click(card, '收到 4', { msgid });
    const updated = await gw.answerTo(reqId);
    expect(updated.cmd).toBe('aibot_respond_update_msg');
    expect(updated.body).toMatchObject({ response_type: 'update_template_card', userids: ['wecom-yigong-01'], template_card: { task_id: card.card.task_id } });
    expect(clicks).toEqual([expect.objectContaining({ messageId: msgid, userid: 'wecom-yigong-01', taskId: card.card.task_id, key: { act: 'ack', code: '4', codes: ['4'] } })]);
    // The same event again (the server's retry): not handled, not answered.
    const again = gw.click(card, '收到 4', { msgid });
    await sleep(300);
    expect(clicks).toHaveLength(1);
    expect(gw.sent.filter((s) => s.reqId === again)).toEqual([]);
  });

  it('when the update’s 5 s window has passed, the answer is posted to the clicker instead', async () => {
    const r = await start();
    gw.expireReqIdsAfter(0);
    const msg = morningMessage(`c-${randomUUID()}`, { at, unit, items: [item(unit, 4, '4')] });
    await createActivities({ directory, wecomCards: createWecomCardSender({ directory, ledger: new SendLedger(), robot: () => r }) }).notify(msg);
    const from = gw.sent.length;
    gw.click(gw.cards.at(-1)!, '完成 4');
    const posted = await until('the answer posted', () => gw.sent.slice(from).find((x) => x.cmd === 'aibot_send_msg' && x.body.msgtype === 'markdown'), 10_000);
    expect(posted.body).toMatchObject({ msgtype: 'markdown', markdown: { content: '已受理 4' } });
    expect(lines.join('\n')).toMatch(/卡片未能更新/);
  });

  it('a card event whose key is not duban’s acts on nothing', async () => {
    await start();
    gw.push('aibot_event_callback', { msgid: randomUUID(), msgtype: 'event', from: { userid: 'wecom-yigong-01' }, event: { eventtype: 'template_card_event', template_card_event: { event_key: 'approve', task_id: 'x1' } } });
    await sleep(300);
    expect(clicks).toEqual([]);
  });
});

describe('a morning card clicked in WeCom on a real campaign of the seed plan', () => {
  const seed = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
  const unit = '县以工代赈中心';
  const userid = 'wecom-yigong-02';
  const person = seed.units[unit]!.coordinators[0]!;
  const directory: Directory = {
    ...seed,
    units: { ...seed.units, [unit]: { ...seed.units[unit]!, coordinators: [{ ...person, wecom: userid }, ...seed.units[unit]!.coordinators.slice(1)] } },
  };
  let gw: WecomGateway;
  let robot: WecomRobot | undefined;
  let campaign: BotCampaign;
  let ctx: ReplyContext;
  let cleanup: () => Promise<void> = async () => undefined;
  const duty = () => campaign.ledger.find((e) => e.unit === unit && e.taskNumber === 4)!;
  const status = () => ctx.client.workflow.getHandle(duty().dutyId).query(statusQuery);

  beforeAll(async () => {
    gw = await startWecomGateway();
    const temporal = await devServerEnv();
    const loaded = loadCampaign({ year: 2022 });
    const clockOffsetMs = Date.parse('2022-05-06T10:00:00+08:00') - Date.now();
    const startAt = Date.parse(`${loaded.nominalStart}:00+08:00`);
    campaign = await startBotCampaign(temporal, { ...loaded.input, clockOffsetMs, startAt }, (entries) => entries.length === 69, `duban/wecom-card-${randomUUID()}`);
    ctx = { client: temporal.client, directory, campaignWorkflowId: campaign.campaignWorkflowId, now: () => Date.now() + clockOffsetMs };
    robot = await startWecomFromEnv(ctx, { DUBAN_WECOM_BOT_ID: TEST_BOT.botId, DUBAN_WECOM_BOT_SECRET: TEST_BOT.secret, DUBAN_WECOM_WS_URL: gw.url }, fast);
    cleanup = async () => {
      await robot?.stop();
      await campaign.stop();
      await temporal.teardown();
      await gw.close();
    };
  }, 120_000);
  afterAll(async () => cleanup());

  it('「收到 4」 on the card acknowledges the duty once, channel wecom, and the card says who acted', async () => {
    const d = duty();
    const code = d.code ?? '4';
    const msg = morningMessage(campaign.campaignWorkflowId, { at, unit, items: [item(unit, 4, code, { dutyId: d.dutyId, deadline: d.deadline })] });
    const { email, calls } = fakeEmail();
    await createActivities({ directory, email, wecomCards: createWecomCardSender({ directory, ledger: new SendLedger(), robot: () => robot }) }).notify(msg);
    expect(calls.flatMap((c) => c.to)).not.toContain(person.email);
    const card = await until('the card at the gateway', () => gw.cards.find((c) => c.chatid === userid));
    const msgid = `e-${randomUUID()}`;
    const updated = await gw.answerTo(gw.click(card, `收到 ${code}`, { msgid }));
    expect(updated.text).toContain(`已确认 ${code}`);
    expect(updated.body).toMatchObject({ template_card: { main_title: { desc: expect.stringContaining(person.name) } } });
    const s = await status();
    expect(s.status).toBe('acknowledged');
    expect(s.history.filter((h) => h.event === 'acknowledged')).toEqual([expect.objectContaining({ by: person.name, via: 'wecom' })]);
    // Delivered again: acts once.
    gw.click(card, `收到 ${code}`, { msgid });
    await sleep(500);
    expect((await status()).history.filter((h) => h.event === 'acknowledged')).toHaveLength(1);
    // Delivered again to a restarted process, which remembers no msgid: the Update's id keeps it to once.
    await robot?.stop();
    robot = await startWecomFromEnv(ctx, { DUBAN_WECOM_BOT_ID: TEST_BOT.botId, DUBAN_WECOM_BOT_SECRET: TEST_BOT.secret, DUBAN_WECOM_WS_URL: gw.url }, fast);
    expect((await gw.answerTo(gw.click(card, `收到 ${code}`, { msgid }))).text).toContain(`已确认 ${code}`);
    expect((await status()).history.filter((h) => h.event === 'acknowledged')).toHaveLength(1);

    // 「延期」: the form to type, nothing requested.
    const ext = await gw.answerTo(gw.click(card, `延期 ${code}`));
    expect(ext.text).toBe(extensionHow(code));
    expect((await status()).pendingExtension).toBeUndefined();

    // 「完成」: completed, by the card's clicker.
    const done = await gw.answerTo(gw.click(card, `完成 ${code}`));
    expect(done.text).toContain(`已登记办结 ${code}`);
    const after = await status();
    expect(after.status).toBe('completed');
    expect(after.history.filter((h) => h.event === 'completed')).toEqual([expect.objectContaining({ by: person.name, via: 'wecom' })]);
  });

  it('a click by someone not in the directory acts on nothing and is told why', async () => {
    const card = gw.cards.find((c) => c.chatid === userid)!;
    const acted = (h: { event: string }) => h.event !== 'refused';
    const before = (await status()).history.filter(acted).length;
    const said = await gw.answerTo(gw.click(card, `收到 ${duty().code ?? '4'}`, { userid: 'wecom-stranger' }));
    expect(said.text).toContain('不在督办通讯录中');
    expect((await status()).history.filter(acted).length).toBe(before);
  });
});
