/**
 * What an incoming email is, before anyone acts on it: who sent it, what it answers, whether a machine wrote it,
 * and whether duban may act on it at all. Pure (no I/O), so every rule is tested alone; channels/mail-replies.ts
 * reads the mailbox and wires these to the one reply path.
 */
import type { ParsedMail } from 'mailparser';
import { withoutEmailQuote } from '../bot/quoted';

/** The parts of a parsed message the rules read. */
export interface MailFacts {
  from?: { address: string; name: string };
  messageId?: string;
  /** Every Message-ID in In-Reply-To and References, in order, each with its angle brackets. */
  replyTo: string[];
  /** The References chain (for threading our answer), oldest first. */
  references: string[];
  subject: string;
  /** Raw header values by lower-case name (a header given twice has two values). */
  headers: Map<string, string[]>;
  contentType: string;
  /** What the person wrote: the text/plain part (or the HTML as text), without quoted thread and signature. */
  text: string;
}

const MESSAGE_ID = /<[^<>\s]+>/g;

function ids(value: string | string[] | undefined): string[] {
  const all = Array.isArray(value) ? value.join(' ') : (value ?? '');
  // mailparser gives References without brackets when there is one id and with them otherwise: take both.
  const bracketed = all.match(MESSAGE_ID);
  if (bracketed) return bracketed;
  return all
    .split(/\s+/)
    .filter((s) => s.includes('@'))
    .map((s) => `<${s.replace(/^<|>$/g, '')}>`);
}

function headerValues(mail: Pick<ParsedMail, 'headerLines'>): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { key, line } of mail.headerLines ?? []) {
    // "Key: value", folded lines joined: the raw line is what the sender wrote, before mailparser interprets it.
    const value = line
      .slice(line.indexOf(':') + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim();
    map.set(key.toLowerCase(), [...(map.get(key.toLowerCase()) ?? []), value]);
  }
  return map;
}

export function mailFacts(mail: ParsedMail): MailFacts {
  const sender = mail.from?.value[0];
  const headers = headerValues(mail);
  const contentType = headers.get('content-type')?.[0]?.split(';')[0]?.trim().toLowerCase() ?? 'text/plain';
  const references = ids(mail.references);
  const inReplyTo = ids(mail.inReplyTo);
  return {
    ...(sender?.address ? { from: { address: sender.address, name: sender.name || sender.address } } : {}),
    ...(mail.messageId ? { messageId: ids(mail.messageId)[0] ?? mail.messageId } : {}),
    replyTo: [...new Set([...inReplyTo, ...references])],
    references,
    subject: mail.subject ?? '',
    headers,
    contentType,
    // mailparser gives the HTML as text when a message has no text/plain part.
    text: withoutEmailQuote(mail.text ?? ''),
  };
}

/**
 * Subjects of auto-replies and bounces as Chinese and English mail systems write them (QQ, NetEase, Coremail,
 * Exchange/Outlook, Gmail, Postfix), at the start: 「自动回复：Re: …」, "Automatic reply: …", "Undeliverable: …".
 */
const AUTOMATED_SUBJECT =
  /^\s*(?:\[[^\]]*\]\s*)?(?:自动回复|自动答复|自动应答|Auto(?:matic)?[ -]?(?:Reply|Response)|Autoreply|Auto:|Out of (?:the )?Office|退信|系统退信|Undeliverable|Undelivered|Delivery Status Notification|Delivery Failure|Mail delivery failed|Returned mail|Failure Notice|Non-?delivery)/i;

/** Senders that are mail systems, not people. */
const SYSTEM_SENDER = /^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)@/i;

/**
 * Why a machine wrote this (a bounce, an auto-reply, a list or bulk message), or undefined for a person. Such mail
 * never acts and is never answered: answering an auto-reply starts a loop.
 *
 * Not `X-Auto-Response-Suppress`: Exchange and Outlook put it on ordinary messages people write (it asks other
 * servers not to auto-reply *to* the message), so reading it as "automated" drops real replies. duban sets it on
 * its own answers instead.
 */
export function automatedReason(
  facts: Pick<MailFacts, 'from' | 'headers' | 'contentType' | 'subject'>,
): string | undefined {
  const h = (name: string) => facts.headers.get(name) ?? [];
  const autoSubmitted = h('auto-submitted')
    .map((v) => v.split(';')[0]!.trim().toLowerCase())
    .find((v) => v !== 'no');
  if (autoSubmitted) return `Auto-Submitted: ${autoSubmitted}`;
  for (const name of ['x-autoreply', 'x-autorespond', 'x-auto-reply', 'x-autoresponder'])
    if (h(name).length) return `${name} header`;
  const precedence = [...h('precedence'), ...h('x-precedence')]
    .map((v) => v.trim().toLowerCase())
    .find((v) => ['bulk', 'auto_reply', 'junk', 'list'].includes(v));
  if (precedence) return `Precedence: ${precedence}`;
  if (h('return-path').some((v) => v.replace(/\s/g, '') === '<>')) return 'Return-Path <> (a bounce)';
  if (facts.contentType === 'multipart/report') return 'multipart/report (a delivery or read report)';
  if (h('x-failed-recipients').length) return 'X-Failed-Recipients (a bounce)';
  if (facts.from && SYSTEM_SENDER.test(facts.from.address)) return `sender ${facts.from.address}`;
  if (AUTOMATED_SUBJECT.test(facts.subject)) return `subject 「${facts.subject.slice(0, 60)}」`;
  return undefined;
}

