/**
 * Replies by email: coordinators answer our mail with 「收到 4」 at the top; duban reads the replies mailbox over
 * IMAP (imapflow, IDLE plus a poll), parses each message once (mailparser), screens it (channels/mail-screen.ts:
 * a directory address, in reply to one of ours, written by a person), hands what the person wrote to the one
 * reply path (bot/replies.ts `answer`, channel 'email'), and sends the answer back in the same thread by SMTP.
 *
 * Each message is claimed in the inbox ledger (channels/inbox-ledger.ts) by UID within its UIDVALIDITY before
 * anything is done with it, so a restart never acts twice; the mailbox itself is opened read-only and never
 * changed. A reply the path could not take (Temporal unreachable) is tried again with backoff for a day, then its
 * sender is told to resend; an answer SMTP did not take is sent again without acting again.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ImapFlow, type FetchMessageObject, type MailboxObject } from 'imapflow';
import { simpleParser } from 'mailparser';
import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { z } from 'zod';
import { parseCommand } from '../bot/commands';
import { answer, identify, type ReplyContext } from '../bot/replies';
import type { ChatPlatform, Heard, PostTarget } from '../chat/platform';
import { createLog, type Log } from '../ops/log';
import { createSmtpTransport, smtpConfigFromEnv } from './email';
import { InboxLedger, type InboxRow, type MailRef } from './inbox-ledger';
import type { SendLedger } from './ledger';
import { mailFacts, ourKey, ourMessageId, replySubject, screenMail, type MailFacts } from './mail-screen';

/**
 * | code | when | what to do |
 * |---|---|---|
 * | `IMAP_SETTING` | a `DUBAN_IMAP_*` variable is malformed, or one the others need is missing | fix the variable named |
 * | `NO_SMTP` | the mailbox is set but SMTP is not | set `DUBAN_SMTP_URL` or `DUBAN_SMTP_HOST`: answers go by SMTP |
 * | `IMAP_LOGIN` | the IMAP server refused the login | check `DUBAN_IMAP_USER` / `DUBAN_IMAP_PASSWORD` (many servers want an app password / 授权码) |
 * | `NO_MAILBOX` | the mailbox does not exist | check `DUBAN_IMAP_MAILBOX` |
 */
export type MailRepliesErrorCode = 'IMAP_SETTING' | 'NO_SMTP' | 'IMAP_LOGIN' | 'NO_MAILBOX';

export class MailRepliesError extends Error {
  constructor(
    readonly code: MailRepliesErrorCode,
    /** The environment variable to fix. */
    readonly variable: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MailRepliesError';
  }
}

const TRUE_FALSE = z.enum(['true', 'false'], { error: 'must be true or false' });

export const imapEnvSchema = z.object({
  DUBAN_IMAP_URL: z.string().url().optional(),
  DUBAN_IMAP_HOST: z.string().min(1).optional(),
  DUBAN_IMAP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  DUBAN_IMAP_SECURE: TRUE_FALSE.optional(),
  DUBAN_IMAP_USER: z.string().min(1).optional(),
  DUBAN_IMAP_PASSWORD: z.string().optional(),
  DUBAN_IMAP_MAILBOX: z.string().min(1).optional(),
  DUBAN_IMAP_POLL_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  DUBAN_IMAP_MAX_AGE_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 90)
    .default(72),
});

export interface ImapConfig {
  host: string;
  port: number;
  /** TLS from the first byte (993); false = plain, upgraded by STARTTLS when the server offers it. */
  secure: boolean;
  user: string;
  password: string;
  mailbox: string;
  /** A check every so often, besides IDLE (some servers' IDLE is unreliable or absent). */
  pollMs: number;
  /** Mail the server received longer ago than this is not acted on (a first start on a full mailbox). */
  maxAgeMs: number;
}

const setting = (variable: string, message: string) =>
  new MailRepliesError(
    'IMAP_SETTING',
    variable,
    `邮件回复配置无效 (invalid email-reply setting) ${variable}: ${message}`,
  );

