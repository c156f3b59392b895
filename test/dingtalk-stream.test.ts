/**
 * DingTalk Stream mode (issue #25) against a local gateway that implements the SDK's contract
 * (test/dingtalk-gateway.ts): the open-connection call and its refusal, ping → pong, disconnect → a new
 * connection, a drop → reconnect, ACKs after handling (a frame in hand when its connection drops is pushed
 * again and acted on once), msgId dedup, the sessionWebhook and its expiry, card clicks; the official SDK's
 * own client against the same gateway; then end to end on a real campaign of the seed plan on the dev server.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DWClient, type DWClientDownStream } from 'dingtalk-stream';
import { TOPIC_ROBOT as SDK_TOPIC_ROBOT } from 'dingtalk-stream/constants';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReplyContext } from '../bot/replies';
import { parseCardCallback, parseRobotMessage, TOPIC_CARD, TOPIC_ROBOT } from '../chat/dingtalk-payload';
import { DingtalkError, DingtalkStream, dingtalkConfigFromEnv, RESEND, startDingtalkFromEnv, type DingtalkConfig } from '../chat/dingtalk-stream';
import type { Heard } from '../chat/platform';
import { loadCampaign } from '../cli/campaign-input';
import type { Log } from '../ops/log';
import { loadDirectory } from '../plan/files';
import type { Directory } from '../plan/directory';
import { statusQuery } from '../workflows/messages';
import { startBotCampaign, type BotCampaign } from './bot-campaign';
import { cardClick, robotMessage, startDingtalkGateway, TEST_CLIENT, type DingtalkGateway, type Delivery } from './dingtalk-gateway';
import { devServerEnv } from './env';
import { until } from './until';

const lines: string[] = [];
const quiet: Log = { debug: () => undefined, info: () => undefined, warn: (m) => lines.push(m), error: (m) => lines.push(m) };
const fast = { log: quiet, keepAliveMs: 5_000, reconnectMs: { first: 50, max: 400 }, stopWaitMs: 1_000 };
const configFor = (gw: DingtalkGateway, over: Partial<DingtalkConfig> = {}): DingtalkConfig => ({
  ...TEST_CLIENT,
  gatewayUrl: gw.gatewayUrl,
  apiUrl: gw.origin,
  robotCode: TEST_CLIENT.clientId,
  ...over,
});
const envFor = (gw: DingtalkGateway) => ({
  DUBAN_DINGTALK_CLIENT_ID: TEST_CLIENT.clientId,
  DUBAN_DINGTALK_CLIENT_SECRET: TEST_CLIENT.clientSecret,
  DUBAN_DINGTALK_GATEWAY_URL: gw.gatewayUrl,
  DUBAN_DINGTALK_API_URL: gw.origin,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A delivery's ACK, or a failure naming the frame after `ms` (a missing ACK fails at once, not at the test timeout). */
const acked = (d: Delivery, ms = 5_000) =>
  Promise.race([d.acked, sleep(ms).then(() => Promise.reject(new Error(`frame ${d.frameId} not ACKed within ${ms} ms (pushed ${d.pushes}×)`)))]);

describe('DingTalk configuration from the environment', () => {
  it('is off when neither id nor secret is set, and names the missing or malformed variable', () => {
    expect(dingtalkConfigFromEnv({})).toBeUndefined();
    expect(dingtalkConfigFromEnv({ DUBAN_DINGTALK_CLIENT_ID: '', DUBAN_DINGTALK_CLIENT_SECRET: '' })).toBeUndefined();
    expect(() => dingtalkConfigFromEnv({ DUBAN_DINGTALK_CLIENT_ID: 'dingabc' })).toThrow(/DUBAN_DINGTALK_CLIENT_SECRET 未设置/);
    expect(() => dingtalkConfigFromEnv({ DUBAN_DINGTALK_CLIENT_SECRET: 's' })).toThrow(/DUBAN_DINGTALK_CLIENT_ID 未设置/);
    expect(() => dingtalkConfigFromEnv({ DUBAN_DINGTALK_CLIENT_ID: 'a', DUBAN_DINGTALK_CLIENT_SECRET: 's', DUBAN_DINGTALK_GATEWAY_URL: 'api.dingtalk.com' })).toThrow(/^DUBAN_DINGTALK_GATEWAY_URL: /);
    const config = dingtalkConfigFromEnv({ DUBAN_DINGTALK_CLIENT_ID: 'dingabc', DUBAN_DINGTALK_CLIENT_SECRET: 's' });
    // The SDK's own gateway and OpenAPI by default; the robotCode of an organisation's own app is its Client ID.
    expect(config).toEqual({ clientId: 'dingabc', clientSecret: 's', gatewayUrl: 'https://api.dingtalk.com/v1.0/gateway/connections/open', apiUrl: 'https://api.dingtalk.com', robotCode: 'dingabc' });
  });
});

