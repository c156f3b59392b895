/**
 * The WeCom smart robot (企业微信智能机器人) over its long connection: duban hears what people write to the robot —
 * one to one, or in a group with an @ — and answers in place, with no public address on the county's side. The
 * connection, its authentication, heartbeat and reconnection are the official SDK's (`@wecom/aibot-node-sdk`
 * WSClient); the frames' meaning is in wecom-frames.ts.
 *
 * What the SDK leaves to us:
 * - a message delivered again (a reconnect, the server's retry) acts once: msgids are remembered (bounded), and
 *   each Update it makes carries `wecom:<msgid>` as its update id, so even after a restart it acts once;
 * - refused credentials stop the start with the variable to fix (the SDK would retry them quietly);
 * - an answer the passive reply cannot carry (the req_id expired, 846605/846608, or no ack within the SDK's
 *   timeout) goes by aibot_send_msg to the same chat instead, so the person is not left without one;
 * - the server closing this connection because another process connected with the same robot
 *   (`disconnected_event`): this process stops hearing and says so, rather than fighting the other for it;
 * - credentials refused after a good start (the SDK gives up after one retry): tried again, backing off to 10 min;
 * - morning cards (`postCard`, sent by channels/wecom-card-sender.ts) and their clicks (`template_card_event`):
 *   acted on once per event msgid through chat/wecom-cards.ts, answered by updating the card for the clicker;
 * - a drop (the server closing the socket, or a connection gone silent that the SDK finds by its unanswered
 *   heartbeats): "up" means authenticated on the current socket, not merely open (a frame sent before the subscribe
 *   is answered is refused, 846609); an answer or a card whose frame went with the drop is sent again on the next
 *   connection — a card with the same task_id, which WeCom never shows twice — and a short drop is waited out
 *   rather than sending the morning message by email.
 */
import { WSClient, type TemplateCard, type WsFrame } from '@wecom/aibot-node-sdk';
import { z } from 'zod';
import { answer, type ReplyContext } from '../bot/replies';
import { createLog, type Log } from '../ops/log';
import type { ChatPlatform, Heard, PostTarget } from './platform';
import { answerClick, parseCardClick, type CardClick, type ClickAnswer } from './wecom-cards';
import { clipBytes, parseEvent, parseMessage, WELCOME } from './wecom-frames';

/** The SDK's default address of the long connection. */
export const WECOM_WS_URL = 'wss://openws.work.weixin.qq.com';

/** Error codes of this module. */
export const WECOM_ERRORS = {
  CONFIG: 'a DUBAN_WECOM_BOT_* variable is missing or malformed',
  AUTH_REFUSED: 'the server refused the robot’s Bot ID / Secret',
  SEND_FAILED: 'a post could not be sent (no connection, or the server refused it)',
} as const;
export type WecomErrorCode = keyof typeof WECOM_ERRORS;

export class WecomError extends Error {
  constructor(
    readonly code: WecomErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WecomError';
  }
}

const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const envSchema = z.object({
  DUBAN_WECOM_BOT_ID: optional(z.string().trim().min(1)),
  DUBAN_WECOM_BOT_SECRET: optional(z.string().trim().min(1)),
  /** The long connection's address; tests point it at a local server. */
  DUBAN_WECOM_WS_URL: optional(z.url({ protocol: /^wss?$/, error: '应为 ws(s):// 地址 (must be a ws(s) URL)' })),
});

export interface WecomRobotConfig {
  botId: string;
  secret: string;
  wsUrl: string;
}

