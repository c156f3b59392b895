/**
 * The WeCom smart robot in callback (URL) mode (企业微信智能机器人 · API 模式 · URL 回调), for counties that prefer
 * WeCom calling in to a fixed address over duban's long connection out. Its own small HTTP server (node:http), not
 * the dashboard's: this address is the one reachable from WeCom, the dashboard stays on the county's network.
 *
 * The contract (文档 101033 加解密方案, 101027 接收事件, 101031 被动回复, 101138 主动回复), with `@wecom/crypto`:
 * - GET `?msg_signature&timestamp&nonce&echostr`: msg_signature = sha1(sort(token, timestamp, nonce, echostr)); the
 *   answer is the decrypted echostr, bare, within 1 s (the ReceiveId of an internal robot is "").
 * - POST with the same query and a JSON body `{encrypt}`, signed over `encrypt`; it decrypts to the message or event
 *   JSON the long connection carries (msgid, chattype, from.userid, text / event, and a `response_url`).
 * - The passive reply is the HTTP answer: `{encrypt, msgsignature, timestamp, nonce}` around the reply JSON (a
 *   finished stream message; `update_template_card` for a card click; a text welcome), or an empty body.
 * - `response_url` takes one POST of markdown within an hour: an answer not ready in time goes there.
 * - WeCom delivers a callback again when it got no answer: each msgid acts once (remembered here, and `wecom:<msgid>`
 *   is the Updates' id, so also across a restart).
 * A request whose signature does not verify is refused with 401 and never read further.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decrypt, encrypt, getSignature } from '@wecom/crypto';
import { z } from 'zod';
import { answer, type ReplyContext } from '../bot/replies';
import { createLog, type Log } from '../ops/log';
import type { Heard } from './platform';
import { answerClick, parseCardClick, type CardClick, type ClickAnswer } from './wecom-cards';
import { clipBytes, parseMessage, WELCOME } from './wecom-frames';
import { RESEND } from './wecom-robot';

/** Error codes of this module. */
export const WECOM_CALLBACK_ERRORS = {
  CONFIG: 'a DUBAN_WECOM_CALLBACK_* variable is missing or malformed',
  LISTEN_FAILED: 'the callback address could not be listened on',
  NO_POST: 'callback mode is set but nothing can post the morning messages (a callback robot cannot post first)',
} as const;
export type WecomCallbackErrorCode = keyof typeof WECOM_CALLBACK_ERRORS;

export class WecomCallbackError extends Error {
  constructor(
    readonly code: WecomCallbackErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WecomCallbackError';
  }
}

const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** 43 characters of base64 that decode to a 32-byte AES key (the admin page generates it). */
const aesKey = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9+/]{43}$/, '应为 43 位字母数字（管理后台「随机获取」的 EncodingAESKey）(must be the 43-character EncodingAESKey)')
  .refine((k) => Buffer.from(`${k}=`, 'base64').length === 32, '解码后不是 32 字节 (does not decode to 32 bytes)');

const envSchema = z.object({
  DUBAN_WECOM_CALLBACK_TOKEN: optional(z.string().trim().regex(/^[A-Za-z0-9]{1,32}$/, '应为 1–32 位字母或数字（管理后台的 Token）(must be the 1–32 character Token)')),
  DUBAN_WECOM_CALLBACK_AES_KEY: optional(aesKey),
  // 0 takes any free port (the tests do; the start-up line says which).
  DUBAN_WECOM_CALLBACK_PORT: optional(z.coerce.number().int().min(0).max(65535)),
  DUBAN_WECOM_CALLBACK_HOST: optional(z.string().trim().min(1)),
  DUBAN_WECOM_CALLBACK_PATH: optional(z.string().trim().regex(/^\/[A-Za-z0-9/_.-]*$/, '应以 / 开头 (must start with /)')),
});

export interface WecomCallbackConfig {
  token: string;
  encodingAESKey: string;
  port: number;
  host: string;
  path: string;
}

export const CALLBACK_DEFAULTS = { port: 8090, host: '127.0.0.1', path: '/wecom/callback' } as const;