describe('DingTalk payloads', () => {
  const base = { msgId: 'm1', msgtype: 'text', conversationId: 'cid1', senderId: '$:x', senderStaffId: 'u1', senderNick: '张三', sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=s', sessionWebhookExpiredTime: 1 };

  it('keeps only the person’s own words: a quote-reply’s quoted message stays apart', () => {
    const quoted = parseRobotMessage(JSON.stringify({ ...base, conversationType: '2', isInAtList: true, text: { content: ' 收到', isReplyMsg: true, repliedMsg: { content: { text: '完成 4' } } } }));
    expect(quoted).toMatchObject({ ok: true, value: { heard: { text: '收到', inGroup: true, from: { id: 'u1', name: '张三' }, messageId: 'm1' }, quoted: '完成 4', staffId: 'u1' } });
    const legacy = parseRobotMessage(JSON.stringify({ ...base, conversationType: '1', text: { content: '收到' }, quoteMessage: { text: { content: '完成 4' } } }));
    expect(legacy).toMatchObject({ ok: true, value: { heard: { text: '收到', inGroup: false }, quoted: '完成 4' } });
    const rich = parseRobotMessage(JSON.stringify({ ...base, conversationType: '1', msgtype: 'richText', content: { richText: [{ text: '完成 4 ' }, { type: 'picture', downloadCode: 'x' }, { text: '附件见图' }] } }));
    expect(rich).toMatchObject({ ok: true, value: { heard: { text: '完成 4 附件见图' } } });
  });

  it('does not act on a picture, or on a group message not addressed to the robot', () => {
    expect(parseRobotMessage(JSON.stringify({ ...base, conversationType: '1', msgtype: 'picture', content: { downloadCode: 'x' } })).ok).toBe(false);
    expect(parseRobotMessage(JSON.stringify({ ...base, conversationType: '2', isInAtList: false, text: { content: '完成 4' } })).ok).toBe(false);
    expect(parseRobotMessage('not json').ok).toBe(false);
  });

  it('reads a duban card button as the reply it stands for, and nothing else', () => {
    expect(parseCardCallback(JSON.stringify(cardClick({ userId: 'u1', action: 'complete', code: 'b4' })), 'f1')).toMatchObject({ ok: true, value: { heard: { text: '完成 b4', from: { id: 'u1' }, messageId: 'card:f1' }, action: 'complete' } });
    const other = { ...cardClick({ userId: 'u1', action: 'complete', code: '4' }), value: JSON.stringify({ cardPrivateData: { actionIds: ['x'], params: { foo: 1 } } }) };
    expect(parseCardCallback(JSON.stringify(other), 'f2').ok).toBe(false);
  });
});

describe('DingTalk Stream against a local gateway', () => {
  let gw: DingtalkGateway;
  let stream: DingtalkStream | undefined;
  const heard: Heard[] = [];
  const reply = (h: Heard) => `已收到：${h.text}`;

  beforeAll(async () => {
    gw = await startDingtalkGateway({ redeliverMs: 300 });
  });
  afterEach(async () => {
    await stream?.stop();
    stream = undefined;
    heard.length = 0;
  });
  afterAll(async () => gw.close());

  const start = async (onHeard: (h: Heard) => Promise<string | undefined> = async (h) => reply(h), over: Partial<ConstructorParameters<typeof DingtalkStream>[0]> = {}) => {
    stream = new DingtalkStream({ config: configFor(gw), ...fast, ...over });
    await stream.start(async (h) => {
      heard.push(h);
      return onHeard(h);
    });
    return stream;
  };

  it('refuses to start with a wrong secret, saying which variables to check, and opens no connection', async () => {
    const before = gw.connections.length;
    const bad = new DingtalkStream({ config: configFor(gw, { clientSecret: 'wrong' }), ...fast });
    const err = await bad.start(async () => undefined).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DingtalkError);
    expect(err).toMatchObject({ code: 'OPEN_REFUSED' });
    expect((err as Error).message).toContain('HTTP 401 authFailed 鉴权失败');
    expect((err as Error).message).toContain('DUBAN_DINGTALK_CLIENT_SECRET');
    expect(gw.opens.at(-1)?.status).toBe(401);
    expect(gw.connections.length).toBe(before);
    await bad.stop();
  });

  it('starts while the gateway is not reachable yet, and connects once it is', async () => {
    const later = await startDingtalkGateway();
    const port = Number(new URL(later.origin).port);
    await later.close();
    const errors = lines.length;
    const early = new DingtalkStream({ config: configFor(later), ...fast });
    await early.start(async () => undefined);
    expect(early.connections).toBe(0);
    expect(lines.slice(errors).join('\n')).toContain('钉钉 Stream 网关');
    const up = await startDingtalkGateway({ port });
    try {
      await until('connected once the gateway is up', () => early.connections === 1, 5_000);
      expect(up.connections).toHaveLength(1);
    } finally {
      await early.stop();
      await up.close();
    }
  });

  it('subscribes to robot messages and card callbacks, and answers a ping with its pong', async () => {
    await start();
    const open = gw.opens.at(-1)!;
    expect(open.status).toBe(200);
    expect(open.body).toMatchObject({ clientId: TEST_CLIENT.clientId, subscriptions: [{ type: 'CALLBACK', topic: TOPIC_ROBOT }, { type: 'CALLBACK', topic: TOPIC_CARD }] });
    const pong = await gw.ping();
    expect(pong.code).toBe(200);
    expect(pong.message).toBe('OK');
    expect(pong.headers.topic).toBe('ping');
    expect(JSON.parse(pong.data ?? '{}')).toHaveProperty('opaque');
  });

  it('hears a group @-mention, answers through its sessionWebhook @-ing the sender, and ACKs after the answer', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    await start(async (h) => {
      await held;
      return reply(h);
    });
    const msg = robotMessage(gw, { text: '完成 4 已报', staffId: 'u100', nick: '李四', group: true });
    const delivery = gw.deliver(TOPIC_ROBOT, msg);
    await until('heard', () => heard.length === 1);
    expect(heard[0]).toEqual({ channel: 'dingtalk', messageId: msg.msgId, from: { id: 'u100', name: '李四' }, text: '完成 4 已报', inGroup: true, conversationId: msg.conversationId });
    // Not ACKed while in hand: a crash now and the gateway pushes it again.
    await sleep(100);
    const conn = await gw.current();
    expect(conn.received.filter((f) => f.headers.messageId === delivery.frameId)).toHaveLength(0);
    release();
    const { frame } = await acked(delivery);
    expect(frame).toMatchObject({ code: 200, headers: { messageId: delivery.frameId, contentType: 'application/json' }, message: 'OK' });
    const post = gw.webhookPosts.find((p) => msg.sessionWebhook.endsWith(p.token));
    expect(post?.body).toEqual({ msgtype: 'text', text: { content: '已收到：完成 4 已报' }, at: { atUserIds: ['u100'] } });
    expect(post?.errcode).toBe(0);
  });

  it('opens a new connection when the gateway says disconnect, and hears on it', async () => {
    await start();
    const opens = gw.opens.length;
    // The gateway would close it in 5 s: the client has moved on long before (a new ticket, a new connection).
    const old = await gw.disconnect(5_000);
    const next = await until('a second connection', () => gw.connections.find((c) => c.id > old.id && !c.closed), 2_000);
    expect(gw.opens.length).toBe(opens + 1);
    const msg = robotMessage(gw, { text: '收到 4', staffId: 'u101' });
    const { connection } = await acked(gw.deliver(TOPIC_ROBOT, msg));
    expect(connection).toBe(next.id);
    await until('the old connection closed by the client', () => old.socket.readyState === old.socket.CLOSED, 2_000);
    expect(heard.map((h) => h.text)).toEqual(['收到 4']);
  });

  it('reconnects after a drop; a message pushed during the gap is heard once after', async () => {
    await start();
    const dropped = await gw.drop();
    const msg = robotMessage(gw, { text: '收到 4', staffId: 'u102' });
    const delivery = gw.deliver(TOPIC_ROBOT, msg);
    const { connection } = await acked(delivery);
    expect(connection).toBeGreaterThan(dropped.id);
    expect(heard).toHaveLength(1);
  });

  it('a message in hand when its connection drops is pushed again, acted on once, and ACKed on the new connection', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    let calls = 0;
    await start(async (h) => {
      calls++;
      await held;
      return reply(h);
    });
    const msg = robotMessage(gw, { text: '完成 4', staffId: 'u103' });
    const delivery = gw.deliver(TOPIC_ROBOT, msg);
    await until('in hand', () => calls === 1);
    const dropped = await gw.drop();
    // Pushed again on the new connection while the first delivery is still in hand: not acted on twice.
    await until('pushed again', () => delivery.pushes >= 2);
    await sleep(400);
    release();
    const { connection } = await acked(delivery);
    expect(connection).toBeGreaterThan(dropped.id);
    expect(calls).toBe(1);
    expect(gw.webhookPosts.filter((p) => msg.sessionWebhook.endsWith(p.token))).toHaveLength(1);
  });

  it('the same msgId in a second frame is ACKed and not acted on again', async () => {
    await start();
    const msg = robotMessage(gw, { text: '完成 4', staffId: 'u104' });
    await acked(gw.deliver(TOPIC_ROBOT, msg));
    await acked(gw.deliver(TOPIC_ROBOT, msg));
    expect(heard).toHaveLength(1);
    expect(gw.webhookPosts.filter((p) => msg.sessionWebhook.endsWith(p.token))).toHaveLength(1);
  });

  it('answers by the robot’s OpenAPI once the sessionWebhook has expired (one to one and in a group), and when the webhook refuses', async () => {
    await start();
    const apiBefore = gw.apiPosts.length;
    const single = robotMessage(gw, { text: '收到 4', staffId: 'u105', webhookMs: -1000 });
    await acked(gw.deliver(TOPIC_ROBOT, single));
    const group = robotMessage(gw, { text: '收到 4', staffId: 'u106', group: true, webhookMs: 10_000 });
    await acked(gw.deliver(TOPIC_ROBOT, group));
    const posts = gw.apiPosts.slice(apiBefore);
    expect(posts).toHaveLength(2);
    expect(posts[0]).toMatchObject({ path: '/v1.0/robot/oToMessages/batchSend', body: { robotCode: TEST_CLIENT.clientId, userIds: ['u105'], msgKey: 'sampleText', msgParam: JSON.stringify({ content: '已收到：收到 4' }) } });
    // 10 s left is inside the margin (30 s): not used.
    expect(posts[1]).toMatchObject({ path: '/v1.0/robot/groupMessages/send', body: { openConversationId: group.conversationId, msgKey: 'sampleText' } });
    expect(gw.webhookPosts.filter((p) => single.sessionWebhook.endsWith(p.token) || group.sessionWebhook.endsWith(p.token))).toHaveLength(0);

    // A clock that believes the webhook still valid: the gateway refuses it (errcode), the answer still arrives.
    await stream!.stop();
    await start(undefined, { now: () => Date.now() - 3_600_000 });
    const stale = robotMessage(gw, { text: '收到 4', staffId: 'u107', webhookMs: -1000 });
    await acked(gw.deliver(TOPIC_ROBOT, stale));
    expect(gw.webhookPosts.find((p) => stale.sessionWebhook.endsWith(p.token))?.errcode).toBe(300001);
    expect(gw.apiPosts.at(-1)).toMatchObject({ path: '/v1.0/robot/oToMessages/batchSend', body: { userIds: ['u107'] } });
  });

  it('a click on a card button acts as the reply and shows the answer in the clicker’s view of the card', async () => {
    await start();
    const { frame } = await acked(gw.deliver(TOPIC_CARD, cardClick({ userId: 'u108', action: 'acknowledge', code: '4' })));
    expect(heard[0]).toMatchObject({ text: '收到 4', from: { id: 'u108' }, inGroup: false });
    expect(JSON.parse(frame.data ?? '{}')).toEqual({
      response: { cardUpdateOptions: { updatePrivateDataByKey: true }, userPrivateData: { cardParamMap: { duban_answer: '已收到：收到 4' } } },
    });
  });

  it('tells the sender to send again when the reply path fails, and ACKs', async () => {
    await start(async () => {
      throw new Error('Temporal unreachable');
    });
    const msg = robotMessage(gw, { text: '完成 4', staffId: 'u109' });
    await acked(gw.deliver(TOPIC_ROBOT, msg));
    expect(gw.webhookPosts.find((p) => msg.sessionWebhook.endsWith(p.token))?.body.text?.content).toBe(RESEND);
  });

  it('drops a connection that stops answering its pings, and opens another', async () => {
    await start(undefined, { keepAliveMs: 100 });
    const frozen = await gw.freeze();
    const next = await until('a new connection', () => gw.connections.find((c) => c.id > frozen.id && !c.closed));
    expect(next).toBeDefined();
    const { connection } = await acked(gw.deliver(TOPIC_ROBOT, robotMessage(gw, { text: '收到 4', staffId: 'u110' })));
    expect(connection).toBe(next.id);
  });
});

