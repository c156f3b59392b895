/**
 * Email by SMTP (nodemailer): pooled transport with a bounded requeue count, Chinese templates, an .ics
 * attachment for deadlines, failures classified (network and 4xx retry, 5xx is permanent), partly rejected
 * recipient lists reported, and a send ledger so a retried activity never delivers twice.
 */
import { createTransport, type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { z } from 'zod';
import type { OutgoingMessage } from '../workflows/types';
import { permanentDelivery } from './errors';
import type { SendLedger } from './ledger';
import { renderMail, type MailLink } from './render';

export const smtpEnvSchema = z
  .object({
    DUBAN_SMTP_URL: z.string().url().optional(),
    DUBAN_SMTP_HOST: z.string().min(1).optional(),
    DUBAN_SMTP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    DUBAN_SMTP_SECURE: z.enum(['true', 'false']).optional(),
    DUBAN_SMTP_USER: z.string().optional(),
    DUBAN_SMTP_PASSWORD: z.string().optional(),
    DUBAN_MAIL_FROM: z.string().min(3).default('督办系统 <duban@example.org>'),
  })
  .refine((e) => !(e.DUBAN_SMTP_URL && e.DUBAN_SMTP_HOST), { message: 'set DUBAN_SMTP_URL or DUBAN_SMTP_HOST, not both' });

export interface SmtpConfig {
  transport: SMTPTransport.Options | string;
  from: string;
}

/** SMTP from the environment; undefined when none is configured (messages then go to the outbox). */
export function smtpConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SmtpConfig | undefined {
  const parsed = smtpEnvSchema.safeParse(env);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`邮件配置无效 (invalid SMTP setting) ${String(i?.path[0] ?? '')}: ${i?.message}`);
  }
  const e = parsed.data;
  if (e.DUBAN_SMTP_URL) return { transport: e.DUBAN_SMTP_URL, from: e.DUBAN_MAIL_FROM };
  if (!e.DUBAN_SMTP_HOST) return undefined;
  return {
    transport: {
      host: e.DUBAN_SMTP_HOST,
      port: e.DUBAN_SMTP_PORT ?? 587,
      secure: e.DUBAN_SMTP_SECURE === 'true',
      ...(e.DUBAN_SMTP_USER ? { auth: { user: e.DUBAN_SMTP_USER, pass: e.DUBAN_SMTP_PASSWORD ?? '' } } : {}),
    },
    from: e.DUBAN_MAIL_FROM,
  };
}

export function createSmtpTransport(config: SmtpConfig): Transporter<SMTPTransport.SentMessageInfo> {
  const base = typeof config.transport === 'string' ? { url: config.transport } : config.transport;
  return createTransport({
    ...base,
    pool: true,
    maxConnections: 2,
    // A message the pool had to requeue (connection dropped) is tried at most twice more, never forever.
    maxRequeues: 2,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  } as SMTPTransport.Options);
}

export interface EmailReport {
  channel: 'email';
  accepted: string[];
  rejected: string[];
  /** True when the ledger showed this key already delivered. */
  duplicate?: boolean;
}

export interface EmailSender {
  /** `links`: the action links of the one person `to` names (a message with links goes to each person alone). */
  send(msg: OutgoingMessage, to: string[], note?: string, links?: MailLink[]): Promise<EmailReport>;
  close(): void;
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
}

export function createEmailSender(deps: { transport: Transporter<SMTPTransport.SentMessageInfo>; from: string; ledger: SendLedger }): EmailSender {
  const { transport, from, ledger } = deps;
  return {
    async send(msg, to, note, links) {
      if (to.length === 0) return { channel: 'email', accepted: [], rejected: [] };
      const claim = ledger.claim(msg.key, 'email');
      if (claim === 'sent') return { channel: 'email', accepted: [], rejected: [], duplicate: true };
      // A retry that overtook a slow send must not send a second copy: wait for that attempt's outcome.
      if (claim === 'in-progress') throw new Error(`上一次发送仍在进行，稍后重试 (an earlier attempt is still sending ${msg.key})`);
      const mail = renderMail(msg, note, links);
      try {
        const info = await transport.sendMail({
          from,
          to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          // Derived from the idempotency key: a repeat (if one ever slips through) is the same message.
          messageId: `<${Buffer.from(msg.key).toString('base64url')}@duban>`,
          headers: { 'X-Duban-Key': encodeURIComponent(msg.key) },
          // One calendar file: nodemailer's icalEvent would add a text/calendar alternative and an application/ics
          // copy of its own, and clients listed two or three deadline.ics files.
          ...(mail.ics ? { attachments: [{ filename: 'deadline.ics', content: mail.ics, contentType: 'text/calendar; charset=utf-8; method=PUBLISH' }] } : {}),
        });
        const accepted = (info.accepted ?? []).map(String);
        const rejected = (info.rejected ?? []).map(String);
        ledger.markSent(msg.key, 'email', `accepted ${accepted.length}, rejected ${rejected.length}`);
        return { channel: 'email', accepted, rejected };
      } catch (err) {
        ledger.release(msg.key, 'email');
        const e = err as SmtpError;
        const code = e.responseCode ?? 0;
        if (code >= 500 && code < 600) {
          throw permanentDelivery(`邮件服务器拒绝（${code}）：${e.response ?? e.message}`, e);
        }
        // Network errors and 4xx (greylisting, mailbox busy) are worth retrying: the activity retries.
        throw e;
      }
    },
    close() {
      transport.close();
    },
  };
}