/** Our Message-IDs: `<base64url(idempotency key)@duban>` (channels/email.ts). The key, or undefined when not ours. */
export function ourKey(messageId: string): string | undefined {
  const m = /^<([A-Za-z0-9_-]+)@duban>$/.exec(messageId);
  if (!m) return undefined;
  const key = Buffer.from(m[1]!, 'base64url').toString('utf8');
  // A forged or mangled id does not survive the round trip.
  return Buffer.from(key).toString('base64url') === m[1] ? key : undefined;
}

/** A Message-ID of ours for something that is not a ledger message (an answer to an email reply). */
export function ourMessageId(key: string): string {
  return `<${Buffer.from(key).toString('base64url')}@duban>`;
}

export type Screen =
  | { act: true }
  | {
      act: false;
      outcome: 'no-sender' | 'self' | 'automated' | 'too-old' | 'stranger' | 'not-a-reply';
      reason: string;
      /** A short answer to send back, when one helps (never to machines, never to a stranger who did not reply to us). */
      answer?: string;
    };

export interface ScreenContext {
  /** Our own addresses (the mailbox, the sender of our mail): mail from them is ours coming back. */
  self: string[];
  /** A directory address (of any unit: the reply path checks the unit of each duty). */
  known: (address: string) => boolean;
  /** One of the Message-IDs we sent. */
  ours: (messageId: string) => boolean;
  /** Whether the text reads as a command (bot/commands.ts parseCommand), to tell a mis-sent command from chatter. */
  looksLikeCommand: (text: string) => boolean;
  /** When the server received the message (IMAP INTERNALDATE: the sender cannot set it) and now, ms. */
  receivedAt: number;
  now: number;
  maxAgeMs: number;
}

export const STRANGER_ANSWER =
  '您的邮箱不在督办通讯录中，本邮件未处理。请用通讯录登记的单位邮箱回复，或联系县乡村振兴局登记。';
export const NOT_A_REPLY_ANSWER =
  '本邮件未处理：请直接“回复”督办系统发给您的那封邮件（保留原邮件标题和引用），把指令写在最上方，如「收到 4」。';

/**
 * Whether duban may act on this message. Only a person in the directory, answering a message we sent, recently.
 * A stranger who answered one of ours (a forwarded copy, a personal mailbox) is told why nothing happened; a
 * stranger who did not gets nothing: a refusal to every address that writes in would answer forged senders (spam
 * backscatter) and confirm to anyone probing that the mailbox is read.
 */
export function screenMail(facts: MailFacts, ctx: ScreenContext): Screen {
  if (!facts.from) return { act: false, outcome: 'no-sender', reason: 'no From address' };
  const from = facts.from.address.toLowerCase();
  if (ctx.self.some((a) => a.toLowerCase() === from))
    return { act: false, outcome: 'self', reason: `from our own address ${from}` };
  const automated = automatedReason(facts);
  if (automated) return { act: false, outcome: 'automated', reason: automated };
  if (ctx.now - ctx.receivedAt > ctx.maxAgeMs)
    return { act: false, outcome: 'too-old', reason: `received ${new Date(ctx.receivedAt).toISOString()}` };
  const inReply = facts.replyTo.some(ctx.ours);
  if (!ctx.known(from)) {
    return inReply
      ? { act: false, outcome: 'stranger', reason: `${from} is not in the directory`, answer: STRANGER_ANSWER }
      : { act: false, outcome: 'stranger', reason: `${from} is not in the directory, and not a reply to ours` };
  }
  if (!inReply) {
    const reason = facts.replyTo.length ? `in reply to ${facts.replyTo.slice(-1)[0]}, not one of ours` : 'not a reply';
    return ctx.looksLikeCommand(facts.text)
      ? { act: false, outcome: 'not-a-reply', reason, answer: NOT_A_REPLY_ANSWER }
      : { act: false, outcome: 'not-a-reply', reason };
  }
  return { act: true };
}

/** Our answer's subject: the thread's, with one 「Re: 」 (a 回复：/答复：/Re: the client put there is kept). */
export function replySubject(subject: string): string {
  const s = subject.trim() || '督办回复';
  return /^(re|回复|答复|aw|sv)\s*[:：]/i.test(s) ? s : `Re: ${s}`;
}
