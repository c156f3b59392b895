/**
 * The WeCom smart robot's callback (URL) mode (issue #25) against a peer that signs and encrypts as WeCom does
 * (test/wecom-callback-peer.ts): configuration named by variable, the echostr verification, a wrong signature
 * refused with nothing acted, a callback delivered again acting once, an answer not ready in time going to
 * response_url, a card click answered by update_template_card; then end to end on the seed campaign, including a
 * msgid acted on before a restart acting once after it.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReplyContext } from '../bot/replies';
import type { Heard } from '../chat/platform';
import { startChatPlatforms } from '../chat/start';
import { buttonsFor, encodeKey, type CardClick } from '../chat/wecom-cards';
import { startWecomCallbackFromEnv, WecomCallbackError, WecomCallbackServer, wecomCallbackConfigFromEnv, type WecomCallbackConfig } from '../chat/wecom-callback';
import { RESEND } from '../chat/wecom-robot';
import { loadCampaign } from '../cli/campaign-input';
import type { Log } from '../ops/log';
import type { Directory } from '../plan/directory';
import { loadDirectory } from '../plan/files';
import { statusQuery } from '../workflows/messages';
import { startBotCampaign, type BotCampaign } from './bot-campaign';
import { devServerEnv } from './env';
import { until } from './until';
import { callbackText, startResponseUrls, TEST_CALLBACK, wecomPeer, type ResponseUrls } from './wecom-callback-peer';

const lines: string[] = [];
const quiet: Log = { debug: () => undefined, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
const config = (over: Partial<WecomCallbackConfig> = {}): WecomCallbackConfig => ({ ...TEST_CALLBACK, port: 0, host: '127.0.0.1', path: '/wecom/callback', ...over });
const env = { DUBAN_WECOM_CALLBACK_TOKEN: TEST_CALLBACK.token, DUBAN_WECOM_CALLBACK_AES_KEY: TEST_CALLBACK.encodingAESKey, DUBAN_WECOM_CALLBACK_PORT: '0' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WeCom callback mode configuration from the environment', () => {
  it('is off when neither is set, and names the missing or malformed variable', () => {
    expect(wecomCallbackConfigFromEnv({})).toBeUndefined();
    expect(() => wecomCallbackConfigFromEnv({ DUBAN_WECOM_CALLBACK_TOKEN: 'abc' })).toThrow(/^DUBAN_WECOM_CALLBACK_AES_KEY 未设置/);
    expect(() => wecomCallbackConfigFromEnv({ DUBAN_WECOM_CALLBACK_AES_KEY: TEST_CALLBACK.encodingAESKey })).toThrow(/^DUBAN_WECOM_CALLBACK_TOKEN 未设置/);
    expect(() => wecomCallbackConfigFromEnv({ ...env, DUBAN_WECOM_CALLBACK_AES_KEY: 'short' })).toThrow(/^DUBAN_WECOM_CALLBACK_AES_KEY: /);
    expect(() => wecomCallbackConfigFromEnv({ ...env, DUBAN_WECOM_CALLBACK_PORT: '70000' })).toThrow(/^DUBAN_WECOM_CALLBACK_PORT: /);
    expect(() => wecomCallbackConfigFromEnv({ ...env, DUBAN_WECOM_CALLBACK_PATH: 'no-slash' })).toThrow(/^DUBAN_WECOM_CALLBACK_PATH: /);
    const err = (() => {
      try {
        wecomCallbackConfigFromEnv({ DUBAN_WECOM_CALLBACK_TOKEN: 'abc' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(WecomCallbackError);
    expect((err as WecomCallbackError).code).toBe('CONFIG');
    expect(wecomCallbackConfigFromEnv({ ...env, DUBAN_WECOM_CALLBACK_PORT: '' })).toEqual({ ...TEST_CALLBACK, port: 8090, host: '127.0.0.1', path: '/wecom/callback' });
  });
});

describe('WeCom callback mode against a peer that signs and encrypts as WeCom does', () => {
  let server: WecomCallbackServer | undefined;
  let urls: ResponseUrls;
  const heard: Heard[] = [];
  const clicks: CardClick[] = [];
  let delayMs = 0;
  let fail = false;

  beforeAll(async () => {
    urls = await startResponseUrls();
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    heard.length = 0;
    clicks.length = 0;
    lines.length = 0;
    delayMs = 0;
    fail = false;
  });
  afterAll(async () => urls.close());

  const start = async (over: { replyWaitMs?: number } = {}) => {
    server = new WecomCallbackServer({
      config: config(),
      log: quiet,
      ...over,
      onHeard: async (h) => {
        heard.push(h);
        if (delayMs) await sleep(delayMs);
        if (fail) throw new Error('temporal unreachable');
        return `已收到：${h.text}`;
      },
      onCardClick: async (c) => {
        clicks.push(c);
        return { text: `已确认 ${c.key.code}`, card: { card_type: 'button_interaction', sub_title_text: `已确认 ${c.key.code}`, button_list: buttonsFor(c.key.codes), task_id: c.taskId } };
      },
    });
    await server.start();
    return wecomPeer(server.url);
  };

  it('answers the URL verification with the decrypted echostr, bare; a wrong signature gets 401 and no echo', async () => {
    const peer = await start();
    const plain = `echo-${randomUUID()}`;
    expect(await peer.verify(plain)).toEqual({ status: 200, body: plain });
    const wrong = await peer.verify(plain, { signature: 'f'.repeat(40) });
    expect(wrong.status).toBe(401);
    expect(wrong.body).not.toContain(plain);
  });

  it('answers a message by the passive reply: a finished stream message, encrypted and signed', async () => {
    const peer = await start();
    const res = await peer.send(callbackText({ userid: 'u1', text: '我的任务' }));
    expect(res.status).toBe(200);
    expect(res.reply).toMatchObject({ msgtype: 'stream', stream: { finish: true, content: '已收到：我的任务' } });
    expect(heard).toEqual([expect.objectContaining({ channel: 'wecom', text: '我的任务', from: { id: 'u1', name: 'u1' }, inGroup: false })]);
  });

  it('refuses a callback whose signature does not verify (or that was signed with another token): 401, nothing acts', async () => {
    const peer = await start();
    expect((await peer.send(callbackText({ userid: 'u1', text: '完成 4' }), { signature: '0'.repeat(40) })).status).toBe(401);
    const other = wecomPeer(server!.url, { ...TEST_CALLBACK, token: 'someoneElse' });
    expect((await other.send(callbackText({ userid: 'u1', text: '完成 4' }))).status).toBe(401);
    expect(heard).toEqual([]);
    expect(server!.refused).toBe(2);
    expect(lines.join('\n')).toMatch(/DUBAN_WECOM_CALLBACK_TOKEN/);
  });

  it('a callback delivered again (same msgid, new timestamp and nonce) acts once and is answered once', async () => {
    const peer = await start();
    const msg = callbackText({ userid: 'u1', text: '完成 4', msgid: `m-${randomUUID()}` });
    expect((await peer.send(msg)).reply).toMatchObject({ stream: { content: '已收到：完成 4' } });
    const again = await peer.send(msg, { timestamp: String(Math.floor(Date.now() / 1000) + 1), nonce: 'n2' });
    expect(again).toMatchObject({ status: 200, raw: '' });
    expect(heard).toHaveLength(1);
  });

  it('an answer not ready in time: the reply is empty, and the answer goes to the callback’s response_url once', async () => {
    const peer = await start({ replyWaitMs: 100 });
    delayMs = 400;
    const responseUrl = urls.next();
    const res = await peer.send(callbackText({ userid: 'u1', text: '收到 4', responseUrl }));
    expect(res).toMatchObject({ status: 200, raw: '' });
    const posted = await until('the answer at response_url', () => urls.posted.find((p) => p.url === responseUrl), 5_000);
    expect(posted.body).toEqual({ msgtype: 'markdown', markdown: { content: '已收到：收到 4' } });
    expect(urls.refused).toBe(0);
  });

  it('the reply path failing is answered with a request to resend, and the same msgid acts when it comes again', async () => {
    const peer = await start();
    const msg = callbackText({ userid: 'u1', text: '完成 4', msgid: `m-${randomUUID()}` });
    fail = true;
    expect((await peer.send(msg)).reply).toMatchObject({ stream: { content: RESEND } });
    fail = false;
    expect((await peer.send(msg)).reply).toMatchObject({ stream: { content: '已收到：完成 4' } });
    expect(heard).toHaveLength(2);
  });

  it('a card click is answered by update_template_card for the clicker; a repeat of its msgid acts once', async () => {
    const peer = await start();
    const msgid = `e-${randomUUID()}`;
    const event = {
      msgid,
      aibotid: 'aib-callback-test',
      chattype: 'single',
      from: { userid: 'u1' },
      response_url: urls.next(),
      msgtype: 'event',
      event: { eventtype: 'template_card_event', template_card_event: { card_type: 'button_interaction', event_key: encodeKey({ act: 'ack', code: '4', codes: ['4'] }), task_id: 'duban-t1' } },
    };
    const res = await peer.send(event);
    expect(res.reply).toMatchObject({ response_type: 'update_template_card', userids: ['u1'], template_card: { task_id: 'duban-t1', sub_title_text: '已确认 4' } });
    expect((await peer.send(event, { nonce: 'again' })).raw).toBe('');
    expect(clicks).toHaveLength(1);
  });

  it('welcomes a person who opens the chat, answers a voice message with how to type, and ignores another app’s card', async () => {
    const peer = await start();
    expect((await peer.send({ msgid: randomUUID(), msgtype: 'event', from: { userid: 'u1' }, event: { eventtype: 'enter_chat' } })).reply).toMatchObject({ msgtype: 'text', text: { content: expect.stringContaining('我的任务') } });
    const voice = await peer.send({ ...callbackText({ userid: 'u1', text: '' }), msgtype: 'voice', voice: { content: '完成四' } });
    expect(voice.reply).toMatchObject({ stream: { content: expect.stringContaining('请用文字回复') } });
    const foreign = await peer.send({ msgid: randomUUID(), msgtype: 'event', from: { userid: 'u1' }, event: { eventtype: 'template_card_event', template_card_event: { event_key: 'approve', task_id: 'x' } } });
    expect(foreign.raw).toBe('');
    expect(heard).toEqual([]);
    expect(clicks).toEqual([]);
  });
});

describe('「收到 4」 by WeCom callback on a real campaign of the seed plan', () => {
  const seed = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
  const unit = '县以工代赈中心';
  const userid = 'wecom-yigong-cb';
  const person = seed.units[unit]!.coordinators[0]!;
  const directory: Directory = {
    ...seed,
    units: { ...seed.units, [unit]: { ...seed.units[unit]!, coordinators: [{ ...person, wecom: userid }, ...seed.units[unit]!.coordinators.slice(1)] } },
  };
  let campaign: BotCampaign;
  let ctx: ReplyContext;
  let cleanup: () => Promise<void> = async () => undefined;
  const status = () => ctx.client.workflow.getHandle(campaign.ledger.find((e) => e.unit === unit && e.taskNumber === 4)!.dutyId).query(statusQuery);

  beforeAll(async () => {
    const temporal = await devServerEnv();
    const loaded = loadCampaign({ year: 2022 });
    const clockOffsetMs = Date.parse('2022-05-06T10:00:00+08:00') - Date.now();
    const startAt = Date.parse(`${loaded.nominalStart}:00+08:00`);
    campaign = await startBotCampaign(temporal, { ...loaded.input, clockOffsetMs, startAt }, (entries) => entries.length === 69, `duban/wecom-cb-${randomUUID()}`);
    ctx = { client: temporal.client, directory, campaignWorkflowId: campaign.campaignWorkflowId, now: () => Date.now() + clockOffsetMs };
    cleanup = async () => {
      await campaign.stop();
      await temporal.teardown();
    };
  }, 120_000);
  afterAll(async () => cleanup());

  it('npm start’s platforms say the callback mode is on, where it listens, and not that WeCom is unconfigured', async () => {
    // Email is the way the morning messages go out here (a callback robot cannot post first: test/wecom-callback-morning.test.ts).
    const on = await startChatPlatforms(ctx, { ...env, DUBAN_SMTP_URL: 'smtp://127.0.0.1:2525' });
    try {
      const said = on.lines.join('\n');
      expect(said).toMatch(/企业微信智能机器人（URL 回调）：在 http:\/\/127\.0\.0\.1:\d+\/wecom\/callback 接收回调/);
      expect(said).not.toContain('未配置企业微信智能机器人');
    } finally {
      await on.stop();
    }
  });

  it('acknowledges once, channel wecom; the same msgid after a restart (memory gone) acts once more never', async () => {
    const first = (await startWecomCallbackFromEnv(ctx, env, { log: quiet }))!;
    const msgid = `m-${randomUUID()}`;
    const msg = callbackText({ userid, text: '收到 4', msgid });
    let said: string;
    try {
      const res = await wecomPeer(first.url).send(msg);
      said = String((res.reply?.stream as { content?: string } | undefined)?.content);
    } finally {
      await first.stop();
    }
    expect(said).toContain('已确认 4');
    expect((await status()).history.filter((h) => h.event === 'acknowledged')).toEqual([expect.objectContaining({ by: person.name, via: 'wecom' })]);
    // A restarted process remembers no msgid: the Update's id (wecom:<msgid>) is what keeps it to once.
    const second = (await startWecomCallbackFromEnv(ctx, env, { log: quiet }))!;
    try {
      await wecomPeer(second.url).send(msg);
    } finally {
      await second.stop();
    }
    expect((await status()).history.filter((h) => h.event === 'acknowledged')).toHaveLength(1);
  });
});
