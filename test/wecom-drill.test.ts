/**
 * The #25 drill: the WeCom long connection drops and comes back, and nothing is lost or doubled. Against the local
 * long-connection server (test/wecom-gateway.ts) through the official SDK, with the fault injected for real: the
 * server closing the socket, a cut with no close frame, a cut right after the server took a frame and before its
 * ack, and a connection gone silent that only the SDK's unanswered heartbeats find.
 *
 * What a person notices is what is counted: every coordinator's morning card at the server once (none lost to email,
 * none shown twice, no email beside it); a click made before the drop acting once in the duty's history and answered
 * after the reconnect; a message that arrived as the connection went silent answered after it.
 *
 * What the platform does in a gap (the docs' WeCom section): the long connection has no acknowledgement of a
 * callback and WeCom documents no redelivery (文档 101463), so a message sent while no connection is subscribed never
 * reaches duban; the gateway keeps nothing for later either. Those are not tested here: there is nothing to see.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../activities';
import type { ReplyContext } from '../bot/replies';
import { buttonsFor, type CardClick } from '../chat/wecom-cards';
import { startWecomFromEnv, WecomRobot, type WecomRobotOptions } from '../chat/wecom-robot';
import type { EmailSender } from '../channels/email';
import { SendLedger } from '../channels/ledger';
import { createWecomCardSender } from '../channels/wecom-card-sender';
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
import { startWecomGateway, TEST_BOT, textMessage, type WecomGateway } from './wecom-gateway';

const lines: string[] = [];
const quiet: Log = { debug: () => undefined, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
// Heartbeats every 200 ms: a silent connection is found after two unanswered ones (the SDK's rule), well under a second.
const fast: Omit<WecomRobotOptions, 'config'> = { log: quiet, reconnectMs: 100, heartbeatMs: 200, startWaitMs: 3_000, requestTimeoutMs: 2_000, answerWaitMs: 10_000, cardWaitMs: 10_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const at = Date.parse('2022-05-06T09:00:00+08:00');
const seed = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));

function item(unit: string, task: number, code: string, over: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    key: `t/${unit}/${code}/${randomUUID()}`,
    kind: 'ack-request',
    dutyId: `duban/drill/t${task}/${unit}/${code}`,
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

/** Who got which message by email. */
function fakeEmail() {
  const to: string[] = [];
  const email: EmailSender = {
    async send(_msg, recipients) {
      to.push(...recipients);
      return { channel: 'email', accepted: recipients, rejected: [] };
    },
    close: () => undefined,
  };
  return { email, to };
}

/** The seed directory with every listed unit's first coordinator on WeCom (userid `drill-<n>`). */
function onWecom(units: string[]): { directory: Directory; userids: Map<string, string> } {
  const userids = new Map<string, string>();
  const out: Directory = { ...seed, units: { ...seed.units } };
  units.forEach((unit, i) => {
    const u = seed.units[unit]!;
    const [first, ...rest] = u.coordinators;
    userids.set(unit, `drill-${i}`);
    out.units[unit] = { ...u, coordinators: [{ ...first!, wecom: `drill-${i}` }, ...rest] };
  });
  return { directory: out, userids };
}