describe('the official SDK’s client against the same gateway (the gateway speaks its protocol)', () => {
  // GATEWAY_URL is a module constant in the SDK (constants.mjs) and no option moves it: the narrowest seam is its
  // public getEndpoint(), which sets the (TypeScript-private) dw_url the WebSocket is opened on.
  class LocalDWClient extends DWClient {
    constructor(private readonly gatewayUrl: string) {
      super({ clientId: TEST_CLIENT.clientId, clientSecret: TEST_CLIENT.clientSecret });
      this.config.autoReconnect = false;
    }
    override async getEndpoint(): Promise<this> {
      const res = await fetch(this.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ clientId: this.config.clientId, clientSecret: this.config.clientSecret, ua: '', subscriptions: this.config.subscriptions }) });
      const { endpoint, ticket } = (await res.json()) as { endpoint: string; ticket: string };
      (this as unknown as { dw_url: string }).dw_url = `${endpoint}?ticket=${ticket}`;
      return this;
    }
  }

  it('the SDK answers the gateway’s ping and its callback ACK settles a delivery', async () => {
    const gw = await startDingtalkGateway();
    const sdk = new LocalDWClient(gw.gatewayUrl);
    const got: DWClientDownStream[] = [];
    sdk.registerCallbackListener(SDK_TOPIC_ROBOT, (msg) => {
      got.push(msg);
      sdk.socketCallBackResponse(msg.headers.messageId, { ok: true });
    });
    const info = console.info;
    console.info = () => undefined; // the SDK prints "connect success"
    try {
      await sdk.connect();
      const pong = await gw.ping();
      expect(pong.code).toBe(200);
      const msg = robotMessage(gw, { text: '收到 4', staffId: 'u200' });
      const { frame } = await acked(gw.deliver(SDK_TOPIC_ROBOT, msg));
      expect(JSON.parse(got[0]!.data)).toMatchObject({ msgId: msg.msgId, text: { content: '收到 4' } });
      expect(frame.headers.messageId).toBe(got[0]!.headers.messageId);
      expect(JSON.parse(frame.data ?? '{}')).toEqual({ response: { ok: true } });
    } finally {
      sdk.disconnect();
      console.info = info;
      await gw.close();
    }
  });
});

