/**
 * 「撤回」 by email (issue #25), end to end as test/mail-replies.test.ts runs it: a real campaign on the dev server
 * mails its messages by SMTP to GreenMail (servers/greenmail.ts); the coordinator's "mail client" reads them over
 * IMAP and answers by SMTP; duban's reader reads its own mailbox, acts through the reply path and answers in the
 * thread. A coordinator who completed a duty by email takes it back by email the same working day, and is told in
 * the thread what now stands.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { createTransport, type Transporter } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplyContext } from '../bot/replies';
import { RecordingChannel } from '../activities/outbox';
import { createEmailSender, createSmtpTransport } from '../channels/email';
import { InboxLedger } from '../channels/inbox-ledger';
import { SendLedger } from '../channels/ledger';
import { startMailReplies, type MailReplies } from '../channels/mail-replies';
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
const PASSWORD = 'pw';
const quiet: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const STATUS_CN: Record<string, string> = { open: '待确认', acknowledged: '办理中', completed: '已办结', closed: '已关闭' };

describe('「撤回」 by email reply (GreenMail IMAP + SMTP) on a real campaign', () => {
  let gm: RunningMailServer;
  let smtp: Transporter;
  let env: Awaited<ReturnType<typeof devServerEnv>>;
  let ctx: ReplyContext;
  let sendLedger: SendLedger;
  let reader: MailReplies;
  let inbox: InboxLedger;
  let ledger: LedgerEntry[];
  let cleanup: () => Promise<void> = async () => undefined;

  /** Every message in a person's GreenMail inbox, parsed. */
  const mailOf = (address: string) => inboxOf(gm, address, PASSWORD);
  /** duban's one answer to a person's message, once it is in their mailbox (and that there is only one). */
  const answerTo = async (address: string, messageId: string): Promise<ParsedMail> => {
    const all = await until(`the answer to ${messageId}`, async () => {
      const a = (await mailOf(address)).filter((m) => m.inReplyTo === messageId);
      return a.length ? a : undefined;
    });
    expect(all).toHaveLength(1);
    return all[0]!;
  };

  const duty = (unit: string) => ledger.find((e) => e.unit === unit)!;
  const status = (unit: string): Promise<DutyState> => env.client.workflow.getHandle(duty(unit).dutyId).query(statusQuery);
  const byEmail = (s: DutyState, event: string) => s.history.filter((h) => h.event === event && h.via === 'email');

  /** What a mail client sends when the person presses 「回复」 on `original` and writes `text` above the quote. */
  const reply = async (from: { name: string; address: string }, original: ParsedMail, text: string): Promise<string> => {
    const messageId = `<${randomUUID()}@example.org>`;
    const quoted = quoteOf(original);
    await smtp.sendMail({
      from,
      to: DUBAN,
      // A mail client writes Re: once, however deep the thread.
      subject: /^Re:/i.test(original.subject ?? '') ? original.subject : `Re: ${original.subject}`,
      messageId,
      inReplyTo: original.messageId,
      references: [...(Array.isArray(original.references) ? original.references : original.references ? [original.references] : []), original.messageId!],
      text: `${text}\n\n在 2022年5月5日 10:00，督办系统 <${DUBAN}> 写道：\n${quoted}\n`,
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
      async () => (await mailOf(address)).find((m) => m.messageId?.endsWith('@duban>') && m.text?.includes(`回复编号：${code}`)),
      30_000,
    );

  beforeAll(async () => {
    gm = await startGreenMail({ users: [`${DUBAN}:duban-pw`, ...[u19.email!, u18.email!].map((a) => `${a}:${PASSWORD}`)] });
    smtp = createTransport({ host: gm.host, port: gm.smtpPort, secure: false, ignoreTLS: true });
    env = await devServerEnv();
    sendLedger = new SendLedger();
    const email = createEmailSender({
      transport: createSmtpTransport({ transport: { host: gm.host, port: gm.smtpPort, secure: false, ignoreTLS: true }, from: FROM }),
      from: FROM,
      ledger: sendLedger,
    });
    const loaded = loadCampaign({ year: 2022, options: { closeAt: '2023-03-31' } });
    // Tasks 4 and 5, each its lead unit's only duty there (codes 4 and 5).
    const plan = {
      ...loaded.input.plan,
      tasks: loaded.input.plan.tasks.filter((t) => t.number === 4 || t.number === 5).map((t) => ({ ...t, accountable: 'lead' as const })),
    };
    const taskQueue = uniqueQueue('undo-email');
    const campaignId = `undo-email-${randomUUID()}`;
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
      args: [{ ...loaded.input, campaignId, plan, clockOffsetMs, options: { closeAt: '2023-03-31', morningSettleSeconds: 1 } }],
    });
    ledger = await until('the duties in the ledger', async () => {
      const entries = await env.client.workflow.getHandle(campaignWorkflowId).query(ledgerQuery);
      return entries.length === 2 ? entries : undefined;
    });
    ctx = { client: env.client, directory, campaignWorkflowId, now: () => Date.now() + clockOffsetMs };
    inbox = new InboxLedger(join(mkdtempSync(join(tmpdir(), 'duban-undo-email-')), 'mail-replies.sqlite'));
    reader = await startMailReplies({
      imap: { host: gm.host, port: gm.imapPort, secure: false, user: DUBAN, password: 'duban-pw', mailbox: 'INBOX', pollMs: 300, maxAgeMs: 72 * 3_600_000 },
      smtp: {
        transport: createSmtpTransport({ transport: { host: gm.host, port: gm.smtpPort, secure: false, ignoreTLS: true }, from: FROM }),
        from: FROM,
      },
      inbox,
      reply: ctx,
      sendLedger,
      log: quiet,
    });
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

  it('「完成 4」 by email, then 「撤回 4」 in reply to our answer: the completion is taken back and the thread says what stands', async () => {
    const me = { name: u19.name, address: u19.email! };
    const unit = '县以工代赈中心';
    const ours = await ourMail(u19.email!, '4');
    const before = await status(unit);
    expect(before.status).not.toBe('completed');

    const done = await reply(me, ours, '完成 4 清单已报县局');
    expect((await settled(done)).outcome).toBe('acted');
    expect((await status(unit)).status).toBe('completed');
    const doneAnswer = await answerTo(u19.email!, done);
    expect(doneAnswer.text).toContain('已登记办结 4');

    // The coordinator answers duban's answer, in the same thread, the same working day.
    const undo = await reply(me, doneAnswer, '撤回 4');
    expect((await settled(undo)).outcome).toBe('acted');
    const after = await status(unit);
    expect(after.status).toBe(before.status);
    expect(after.completedAt).toBeUndefined();
    expect(after.completionNote).toBeUndefined();
    expect(byEmail(after, 'completed')).toEqual([expect.objectContaining({ by: u19.name })]);
    expect(byEmail(after, 'undone')).toEqual([expect.objectContaining({ by: u19.name, detail: '撤回办结' })]);

    const undoAnswer = await answerTo(u19.email!, undo);
    expect(undoAnswer.subject).toBe(`Re: ${ours.subject}`);
    expect(undoAnswer.references).toEqual(expect.arrayContaining([ours.messageId, done, undo]));
    expect(undoAnswer.text).toContain('已撤回 4（任务4）· 县以工代赈中心 的办结');
    expect(undoAnswer.text).toContain(`当前：${STATUS_CN[after.status]}，截止 ${after.deadline}`);
    expect(undoAnswer.text).toContain('办结后请回复「完成 4 情况说明」');

    // Nothing left to take back: a second 「撤回 4」 is refused in the thread, and nothing changes.
    const again = await reply(me, undoAnswer, '撤回 4');
    await settled(again);
    expect((await answerTo(u19.email!, again)).text).toContain('没有可撤回的回复');
    const last = await status(unit);
    expect(last.status).toBe(before.status);
    expect(byEmail(last, 'undone')).toHaveLength(1);
  });

  it('「撤回刚才的完成」 in reply to our first message takes a completion by email back', async () => {
    const me = { name: u18.name, address: u18.email! };
    const unit = '县农业农村局';
    const ours = await ourMail(u18.email!, '5');
    const before = await status(unit);

    const done = await reply(me, ours, '完成 5 产业扶持项目清单已编制');
    expect((await settled(done)).outcome).toBe('acted');
    expect((await status(unit)).status).toBe('completed');

    const undo = await reply(me, ours, '撤回刚才的完成');
    expect((await settled(undo)).outcome).toBe('acted');
    const after = await status(unit);
    expect(after.status).toBe(before.status);
    expect(byEmail(after, 'undone')).toEqual([expect.objectContaining({ by: u18.name, detail: '撤回办结' })]);
    const undoAnswer = await answerTo(u18.email!, undo);
    expect(undoAnswer.text).toContain('已撤回 5（任务5）· 县农业农村局 的办结');
    expect(undoAnswer.text).toContain(`当前：${STATUS_CN[after.status]}`);
  });
});