/** The replies mailbox from the environment; undefined when none is configured (email replies are then off). */
export function imapConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ImapConfig | undefined {
  const parsed = imapEnvSchema.safeParse(env);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw setting(String(i?.path[0] ?? 'DUBAN_IMAP_*'), i?.message ?? 'invalid');
  }
  const e = parsed.data;
  if (e.DUBAN_IMAP_URL && e.DUBAN_IMAP_HOST)
    throw setting('DUBAN_IMAP_URL', 'set DUBAN_IMAP_URL or DUBAN_IMAP_HOST, not both');
  const common = { pollMs: e.DUBAN_IMAP_POLL_SECONDS * 1000, maxAgeMs: e.DUBAN_IMAP_MAX_AGE_HOURS * 3_600_000 };
  if (e.DUBAN_IMAP_URL) {
    const url = new URL(e.DUBAN_IMAP_URL);
    if (url.protocol !== 'imap:' && url.protocol !== 'imaps:')
      throw setting('DUBAN_IMAP_URL', `must start with imaps:// or imap://, not ${url.protocol}//`);
    if (!url.username)
      throw setting('DUBAN_IMAP_URL', 'names no user: imaps://USER:PASSWORD@host/INBOX (write @ in the user as %40)');
    const secure = url.protocol === 'imaps:';
    const path = decodeURIComponent(url.pathname.replace(/^\//, ''));
    return {
      host: url.hostname,
      port: url.port ? Number(url.port) : secure ? 993 : 143,
      secure,
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      mailbox: path || e.DUBAN_IMAP_MAILBOX || 'INBOX',
      ...common,
    };
  }
  if (!e.DUBAN_IMAP_HOST) {
    const stray = (['DUBAN_IMAP_USER', 'DUBAN_IMAP_PASSWORD', 'DUBAN_IMAP_PORT'] as const).find(
      (k) => env[k] !== undefined && env[k] !== '',
    );
    if (stray) throw setting('DUBAN_IMAP_HOST', `${stray} is set but DUBAN_IMAP_HOST is not`);
    return undefined;
  }
  if (!e.DUBAN_IMAP_USER)
    throw setting('DUBAN_IMAP_USER', 'required with DUBAN_IMAP_HOST (the mailbox login, usually its address)');
  if (e.DUBAN_IMAP_PASSWORD === undefined) throw setting('DUBAN_IMAP_PASSWORD', 'required with DUBAN_IMAP_HOST');
  const secure = e.DUBAN_IMAP_SECURE !== 'false';
  return {
    host: e.DUBAN_IMAP_HOST,
    port: e.DUBAN_IMAP_PORT ?? (secure ? 993 : 143),
    secure,
    user: e.DUBAN_IMAP_USER,
    password: e.DUBAN_IMAP_PASSWORD,
    mailbox: e.DUBAN_IMAP_MAILBOX ?? 'INBOX',
    ...common,
  };
}

/** Where an answer goes: the sender, in the thread of their message. */
interface Thread {
  to: { name: string; address: string };
  subject: string;
  messageId?: string;
  references: string[];
}

/** How much of a message is read: the text comes before attachments (a 台账 spreadsheet need not be downloaded). */
const MAX_SOURCE_BYTES = 4 * 1024 * 1024;
/** A reply the path could not take is tried for this long, then its sender is told to resend. */
export const GIVE_UP_MS = 24 * 3_600_000;
/** How long stop() waits for a pass under way. */
const STOP_WAIT_MS = 10_000;
const backoff = (attempts: number) => Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 15 * 60_000);

const FOOTER =
  '——\n督办系统 duban 自动回复。继续办理可直接回复本邮件，把指令写在最上方（如「完成 4 情况说明」）；回复「帮助」查看全部指令。';
export const GIVE_UP_ANSWER =
  '督办系统暂时无法处理您的邮件，已重试一天仍未成功，本邮件未登记。请重新回复，或在微信工作群中发送指令，或联系县乡村振兴局。';
export const UNSURE_ANSWER =
  '督办系统处理您的邮件时中断，无法确认是否已登记。请回复「我的任务」查看当前状态；如未登记，请重新回复。';

export interface EmailRepliesDeps {
  imap: ImapConfig;
  /** Answers go by the project's SMTP transport (channels/email.ts). */
  smtp: { transport: Transporter<SMTPTransport.SentMessageInfo>; from: string };
  inbox: InboxLedger;
  /** A directory address (channel 'email'). */
  known: (address: string) => boolean;
  /**
   * This deployment's send ledger: when given, a reply must answer a message it records as sent (or one of our
   * answers); without it, any well-formed id of ours counts (a reader on another machine than the senders).
   */
  sendLedger?: Pick<SendLedger, 'detail'>;
  log?: Log;
  now?: () => number;
}