describe('「完成 4」 by DingTalk on a real campaign of the seed plan', () => {
  const seed = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
  const unit = '县以工代赈中心';
  const userid = 'ding-u-yigong-01';
  const person = seed.units[unit]!.coordinators[0]!;
  // The unit's coordinator with their DingTalk userid in the directory.
  const directory: Directory = {
    ...seed,
    units: { ...seed.units, [unit]: { ...seed.units[unit]!, coordinators: [{ ...person, dingtalk: userid }, ...seed.units[unit]!.coordinators.slice(1)] } },
  };
  let gw: DingtalkGateway;
  let robot: DingtalkStream | undefined;
  let campaign: BotCampaign;
  let ctx: ReplyContext;
  let cleanup: () => Promise<void> = async () => undefined;
  const status = () => ctx.client.workflow.getHandle(campaign.ledger.find((e) => e.unit === unit && e.taskNumber === 4)!.dutyId).query(statusQuery);
  const answerAt = async (webhook: string) => (await until('the answer at the sessionWebhook', () => gw.webhookPosts.find((p) => webhook.endsWith(p.token)))).body.text?.content ?? '';

  beforeAll(async () => {
    gw = await startDingtalkGateway();
    const env = await devServerEnv();
    const loaded = loadCampaign({ year: 2022 });
    const clockOffsetMs = Date.parse('2022-05-06T10:00:00+08:00') - Date.now();
    const startAt = Date.parse(`${loaded.nominalStart}:00+08:00`);
    campaign = await startBotCampaign(env, { ...loaded.input, clockOffsetMs, startAt }, (entries) => entries.length === 69, `duban/dingtalk-${randomUUID()}`);
    ctx = { client: env.client, directory, campaignWorkflowId: campaign.campaignWorkflowId, now: () => Date.now() + clockOffsetMs };
    robot = await startDingtalkFromEnv(ctx, envFor(gw), fast);
    cleanup = async () => {
      await robot?.stop();
      await campaign.stop();
      await env.teardown();
      await gw.close();
    };
  }, 120_000);
  afterAll(async () => cleanup());

  it('is not started when DingTalk is not configured', async () => {
    expect(await startDingtalkFromEnv(ctx, {})).toBeUndefined();
  });

  it('a quote-reply 「收到」 quoting 「完成 4」 only acknowledges', async () => {
    const msg = robotMessage(gw, { text: '收到', quoted: '完成 4', staffId: userid, nick: person.name, group: true });
    await acked(gw.deliver(TOPIC_ROBOT, msg));
    const said = await answerAt(msg.sessionWebhook);
    expect(said).toContain('已确认 4');
    expect(said).not.toContain('已登记办结');
    const s = await status();
    expect(s.status).toBe('acknowledged');
    expect(s.history.filter((h) => h.event === 'acknowledged')).toEqual([expect.objectContaining({ by: person.name, via: 'dingtalk' })]);
  });

  it('「完成 4」 from the unit’s userid completes the duty: once in its history, channel dingtalk, answered at the sessionWebhook', async () => {
    const msg = robotMessage(gw, { text: '完成 4 清单已报县局', staffId: userid, nick: person.name });
    await acked(gw.deliver(TOPIC_ROBOT, msg));
    expect(await answerAt(msg.sessionWebhook)).toContain('已登记办结 4');
    const s = await status();
    expect(s.status).toBe('completed');
    expect(s.history.filter((h) => h.event === 'completed')).toEqual([expect.objectContaining({ by: person.name, via: 'dingtalk', detail: '清单已报县局' })]);

    // The same msgId pushed again (a retry in a new frame): ACKed, not acted on, not answered again.
    await acked(gw.deliver(TOPIC_ROBOT, msg));
    await sleep(300);
    const again = await status();
    expect(again.history.filter((h) => h.event === 'completed')).toHaveLength(1);
    expect(again.history.filter((h) => h.event === 'refused')).toHaveLength(0);
    expect(gw.webhookPosts.filter((p) => msg.sessionWebhook.endsWith(p.token))).toHaveLength(1);
  });
});
