/**
 * DingTalk Stream mode (钉钉 Stream 模式): duban hears robot messages and card clicks over a WebSocket it opens
 * itself, so the county's network needs no public address. The protocol is the official SDK's
 * (dingtalk-stream 2.1.5, see dingtalk-payload.ts); the connection is ours, on `ws`, because the SDK's own
 * cannot be pointed at another gateway (GATEWAY_URL is a module constant), swallows the open-connection error
 * (bad credentials retry every second, silently), can schedule two reconnects after a failed handshake (its
 * `error` and `close` handlers both do) and leaves its keep-alive timer running across reconnects.
 *
 * Every frame is answered as the contract needs: a ping with its pong, a disconnect by opening a new connection
 * at once, each callback with its ACK — after it is handled, so a message in hand when the process dies or the
 * connection drops is pushed again (the gateway retries an un-ACKed frame) and none is lost; the msgId seen
 * before is answered once (bounded memory). The answer goes back in place through the message's
 * sessionWebhook while it lasts, else through the robot's OpenAPI.
 */
import { GATEWAY_URL } from 'dingtalk-stream/constants';
import WebSocket from 'ws';
import { z } from 'zod';
import { answer, type ReplyContext } from '../bot/replies';
import { createLog, type Log } from '../ops/log';
import {
  ackFrame,
  cardResponse,
  openConnectionBody,
  openConnectionResponse,
  parseCardCallback,
  parseFrame,
  parseRobotMessage,
  pongFrame,
  streamUrl,
  TOPIC_CARD,
  TOPIC_ROBOT,
  webhookBody,
  type Frame,
  type OpenConnection,
  type RobotMessage,
} from './dingtalk-payload';
import type { ChatPlatform, Heard, PostTarget } from './platform';

export const DINGTALK_API = 'https://api.dingtalk.com';

/** Error codes of this module. */
export const DINGTALK_ERRORS = {
  CONFIG: 'a DUBAN_DINGTALK_* variable is missing or malformed',
  OPEN_REFUSED: 'the gateway refused the open-connection call (4xx: wrong Client ID / Client Secret, or Stream mode off)',
  OPEN_FAILED: 'the open-connection call failed (network, 5xx, or an answer without endpoint and ticket)',
  CONNECT_FAILED: 'the WebSocket to the endpoint did not open',
  TOKEN_FAILED: 'the OpenAPI access token was refused',
  SEND_FAILED: 'an answer could not be posted (sessionWebhook or OpenAPI)',
} as const;
export type DingtalkErrorCode = keyof typeof DINGTALK_ERRORS;

export class DingtalkError extends Error {
  constructor(
    readonly code: DingtalkErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DingtalkError';
  }
}

// An empty variable counts as unset (a blank line in an env file).
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
const httpUrl = z.url({ protocol: /^https?$/, error: '应为 http(s):// 地址 (must be an http(s) URL)' });

const envSchema = z.object({
  DUBAN_DINGTALK_CLIENT_ID: optional(z.string().trim().min(1)),
  DUBAN_DINGTALK_CLIENT_SECRET: optional(z.string().trim().min(1)),
  /** The open-connection address; tests point it at a local gateway. */
  DUBAN_DINGTALK_GATEWAY_URL: optional(httpUrl),
  /** The OpenAPI origin (access token, robot messages); tests point it at the same local gateway. */
  DUBAN_DINGTALK_API_URL: optional(httpUrl),
  /** The robot's robotCode; for an organisation's own app it is the Client ID (AppKey). */
  DUBAN_DINGTALK_ROBOT_CODE: optional(z.string().trim().min(1)),
});

export interface DingtalkConfig {
  clientId: string;
  clientSecret: string;
  gatewayUrl: string;
  apiUrl: string;
  robotCode: string;
}