/** The smart robot's settings, or undefined when none is set; a half-set or malformed one is an error naming the variable. */
export function wecomConfigFromEnv(env: NodeJS.ProcessEnv = process.env): WecomRobotConfig | undefined {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new WecomError('CONFIG', `${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  if (!e.DUBAN_WECOM_BOT_ID && !e.DUBAN_WECOM_BOT_SECRET) return undefined;
  for (const name of ['DUBAN_WECOM_BOT_ID', 'DUBAN_WECOM_BOT_SECRET'] as const) {
    if (!e[name]) throw new WecomError('CONFIG', `${name} 未设置：企业微信智能机器人需要 Bot ID 与 Secret 两项 (${name} is not set; both are needed)`);
  }
  return { botId: e.DUBAN_WECOM_BOT_ID!, secret: e.DUBAN_WECOM_BOT_SECRET!, wsUrl: e.DUBAN_WECOM_WS_URL ?? WECOM_WS_URL };
}

/** Said when handling failed (Temporal unreachable): nothing was done, and the person knows to send it again. */
export const RESEND = '督办系统暂时无法受理，请稍后重发。';

export interface WecomRobotOptions {
  config: WecomRobotConfig;
  log?: Log;
  heartbeatMs?: number;
  /** The SDK's reconnect base delay (doubled per attempt). */
  reconnectMs?: number;
  /** How long start() waits for the first authentication before going on (the SDK keeps trying). */
  startWaitMs?: number;
  /** How many msgids are remembered to answer a repeated message once. */
  remember?: number;
  /**
   * How long an answer waits for a reconnect when the connection dropped while it was worked out (default 2 min:
   * a connection gone silent is found by the SDK only after two unanswered heartbeats, up to 90 s at 30 s each).
   */
  answerWaitMs?: number;
  /**
   * How long a morning card waits for a dropped connection to come back before its coordinator is left to email
   * (default 30 s, counted from the drop: one budget for all the cards of that drop, well inside the notify
   * activity's 2 minutes). A robot down for longer sends nothing and waits for nothing.
   */
  cardWaitMs?: number;
  /** How long stop() lets messages in hand finish before it closes the connection (default 10 s). */
  stopWaitMs?: number;
  /** How long the server has to acknowledge a frame we send. */
  requestTimeoutMs?: number;
  /** After a refused re-authentication, the first wait before connecting again (doubled per refusal; default 30 s). */
  reauthMs?: number;
  /** The longest wait between those attempts (default 10 min). */
  reauthMaxMs?: number;
  /** A click on one of duban's template cards (chat/wecom-cards.ts): acted on, answered by updating the card. */
  onCardClick?: (click: CardClick) => Promise<ClickAnswer>;
}

type Seen = 'working' | 'done';

export class WecomRobot implements ChatPlatform {
  readonly channel = 'wecom' as const;
  private readonly options: WecomRobotOptions;
  private readonly log: Log;
  private readonly remember: number;
  private client: WSClient | undefined;
  private onHeard: (heard: Heard) => Promise<string | undefined> = async () => undefined;
  private readonly seen = new Map<string, Seen>();
  private readonly inFlight = new Set<Promise<void>>();
  private streamSeq = 0;
  /** Authentications that succeeded (the first and every reconnect). */
  authentications = 0;
  /** Set once the server handed the robot to another connection. */
  replaced = false;
  private stopping = false;
  /** Authenticated on the current socket: the SDK's isConnected is true as soon as the socket opens, before the subscribe is answered. */
  private up = false;
  /** When the connection last went down (or the robot was started); a card waits only for a drop younger than cardWaitMs. */
  private downSince = Date.now();

  constructor(options: WecomRobotOptions) {
    this.options = options;
    this.log = options.log ?? createLog();
    this.remember = options.remember ?? 10_000;
  }

  /**
   * Connects and authenticates. Refused credentials reject (only a fix of the configuration helps); a server
   * that cannot be reached yet is left to the SDK's reconnection, and start resolves after `startWaitMs`.
   */
  async start(onHeard: (heard: Heard) => Promise<string | undefined>): Promise<void> {
    this.onHeard = onHeard;
    const { config } = this.options;
    const log = this.log;
    const client = new WSClient({
      botId: config.botId,
      secret: config.secret,
      wsUrl: config.wsUrl,
      heartbeatInterval: this.options.heartbeatMs ?? 30_000,
      reconnectInterval: this.options.reconnectMs ?? 1_000,
      maxReconnectAttempts: -1,
      maxAuthFailureAttempts: 1,
      requestTimeout: this.options.requestTimeoutMs ?? 10_000,
      // The SDK's own lines at debug: what matters is said by this module in Chinese.
      logger: { debug: (m) => log.debug(`[wecom] ${m}`), info: (m) => log.debug(`[wecom] ${m}`), warn: (m) => log.debug(`[wecom] ${m}`), error: (m) => log.debug(`[wecom] ${m}`) },
    });
    this.client = client;
    client.on('authenticated', () => {
      this.authentications++;
      this.up = true;
      this.reauthAttempts = 0;
      if (this.authentications > 1) log.info(`企业微信智能机器人已重新连接 reconnected (${this.authentications})`);
    });
    client.on('disconnected', (reason) => {
      if (this.up) this.downSince = Date.now();
      this.up = false;
      if (!this.replaced && !this.stopping) log.warn(`企业微信智能机器人连接断开，正在重连 (disconnected: ${reason})`);
    });
    client.on('message', (frame) => this.track(this.onMessage(frame)));
    client.on('event', (frame) => this.track(this.onEvent(frame)));
    const authenticated = new Promise<void>((resolve, reject) => {
      client.once('authenticated', () => resolve());
      client.on('error', (err) => {
        if (/Authentication failed|WS_AUTH_FAILURE/.test(`${err.message} ${(err as { code?: string }).code ?? ''}`)) {
          reject(
            new WecomError(
              'AUTH_REFUSED',
              `企业微信拒绝了智能机器人的认证 (${err.message})：请核对 DUBAN_WECOM_BOT_ID 与 DUBAN_WECOM_BOT_SECRET（企业微信管理后台 → 智能机器人 → API 模式 → 长连接）`,
              { cause: err },
            ),
          );
        } else log.debug(`[wecom] ${err.message}`);
        // Refused again after a successful start: the credentials worked, so the platform may be refusing them for a
        // while (an outage, a secret being rotated). The SDK gives up after its attempts; this process tries again
        // itself, backing off to reauthMaxMs, and says so at error level each time with what to check.
        if (this.authentications > 0 && (err as { code?: string }).code === 'WS_AUTH_FAILURE_EXHAUSTED') this.reauthLater();
      });
    });
    client.connect();
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'waited'>((r) => (timer = setTimeout(() => r('waited'), this.options.startWaitMs ?? 15_000)));
    try {
      const first = await Promise.race([authenticated, waited]);
      if (first === 'waited') log.warn(`企业微信智能机器人暂未连上 ${config.wsUrl}，后台继续重试 (not connected yet, retrying)`);
    } catch (err) {
      client.disconnect();
      this.client = undefined;
      throw err;
    } finally {
      clearTimeout(timer);
    }
    // Later refusals (a secret rotated while running) are the SDK's to retry; only said.
    authenticated.catch((err: unknown) => log.error((err as Error).message));
  }

  /**
   * Stops hearing; messages in hand are answered first while the connection is still up (bounded: a reply path
   * that never returns does not hold the process), then the connection is closed.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reauthTimer);
    const waited = new Promise<void>((r) => setTimeout(r, this.options.stopWaitMs ?? 10_000).unref());
    await Promise.race([Promise.allSettled([...this.inFlight]), waited]);
    this.client?.disconnect();
    this.client = undefined;
  }

  private reauthTimer: NodeJS.Timeout | undefined;
  private reauthAttempts = 0;

  /** Connects again after the SDK gave up re-authenticating; the attempts are counted from the last success. */
  private reauthLater(): void {
    if (this.stopping || this.replaced || this.reauthTimer) return;
    const base = this.options.reauthMs ?? 30_000;
    const delay = Math.min(base * 2 ** this.reauthAttempts++, this.options.reauthMaxMs ?? 10 * 60_000);
    this.log.error(
      `企业微信拒绝了重新认证，${Math.round(delay / 1000)} 秒后再试；如一直如此，请核对 DUBAN_WECOM_BOT_ID 与 DUBAN_WECOM_BOT_SECRET (re-authentication refused, retrying in ${delay} ms)`,
    );
    this.reauthTimer = setTimeout(() => {
      this.reauthTimer = undefined;
      const client = this.client;
      if (!client || this.stopping || this.replaced) return;
      // The SDK's client stays "started" after giving up: disconnect, then connect, starts it again.
      client.disconnect();
      client.connect();
    }, delay);
    this.reauthTimer.unref();
  }

  /**
   * Whether an authenticated connection is there within ms. With `after` (an authentication count), only a newer one
   * counts: the one in use just failed to carry a frame and may be a socket gone silent that the SDK has not yet given
   * up on; if none comes, the current one is tried again when it still claims to be up (the server was only slow).
   */
  private async upWithin(ms: number, after?: number): Promise<boolean> {
    const client = this.client;
    if (!client || this.replaced) return false;
    const fresh = () => this.up && (after === undefined || this.authentications > after);
    if (fresh()) return true;
    // Stopping: what is in hand is answered on the connection there is, and nothing waits for another.
    if (this.stopping) return false;
    if (ms <= 0) return after !== undefined && this.up;
    return new Promise<boolean>((resolve) => {
      const done = (v: boolean) => {
        clearTimeout(timer);
        client.off('authenticated', check);
        resolve(v);
      };
      // Called after this module's own 'authenticated' listener (registered first), so `up` is already set.
      const check = () => (fresh() ? done(true) : undefined);
      const timer = setTimeout(() => done(after !== undefined && this.up && !this.replaced), ms);
      timer.unref();
      client.on('authenticated', check);
    });
  }

  /** Whether the long connection is up now (a morning card is sent only then; otherwise the message goes by email). */
  get connected(): boolean {
    return this.client !== undefined && this.up && !this.replaced;
  }

  /**
   * Whether the connection is up, or comes back from a drop younger than `cardWaitMs` in time: a morning message
   * sent a moment after a drop waits for the SDK's reconnect instead of going by email.
   */
  async ready(): Promise<boolean> {
    return this.upWithin(this.cardWait());
  }

  private cardWait(): number {
    return Math.max(0, (this.options.cardWaitMs ?? 30_000) - (Date.now() - this.downSince));
  }

  /**
   * Posts a template card by aibot_send_msg (one to one: chatid is the person's userid). A send the connection took
   * with it (closed, or no acknowledgement: whether WeCom took the card is unknown) is sent again, the same card with
   * the same task_id, on the next connection: WeCom never shows a task_id twice, so the person sees it once either
   * way. A refusal (an errcode) is final, except that the resend's 「task_id 已使用」 means the first one arrived.
   */
  async postCard(chatid: string, card: TemplateCard): Promise<void> {
    const body = { msgtype: 'template_card' as const, template_card: card };
    let after: number | undefined;
    for (let attempt = 1; ; attempt++) {
      const up = after === undefined ? await this.upWithin(this.cardWait()) : await this.upWithin(this.options.cardWaitMs ?? 30_000, after);
      const client = this.client;
      if (!up || !client) throw new WecomError('SEND_FAILED', '企业微信智能机器人未连接，无法发送卡片 (not connected)');
      const since = this.authentications;
      try {
        await client.sendMessage(chatid, body);
        return;
      } catch (err) {
        if (attempt > 1 && taskIdUsed(err)) return;
        if (!lostWithConnection(err) || attempt >= 3) throw new WecomError('SEND_FAILED', `企业微信智能机器人发送卡片失败 (${describe(err)})`, { cause: err });
        this.log.warn(`企业微信卡片发送时连接中断，重连后以同一 task_id 重发 (card send interrupted: ${describe(err)})`);
        after = since;
      }
    }
  }

  /** Posts markdown by aibot_send_msg: to a person by userid (one to one), or to a group by its chatid. */
  async post(to: PostTarget, text: string): Promise<void> {
    const client = this.client;
    if (!client || !this.connected) throw new WecomError('SEND_FAILED', '企业微信智能机器人未连接，无法发送 (not connected)');
    const chatid = 'person' in to ? to.person : to.conversation;
    await client.sendMessage(chatid, { msgtype: 'markdown', markdown: { content: clipBytes(text) } }).catch((err: unknown) => {
      throw new WecomError('SEND_FAILED', `企业微信智能机器人发送失败 (${describe(err)})`, { cause: err });
    });
  }

  /**
   * An answer posted to the chat by aibot_send_msg, on the current connection or, when that one is down or takes
   * the frame with it, on the next one (waiting up to answerWaitMs). Said at error level when it cannot go.
   */
  private async postAnswer(conversationId: string, content: string, after?: number): Promise<void> {
    const wait = this.options.answerWaitMs ?? 120_000;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const client = this.client;
      if (!client || !(await this.upWithin(wait, after))) {
        this.log.error(`企业微信回复未送达：连接未恢复 (answer lost, not reconnected) ${conversationId}: ${content.slice(0, 60)}`);
        return;
      }
      const since = this.authentications;
      try {
        await client.sendMessage(conversationId, { msgtype: 'markdown', markdown: { content } });
        return;
      } catch (err) {
        if (!lostWithConnection(err) || attempt === 2) {
          this.log.error(`企业微信回复未送达 (answer lost) ${conversationId}: ${describe(err)}`);
          return;
        }
        after = since;
      }
    }
  }

  private track(work: Promise<void>): void {
    const tracked = work
      .catch((err: unknown) => this.log.error(`企业微信消息处理失败 (handling failed): ${(err as Error).message}`))
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async onMessage(frame: WsFrame): Promise<void> {
    // Stopping: not acted on, so the server's redelivery to the next process acts instead.
    if (this.stopping) return;
    const parsed = parseMessage(frame.body);
    if (!parsed.ok) {
      this.log.debug(`企业微信消息不处理 (not acted on): ${parsed.reason}`);
      if (parsed.answer) await this.say(frame, undefined, parsed.answer);
      return;
    }
    const { heard } = parsed.value;
    const state = this.seen.get(heard.messageId);
    if (state) return; // done, or its first delivery is answering it
    this.mark(heard.messageId, 'working');
    let reply: string | undefined;
    try {
      reply = await this.onHeard(heard);
      this.mark(heard.messageId, 'done');
    } catch (err) {
      // Forgotten: the person sends it again and it may act then.
      this.seen.delete(heard.messageId);
      this.log.error(`企业微信消息未受理 (reply path failed) ${heard.messageId}: ${(err as Error).message}`);
      reply = RESEND;
    }
    if (reply !== undefined) await this.say(frame, heard.conversationId, reply);
  }

  private async onEvent(frame: WsFrame): Promise<void> {
    // Read before any schema: the SDK stops reconnecting on this event whatever else its body holds, so missing
    // it would leave the process deaf while it logs that it reconnects.
    if ((frame.body as { event?: { eventtype?: unknown } } | undefined)?.event?.eventtype === 'disconnected_event') {
      this.replaced = true;
      this.log.error('企业微信智能机器人已在另一处连接（同一 Bot ID），本进程停止接收企业微信回复；每个机器人只应由一个 worker 连接 (replaced by another connection)');
      this.client?.disconnect();
      return;
    }
    const parsed = parseEvent(frame.body);
    if (!parsed.ok) return this.log.debug(`企业微信事件不处理 (not acted on): ${parsed.reason}`);
    const type = parsed.value.event.eventtype;
    if (type === 'template_card_event') return this.onCardEvent(frame);
    if (type === 'enter_chat') {
      await this.client?.replyWelcome(frame, { msgtype: 'text', text: { content: WELCOME } }).catch((err: unknown) => this.log.warn(`企业微信欢迎语未送达 (welcome lost): ${describe(err)}`));
    }
  }

  /**
   * A click on a duban card: acted on once per event msgid (as a message is), then answered by updating the card in
   * place (aibot_respond_update_msg, for the clicker only); when the update is refused — its 5 s window passed while
   * the Updates ran — the answer is posted to the chat instead.
   */
  private async onCardEvent(frame: WsFrame): Promise<void> {
    if (this.stopping) return;
    const parsed = parseCardClick(frame.body);
    if (!parsed.ok) return this.log.debug(`企业微信卡片事件不处理 (not acted on): ${parsed.reason}`);
    const { click } = parsed;
    const handle = this.options.onCardClick;
    if (!handle) return this.log.debug('企业微信卡片事件不处理：本进程未接入督办回复 (no click handler)');
    const id = `event:${click.messageId}`;
    if (this.seen.get(id)) return;
    this.mark(id, 'working');
    let result: ClickAnswer | undefined;
    try {
      result = await handle(click);
      this.mark(id, 'done');
    } catch (err) {
      this.seen.delete(id);
      this.log.error(`企业微信卡片点击未受理 (reply path failed) ${click.messageId}: ${(err as Error).message}`);
      await this.postText(click.conversationId, RESEND);
      return;
    }
    // The update needs this connection (its req_id); a connection that dropped meanwhile, or takes the update with
    // it, leaves the answer to be posted to the chat on the next one.
    const client = this.client;
    let after: number | undefined;
    if (client && this.up) {
      const since = this.authentications;
      try {
        await client.updateTemplateCard(frame, result.card, [click.userid]);
        return;
      } catch (err) {
        if (lostWithConnection(err)) after = since;
        else this.log.warn(`企业微信卡片未能更新，改为主动发送 (card update refused: ${describe(err)})`);
      }
    }
    await this.postAnswer(click.conversationId, clipBytes(result.text), after);
  }

  private async postText(conversationId: string, text: string): Promise<void> {
    await this.postAnswer(conversationId, clipBytes(text));
  }

  /**
   * In place by the passive reply (a finished stream message); when that is refused, by aibot_send_msg to the chat.
   * The connection dropped while the reply path acted, or dropping with the reply's frame: the passive reply's req_id
   * went with it, so the answer is posted to the chat once the SDK has reconnected (the person is never left without
   * one that acted).
   */
  private async say(frame: WsFrame, conversationId: string | undefined, text: string): Promise<void> {
    const content = clipBytes(text);
    const client = this.client;
    if (!client) return;
    let after: number | undefined;
    if (this.up) {
      const since = this.authentications;
      try {
        await client.replyStream(frame, `duban-${Date.now().toString(36)}-${++this.streamSeq}`, content, true);
        return;
      } catch (err) {
        if (lostWithConnection(err)) after = since;
        else this.log.warn(`企业微信被动回复未送达，改为主动发送 (reply refused: ${describe(err)})`);
      }
    }
    if (!conversationId) {
      this.log.error(`企业微信回复未送达：连接中断 (answer lost with the connection): ${text.slice(0, 60)}`);
      return;
    }
    await this.postAnswer(conversationId, content, after);
  }

  private mark(id: string, state: Seen): void {
    this.seen.delete(id);
    this.seen.set(id, state);
    for (const [old, s] of this.seen) {
      if (this.seen.size <= this.remember) break;
      if (s === 'done') this.seen.delete(old);
    }
  }
}

/** The SDK rejects with the ack frame ({errcode, errmsg}) or an Error. */
function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'errcode' in err) {
    const f = err as { errcode?: number; errmsg?: string };
    return `errcode ${f.errcode} ${f.errmsg ?? ''}`.trim();
  }
  return String(err);
}

/**
 * A frame the connection took with it, as opposed to one the server refused: the SDK rejects a send with an Error
 * when the socket is closed or no acknowledgement came in time, and with the server's ack frame ({errcode}) when it
 * refused. 846609 ("aibot websocket not subscribed") is the server saying the socket is not (yet, or no longer)
 * subscribed: also the connection's, not the message's.
 */
export function lostWithConnection(err: unknown): boolean {
  if (err instanceof Error) return true;
  return !!err && typeof err === 'object' && (err as { errcode?: unknown }).errcode === 846609;
}

/** The server refusing a card because its task_id was used: on a resend, the interrupted first send arrived. */
function taskIdUsed(err: unknown): boolean {
  if (!err || typeof err !== 'object' || err instanceof Error) return false;
  const msg = String((err as { errmsg?: unknown }).errmsg ?? '');
  return /task_?id/i.test(msg) && /used|exist|duplicat|重复|已使用|已存在/i.test(msg);
}

/**
 * The WeCom smart robot for a running deployment: undefined when DUBAN_WECOM_BOT_ID/SECRET are not set. Every
 * message heard goes to `answer` (bot/replies.ts) as said by `{id: userid, channel: 'wecom'}`; the directory's
 * `wecom` ids say who that is.
 */
export async function startWecomFromEnv(ctx: ReplyContext, env: NodeJS.ProcessEnv = process.env, options: Omit<WecomRobotOptions, 'config'> = {}): Promise<WecomRobot | undefined> {
  const config = wecomConfigFromEnv(env);
  if (!config) return undefined;
  const robot = new WecomRobot({ ...options, config, onCardClick: options.onCardClick ?? ((click) => answerClick(ctx, click)) });
  await robot.start((heard) => answer(ctx, { id: heard.from.id, name: heard.from.name, channel: 'wecom' }, heard.text, heard.inGroup, { messageId: `wecom:${heard.messageId}` }));
  return robot;
}