/** The callback mode's settings, or undefined when none is set; a half-set or malformed one is an error naming the variable. */
export function wecomCallbackConfigFromEnv(env: NodeJS.ProcessEnv = process.env): WecomCallbackConfig | undefined {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new WecomCallbackError('CONFIG', `${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  if (!e.DUBAN_WECOM_CALLBACK_TOKEN && !e.DUBAN_WECOM_CALLBACK_AES_KEY) return undefined;
  for (const name of ['DUBAN_WECOM_CALLBACK_TOKEN', 'DUBAN_WECOM_CALLBACK_AES_KEY'] as const) {
    if (!e[name]) throw new WecomCallbackError('CONFIG', `${name} 未设置：企业微信智能机器人回调模式需要 Token 与 EncodingAESKey 两项 (${name} is not set; both are needed)`);
  }
  return {
    token: e.DUBAN_WECOM_CALLBACK_TOKEN!,
    encodingAESKey: e.DUBAN_WECOM_CALLBACK_AES_KEY!,
    port: e.DUBAN_WECOM_CALLBACK_PORT ?? CALLBACK_DEFAULTS.port,
    host: e.DUBAN_WECOM_CALLBACK_HOST ?? CALLBACK_DEFAULTS.host,
    path: e.DUBAN_WECOM_CALLBACK_PATH ?? CALLBACK_DEFAULTS.path,
  };
}

const signedQuery = z.object({ msg_signature: z.string().regex(/^[0-9a-f]{40}$/i), timestamp: z.string().regex(/^\d{1,13}$/), nonce: z.string().min(1).max(64) });
const verifyQuery = signedQuery.extend({ echostr: z.string().min(1).max(4096) });
const encryptedBody = z.object({ encrypt: z.string().min(1).max(1_000_000) });
/** What a callback carries besides the long connection's fields: the address of the one late answer. */
const callbackExtras = z.looseObject({
  msgid: z.string().min(1),
  msgtype: z.string(),
  response_url: z.url({ protocol: /^https?$/ }).optional(),
  event: z.looseObject({ eventtype: z.string() }).optional(),
  stream: z.looseObject({ id: z.string() }).optional(),
});

/** Largest request body read; a callback is a few kilobytes. */
const MAX_BODY_BYTES = 256 * 1024;

export interface WecomCallbackOptions {
  config: WecomCallbackConfig;
  /** A message heard: the answer (undefined: none) as the reply path words it. */
  onHeard: (heard: Heard) => Promise<string | undefined>;
  onCardClick?: (click: CardClick) => Promise<ClickAnswer>;
  log?: Log;
  /** How long the passive reply waits for the answer before the answer goes by response_url instead (default 3.5 s). */
  replyWaitMs?: number;
  /** How many msgids are remembered to act on a repeated callback once. */
  remember?: number;
}

type Seen = 'working' | 'done';

function sameSignature(expected: string, given: string): boolean {
  const a = Buffer.from(expected.toLowerCase());
  const b = Buffer.from(given.toLowerCase());
  return a.length === b.length && timingSafeEqual(a, b);
}

export class WecomCallbackServer {
  private readonly options: WecomCallbackOptions;
  private readonly log: Log;
  private readonly seen = new Map<string, Seen>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private server: Server | undefined;
  /** Requests refused for a signature that did not verify (what an operator reads when WeCom says URL 校验失败). */
  refused = 0;

  constructor(options: WecomCallbackOptions) {
    this.options = options;
    this.log = options.log ?? createLog();
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    return address ? `http://${address.address}:${address.port}${this.options.config.path}` : '';
  }

  async start(): Promise<void> {
    const { host, port } = this.options.config;
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new WecomCallbackError('LISTEN_FAILED', `企业微信回调地址 ${host}:${port} 无法监听 (${err.message})：请换一个 DUBAN_WECOM_CALLBACK_PORT 或 DUBAN_WECOM_CALLBACK_HOST`, { cause: err })),
      );
      server.listen(port, host, () => resolve());
    });
    this.server = server;
  }

  /** Stops taking callbacks; those in hand finish first (their late answers included), bounded. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
    const waited = new Promise<void>((r) => setTimeout(r, 10_000).unref());
    await Promise.race([Promise.allSettled([...this.inFlight]), waited]);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://callback');
      if (url.pathname !== this.options.config.path) return end(res, 404, 'not found');
      const query = Object.fromEntries(url.searchParams);
      if (req.method === 'GET') return this.verifyUrl(query, res);
      if (req.method === 'POST') return await this.callback(query, req, res);
      return end(res, 405, 'method not allowed');
    } catch (err) {
      this.log.error(`企业微信回调处理失败 (callback failed): ${(err as Error).message}`);
      if (!res.headersSent) end(res, 500, 'error');
    }
  }

  private signed(query: Record<string, string>, payload: string): boolean {
    const { token } = this.options.config;
    const q = signedQuery.safeParse(query);
    if (!q.success) return false;
    return sameSignature(getSignature(token, q.data.timestamp, q.data.nonce, payload), q.data.msg_signature);
  }

  private refuse(res: ServerResponse, why: string): void {
    this.refused++;
    this.log.warn(`企业微信回调签名不符，已拒绝：请核对 DUBAN_WECOM_CALLBACK_TOKEN 与 DUBAN_WECOM_CALLBACK_AES_KEY (signature refused: ${why})`);
    end(res, 401, 'invalid signature');
  }

  /** URL verification: the decrypted echostr, bare. */
  private verifyUrl(query: Record<string, string>, res: ServerResponse): void {
    const q = verifyQuery.safeParse(query);
    if (!q.success) return end(res, 400, 'bad request');
    if (!this.signed(query, q.data.echostr)) return this.refuse(res, 'echostr');
    let plain: string;
    try {
      plain = decrypt(this.options.config.encodingAESKey, q.data.echostr).message;
    } catch {
      return this.refuse(res, 'echostr does not decrypt');
    }
    end(res, 200, plain, 'text/plain; charset=utf-8');
  }

  private async callback(query: Record<string, string>, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    if (raw === undefined) return end(res, 413, 'too large');
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return end(res, 400, 'bad request');
    }
    const enc = encryptedBody.safeParse(body);
    if (!enc.success) return end(res, 400, 'bad request');
    if (!this.signed(query, enc.data.encrypt)) return this.refuse(res, 'body');
    let message: unknown;
    try {
      message = JSON.parse(decrypt(this.options.config.encodingAESKey, enc.data.encrypt).message);
    } catch {
      return this.refuse(res, 'body does not decrypt');
    }
    const extras = callbackExtras.safeParse(message);
    if (!extras.success) {
      this.log.debug(`企业微信回调不处理 (not acted on): ${extras.error.issues[0]?.message}`);
      return end(res, 200, '');
    }
    const m = extras.data;
    // A stream refresh: duban's streams are finished in their first reply, so there is nothing more to say.
    if (m.msgtype === 'stream') return this.reply(res, { msgtype: 'stream', stream: { id: m.stream?.id ?? '', finish: true } });
    if (m.msgtype === 'event' && m.event?.eventtype === 'enter_chat') return this.reply(res, { msgtype: 'text', text: { content: WELCOME } });
    if (m.msgtype === 'event' && m.event?.eventtype === 'template_card_event') return this.click(message, m.response_url, res);
    if (m.msgtype === 'event') return end(res, 200, '');
    return this.message(message, m.response_url, res);
  }

  private async message(body: unknown, responseUrl: string | undefined, res: ServerResponse): Promise<void> {
    const parsed = parseMessage(body);
    if (!parsed.ok) {
      if (parsed.answer) return this.reply(res, stream(parsed.answer));
      return end(res, 200, '');
    }
    const { heard } = parsed.value;
    await this.once(
      heard.messageId,
      res,
      responseUrl,
      () => this.options.onHeard(heard),
      (text) => (text === undefined ? undefined : stream(text)),
      (text) => text,
    );
  }

  private async click(body: unknown, responseUrl: string | undefined, res: ServerResponse): Promise<void> {
    const parsed = parseCardClick(body);
    const handle = this.options.onCardClick;
    if (!parsed.ok || !handle) {
      this.log.debug(`企业微信卡片事件不处理 (not acted on): ${parsed.ok ? 'no click handler' : parsed.reason}`);
      return end(res, 200, '');
    }
    const { click } = parsed;
    await this.once(
      `event:${click.messageId}`,
      res,
      responseUrl,
      () => handle(click),
      (a) => ({ response_type: 'update_template_card', userids: [click.userid], template_card: a.card }),
      (a) => a.text,
    );
  }

  /**
   * Acts once per msgid. The answer goes in the passive reply when ready within `replyWaitMs`; else the reply is
   * empty (WeCom then neither shows nor retries anything) and the answer goes to response_url when it is ready.
   */
  private async once<T>(
    id: string,
    res: ServerResponse,
    responseUrl: string | undefined,
    work: () => Promise<T>,
    passive: (result: T) => object | undefined,
    late: (result: T) => string | undefined,
  ): Promise<void> {
    if (this.seen.has(id)) return end(res, 200, '');
    this.mark(id, 'working');
    const run = work().then(
      (result) => {
        this.mark(id, 'done');
        return { ok: true as const, result };
      },
      (err: unknown) => {
        // Forgotten: WeCom's redelivery, or the person sending again, may act then.
        this.seen.delete(id);
        this.log.error(`企业微信回调未受理 (reply path failed) ${id}: ${(err as Error).message}`);
        return { ok: false as const };
      },
    );
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), this.options.replyWaitMs ?? 3_500)));
    const first = await Promise.race([run, waited]);
    clearTimeout(timer);
    if (first !== 'late') {
      if (!first.ok) return this.reply(res, stream(RESEND));
      const body = passive(first.result);
      return body ? this.reply(res, body) : end(res, 200, '');
    }
    end(res, 200, '');
    const settled = await run;
    const text = settled.ok ? late(settled.result) : RESEND;
    if (text === undefined) return;
    if (!responseUrl) return this.log.error(`企业微信回复未送达：回调未带 response_url (answer lost) ${id}: ${text.slice(0, 60)}`);
    await postResponse(responseUrl, text).catch((err: unknown) => this.log.error(`企业微信回复未送达 (answer lost via response_url) ${id}: ${(err as Error).message}`));
  }

  /** The passive reply: the reply JSON encrypted and signed with a fresh timestamp and nonce. */
  private reply(res: ServerResponse, body: object): void {
    const { token, encodingAESKey } = this.options.config;
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(8).toString('hex');
    const ciphered = encrypt(encodingAESKey, JSON.stringify(body), '');
    end(res, 200, JSON.stringify({ encrypt: ciphered, msgsignature: getSignature(token, timestamp, nonce, ciphered), timestamp, nonce }), 'application/json; charset=utf-8');
  }

  private mark(id: string, state: Seen): void {
    this.seen.delete(id);
    this.seen.set(id, state);
    const remember = this.options.remember ?? 10_000;
    for (const [old, s] of this.seen) {
      if (this.seen.size <= remember) break;
      if (s === 'done') this.seen.delete(old);
    }
  }
}