export interface EmailReplies extends ChatPlatform {
  /** Reads the mailbox now (IDLE and the poll do this on their own); resolves when the pass is over. */
  checkNow(): Promise<void>;
}

const addressOf = (from: string) => (/<([^<>]+)>/.exec(from)?.[1] ?? from).trim();

export function createEmailReplies(deps: EmailRepliesDeps): EmailReplies {
  const { imap, smtp, inbox } = deps;
  const log = deps.log ?? createLog();
  const now = deps.now ?? Date.now;
  const account = `${imap.user}@${imap.host}`;
  const self = [addressOf(smtp.from), ...(imap.user.includes('@') ? [imap.user] : [])];
  let onHeard: ((heard: Heard) => Promise<string | undefined>) | undefined;
  let client: ImapFlow | undefined;
  let stopped = false;
  let poll: NodeJS.Timeout | undefined;
  let reconnect: NodeJS.Timeout | undefined;
  let reconnectMs = 1000;
  let chain: Promise<void> = Promise.resolve();
  let queued = false;

  const ours = (id: string): boolean => {
    const key = ourKey(id);
    if (key === undefined) return false;
    if (!deps.sendLedger) return true;
    return deps.sendLedger.detail(key, 'email') !== undefined || inbox.isAnswer(id);
  };
  const looksLikeCommand = (text: string) => parseCommand(text).ok;

  const send = async (ref: MailRef): Promise<void> => {
    const row = inbox.row(ref);
    if (!row || row.status !== 'answering' || !row.answer || !row.thread || !row.answerId) return;
    const thread = JSON.parse(row.thread) as Thread;
    try {
      await smtp.transport.sendMail({
        from: smtp.from,
        to: thread.to,
        subject: thread.subject,
        text: row.answer,
        // Same id for the same incoming message: a resend after a crash is the same message to mail systems.
        messageId: row.answerId,
        ...(thread.messageId ? { inReplyTo: thread.messageId } : {}),
        references: thread.references,
        // RFC 3834: an automatic answer says so, and asks Exchange not to answer it with an out-of-office.
        headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
      });
      inbox.answered(ref);
      log.info('邮件回复已答复 email reply answered', { uid: ref.uid, to: thread.to.address, outcome: row.outcome });
    } catch (err) {
      if (now() - row.firstAt > GIVE_UP_MS) {
        inbox.settle(ref, row.outcome ?? 'acted', `answer never sent: ${String(err)}`);
        log.error('邮件回复的答复发送失败，已放弃 email reply answer given up', {
          uid: ref.uid,
          to: thread.to.address,
          error: err,
        });
      } else {
        inbox.answerFailed(ref, `answer not sent: ${String(err)}`, now() + backoff(row.attempts + 1));
        log.warn('邮件回复的答复发送失败，稍后重试 email reply answer not sent, will retry', {
          uid: ref.uid,
          error: err,
        });
      }
    }
  };

  const answerIdOf = (ref: MailRef) =>
    ourMessageId(`reply/${ref.account}/${ref.mailbox}/${ref.uidValidity}/${ref.uid}`);

  const settleAndSend = async (
    ref: MailRef,
    outcome: string,
    reason: string | undefined,
    thread: Thread | undefined,
    text: string | undefined,
  ) => {
    // The footer invites the next reply: only where a reply can act (not to a stranger, not on a refusal to read).
    const body = outcome === 'acted' ? `${text}\n\n${FOOTER}` : text;
    inbox.settle(
      ref,
      outcome,
      reason,
      body && thread ? { text: body, thread: JSON.stringify(thread), answerId: answerIdOf(ref) } : undefined,
    );
    if (text && thread) await send(ref);
  };

  /** The reply path, once screened in; what it heard is already noted. */
  const hear = async (ref: MailRef, heard: Heard, thread: Thread): Promise<void> => {
    if (!onHeard) throw new Error('email replies not started');
    let text: string | undefined;
    try {
      text = await onHeard(heard);
    } catch (err) {
      const row = inbox.row(ref);
      const reason = `reply path failed: ${String((err as Error)?.message ?? err)}`;
      if (row && now() - row.firstAt > GIVE_UP_MS) {
        log.error('邮件回复多次处理失败，已告知发件人重发 email reply given up, sender told to resend', {
          uid: ref.uid,
          from: heard.from.id,
          error: err,
        });
        await settleAndSend(ref, 'given-up', reason, thread, GIVE_UP_ANSWER);
      } else {
        inbox.fail(ref, reason, now() + backoff((row?.attempts ?? 0) + 1));
        log.warn('邮件回复处理失败，稍后重试 email reply failed, will retry', {
          uid: ref.uid,
          from: heard.from.id,
          error: err,
        });
      }
      return;
    }
    log.info('邮件回复 email reply', {
      uid: ref.uid,
      from: heard.from.id,
      text: heard.text.slice(0, 80),
      answered: text !== undefined,
    });
    await settleAndSend(ref, 'acted', undefined, thread, text);
  };

  /** Reads one claimed message and does what it asks. Anything thrown before the reply path leaves it to be read again. */
  const handle = async (c: ImapFlow, ref: MailRef): Promise<void> => {
    let msg: FetchMessageObject | false;
    let facts: MailFacts;
    try {
      msg = await c.fetchOne(
        String(ref.uid),
        { uid: true, internalDate: true, source: { maxLength: MAX_SOURCE_BYTES } },
        { uid: true },
      );
      if (!msg || !msg.source) {
        inbox.settle(ref, 'gone', 'no longer in the mailbox');
        return;
      }
      facts = mailFacts(await simpleParser(msg.source));
    } catch (err) {
      const row = inbox.row(ref);
      if (row && now() - row.firstAt > GIVE_UP_MS) {
        inbox.settle(ref, 'unreadable', String(err));
        log.error('邮件无法读取，已放弃 email could not be read, given up', { uid: ref.uid, error: err });
      } else {
        inbox.fail(ref, `not read: ${String(err)}`, now() + backoff((row?.attempts ?? 0) + 1));
      }
      return;
    }
    const receivedAt = msg.internalDate ? new Date(msg.internalDate).getTime() : now();
    const thread: Thread | undefined = facts.from
      ? {
          to: facts.from,
          subject: replySubject(facts.subject),
          ...(facts.messageId ? { messageId: facts.messageId } : {}),
          references: [...facts.references, ...(facts.messageId ? [facts.messageId] : [])].slice(-30),
        }
      : undefined;
    const screen = screenMail(facts, {
      self,
      known: deps.known,
      ours,
      looksLikeCommand,
      receivedAt,
      now: now(),
      maxAgeMs: imap.maxAgeMs,
    });
    if (!screen.act || !facts.from || !thread) {
      const outcome = screen.act ? 'no-sender' : screen.outcome;
      const reason = screen.act ? undefined : screen.reason;
      log.info('邮件未处理 email not acted on', { uid: ref.uid, from: facts.from?.address, outcome, reason });
      await settleAndSend(ref, outcome, reason, thread, screen.act ? undefined : screen.answer);
      return;
    }
    const heard: Heard = {
      channel: 'email',
      messageId: facts.messageId ?? `uid:${ref.uidValidity}:${ref.uid}`,
      from: { id: facts.from.address, name: facts.from.name },
      text: facts.text,
      inGroup: false,
      conversationId: facts.messageId ?? `uid:${ref.uidValidity}:${ref.uid}`,
    };
    inbox.noteHeard(ref, JSON.stringify(heard), JSON.stringify(thread));
    await hear(ref, heard, thread);
  };

  const retry = async (c: ImapFlow, row: InboxRow, uidValidity: string): Promise<void> => {
    const ref: MailRef = row;
    if (row.status === 'answering') return send(ref);
    if (row.status === 'acting') {
      // Left by a process that died mid-reply. It may have acted: never run it again, ask the sender to check.
      if (row.heard && row.thread) {
        log.warn('邮件回复处理中断，无法确认是否已登记 email reply interrupted, outcome unknown', { uid: ref.uid });
        return settleAndSend(
          ref,
          'unsure',
          'interrupted while the reply path ran',
          JSON.parse(row.thread) as Thread,
          UNSURE_ANSWER,
        );
      }
      // Died before the reply path: nothing was done; read it again.
      inbox.fail(ref, 'interrupted before it was read', now());
    }
    if (!inbox.retake(ref, now())) return;
    if (row.heard && row.thread) return hear(ref, JSON.parse(row.heard) as Heard, JSON.parse(row.thread) as Thread);
    if (row.uidValidity !== uidValidity) return inbox.settle(ref, 'gone', 'the mailbox was rebuilt (new UIDVALIDITY)');
    return handle(c, ref);
  };

  const pass = async (c: ImapFlow): Promise<void> => {
    const lock = await c.getMailboxLock(imap.mailbox, { readOnly: true });
    try {
      // A poll: NOOP makes the server report what arrived since (a server whose IDLE is absent or silent).
      await c.noop();
      const mailbox = c.mailbox as MailboxObject;
      const uidValidity = String(mailbox.uidValidity);
      for (const row of inbox.due(account, imap.mailbox, now())) await retry(c, row, uidValidity);
      if (!mailbox.exists) return;
      const last = inbox.lastUid(account, imap.mailbox, uidValidity);
      // `N:*` always includes the newest message, even when its UID is below N: keep only the new ones.
      const fresh = (await c.fetchAll(`${last + 1}:*`, { uid: true, envelope: true }, { uid: true }))
        .filter((m) => m.uid > last)
        .sort((a, b) => a.uid - b.uid);
      for (const m of fresh) {
        if (stopped) return;
        const ref: MailRef = { account, mailbox: imap.mailbox, uidValidity, uid: m.uid };
        const claim = inbox.claim(ref, m.envelope?.messageId, now());
        if (claim === 'duplicate')
          log.info('邮件重复，未处理 email seen before under another UID', {
            uid: m.uid,
            messageId: m.envelope?.messageId,
          });
        if (claim === 'new') await handle(c, ref);
      }
    } finally {
      lock.release();
    }
  };

  /** One pass at a time; a request during a pass runs one more after it. */
  const kick = (): Promise<void> => {
    if (queued) return chain;
    queued = true;
    chain = chain
      .then(async () => {
        queued = false;
        if (client?.usable && !stopped) await pass(client);
      })
      .catch((err: unknown) => log.warn('读取回复邮箱失败 reading the replies mailbox failed', { error: err }));
    return chain;
  };

  const connect = async (): Promise<void> => {
    const c = new ImapFlow({
      host: imap.host,
      port: imap.port,
      secure: imap.secure,
      auth: { user: imap.user, pass: imap.password },
      logger: false,
      // IDLE (new mail reported at once) soon after each pass, not after imapflow's default 15 s.
      autoIdleDelay: 2000,
      // IDLE is restarted this often, so a server that drops silent sessions does not drop ours.
      maxIdleTime: Math.min(imap.pollMs, 5 * 60_000),
    });
    c.on('error', (err: Error) => log.warn('回复邮箱连接出错 replies mailbox connection error', { error: err }));
    c.on('exists', () => void kick());
    c.on('close', () => {
      if (client === c) client = undefined;
      if (!stopped) scheduleReconnect();
    });
    try {
      await c.connect();
    } catch (err) {
      if ((err as { authenticationFailed?: boolean }).authenticationFailed) {
        throw new MailRepliesError(
          'IMAP_LOGIN',
          'DUBAN_IMAP_PASSWORD',
          `回复邮箱登录被拒绝 (IMAP login refused) for ${imap.user} at ${imap.host}: check DUBAN_IMAP_USER and DUBAN_IMAP_PASSWORD (many servers want an app password, 授权码)`,
          { cause: err },
        );
      }
      throw err;
    }
    try {
      await c.mailboxOpen(imap.mailbox, { readOnly: true });
    } catch (err) {
      await c.logout().catch(() => c.close());
      throw new MailRepliesError(
        'NO_MAILBOX',
        'DUBAN_IMAP_MAILBOX',
        `回复邮箱中没有文件夹 (no such mailbox) ${imap.mailbox}: check DUBAN_IMAP_MAILBOX`,
        { cause: err },
      );
    }
    client = c;
    reconnectMs = 1000;
    log.info('回复邮箱已连接 replies mailbox connected', { host: imap.host, mailbox: imap.mailbox, user: imap.user });
    void kick();
  };

  function scheduleReconnect(): void {
    if (stopped || reconnect) return;
    const wait = reconnectMs;
    reconnectMs = Math.min(reconnectMs * 2, 60_000);
    reconnect = setTimeout(() => {
      reconnect = undefined;
      connect().catch((err: unknown) => {
        log.warn('回复邮箱重连失败 replies mailbox reconnect failed', { error: err, retryInMs: reconnectMs });
        scheduleReconnect();
      });
    }, wait);
  }

  return {
    channel: 'email',
    async start(handler) {
      onHeard = handler;
      try {
        await connect();
      } catch (err) {
        // A wrong setting stops the start; a server that is down now is tried again in the background.
        // Refused: no retry in the background either (repeated refused logins can get a mailbox locked).
        if (err instanceof MailRepliesError) {
          stopped = true;
          if (reconnect) clearTimeout(reconnect);
          reconnect = undefined;
          throw err;
        }
        log.warn('回复邮箱暂时无法连接，稍后重试 replies mailbox unreachable, will retry', { error: err });
        scheduleReconnect();
      }
      poll = setInterval(() => void kick(), imap.pollMs);
      poll.unref();
    },
    async post(to: PostTarget, text: string) {
      if ('person' in to) {
        await smtp.transport.sendMail({
          from: smtp.from,
          to: to.person,
          subject: '【督办】督办系统消息',
          text: `${text}\n\n${FOOTER}`,
          headers: { 'Auto-Submitted': 'auto-generated' },
        });
        return;
      }
      const row = inbox.byMessageId(to.conversation).find((r) => r.thread);
      if (!row?.thread) throw new Error(`没有这个邮件会话 (no such email thread) ${to.conversation}`);
      const thread = JSON.parse(row.thread) as Thread;
      await smtp.transport.sendMail({
        from: smtp.from,
        to: thread.to,
        subject: thread.subject,
        text: `${text}\n\n${FOOTER}`,
        ...(thread.messageId ? { inReplyTo: thread.messageId } : {}),
        references: thread.references,
        headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
      });
    },
    checkNow: kick,
    async stop() {
      stopped = true;
      if (poll) clearInterval(poll);
      if (reconnect) clearTimeout(reconnect);
      // A pass stuck in the reply path (a Temporal call that never returns) does not hold the process: its claim
      // stays 'acting' and the next start asks its sender to check.
      await Promise.race([chain, new Promise((r) => setTimeout(r, STOP_WAIT_MS).unref())]);
      const c = client;
      client = undefined;
      if (c) await c.logout().catch(() => c.close());
    },
  };
}

