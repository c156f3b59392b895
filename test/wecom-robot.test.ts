/**
 * The WeCom smart robot's long connection (issue #25) against a local server with the real contract's frames
 * (test/wecom-gateway.ts), through the official SDK's WSClient: refused credentials, a server not up yet,
 * one-to-one and group messages answered in place, a quote-reply read without its quote, a voice message
 * refused, a repeated msgid acted on once, an expired req_id answered by a post instead, a welcome, a robot
 * taken over by another connection, a reconnect after a drop, credentials refused for a while after a good start;
 * then end to end on the seed campaign.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { startChatPlatforms } from '../chat/start';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReplyContext } from '../bot/replies';
import type { Heard } from '../chat/platform';
import { parseMessage, VOICE_ANSWER, withoutMentions } from '../chat/wecom-frames';
import { RESEND, startWecomFromEnv, WecomError, WecomRobot, wecomConfigFromEnv, type WecomRobotConfig } from '../chat/wecom-robot';
import { loadCampaign } from '../cli/campaign-input';
import type { Log } from '../ops/log';
import type { Directory } from '../plan/directory';
import { loadDirectory } from '../plan/files';
import { statusQuery } from '../workflows/messages';
import { startBotCampaign, type BotCampaign } from './bot-campaign';
import { devServerEnv } from './env';
import { until } from './until';
import { startWecomGateway, TEST_BOT, textMessage, type WecomGateway } from './wecom-gateway';

const lines: string[] = [];
const quiet: Log = { debug: () => undefined, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
const fast = { log: quiet, reconnectMs: 50, heartbeatMs: 5_000, startWaitMs: 3_000, requestTimeoutMs: 2_000 };
const configFor = (gw: WecomGateway, over: Partial<WecomRobotConfig> = {}): WecomRobotConfig => ({ ...TEST_BOT, wsUrl: gw.url, ...over });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WeCom smart robot configuration from the environment', () => {
  it('is off when neither id nor secret is set, and names the missing or malformed variable', () => {
    expect(wecomConfigFromEnv({})).toBeUndefined();
    expect(wecomConfigFromEnv({ DUBAN_WECOM_BOT_ID: '', DUBAN_WECOM_BOT_SECRET: '' })).toBeUndefined();
    expect(() => wecomConfigFromEnv({ DUBAN_WECOM_BOT_ID: 'aib1' })).toThrow(/DUBAN_WECOM_BOT_SECRET 未设置/);
    expect(() => wecomConfigFromEnv({ DUBAN_WECOM_BOT_SECRET: 's' })).toThrow(/DUBAN_WECOM_BOT_ID 未设置/);
    expect(() => wecomConfigFromEnv({ DUBAN_WECOM_BOT_ID: 'a', DUBAN_WECOM_BOT_SECRET: 's', DUBAN_WECOM_WS_URL: 'https://x' })).toThrow(/^DUBAN_WECOM_WS_URL: /);
    expect(wecomConfigFromEnv({ DUBAN_WECOM_BOT_ID: 'aib1', DUBAN_WECOM_BOT_SECRET: 's' })).toEqual({ botId: 'aib1', secret: 's', wsUrl: 'wss://openws.work.weixin.qq.com' });
  });
});

describe('WeCom smart robot frames', () => {
  it('keeps only the person’s own words: the quote apart, the @-mention gone, an address in a note kept', () => {
    const quoted = parseMessage(textMessage({ userid: 'u1', chatid: 'g1', text: '@督办助手 收到', quote: '【今日督办】… 请回复「完成 4 情况说明」' }));
    expect(quoted).toMatchObject({ ok: true, value: { heard: { text: '收到', inGroup: true, conversationId: 'g1', from: { id: 'u1' }, channel: 'wecom' }, quoted: '【今日督办】… 请回复「完成 4 情况说明」' } });
    expect(withoutMentions('完成 4 已发 a@b.com @督办助手')).toBe('完成 4 已发 a@b.com');
    const mixed = parseMessage({ ...textMessage({ userid: 'u1', text: '' }), msgtype: 'mixed', text: undefined, mixed: { msg_item: [{ msgtype: 'text', text: { content: '完成 4' } }, { msgtype: 'image', image: { url: 'x' } }, { msgtype: 'text', text: { content: '见附图' } }] } });
    expect(mixed).toMatchObject({ ok: true, value: { heard: { text: '完成 4\n见附图', inGroup: false, conversationId: 'u1' } } });
  });

  it('does not act on a voice message (a misheard number could act on another duty), and says why; an image carries no reply', () => {
    expect(parseMessage({ ...textMessage({ userid: 'u1', text: '' }), msgtype: 'voice', voice: { content: '完成四' } })).toEqual({ ok: false, reason: 'a voice message', answer: VOICE_ANSWER });
    expect(parseMessage({ ...textMessage({ userid: 'u1', text: '' }), msgtype: 'image' }).ok).toBe(false);
    expect(parseMessage({ msgid: 'x' }).ok).toBe(false);
  });
});

describe('WeCom smart robot against a local long-connection server', () => {
  let gw: WecomGateway;
  let robot: WecomRobot | undefined;
  const heard: Heard[] = [];
  const echo = async (h: Heard) => {
    heard.push(h);
    return `已收到：${h.text}`;
  };

  beforeAll(async () => {
    gw = await startWecomGateway();
  });
  afterEach(async () => {
    await robot?.stop();
    robot = undefined;
    heard.length = 0;
    lines.length = 0;
    gw.expireReqIdsAfter(24 * 3600_000);
  });
  afterAll(async () => gw.close());

  it('refuses to start with a wrong secret, saying which variables to check', async () => {
    const before = gw.authenticated;
    const wrong = new WecomRobot({ ...fast, config: configFor(gw, { secret: 'wrong' }) });
    const err = await wrong.start(echo).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WecomError);
    expect((err as WecomError).code).toBe('AUTH_REFUSED');
    expect((err as Error).message).toMatch(/DUBAN_WECOM_BOT_ID 与 DUBAN_WECOM_BOT_SECRET/);
    expect(gw.refusedAuth).toBeGreaterThan(0);
    expect(gw.authenticated).toBe(before);
  });

  it('starts while the server is not up yet, and connects once it is', async () => {
    const later = await startWecomGateway();
    const url = later.url;
    await later.close();
    robot = new WecomRobot({ ...fast, startWaitMs: 300, config: configFor(gw, { wsUrl: url }) });
    await robot.start(echo);
    expect(lines.join('\n')).toMatch(/暂未连上/);
    expect(robot.authentications).toBe(0);
    await robot.stop();
    robot = undefined;
  });

  it('answers a one-to-one message in place (a finished stream message bound to its req_id)', async () => {
    robot = new WecomRobot({ ...fast, config: configFor(gw) });
    await robot.start(echo);
    const reqId = gw.push('aibot_msg_callback', textMessage({ userid: 'u1', text: '我的任务' }));
    const said = await gw.answerTo(reqId);
    expect(said.cmd).toBe('aibot_respond_msg');
    expect(said.body).toMatchObject({ msgtype: 'stream', stream: { finish: true, content: '已收到：我的任务' } });
    expect(heard).toEqual([expect.objectContaining({ channel: 'wecom', text: '我的任务', inGroup: false, conversationId: 'u1', from: { id: 'u1', name: 'u1' } })]);
  });

  it('a message delivered twice with one msgid acts once and is answered once', async () => {
    robot = new WecomRobot({ ...fast, config: configFor(gw) });
    await robot.start(echo);
    const msg = textMessage({ userid: 'u1', text: '完成 4', msgid: `m-${randomUUID()}` });
    const first = gw.push('aibot_msg_callback', msg);
    await gw.answerTo(first);
    const second = gw.push('aibot_msg_callback', msg);
    await sleep(300);
    expect(heard).toHaveLength(1);
    expect(gw.sent.filter((s) => s.reqId === second)).toEqual([]);
  });

  it('answers a voice message with how to reply in text, acting on nothing', async () => {
    robot = new WecomRobot({ ...fast, config: configFor(gw) });
    await robot.start(echo);
    const reqId = gw.push('aibot_msg_callback', { ...textMessage({ userid: 'u1', text: '' }), msgtype: 'voice', voice: { content: '完成四' } });
    expect((await gw.answerTo(reqId)).text).toBe(VOICE_ANSWER);
    expect(heard).toEqual([]);
  });

  it('when the passive reply is refused (the req_id expired), the answer is posted to the same chat', async () => {
    robot = new WecomRobot({ ...fast, config: configFor(gw) });
    await robot.start(echo);
    gw.expireReqIdsAfter(0);
    await sleep(5);
    gw.push('aibot_msg_callback', textMessage({ userid: 'u1', chatid: 'g-late', text: '@督办助手 收到 4' }));
    const posted = await gw.answerTo('chat:g-late');
    expect(posted.body).toMatchObject({ chatid: 'g-late', msgtype: 'markdown', markdown: { content: '已收到：收到 4' } });
    expect(lines.join('\n')).toMatch(/846605/);
  });

  it('tells the sender to send again when the reply path fails, and acts on the same msgid when it comes again', async () => {
    let fail = true;
    robot = new WecomRobot({ ...fast, config: configFor(gw) });
    await robot.start(async (h) => {
      if (fail) throw new Error('temporal unreachable');
      return echo(h);
    });
    const msg = textMessage({ userid: 'u1', text: '完成 4', msgid: `m-${randomUUID()}` });
    expect((await gw.answerTo(gw.push('aibot_msg_callback', msg))).text).toBe(RESEND);
    fail = false;
    expect((await gw.answerTo(gw.push('aibot_msg_callback', msg))).text).toBe('已收到：完成 4');
  });

  it('welcomes a person who opens the robot’s chat', async () => {
    robot = new WecomRobot({ ...fast, config: configFor(gw) });
    await robot.start(echo);
    const reqId = gw.push('aibot_event_callback', { msgid: randomUUID(), msgtype: 'event', from: { userid: 'u1' }, event: { eventtype: 'enter_chat' } });
    const welcome = await gw.answerTo(reqId);
    expect(welcome.cmd).toBe('aibot_respond_welcome_msg');
    expect(welcome.text).toMatch(/我的任务/);
  });

  it('reconnects after a drop and hears on the new connection', async () => {
    robot = new WecomRobot({ ...fast, config: configFor(gw) });
    await robot.start(echo);
    expect(robot.authentications).toBe(1);
    gw.drop();
    await until('the robot back', () => robot!.authentications >= 2 || undefined, 10_000);
    const reqId = gw.push('aibot_msg_callback', textMessage({ userid: 'u1', text: '帮助' }));
    expect((await gw.answerTo(reqId)).text).toBe('已收到：帮助');
  });

  it('keeps trying when the platform refuses its credentials for a while after a good start, and hears again once they are taken', async () => {
    robot = new WecomRobot({ ...fast, reauthMs: 50, reauthMaxMs: 200, config: configFor(gw) });
    await robot.start(echo);
    expect(robot.authentications).toBe(1);
    const refusedBefore = gw.refusedAuth;
    gw.refuseAuth(true);
    try {
      gw.drop();
      // The SDK's first try and its one retry refused: the SDK has given up; duban's retry is what connects again.
      await until('two refusals', () => gw.refusedAuth >= refusedBefore + 2 || undefined, 10_000);
    } finally {
      gw.refuseAuth(false);
    }
    await until('the robot back', () => robot!.authentications >= 2 || undefined, 10_000);
    expect(lines.join('\n')).toContain('拒绝了重新认证');
    const reqId = gw.push('aibot_msg_callback', textMessage({ userid: 'u1', text: '帮助' }));
    expect((await gw.answerTo(reqId)).text).toBe('已收到：帮助');
  });

  it('a message in hand when the connection drops is answered in its chat once the robot has reconnected, acting once', async () => {
    // The answer is ready (400 ms) before the robot is back (1 s): the passive reply's req_id went with the drop.
    robot = new WecomRobot({ ...fast, reconnectMs: 1_000, config: configFor(gw) });
    let acted = 0;
    await robot.start(async (h) => {
      acted++;
      // The reply path takes a while; the network drops meanwhile.
      await sleep(400);
      return `已收到：${h.text}`;
    });
    const before = robot.authentications;
    const from = gw.sent.length;
    gw.push('aibot_msg_callback', textMessage({ userid: 'u1', chatid: 'g-gap', text: '收到 4' }));
    await sleep(100);
    gw.drop();
    const posted = await until('the answer posted after the reconnect', () => gw.sent.slice(from).find((x) => x.cmd === 'aibot_send_msg' && x.text.includes('已收到：收到 4')), 10_000);
    expect(robot.authentications).toBeGreaterThan(before);
    expect(posted.body).toMatchObject({ chatid: 'g-gap' });
    expect(acted).toBe(1);
  });

  it('stop() answers a message in hand before it closes the connection', async () => {
    robot = new WecomRobot({ ...fast, config: configFor(gw) });
    await robot.start(async (h) => {
      await sleep(300);
      return `已收到：${h.text}`;
    });
    const reqId = gw.push('aibot_msg_callback', textMessage({ userid: 'u1', text: '收到 5' }));
    await sleep(50);
    await robot.stop();
    robot = undefined;
    expect((await gw.answerTo(reqId, 1000)).text).toBe('已收到：收到 5');
  });

  it('stops hearing, and says so, when another process connects with the same robot', async () => {
    robot = new WecomRobot({ ...fast, config: configFor(gw) });
    await robot.start(echo);
    const other = new WecomRobot({ ...fast, config: configFor(gw) });
    const otherHeard: Heard[] = [];
    await other.start(async (h) => {
      otherHeard.push(h);
      return 'other';
    });
    await until('the first robot told', () => robot!.replaced || undefined, 5_000);
    expect(lines.join('\n')).toMatch(/已在另一处连接/);
    await sleep(500);
    // It does not take the robot back: the newest connection keeps hearing.
    const reqId = gw.push('aibot_msg_callback', textMessage({ userid: 'u1', text: '帮助' }));
    expect((await gw.answerTo(reqId)).text).toBe('other');
    expect(heard).toEqual([]);
    await other.stop();
  });
});

describe('「完成 4」 by the WeCom smart robot on a real campaign of the seed plan', () => {
  const seed = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
  const unit = '县以工代赈中心';
  const userid = 'wecom-yigong-01';
  const person = seed.units[unit]!.coordinators[0]!;
  // The unit's coordinator with their WeCom userid in the directory.
  const directory: Directory = {
    ...seed,
    units: { ...seed.units, [unit]: { ...seed.units[unit]!, coordinators: [{ ...person, wecom: userid }, ...seed.units[unit]!.coordinators.slice(1)] } },
  };
  let gw: WecomGateway;
  let robot: WecomRobot | undefined;
  let campaign: BotCampaign;
  let ctx: ReplyContext;
  let cleanup: () => Promise<void> = async () => undefined;
  const status = () => ctx.client.workflow.getHandle(campaign.ledger.find((e) => e.unit === unit && e.taskNumber === 4)!.dutyId).query(statusQuery);
  const env = (g: WecomGateway) => ({ DUBAN_WECOM_BOT_ID: TEST_BOT.botId, DUBAN_WECOM_BOT_SECRET: TEST_BOT.secret, DUBAN_WECOM_WS_URL: g.url });

  beforeAll(async () => {
    gw = await startWecomGateway();
    const temporal = await devServerEnv();
    const loaded = loadCampaign({ year: 2022 });
    const clockOffsetMs = Date.parse('2022-05-06T10:00:00+08:00') - Date.now();
    const startAt = Date.parse(`${loaded.nominalStart}:00+08:00`);
    campaign = await startBotCampaign(temporal, { ...loaded.input, clockOffsetMs, startAt }, (entries) => entries.length === 69, `duban/wecom-${randomUUID()}`);
    ctx = { client: temporal.client, directory, campaignWorkflowId: campaign.campaignWorkflowId, now: () => Date.now() + clockOffsetMs };
    robot = await startWecomFromEnv(ctx, env(gw), fast);
    cleanup = async () => {
      await robot?.stop();
      await campaign.stop();
      await temporal.teardown();
      await gw.close();
    };
  }, 120_000);
  afterAll(async () => cleanup());

  it('is not started when the smart robot is not configured', async () => {
    expect(await startWecomFromEnv(ctx, {})).toBeUndefined();
  });

  it('a malformed setting of another platform stops the start before the robot connects: nothing is left running', async () => {
    const own = await startWecomGateway();
    try {
      await expect(startChatPlatforms(ctx, { ...env(own), DUBAN_IMAP_URL: 'imaps://imap.example.org/INBOX' })).rejects.toThrow(/DUBAN_IMAP_URL/);
      await sleep(500);
      expect(own.authenticated).toBe(0);
    } finally {
      await own.close();
    }
  });

  it('npm start’s platforms say whether WeCom is on, and a configured robot is connected', async () => {
    const off = await startChatPlatforms(ctx, {});
    expect(off.lines.join('\n')).toContain('未配置企业微信智能机器人：设置 DUBAN_WECOM_BOT_ID、DUBAN_WECOM_BOT_SECRET');
    await off.stop();
    // A gateway of its own: a second connection to the shared one would take the robot over from the tests below.
    const own = await startWecomGateway();
    try {
      const on = await startChatPlatforms(ctx, env(own));
      expect(on.lines.join('\n')).toContain('企业微信智能机器人（长连接）：已连接');
      expect(own.authenticated).toBe(1);
      await on.stop();
    } finally {
      await own.close();
    }
  });

  it('a quote-reply 「收到」 quoting the morning message’s 「完成 4」 only acknowledges', async () => {
    const reqId = gw.push('aibot_msg_callback', textMessage({ userid, chatid: 'g-yigong', text: '@督办助手 收到 4', quote: '【今日督办】请回复「完成 4 情况说明」' }));
    const said = (await gw.answerTo(reqId)).text;
    expect(said).toContain('已确认 4');
    expect(said).not.toContain('已登记办结');
    const s = await status();
    expect(s.status).toBe('acknowledged');
    expect(s.history.filter((h) => h.event === 'acknowledged')).toEqual([expect.objectContaining({ by: person.name, via: 'wecom' })]);
  });

  it('「完成 4」 from the unit’s userid completes the duty once, channel wecom; a stranger’s userid is not acted on', async () => {
    const stranger = gw.push('aibot_msg_callback', textMessage({ userid: 'wecom-nobody', text: '完成 4' }));
    expect((await gw.answerTo(stranger)).text).not.toContain('已登记办结');
    expect((await status()).status).toBe('acknowledged');

    const msg = textMessage({ userid, text: '完成 4 清单已报县局', msgid: `m-${randomUUID()}` });
    expect((await gw.answerTo(gw.push('aibot_msg_callback', msg))).text).toContain('已登记办结 4');
    const s = await status();
    expect(s.status).toBe('completed');
    expect(s.history.filter((h) => h.event === 'completed')).toEqual([expect.objectContaining({ by: person.name, via: 'wecom', detail: '清单已报县局' })]);
    // The same msgid again (the server's retry): not acted on, not answered again.
    const again = gw.push('aibot_msg_callback', msg);
    await sleep(300);
    expect(gw.sent.filter((x) => x.reqId === again)).toEqual([]);
    expect((await status()).history.filter((h) => h.event === 'completed')).toHaveLength(1);
  });
});