function stream(text: string): object {
  return { msgtype: 'stream', stream: { id: `duban-${randomBytes(6).toString('hex')}`, finish: true, content: clipBytes(text) } };
}

function end(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** One markdown answer to a callback's response_url (usable once, for an hour). */
async function postResponse(url: string, text: string): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ msgtype: 'markdown', markdown: { content: clipBytes(text) } }),
    signal: AbortSignal.timeout(15_000),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const answered = (await res.json().catch(() => ({}))) as { errcode?: number; errmsg?: string };
  if (answered.errcode !== undefined && answered.errcode !== 0) throw new Error(`errcode ${answered.errcode} ${answered.errmsg ?? ''}`.trim());
}

/**
 * The callback mode for a running deployment: undefined when DUBAN_WECOM_CALLBACK_TOKEN/AES_KEY are not set. Every
 * message and card click goes to the one reply path as said by `{id: userid, channel: 'wecom'}`.
 */
export async function startWecomCallbackFromEnv(
  ctx: ReplyContext,
  env: NodeJS.ProcessEnv = process.env,
  options: Omit<WecomCallbackOptions, 'config' | 'onHeard'> = {},
): Promise<WecomCallbackServer | undefined> {
  const config = wecomCallbackConfigFromEnv(env);
  if (!config) return undefined;
  const server = new WecomCallbackServer({
    ...options,
    config,
    onHeard: (heard) => answer(ctx, { id: heard.from.id, name: heard.from.name, channel: 'wecom' }, heard.text, heard.inGroup, { messageId: `wecom:${heard.messageId}` }),
    onCardClick: options.onCardClick ?? ((click) => answerClick(ctx, click)),
  });
  await server.start();
  return server;
}