describe('morning cards while the connection drops: each coordinator gets the card once', () => {
  const units = Object.keys(seed.units)
    .filter((u) => seed.units[u]!.coordinators[0]?.email)
    .slice(0, 6);
  const { directory, userids } = onWecom(units);
  let gw: WecomGateway;
  let robot: WecomRobot | undefined;

  beforeAll(async () => {
    gw = await startWecomGateway();
  });
  afterEach(async () => {
    await robot?.stop();
    robot = undefined;
    lines.length = 0;
  });
  afterAll(async () => gw.close());

  const drills: { name: string; fault: (g: WecomGateway, r: WecomRobot) => void | Promise<void> }[] = [
    { name: 'the server closes the socket right after taking a card, before its ack', fault: (g) => g.cutAfterNext('aibot_send_msg', 'close') },
    { name: 'the link is cut (no close frame) right after the server took a card', fault: (g) => g.cutAfterNext('aibot_send_msg', 'terminate') },
    { name: 'the connection goes silent (heartbeats unanswered) as the cards go out', fault: (g) => g.stall() },
    {
      name: 'the server closed the socket a moment before the wave (the robot knows it is down)',
      fault: async (g, r) => {
        g.drop('close');
        await until('the robot down', () => !r.connected || undefined, 5_000);
      },
    },
  ];

  it.each(drills)('$name', async ({ fault }) => {
    robot = new WecomRobot({ ...fast, config: { ...TEST_BOT, wsUrl: gw.url } });
    await robot.start(async () => undefined);
    const r = robot;
    const before = r.authentications;
    const { email, to } = fakeEmail();
    const ledger = new SendLedger();
    const activities = createActivities({ directory, email, wecomCards: createWecomCardSender({ directory, ledger, robot: () => r }) });
    const campaign = `c-${randomUUID()}`;
    const messages = units.map((unit, i) => morningMessage(campaign, { at, unit, items: [item(unit, 4 + i, String(4 + i))] }));
    const from = gw.cards.length;
    await fault(gw, r);
    // As the desk sends a wave: all at once.
    await Promise.all(messages.map((m) => activities.notify(m)));
    const cards = gw.cards.slice(from);
    for (const unit of units) {
      const userid = userids.get(unit)!;
      expect(cards.filter((c) => c.chatid === userid), `${unit}: its card once`).toHaveLength(1);
      // Its coordinator read it on the card: no email beside it.
      expect(to, `${unit}: no email`).not.toContain(directory.units[unit]!.coordinators[0]!.email);
    }
    expect(r.authentications).toBeGreaterThan(before);
    // The same messages again (the activity retried): nothing more is shown to anyone.
    await Promise.all(messages.map((m) => activities.notify(m)));
    expect(gw.cards.length - from).toBe(units.length);
  });

  it('a robot down for longer than the wait sends by email at once, and waits for nothing', async () => {
    robot = new WecomRobot({ ...fast, cardWaitMs: 300, config: { ...TEST_BOT, wsUrl: gw.url } });
    await robot.start(async () => undefined);
    const r = robot;
    gw.refuseAuth(true);
    try {
      gw.drop();
      await until('the robot down', () => !r.connected || undefined, 5_000);
      await sleep(400);
      const { email, to } = fakeEmail();
      const unit = units[0]!;
      const started = Date.now();
      await createActivities({ directory, email, wecomCards: createWecomCardSender({ directory, ledger: new SendLedger(), robot: () => r }) }).notify(
        morningMessage(`c-${randomUUID()}`, { at, unit, items: [item(unit, 4, '4')] }),
      );
      expect(Date.now() - started).toBeLessThan(250);
      expect(to).toContain(directory.units[unit]!.coordinators[0]!.email);
    } finally {
      gw.refuseAuth(false);
    }
  });
});

