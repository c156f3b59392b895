/**
 * Replies by email, end to end, against a real IMAP server on loopback (GreenMail) and a real campaign on the dev
 * server. The campaign mails its messages by SMTP to GreenMail, as to any county's server; the coordinator's
 * "mail client" here reads them over IMAP and answers by SMTP; duban's reader reads its own mailbox over IMAP,
 * acts through the reply path and answers in the thread, which the test reads back from the coordinator's mailbox.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import type { ParsedMail } from 'mailparser';
import { createTransport, type Transporter } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplyContext } from '../bot/replies';
import { RecordingChannel } from '../activities/outbox';
import { createEmailSender, createSmtpTransport } from '../channels/email';
import { InboxLedger } from '../channels/inbox-ledger';
import { SendLedger } from '../channels/ledger';
import { startMailReplies, UNSURE_ANSWER, type MailReplies } from '../channels/mail-replies';
import { NOT_A_REPLY_ANSWER, STRANGER_ANSWER, ourMessageId } from '../channels/mail-screen';
import { startChatPlatforms } from '../chat/start';
import { loadCampaign } from '../cli/campaign-input';
import { loadDirectory } from '../plan/files';
import { startGreenMail, type RunningMailServer } from '../servers/greenmail';
import type { Log } from '../ops/log';
import { createWorker } from '../worker';
import { ledgerQuery, statusQuery } from '../workflows/messages';
import type { DutyState, LedgerEntry } from '../workflows/types';
import { devServerEnv, uniqueQueue, workflowBundle } from './env';
import { until } from './until';
import { inboxOf, quoteOf } from './mail-client';

const directory = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
const DUBAN = 'duban@example.org';
const FROM = `督办系统 <${DUBAN}>`;
const u19 = directory.units['县以工代赈中心']!.coordinators[0]!;
const u18 = directory.units['县农业农村局']!.coordinators[0]!;
const STRANGER = 'someone@qq.example';
const DAEMON = 'mailer-daemon@mx.example.org';
const PASSWORD = 'pw';
const quiet: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('email replies (GreenMail IMAP + SMTP) on a real campaign', () => {
  let gm: RunningMailServer;
  let smtp: Transporter;
  let env: Awaited<ReturnType<typeof devServerEnv>>;
  let ctx: ReplyContext;
  let sendLedger: SendLedger;
  let inboxFile: string;
  let reader: MailReplies;
  let inbox: InboxLedger;
  let ledger: LedgerEntry[];
  let cleanup: () => Promise<void> = async () => undefined;

  /** Every message in a person's GreenMail inbox, parsed. */
  const mailOf = (address: string) => inboxOf(gm, address, PASSWORD);
  const answersTo = async (address: string, messageId: string) =>
    (await mailOf(address)).filter((m) => m.inReplyTo === messageId);

  const duty = (unit: string) => ledger.find((e) => e.unit === unit)!;
  const status = (unit: string): Promise<DutyState> =>
    env.client.workflow.getHandle(duty(unit).dutyId).query(statusQuery);
  const byEmail = (s: DutyState, event: string) => s.history.filter((h) => h.event === event && h.via === 'email');
  /** What replies put in a duty's history (the campaign's own messages add entries of their own meanwhile). */
  const replies = (s: DutyState) => s.history.filter((h) => h.via !== undefined || h.event === 'refused');

  /** What a mail client sends when the person presses 「回复」 on `original` and writes `text` above the quote. */
  const reply = async (
    from: { name: string; address: string },
    original: ParsedMail,
    text: string,
    over: Record<string, unknown> = {},
  ): Promise<string> => {
    const messageId = `<${randomUUID()}@example.org>`;
    const quoted = quoteOf(original);
    await smtp.sendMail({
      from,
      to: DUBAN,
      subject: `Re: ${original.subject}`,
      messageId,
      inReplyTo: original.messageId,
      references: [original.messageId!],
      text: `${text}\n\n在 2022年5月5日 10:00，督办系统 <${DUBAN}> 写道：\n${quoted}\n`,
      ...over,
    });
    return messageId;
  };
  /** The reader's record of a message, once it is done with it (answered or not). */
  const settled = (messageId: string) =>
    until(`the reader to settle ${messageId}`, async () => {
      await reader.checkNow();
      const row = inbox.byMessageId(messageId)[0];
      return row?.status === 'done' ? row : undefined;
    });
  const ourMail = async (address: string, code: string) =>
    until(
      `our message about ${code} in ${address}`,
      async () =>
        (await mailOf(address)).find((m) => m.messageId?.endsWith('@duban>') && m.text?.includes(`回复编号：${code}`)),
      30_000,
    );

  const startReader = async (over: Partial<Parameters<typeof startMailReplies>[0]> = {}) => {
    inbox = new InboxLedger(inboxFile);
    return startMailReplies({
      imap: {
        host: gm.host,
        port: gm.imapPort,
        secure: false,
        user: DUBAN,
        password: 'duban-pw',
        mailbox: 'INBOX',
        pollMs: 300,
        maxAgeMs: 72 * 3_600_000,
      },
      smtp: {
        transport: createSmtpTransport({
          transport: { host: gm.host, port: gm.smtpPort, secure: false, ignoreTLS: true },
          from: FROM,
        }),
        from: FROM,
      },
      inbox,
      reply: ctx,
      sendLedger,
      log: quiet,
      ...over,
    });
  };
  const restartReader = async (over: Partial<Parameters<typeof startMailReplies>[0]> = {}) => {
    await reader.stop();
    inbox.close();
    reader = await startReader(over);
  };

  beforeAll(async () => {
    gm = await startGreenMail({
      users: [`${DUBAN}:duban-pw`, ...[u19.email!, u18.email!, STRANGER, DAEMON].map((a) => `${a}:${PASSWORD}`)],
    });
    smtp = createTransport({ host: gm.host, port: gm.smtpPort, secure: false, ignoreTLS: true });
    env = await devServerEnv();
    sendLedger = new SendLedger();
    const email = createEmailSender({
      transport: createSmtpTransport({
        transport: { host: gm.host, port: gm.smtpPort, secure: false, ignoreTLS: true },
        from: FROM,
      }),
      from: FROM,
      ledger: sendLedger,
    });
    const loaded = loadCampaign({ year: 2022, options: { closeAt: '2023-03-31' } });
    // Tasks 4 and 5, each its lead unit's only duty there (codes 4 and 5).
    const plan = {
      ...loaded.input.plan,
      tasks: loaded.input.plan.tasks
        .filter((t) => t.number === 4 || t.number === 5)
        .map((t) => ({ ...t, accountable: 'lead' as const })),
    };
    const taskQueue = uniqueQueue('mail-replies');
    const campaignId = `mail-replies-${randomUUID()}`;
    const campaignWorkflowId = `duban/${campaignId}`;
    const worker = await createWorker({
      connection: env.nativeConnection,
      taskQueue,
      channel: new RecordingChannel(),
      deps: { email, directory },
      workflowBundle: workflowBundle(),
    });
    const running = worker.run();
    // Thursday 5 May 2022, 10:00 Shanghai: a working day in office hours, so the first messages go at once.
    const clockOffsetMs = Date.parse('2022-05-05T10:00:00+08:00') - Date.now();
    await env.client.workflow.start('campaignWorkflow', {
      taskQueue,
      workflowId: campaignWorkflowId,
      args: [
        {
          ...loaded.input,
          campaignId,
          plan,
          clockOffsetMs,
          options: { closeAt: '2023-03-31', morningSettleSeconds: 1 },
        },
      ],
    });
    ledger = await until('the duties in the ledger', async () => {
      const entries = await env.client.workflow.getHandle(campaignWorkflowId).query(ledgerQuery);
      return entries.length === 2 ? entries : undefined;
    });
    ctx = { client: env.client, directory, campaignWorkflowId, now: () => Date.now() + clockOffsetMs };
    inboxFile = join(mkdtempSync(join(tmpdir(), 'duban-mail-replies-')), 'mail-replies.sqlite');
    reader = await startReader();
    cleanup = async () => {
      await reader.stop();
      inbox.close();
      for (const id of [campaignWorkflowId, ...ledger.map((e) => e.dutyId)])
        await env.client.workflow
          .getHandle(id)
          .terminate('test over')
          .catch(() => undefined);
      worker.shutdown();
      await running;
      email.close();
      smtp.close();
      await env.teardown();
      await gm.stop();
    };
  }, 120_000);

  afterAll(async () => cleanup());

  it('「收到 4」 above the quoted message acknowledges the duty once, by email, and the answer comes back in the thread', async () => {
    const ours = await ourMail(u19.email!, '4');
    // The address as the person's client writes it, in another case than the directory's.
    const id = await reply(
      { name: u19.name, address: u19.email!.toUpperCase() },
      ours,
      '收到 4\n\n彭玉芳\n县以工代赈中心',
    );
    const row = await settled(id);
    expect(row.outcome).toBe('acted');
    const s = await status('县以工代赈中心');
    expect(s.status).toBe('acknowledged');
    expect(byEmail(s, 'acknowledged')).toEqual([expect.objectContaining({ by: u19.name, via: 'email' })]);
    const [answer, ...more] = await until('the answer', async () => {
      const a = await answersTo(u19.email!, id);
      return a.length ? a : undefined;
    });
    expect(more).toEqual([]);
    expect(answer!.subject).toBe(`Re: ${ours.subject}`);
    expect(answer!.from?.value[0]?.address).toBe(DUBAN);
    expect(answer!.references).toEqual([ours.messageId, id]);
    expect(answer!.messageId).toMatch(/@duban>$/);
    expect(answer!.headers.get('auto-submitted')).toBe('auto-replied');
    expect(answer!.text).toContain('已确认 4（任务4）');
  });

  it('「收到」 above a quoted 「完成 5」 only acknowledges; 「好的」 above one does nothing', async () => {
    const ours = await ourMail(u18.email!, '5');
    const me = { name: u18.name, address: u18.email! };
    // A colleague's earlier mail in the thread, quoted the way Outlook and Coremail quote.
    const leader = directory.units['县农业农村局']!.leaders[0]!;
    const okay = await reply(me, ours, '', { text: `好的\n\n> 完成 5 产业扶持项目清单已编制，已报县局\n` });
    await settled(okay);
    expect((await status('县农业农村局')).status).toBe('open');
    const id = await reply(
      me,
      ours,
      `收到\n\n-----原始邮件-----\n发件人: ${leader.name} <${leader.email}>\n主题: 任务5\n\n完成 5 产业扶持项目清单已编制，已报县局`,
    );
    await settled(id);
    const s = await status('县农业农村局');
    expect(s.status).toBe('acknowledged');
    expect(byEmail(s, 'acknowledged')).toHaveLength(1);
    expect(s.history.some((h) => h.event === 'completed')).toBe(false);
    const [answer] = await until('the answer', async () => {
      const a = await answersTo(u18.email!, id);
      return a.length ? a : undefined;
    });
    expect(answer!.text).toContain('已确认 5');
    expect(answer!.text).not.toContain('办结 5');
  });

  it('a stranger answering our message changes nothing and is told why; one writing cold gets nothing', async () => {
    const ours = await ourMail(u19.email!, '4');
    const before = await status('县以工代赈中心');
    const id = await reply({ name: '路人甲', address: STRANGER }, ours, '完成 4 代为办结');
    const row = await settled(id);
    expect(row.outcome).toBe('stranger');
    const cold = `<${randomUUID()}@qq.example>`;
    await smtp.sendMail({ from: STRANGER, to: DUBAN, subject: '任务4', text: '完成 4 代为办结', messageId: cold });
    expect((await settled(cold)).outcome).toBe('stranger');
    const after = await status('县以工代赈中心');
    expect(after.status).toBe(before.status);
    expect(replies(after)).toEqual(replies(before));
    const [refusal, ...more] = await answersTo(STRANGER, id);
    expect(more).toEqual([]);
    expect(refusal!.text).toContain(STRANGER_ANSWER);
    expect(await answersTo(STRANGER, cold)).toEqual([]);
  });

  it('a bounce and an auto-reply never act and are never answered', async () => {
    const ours = await ourMail(u19.email!, '4');
    const before = await status('县以工代赈中心');
    // The coordinator's own mailbox answering while they are away: 「已收到」 in it reads as an acknowledgement.
    const away = await reply(
      { name: u19.name, address: u19.email! },
      ours,
      '您好，您的邮件我已收到，我正在休假，5月9日返回后处理。',
      {
        subject: `自动回复: ${ours.subject}`,
        headers: { 'Auto-Submitted': 'auto-replied', 'X-Autoreply': 'yes' },
      },
    );
    // A delivery report for our message (the way Postfix and Exchange write one), naming it in In-Reply-To.
    const bounce = `<${randomUUID()}@mx.example.org>`;
    const raw = [
      `From: Mail Delivery System <${DAEMON}>`,
      `To: ${DUBAN}`,
      'Subject: Undelivered Mail Returned to Sender',
      `Message-ID: ${bounce}`,
      `In-Reply-To: ${ours.messageId}`,
      'Auto-Submitted: auto-replied',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      '收到 4 — could not be delivered to u99@example.org: mailbox unavailable',
      '--b1',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.example.org',
      '',
      'Final-Recipient: rfc822; u99@example.org',
      'Action: failed',
      'Status: 5.1.1',
      '--b1--',
      '',
    ].join('\r\n');
    await smtp.sendMail({ envelope: { from: DAEMON, to: [DUBAN] }, raw });
    expect((await settled(away)).outcome).toBe('automated');
    expect((await settled(bounce)).outcome).toBe('automated');
    const after = await status('县以工代赈中心');
    expect(replies(after)).toEqual(replies(before));
    expect(await answersTo(u19.email!, away)).toEqual([]);
    expect(await mailOf(DAEMON)).toEqual([]);
  });

  it('a mail not in reply to ours, or naming an id of ours we never sent, does not act; a command there gets a note', async () => {
    const before = await status('县以工代赈中心');
    const fresh = `<${randomUUID()}@example.org>`;
    await smtp.sendMail({
      from: { name: u19.name, address: u19.email! },
      to: DUBAN,
      subject: '任务4',
      text: '完成 4 清单已报县局',
      messageId: fresh,
    });
    expect((await settled(fresh)).outcome).toBe('not-a-reply');
    const forgedId = ourMessageId('morning/never-sent');
    const forged = `<${randomUUID()}@example.org>`;
    await smtp.sendMail({
      from: { name: u19.name, address: u19.email! },
      to: DUBAN,
      subject: 'Re: 任务4',
      text: '完成 4 清单已报县局',
      messageId: forged,
      inReplyTo: forgedId,
      references: [forgedId],
    });
    expect((await settled(forged)).outcome).toBe('not-a-reply');
    const after = await status('县以工代赈中心');
    expect(after.status).not.toBe('completed');
    expect(replies(after)).toEqual(replies(before));
    const [note] = await answersTo(u19.email!, fresh);
    expect(note!.text).toContain(NOT_A_REPLY_ANSWER);
  });

  it('the same message seen again — a restarted reader, a second copy — acts once', async () => {
    const ours = await ourMail(u19.email!, '4');
    const id = await reply({ name: u19.name, address: u19.email! }, ours, '收到 4');
    expect((await settled(id)).outcome).toBe('acted');
    const byMail = async () => (await status('县以工代赈中心')).history.filter((h) => h.via === 'email').length;
    const once = await byMail();
    // The reader restarts (a new process on the same ledger file): every message is still in the mailbox.
    await restartReader();
    await reader.checkNow();
    await reader.checkNow();
    expect(inbox.byMessageId(id)).toHaveLength(1);
    // The same message delivered a second time: the same Message-ID under a new UID.
    await smtp.sendMail({ envelope: { from: u19.email!, to: [DUBAN] }, raw: await rawOf(id) });
    await until('the second copy read', async () => {
      await reader.checkNow();
      return inbox.byMessageId(id).length === 2 ? true : undefined;
    });
    expect(inbox.byMessageId(id).map((r) => r.outcome)).toEqual(['acted', 'duplicate']);
    expect(await byMail()).toBe(once);
    expect(await answersTo(u19.email!, id)).toHaveLength(1);
  });

  /** A message's source as it sits in duban's mailbox. */
  async function rawOf(messageId: string): Promise<string> {
    const c = new ImapFlow({
      host: gm.host,
      port: gm.imapPort,
      secure: false,
      auth: { user: DUBAN, pass: 'duban-pw' },
      logger: false,
    });
    await c.connect();
    try {
      const lock = await c.getMailboxLock('INBOX', { readOnly: true });
      try {
        const all = await c.fetchAll('1:*', { source: true, envelope: true });
        return all
          .find((m) => m.envelope?.messageId === messageId)!
          .source!.toString('utf8')
          .replace(/^Return-Path:[^\n]*\n(Received:[^\n]*\n)?/, '');
      } finally {
        lock.release();
      }
    } finally {
      await c.logout();
    }
  }

  it('a reply the reply path cannot take (Temporal unreachable) is not lost: it acts once when it can', async () => {
    const ours = await ourMail(u19.email!, '4');
    const acked = (await status('县以工代赈中心')).history.filter(
      (h) => h.event === 'acknowledged' && h.via === 'email',
    ).length;
    await restartReader({
      reply: { ...ctx, campaigns: async () => Promise.reject(new Error('Temporal unreachable')) },
    });
    const id = await reply({ name: u19.name, address: u19.email! }, ours, '收到 4');
    await until('the failed attempt', async () => {
      await reader.checkNow();
      return inbox.byMessageId(id)[0]?.status === 'failed' ? true : undefined;
    });
    expect(await answersTo(u19.email!, id)).toEqual([]);
    // Temporal is back, and the retry is due (30 s later).
    await restartReader({ now: () => Date.now() + 31_000 });
    expect((await settled(id)).outcome).toBe('acted');
    const s = await status('县以工代赈中心');
    expect(s.history.filter((h) => h.event === 'acknowledged' && h.via === 'email')).toHaveLength(acked + 1);
    expect(await answersTo(u19.email!, id)).toHaveLength(1);
  });

  it('a reply left mid-way by a reader that died is never run again; its sender is asked to check', async () => {
    const ours = await ourMail(u19.email!, '4');
    const before = replies(await status('县以工代赈中心'));
    // A reader whose reply path never returns (the process dies during it): the claim stays 'acting'.
    let release: () => void = () => undefined;
    await restartReader({
      reply: {
        ...ctx,
        campaigns: () => new Promise((_resolve, reject) => (release = () => reject(new Error('process died')))),
      },
    });
    const id = await reply({ name: u19.name, address: u19.email! }, ours, '收到 4');
    await until('the claim', () =>
      inbox.byMessageId(id)[0]?.status === 'acting' && inbox.byMessageId(id)[0]?.heard ? true : undefined,
    );
    // A new process, five minutes on: the old claim is abandoned.
    const dead = reader;
    reader = await (async () => {
      inbox.close();
      return startReader({ now: () => Date.now() + 5 * 60_000 + 1000 });
    })();
    expect((await settled(id)).outcome).toBe('unsure');
    release();
    await dead.stop().catch(() => undefined);
    expect(replies(await status('县以工代赈中心'))).toEqual(before);
    const [answer] = await answersTo(u19.email!, id);
    expect(answer!.text).toContain(UNSURE_ANSWER);
  });

  it('npm start hears email replies from DUBAN_IMAP_URL and answers by DUBAN_SMTP_URL: 「完成 5」 completes the duty once, by email', async () => {
    const ours = await ourMail(u18.email!, '5');
    // The same data dir as the reader above, which stops first: one reader per mailbox, and what it read stays read.
    await reader.stop();
    inbox.close();
    const platforms = await startChatPlatforms(
      ctx,
      {
        DUBAN_IMAP_URL: `imap://${encodeURIComponent(DUBAN)}:duban-pw@${gm.host}:${gm.imapPort}/INBOX`,
        DUBAN_IMAP_POLL_SECONDS: '1',
        DUBAN_SMTP_URL: `smtp://${gm.host}:${gm.smtpPort}`,
        DUBAN_MAIL_FROM: FROM,
      },
      { sendLedger, dataDir: dirname(inboxFile), log: quiet },
    );
    try {
      expect(platforms.lines.join('\n')).toContain('邮件回复：已连接回复邮箱');
      const id = await reply({ name: u18.name, address: u18.email! }, ours, '完成 5 产业扶持项目清单已编制');
      const s = await until('the completion', async () => {
        const now = await status('县农业农村局');
        return now.status === 'completed' ? now : undefined;
      });
      expect(byEmail(s, 'completed')).toEqual([expect.objectContaining({ by: u18.name, detail: '产业扶持项目清单已编制' })]);
      const [answer, ...more] = await until('the answer', async () => {
        const a = await answersTo(u18.email!, id);
        return a.length ? a : undefined;
      });
      expect(more).toEqual([]);
      expect(answer!.text).toContain('办结 5');
    } finally {
      await platforms.stop();
      // afterAll stops the reader it knows of again: give it one that is stopped already.
      reader = await startReader();
    }
  });
});