export interface MailReplies {
  readonly platform: EmailReplies;
  checkNow(): Promise<void>;
  stop(): Promise<void>;
}

/** Email replies wired to the reply path: the directory decides who is known, `answer` what is done. */
export async function startMailReplies(
  deps: Omit<EmailRepliesDeps, 'known'> & { reply: ReplyContext; known?: EmailRepliesDeps['known'] },
): Promise<MailReplies> {
  const directory = deps.reply.directory;
  const platform = createEmailReplies({
    ...deps,
    known:
      deps.known ?? ((address) => identify(directory, { id: address, name: address, channel: 'email' }) !== undefined),
  });
  await platform.start((heard) =>
    answer(deps.reply, { id: heard.from.id, name: heard.from.name, channel: 'email' }, heard.text, heard.inGroup, { messageId: `email:${heard.messageId}` }),
  );
  return { platform, checkNow: () => platform.checkNow(), stop: () => platform.stop() };
}

/**
 * Email replies from the environment (DUBAN_IMAP_*, and DUBAN_SMTP_* for the answers); undefined when no mailbox
 * is configured. `sendLedger`: the process's send ledger, so only replies to messages this deployment sent act.
 */
export async function startMailRepliesFromEnv(options: {
  reply: ReplyContext;
  env?: NodeJS.ProcessEnv;
  dataDir?: string;
  sendLedger?: SendLedger;
  log?: Log;
}): Promise<MailReplies | undefined> {
  const env = options.env ?? process.env;
  const imap = imapConfigFromEnv(env);
  if (!imap) return undefined;
  const smtpConfig = smtpConfigFromEnv(env);
  if (!smtpConfig)
    throw new MailRepliesError(
      'NO_SMTP',
      'DUBAN_SMTP_URL',
      '已配置回复邮箱但未配置发信 (DUBAN_IMAP_* is set, SMTP is not): set DUBAN_SMTP_URL or DUBAN_SMTP_HOST, which answers are sent by',
    );
  const dir = options.dataDir ?? env.DUBAN_DATA_DIR ?? 'data';
  mkdirSync(dir, { recursive: true });
  const inbox = new InboxLedger(join(dir, 'mail-replies.sqlite'));
  const transport = createSmtpTransport(smtpConfig);
  try {
    const started = await startMailReplies({
      imap,
      smtp: { transport, from: smtpConfig.from },
      inbox,
      reply: options.reply,
      ...(options.sendLedger ? { sendLedger: options.sendLedger } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    return {
      ...started,
      async stop() {
        await started.stop();
        transport.close();
        inbox.close();
      },
    };
  } catch (err) {
    transport.close();
    inbox.close();
    throw err;
  }
}