describe('a message arriving as the connection goes silent', () => {
  // Heartbeats every 2.5 s, as production's 30 s are to the SDK's fixed 5 s wait for an ack: the reply's ack times
  // out (5 s) before the silence is found (two unanswered heartbeats, 7.5 s), so the answer must not be posted on the
  // silent socket that still looks open.
  const slowBeat = { ...fast, heartbeatMs: 2_500 };
  let gw: WecomGateway;
  let robot: WecomRobot | undefined;

  beforeAll(async () => {
    gw = await startWecomGateway();
  });
  afterEach(async () => {
    await robot?.stop();
    robot = undefined;
    lines.length = 0;
  });
  afterAll(async () => gw.close());

  it('is acted on once and answered in its chat after the SDK has found the silence and reconnected', { timeout: 30_000 }, async () => {
    robot = new WecomRobot({ ...slowBeat, config: { ...TEST_BOT, wsUrl: gw.url } });
    let acted = 0;
    await robot.start(async (h) => {
      acted++;
      await sleep(100);
      return `已收到：${h.text}`;
    });
    const before = robot.authentications;
    const from = gw.sent.length;
    gw.push('aibot_msg_callback', textMessage({ userid: 'u1', chatid: 'g-silent', text: '@督办助手 收到 4' }));
    // The message is in; what the robot sends from now on is lost, its passive reply included.
    gw.stall();
    const posted = await until('the answer posted on the new connection', () => gw.sent.slice(from).find((x) => x.cmd === 'aibot_send_msg' && x.text === '已收到：收到 4'), 20_000);
    expect(posted.body).toMatchObject({ chatid: 'g-silent', msgtype: 'markdown' });
    expect(robot.authentications).toBeGreaterThan(before);
    expect(acted).toBe(1);
    expect(lines.join('\n')).not.toMatch(/answer lost/);
  });

  it('a click whose card update goes into the silence is answered to the clicker after the reconnect, acting once', { timeout: 30_000 }, async () => {
    const clicks: CardClick[] = [];
    robot = new WecomRobot({
      ...slowBeat,
      config: { ...TEST_BOT, wsUrl: gw.url },
      onCardClick: async (click) => {
        clicks.push(click);
        await sleep(100);
        return { text: `已确认 ${click.key.code ?? ''}`, card: { card_type: 'button_interaction', sub_title_text: '已确认', button_list: buttonsFor(click.key.codes), task_id: click.taskId } };
      },
    });
    await robot.start(async () => undefined);
    const { directory } = onWecom(['县以工代赈中心']);
    const unit = '县以工代赈中心';
    const r = robot;
    await createActivities({ directory, wecomCards: createWecomCardSender({ directory, ledger: new SendLedger(), robot: () => r }) }).notify(
      morningMessage(`c-${randomUUID()}`, { at, unit, items: [item(unit, 4, '4')] }),
    );
    const card = gw.cards.at(-1)!;
    const from = gw.sent.length;
    const msgid = `e-${randomUUID()}`;
    gw.click(card, '收到 4', { msgid });
    gw.stall();
    const posted = await until('the answer posted to the clicker', () => gw.sent.slice(from).find((x) => x.cmd === 'aibot_send_msg' && x.body.msgtype === 'markdown'), 20_000);
    expect(posted.body).toMatchObject({ chatid: card.chatid, markdown: { content: '已确认 4' } });
    // Delivered again on the new connection (were WeCom to redeliver): not acted on again.
    gw.click(card, '收到 4', { msgid });
    await sleep(300);
    expect(clicks).toHaveLength(1);
  });
});

describe('a morning card clicked before the drop, on a real campaign of the seed plan', () => {
  const unit = '县以工代赈中心';
  const { directory, userids } = onWecom([unit]);
  const userid = userids.get(unit)!;
  const person = seed.units[unit]!.coordinators[0]!;
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
    campaign = await startBotCampaign(temporal, { ...loaded.input, clockOffsetMs, startAt }, (entries) => entries.length === 69, `duban/wecom-drill-${randomUUID()}`);
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

  it('「收到」 clicked, the server closes the socket as the card is updated: acknowledged once (channel wecom), the answer posted after the reconnect', async () => {
    const d = duty();
    const code = d.code ?? '4';
    const msg = morningMessage(campaign.campaignWorkflowId, { at, unit, items: [item(unit, 4, code, { dutyId: d.dutyId, deadline: d.deadline })] });
    await createActivities({ directory, wecomCards: createWecomCardSender({ directory, ledger: new SendLedger(), robot: () => robot }) }).notify(msg);
    const card = await until('the card at the gateway', () => gw.cards.find((c) => c.chatid === userid));
    const before = robot!.authentications;
    const from = gw.sent.length;
    // The update for the clicker is taken by the server and then the socket closes: the robot never hears its ack.
    gw.cutAfterNext('aibot_respond_update_msg', 'close');
    const msgid = `e-${randomUUID()}`;
    gw.click(card, `收到 ${code}`, { msgid });
    const posted = await until('the answer posted after the reconnect', () => gw.sent.slice(from).find((x) => x.cmd === 'aibot_send_msg' && x.body.msgtype === 'markdown'), 15_000);
    expect(posted.text).toContain(`已确认 ${code}`);
    expect(robot!.authentications).toBeGreaterThan(before);
    // Delivered again on the new connection: still once.
    gw.click(card, `收到 ${code}`, { msgid });
    await sleep(500);
    const s = await status();
    expect(s.status).toBe('acknowledged');
    expect(s.history.filter((h) => h.event === 'acknowledged')).toEqual([expect.objectContaining({ by: person.name, via: 'wecom' })]);
  });
});