/** The DingTalk robot's settings, or undefined when none is set; a half-set or malformed one is an error naming the variable. */
export function dingtalkConfigFromEnv(env: NodeJS.ProcessEnv = process.env): DingtalkConfig | undefined {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DingtalkError('CONFIG', `${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  if (!e.DUBAN_DINGTALK_CLIENT_ID && !e.DUBAN_DINGTALK_CLIENT_SECRET) return undefined;
  for (const name of ['DUBAN_DINGTALK_CLIENT_ID', 'DUBAN_DINGTALK_CLIENT_SECRET'] as const) {
    if (!e[name]) throw new DingtalkError('CONFIG', `${name} 未设置：钉钉机器人需要应用的 Client ID 与 Client Secret 两项 (${name} is not set; both are needed)`);
  }
  return {
    clientId: e.DUBAN_DINGTALK_CLIENT_ID!,
    clientSecret: e.DUBAN_DINGTALK_CLIENT_SECRET!,
    gatewayUrl: e.DUBAN_DINGTALK_GATEWAY_URL ?? GATEWAY_URL,
    apiUrl: (e.DUBAN_DINGTALK_API_URL ?? DINGTALK_API).replace(/\/+$/, ''),
    robotCode: e.DUBAN_DINGTALK_ROBOT_CODE ?? e.DUBAN_DINGTALK_CLIENT_ID!,
  };
}

/** Said when handling failed (Temporal unreachable): nothing was done, and the person knows to send it again. */
export const RESEND = '督办系统暂时无法受理，请稍后重发。';

export interface DingtalkStreamOptions {
  config: DingtalkConfig;
  log?: Log;
  /** A WebSocket ping this often; a connection that has not answered the previous one is dropped and reopened. */
  keepAliveMs?: number;
  /** Reconnect backoff after a drop or a failed attempt: first delay, doubled each failure up to max. */
  reconnectMs?: { first: number; max: number };
  /** How many msgIds are remembered to answer a repeated message once. */
  remember?: number;
  /** A sessionWebhook this close to its expiry is not used (the answer goes by OpenAPI instead). */
  webhookMarginMs?: number;
  /** How long stop() waits for messages in hand (a hung reply path must not hold the shutdown). */
  stopWaitMs?: number;
  now?: () => number;
}

type Seen = 'working' | 'done';
type Outcome = { kind: 'seen' } | { kind: 'in hand' } | { kind: 'answered'; reply: string | undefined };

export class DingtalkStream implements ChatPlatform {
  readonly channel = 'dingtalk' as const;
  private readonly config: DingtalkConfig;
  private readonly log: Log;
  private readonly keepAliveMs: number;
  private readonly reconnectMs: { first: number; max: number };
  private readonly remember: number;
  private readonly webhookMarginMs: number;
  private readonly stopWaitMs: number;
  private readonly now: () => number;
  private onHeard: (heard: Heard) => Promise<string | undefined> = async () => undefined;
  private socket: WebSocket | undefined;
  private stopping = false;
  private failures = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  private readonly seen = new Map<string, Seen>();
  private readonly inFlight = new Set<Promise<void>>();
  private token: { value: string; until: number } | undefined;
  /** How many connections have been opened (the first and every reconnect). */
  connections = 0;

  constructor(options: DingtalkStreamOptions) {
    this.config = options.config;
    this.log = options.log ?? createLog();
    this.keepAliveMs = options.keepAliveMs ?? 10_000;
    this.reconnectMs = options.reconnectMs ?? { first: 1_000, max: 60_000 };
    this.remember = options.remember ?? 10_000;
    this.webhookMarginMs = options.webhookMarginMs ?? 30_000;
    this.stopWaitMs = options.stopWaitMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Connects. Refused credentials reject (nothing but a fix of the configuration helps); a gateway that cannot
   * be reached yet (the network comes up after duban) is tried again with backoff, and start resolves.
   */
  async start(onHeard: (heard: Heard) => Promise<string | undefined>): Promise<void> {
    this.onHeard = onHeard;
    this.stopping = false;
    try {
      await this.connectOnce();
    } catch (err) {
      if (err instanceof DingtalkError && err.code === 'OPEN_REFUSED') throw err;
      this.retryAfter(err);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    await this.connecting?.catch(() => undefined);
    this.socket?.close();
    this.socket = undefined;
    // Messages still in hand are not ACKed: the gateway pushes them again to the next connection.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => (timer = setTimeout(r, this.stopWaitMs)))]);
    clearTimeout(timer);
  }

  /** Posts by the robot's OpenAPI: to one person by userid, or to a group by its conversationId. */
  async post(to: PostTarget, text: string): Promise<void> {
    const msgParam = JSON.stringify({ content: text });
    const [path, body] =
      'person' in to
        ? ['/v1.0/robot/oToMessages/batchSend', { robotCode: this.config.robotCode, userIds: [to.person], msgKey: 'sampleText', msgParam }]
        : ['/v1.0/robot/groupMessages/send', { robotCode: this.config.robotCode, openConversationId: to.conversation, msgKey: 'sampleText', msgParam }];
    const res = await this.api(path, body, { 'x-acs-dingtalk-access-token': await this.accessToken() });
    if (!res.ok) throw new DingtalkError('SEND_FAILED', `钉钉机器人发送失败 ${path}: ${await describe(res)}`);
  }

  // ——— the connection ———

  private async openConnection(): Promise<OpenConnection> {
    const { clientId, clientSecret, gatewayUrl } = this.config;
    let res: Response;
    try {
      res = await fetch(gatewayUrl, {
        method: 'POST',
        // Without Accept the gateway answers XML (client.mjs getEndpoint).
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(openConnectionBody(clientId, clientSecret, 'duban')),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw new DingtalkError('OPEN_FAILED', `钉钉 Stream 网关 ${gatewayUrl} 无法连接 (unreachable): ${(err as Error).message}`, { cause: err });
    }
    if (res.status >= 400 && res.status < 500) {
      throw new DingtalkError(
        'OPEN_REFUSED',
        `钉钉 Stream 网关拒绝连接 (refused) HTTP ${res.status} ${await describe(res)}：请核对 DUBAN_DINGTALK_CLIENT_ID 与 DUBAN_DINGTALK_CLIENT_SECRET（钉钉开发者后台 → 应用 → 凭证与基础信息），并确认机器人已选择 Stream 模式`,
      );
    }
    if (!res.ok) throw new DingtalkError('OPEN_FAILED', `钉钉 Stream 网关 HTTP ${res.status} ${await describe(res)}`);
    const parsed = openConnectionResponse.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success) throw new DingtalkError('OPEN_FAILED', `钉钉 Stream 网关的应答缺少 endpoint / ticket: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  }

  /** One attempt at a time: a drop while a new connection is being opened starts no second one. */
  private connectOnce(): Promise<void> {
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const opened = await this.openConnection();
    const socket = new WebSocket(streamUrl(opened));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', (err) => reject(new DingtalkError('CONNECT_FAILED', `钉钉 Stream 连接失败 (WebSocket): ${err.message}`, { cause: err })));
    }).catch((err: unknown) => {
      socket.on('error', () => undefined); // a second error after the first is no news
      socket.terminate();
      throw err;
    });
    if (this.stopping) {
      socket.close();
      return;
    }
    this.connections++;
    this.failures = 0;
    const previous = this.socket;
    this.socket = socket;
    this.attach(socket);
    // A connection the gateway asked us to leave: closed once the new one is up (its close starts nothing).
    previous?.close();
    this.log.info(`钉钉 Stream 已连接 connected (${this.connections})`);
  }

  private attach(socket: WebSocket): void {
    let alive = true;
    const keepAlive = setInterval(() => {
      if (!alive) {
        this.log.warn('钉钉 Stream 连接无响应，重新连接 (no pong: reconnecting)');
        socket.terminate();
        return;
      }
      alive = false;
      socket.ping();
    }, this.keepAliveMs);
    socket.on('pong', () => (alive = true));
    socket.on('message', (raw: WebSocket.RawData) => {
      alive = true;
      this.onFrame(socket, rawText(raw));
    });
    socket.on('error', (err) => this.log.warn(`钉钉 Stream 连接错误 socket error: ${err.message}`));
    socket.on('close', () => {
      clearInterval(keepAlive);
      if (socket !== this.socket) return;
      this.socket = undefined;
      if (!this.stopping) this.reconnect(this.reconnectMs.first);
    });
  }

  private reconnect(delayMs: number): void {
    if (this.stopping || this.reconnectTimer || this.connecting) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connectOnce().catch((err: unknown) => this.retryAfter(err));
    }, delayMs);
  }

  private retryAfter(err: unknown): void {
    this.failures++;
    const next = Math.min(this.reconnectMs.first * 2 ** this.failures, this.reconnectMs.max);
    this.log.error(`钉钉 Stream 连接失败，${Math.round(next / 1000)} 秒后再试 (connect failed, retrying): ${(err as Error).message}`);
    this.reconnect(next);
  }

  private onFrame(socket: WebSocket, raw: string): void {
    const frame = parseFrame(raw);
    if (!frame) {
      this.log.warn(`钉钉 Stream 无法解析的帧 (unparsable frame): ${raw.slice(0, 200)}`);
      return;
    }
    if (frame.type === 'SYSTEM') {
      if (frame.headers.topic === 'ping') socket.send(pongFrame(frame));
      // The gateway is about to close this connection: a new one now (a new ticket), the old one closed after.
      if (frame.headers.topic === 'disconnect' && socket === this.socket) this.reconnect(0);
      return;
    }
    const messageId = frame.headers.messageId;
    if (!messageId) return;
    if (frame.type === 'EVENT') {
      socket.send(ackFrame(messageId, { status: 'SUCCESS', message: 'OK' }));
      return;
    }
    if (frame.type !== 'CALLBACK') return;
    const work = (frame.headers.topic === TOPIC_ROBOT ? this.onRobotMessage(socket, messageId, frame) : frame.headers.topic === TOPIC_CARD ? this.onCardClick(socket, messageId, frame) : ack(socket, messageId, { response: {} }))
      .catch((err: unknown) => this.log.error(`钉钉消息处理失败 (handling failed): ${(err as Error).message}`))
      .finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  // ——— what is heard ———

  private async onRobotMessage(socket: WebSocket, frameId: string, frame: Frame): Promise<void> {
    const parsed = parseRobotMessage(frame.data);
    if (!parsed.ok) {
      this.log.debug(`钉钉消息不处理 (not acted on): ${parsed.reason}`);
      return ack(socket, frameId, { response: {} });
    }
    const msg = parsed.value;
    const outcome = await this.once(msg.heard);
    if (outcome.kind === 'in hand') return; // its first delivery answers and ACKs
    if (outcome.kind === 'answered' && outcome.reply !== undefined) {
      await this.say(msg, outcome.reply).catch((err: unknown) => this.log.error(`钉钉回复未送达 (answer lost): ${(err as Error).message}`));
    }
    return ack(socket, frameId, { response: {} });
  }

  private async onCardClick(socket: WebSocket, frameId: string, frame: Frame): Promise<void> {
    const parsed = parseCardCallback(frame.data, frameId);
    if (!parsed.ok) {
      this.log.debug(`钉钉卡片回调不处理 (not acted on): ${parsed.reason}`);
      return ack(socket, frameId, { response: {} });
    }
    const outcome = await this.once(parsed.value.heard);
    if (outcome.kind === 'in hand') return;
    return ack(socket, frameId, outcome.kind === 'answered' && outcome.reply !== undefined ? cardResponse(outcome.reply) : { response: {} });
  }

  /**
   * Hands a message to the reply path once per message id: 'seen' when it was handled already (its frame
   * only needs an ACK), 'in hand' while its first delivery is being handled. A failure is forgotten (a later
   * delivery may act) and answered with RESEND.
   */
  private async once(heard: Heard): Promise<Outcome> {
    const state = this.seen.get(heard.messageId);
    if (state === 'done') return { kind: 'seen' };
    if (state === 'working') return { kind: 'in hand' };
    this.mark(heard.messageId, 'working');
    try {
      const reply = await this.onHeard(heard);
      this.mark(heard.messageId, 'done');
      return { kind: 'answered', reply };
    } catch (err) {
      this.seen.delete(heard.messageId);
      this.log.error(`钉钉消息未受理 (reply path failed) ${heard.messageId}: ${(err as Error).message}`);
      return { kind: 'answered', reply: RESEND };
    }
  }

  private mark(id: string, state: Seen): void {
    this.seen.delete(id);
    this.seen.set(id, state);
    // The oldest first (a Map keeps insertion order); one still in hand is kept.
    for (const [old, s] of this.seen) {
      if (this.seen.size <= this.remember) break;
      if (s === 'done') this.seen.delete(old);
    }
  }

  /** In place through the sessionWebhook while it lasts; after that (or when it fails) by OpenAPI. */
  private async say(msg: RobotMessage, text: string): Promise<void> {
    const at = msg.heard.inGroup ? msg.staffId : undefined;
    if (msg.webhook.expiresAt - this.now() > this.webhookMarginMs) {
      try {
        const res = await fetch(msg.webhook.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(webhookBody(text, at)),
          signal: AbortSignal.timeout(15_000),
        });
        const body = (await res.json().catch(() => ({}))) as { errcode?: number; errmsg?: string };
        if (res.ok && (body.errcode ?? 0) === 0) return;
        this.log.warn(`钉钉 sessionWebhook 拒收，改由机器人接口发送 (webhook refused: HTTP ${res.status} ${body.errcode ?? ''} ${body.errmsg ?? ''})`);
      } catch (err) {
        this.log.warn(`钉钉 sessionWebhook 不可用，改由机器人接口发送 (webhook failed): ${(err as Error).message}`);
      }
    }
    if (msg.heard.inGroup) return this.post({ conversation: msg.heard.conversationId }, text);
    if (!msg.staffId) throw new DingtalkError('SEND_FAILED', `sessionWebhook 已过期，且发送人不在本组织（无 userid），无法回复 ${msg.heard.from.name}`);
    return this.post({ person: msg.staffId }, text);
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.token.until > this.now()) return this.token.value;
    const res = await this.api('/v1.0/oauth2/accessToken', { appKey: this.config.clientId, appSecret: this.config.clientSecret });
    if (!res.ok) throw new DingtalkError('TOKEN_FAILED', `钉钉 accessToken 获取失败: ${await describe(res)}（请核对 DUBAN_DINGTALK_CLIENT_ID / DUBAN_DINGTALK_CLIENT_SECRET）`);
    const token = z.object({ accessToken: z.string().min(1), expireIn: z.coerce.number() }).parse(await res.json());
    // Renewed five minutes early: a token that expires mid-send fails the send.
    this.token = { value: token.accessToken, until: this.now() + (token.expireIn - 300) * 1000 };
    return token.accessToken;
  }

  private async api(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    try {
      return await fetch(`${this.config.apiUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw new DingtalkError('SEND_FAILED', `钉钉接口 ${path} 无法连接: ${(err as Error).message}`, { cause: err });
    }
  }
}

function ack(socket: WebSocket, messageId: string, data: unknown): Promise<void> {
  // A connection closed meanwhile cannot carry it: the gateway pushes the frame again on the next one.
  if (socket.readyState === WebSocket.OPEN) socket.send(ackFrame(messageId, data));
  return Promise.resolve();
}

function rawText(raw: WebSocket.RawData): string {
  if (Array.isArray(raw)) return Buffer.concat(raw).toString('utf8');
  return Buffer.from(raw as ArrayBuffer).toString('utf8');
}

async function describe(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { code?: string; message?: string; errcode?: number; errmsg?: string };
    return [body.code ?? body.errcode, body.message ?? body.errmsg].filter((x) => x !== undefined).join(' ');
  } catch {
    return text.slice(0, 200);
  }
}

/**
 * The DingTalk robot for a running deployment: undefined when DUBAN_DINGTALK_CLIENT_ID/SECRET are not set.
 * Every message heard goes to `answer` (bot/replies.ts) as said by `{id: userid, name: nick, channel: 'dingtalk'}`.
 */
export async function startDingtalkFromEnv(
  ctx: ReplyContext,
  env: NodeJS.ProcessEnv = process.env,
  options: Omit<DingtalkStreamOptions, 'config'> = {},
): Promise<DingtalkStream | undefined> {
  const config = dingtalkConfigFromEnv(env);
  if (!config) return undefined;
  const stream = new DingtalkStream({ ...options, config });
  await stream.start((heard) =>
    answer(ctx, { id: heard.from.id, ...(heard.from.alias ? { alias: heard.from.alias } : {}), name: heard.from.name, channel: 'dingtalk' }, heard.text, heard.inGroup, {
      // Delivered again after a restart (not ACKed before it): Temporal takes the same update id once.
      messageId: `dingtalk:${heard.messageId}`,
    }),
  );
  return stream;
}
