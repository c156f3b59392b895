/**
 * Issue #25, end to end on one running campaign: three coordinators of three units answer the campaign's own
 * morning messages, each on another platform, and a supervisor's 台账 shows exactly what they did.
 *
 * The worker and the platforms are wired as `npm start` wires them (cli/main.ts runWorker): one send ledger for
 * email and cards, the activities' card sender reading the robot that `startChatPlatforms` connected, and every
 * platform started from the environment by `startChatPlatforms`, each against its local server on loopback —
 * the WeCom long connection (test/wecom-gateway.ts), the DingTalk Stream gateway (test/dingtalk-gateway.ts) and
 * GreenMail for SMTP + IMAP (servers/greenmail.ts). The campaign (five duties of four units, on the dev server)
 * sends its first morning messages itself; nothing is signalled directly:
 * 1. 县以工代赈中心's coordinator gets the morning message as a WeCom card (and no email of it), clicks 「完成」 on it:
 *    the duty is completed and the card, updated in place, names who acted;
 * 2. 县农业农村局's coordinator writes 「完成 N」 to the DingTalk robot: that duty is completed (the unit's other duty
 *    not), answered at the message's sessionWebhook;
 * 3. 县财政局's coordinator answers the morning email with 「收到 N」 above the quote: the reader (IMAP) acknowledges
 *    the duty — acknowledged, not completed — and answers in the same thread;
 * 4. the 台账 (ledger/read.ts + ledger/rows.ts, what the dashboard and `duban ledger` show) has those three states,
 *    by those people, and every other duty as it was.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport, type Transporter } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../activities';
import { RecordingChannel } from '../activities/outbox';
import type { ReplyContext } from '../bot/replies';
import { TOPIC_ROBOT } from '../chat/dingtalk-payload';
import { startChatPlatforms, type RunningPlatforms } from '../chat/start';
import type { WecomRobot } from '../chat/wecom-robot';
import { createEmailSender, createSmtpTransport, smtpConfigFromEnv } from '../channels/email';
import { SendLedger } from '../channels/ledger';
import { createWecomCardSender } from '../channels/wecom-card-sender';
import { loadCampaign } from '../cli/campaign-input';
import { readLedger } from '../ledger/read';
import { ledgerRows, type LedgerRow } from '../ledger/rows';
import type { Log } from '../ops/log';
import type { Directory } from '../plan/directory';
import { loadDirectory } from '../plan/files';
import type { ValidPlan } from '../plan/schema';
import { createWorker } from '../worker';
import { statusQuery } from '../workflows/messages';
import type { DutyState, LedgerEntry } from '../workflows/types';
import { startChatServers, type ChatServers } from './chat-fixtures';
import { robotMessage, type Delivery } from './dingtalk-gateway';
import { devServerEnv, uniqueQueue, workflowBundle } from './env';
import { until } from './until';
import { inboxOf, quoteOf } from './mail-client';

const seed = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
const WECOM_UNIT = '县以工代赈中心';
const DINGTALK_UNIT = '县农业农村局';
const EMAIL_UNIT = '县财政局';
const QUIET_UNIT = '县委组织部';
const WECOM_ID = 'wecom-yigong-3p';
const DINGTALK_ID = 'ding-nongye-3p';
const wecomPerson = seed.units[WECOM_UNIT]!.coordinators[0]!;
const dingtalkPerson = seed.units[DINGTALK_UNIT]!.coordinators[0]!;
const emailPerson = seed.units[EMAIL_UNIT]!.coordinators[0]!;
/** The seed directory with the WeCom and DingTalk coordinators' platform ids; the email one is as seeded. */
const directory: Directory = {
  ...seed,
  units: {
    ...seed.units,
    [WECOM_UNIT]: {
      ...seed.units[WECOM_UNIT]!,
      coordinators: [{ ...wecomPerson, wecom: WECOM_ID }, ...seed.units[WECOM_UNIT]!.coordinators.slice(1)],
    },
    [DINGTALK_UNIT]: {
      ...seed.units[DINGTALK_UNIT]!,
      coordinators: [{ ...dingtalkPerson, dingtalk: DINGTALK_ID }, ...seed.units[DINGTALK_UNIT]!.coordinators.slice(1)],
    },
  },
};
/** Task 4 (以工代赈), 5 and 8 (农业农村局: two duties, only one answered), 18 (财政局), 11 (组织部: nobody answers). */
const TASKS = [4, 5, 8, 11, 18];
const DUBAN = 'duban@example.org';
const FROM = `督办系统 <${DUBAN}>`;
const PASSWORD = 'pw';
const quiet: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('one campaign, three platforms: a WeCom card click, a DingTalk 「完成」, an email 「收到」', () => {
  let s: ChatServers;
  let env: Awaited<ReturnType<typeof devServerEnv>>;
  let ctx: ReplyContext;
  let plan: ValidPlan;
  let ledger: LedgerEntry[];
  let platforms: RunningPlatforms | undefined;
  let smtp: Transporter;
  let cleanup: () => Promise<void> = async () => undefined;

  const entry = (unit: string, task: number) => ledger.find((e) => e.unit === unit && e.taskNumber === task)!;
  const status = (unit: string, task: number): Promise<DutyState> =>
    env.client.workflow.getHandle(entry(unit, task).dutyId).query(statusQuery);
  /** What the 台账 shows: the campaign's ledger lines with each duty's own state, as the dashboard reads them. */
  const ledgerSheet = async (): Promise<LedgerRow[]> => {
    const data = await readLedger(env.client, ctx.campaignWorkflowId);
    return ledgerRows(plan, data.entries, data.states);
  };

  /** Every message in a person's GreenMail inbox, parsed (their mail client). */
  const mailOf = (address: string) => inboxOf(s.mail, address, PASSWORD);
  const morningMailOf = async (address: string) =>
    (await mailOf(address)).filter((m) => m.messageId?.endsWith('@duban>') && m.subject?.startsWith('【今日督办】'));

  beforeAll(async () => {
    s = await startChatServers([
      `${DUBAN}:duban-pw`,
      ...[wecomPerson, dingtalkPerson, emailPerson].map((p) => `${p.email!}:${PASSWORD}`),
    ]);
    smtp = createTransport({ host: s.mail.host, port: s.mail.smtpPort, secure: false, ignoreTLS: true });
    env = await devServerEnv();
    // The deployment's settings: SMTP and the reply mailbox, the WeCom smart robot, the DingTalk app.
    const settings: NodeJS.ProcessEnv = {
      DUBAN_SMTP_URL: `smtp://${s.mail.host}:${s.mail.smtpPort}`,
      DUBAN_MAIL_FROM: FROM,
      DUBAN_IMAP_URL: `imap://${encodeURIComponent(DUBAN)}:duban-pw@${s.mail.host}:${s.mail.imapPort}/INBOX`,
      DUBAN_IMAP_POLL_SECONDS: '1',
      ...s.wecomEnv,
      ...s.dingtalkEnv,
    };
    // The worker as cli/main.ts runWorker builds it.
    const smtpConfig = smtpConfigFromEnv(settings)!;
    const sendLedger = new SendLedger();
    const email = createEmailSender({
      transport: createSmtpTransport(smtpConfig),
      from: smtpConfig.from,
      ledger: sendLedger,
    });
    const heard: { wecomRobot?: WecomRobot } = {};
    const activities = createActivities({
      channel: new RecordingChannel(),
      directory,
      email,
      wecomCards: createWecomCardSender({ directory, ledger: sendLedger, robot: () => heard.wecomRobot }),
    });
    const taskQueue = uniqueQueue('three-platforms');
    const worker = await createWorker({
      connection: env.nativeConnection,
      taskQueue,
      activities,
      workflowBundle: workflowBundle(),
    });
    const running = worker.run();

    const loaded = loadCampaign({ year: 2022, options: { closeAt: '2023-03-31' } });
    plan = {
      ...loaded.input.plan,
      tasks: loaded.input.plan.tasks
        .filter((t) => TASKS.includes(t.number))
        .map((t) => ({ ...t, accountable: 'lead' as const })),
    };
    const campaignId = `three-platforms-${randomUUID()}`;
    // Friday 6 May 2022, 10:00 Shanghai: a working day in office hours, so the first morning messages go at once.
    const clockOffsetMs = Date.parse('2022-05-06T10:00:00+08:00') - Date.now();
    ctx = {
      client: env.client,
      directory,
      campaignWorkflowId: `duban/${campaignId}`,
      now: () => Date.now() + clockOffsetMs,
    };
    platforms = await startChatPlatforms(ctx, settings, {
      sendLedger,
      dataDir: mkdtempSync(join(tmpdir(), 'duban-three-platforms-')),
      log: quiet,
    });
    heard.wecomRobot = platforms.wecomRobot;
    await env.client.workflow.start('campaignWorkflow', {
      taskQueue,
      workflowId: ctx.campaignWorkflowId,
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
    ledger = await until('the campaign’s duties in its ledger', async () => {
      const entries = await readLedger(env.client, ctx.campaignWorkflowId);
      return entries.entries.length === TASKS.length ? entries.entries : undefined;
    });
    cleanup = async () => {
      await platforms?.stop();
      for (const id of [ctx.campaignWorkflowId, ...ledger.map((e) => e.dutyId)])
        await env.client.workflow
          .getHandle(id)
          .terminate('test over')
          .catch(() => undefined);
      worker.shutdown();
      await running;
      email.close();
      smtp.close();
      await env.teardown();
      await s.close();
    };
  }, 180_000);
  afterAll(async () => cleanup());

  it(
    'each coordinator acts on their own duty by their platform; the 台账 shows exactly those three states',
    { timeout: 90_000 },
    async () => {
      expect(platforms!.lines.join('\n')).toMatch(
        /钉钉机器人（Stream 模式）：已连接[\s\S]*企业微信智能机器人（长连接）：已连接[\s\S]*邮件回复：已连接回复邮箱/,
      );
      const wecomDuty = entry(WECOM_UNIT, 4);
      const dingtalkDuty = entry(DINGTALK_UNIT, 5);
      const emailDuty = entry(EMAIL_UNIT, 18);
      const acted = new Set([wecomDuty.dutyId, dingtalkDuty.dutyId, emailDuty.dutyId]);
      expect(ledger.map((e) => e.unit).sort()).toEqual(
        [DINGTALK_UNIT, DINGTALK_UNIT, EMAIL_UNIT, QUIET_UNIT, WECOM_UNIT].sort(),
      );
      const codes = [wecomDuty.code, dingtalkDuty.code, emailDuty.code];
      for (const c of codes) expect(c).toMatch(/^\d+$/);
      const [wecomCode, dingtalkCode, emailCode] = codes as [string, string, string];
      const before = await ledgerSheet();
      expect(before.map((r) => r.status)).toEqual(TASKS.map(() => '待确认'));

      // The campaign's morning messages: by card to the WeCom coordinator, by email to the other two.
      const card = await until(
        'the morning card at the WeCom server',
        () => s.wecom.cards.find((c) => c.chatid === WECOM_ID),
        30_000,
      );
      expect(card.card.button_list!.map((b) => b.text)).toEqual([
        `收到 ${wecomCode}`,
        `完成 ${wecomCode}`,
        `延期 ${wecomCode}`,
      ]);
      const [ours, ...moreMorning] = await until(
        'the morning email to 县财政局',
        async () => {
          const m = await morningMailOf(emailPerson.email!);
          return m.length ? m : undefined;
        },
        30_000,
      );
      expect(moreMorning).toEqual([]);
      expect(ours!.text).toContain(`回复编号 ${emailCode}`);
      expect(
        (
          await until(
            'the morning email to 县农业农村局',
            async () => {
              const m = await morningMailOf(dingtalkPerson.email!);
              return m.length ? m : undefined;
            },
            30_000,
          )
        ).map((m) => m.text),
      ).toEqual([expect.stringContaining(`回复编号 ${dingtalkCode}`)]);
      // Those a card reached get no email of it.
      expect(await morningMailOf(wecomPerson.email!)).toEqual([]);

      // 1. WeCom: 「完成」 on the card.
      const updated = await s.wecom.answerTo(s.wecom.click(card, `完成 ${wecomCode}`), 15_000);
      expect(updated.cmd).toBe('aibot_respond_update_msg');
      expect(updated.text).toContain(`已登记办结 ${wecomCode}`);
      expect(updated.body).toMatchObject({
        response_type: 'update_template_card',
        userids: [WECOM_ID],
        template_card: { task_id: card.card.task_id, main_title: { desc: expect.stringContaining(wecomPerson.name) } },
      });
      const byWecom = await status(WECOM_UNIT, 4);
      expect(byWecom.status).toBe('completed');
      expect(byWecom.history.filter((h) => h.via !== undefined)).toEqual([
        expect.objectContaining({ event: 'completed', by: wecomPerson.name, via: 'wecom' }),
      ]);

      // 2. DingTalk: 「完成 N」 one to one, answered at the message's sessionWebhook.
      const said = robotMessage(s.dingtalk, {
        text: `完成 ${dingtalkCode} 产业扶持项目清单已编制`,
        staffId: DINGTALK_ID,
        nick: dingtalkPerson.name,
      });
      await acked(s.dingtalk.deliver(TOPIC_ROBOT, said));
      const answer = await until(
        'the answer at the sessionWebhook',
        () => s.dingtalk.webhookPosts.find((p) => said.sessionWebhook.endsWith(p.token)),
        15_000,
      );
      expect(answer.errcode).toBe(0);
      expect(answer.body.text?.content).toContain(`已登记办结 ${dingtalkCode}`);
      const byDingtalk = await status(DINGTALK_UNIT, 5);
      expect(byDingtalk.status).toBe('completed');
      expect(byDingtalk.history.filter((h) => h.via !== undefined)).toEqual([
        expect.objectContaining({
          event: 'completed',
          by: dingtalkPerson.name,
          via: 'dingtalk',
          detail: '产业扶持项目清单已编制',
        }),
      ]);

      // 3. Email: 「收到 N」 above the quoted morning email, read by the reply mailbox's reader.
      const replyId = `<${randomUUID()}@example.org>`;
      const quoted = quoteOf(ours!);
      await smtp.sendMail({
        from: { name: emailPerson.name, address: emailPerson.email! },
        to: DUBAN,
        subject: `Re: ${ours!.subject}`,
        messageId: replyId,
        inReplyTo: ours!.messageId,
        references: [ours!.messageId!],
        text: `收到 ${emailCode}\n\n${emailPerson.name}\n${EMAIL_UNIT}\n\n在 2022年5月6日 10:00，督办系统 <${DUBAN}> 写道：\n${quoted}\n`,
      });
      const [inThread, ...moreAnswers] = await until(
        'the answer in the thread',
        async () => {
          const a = (await mailOf(emailPerson.email!)).filter((m) => m.inReplyTo === replyId);
          return a.length ? a : undefined;
        },
        30_000,
      );
      expect(moreAnswers).toEqual([]);
      expect(inThread!.subject).toBe(`Re: ${ours!.subject}`);
      expect(inThread!.references).toEqual([ours!.messageId, replyId]);
      expect(inThread!.from?.value[0]?.address).toBe(DUBAN);
      expect(inThread!.text).toContain(`已确认 ${emailCode}`);
      const byEmail = await status(EMAIL_UNIT, 18);
      expect(byEmail.status).toBe('acknowledged');
      expect(byEmail.history.filter((h) => h.via !== undefined)).toEqual([
        expect.objectContaining({ event: 'acknowledged', by: emailPerson.name, via: 'email' }),
      ]);

      // One connection throughout: the card, the click and the card's update went over it, nothing was resent.
      expect(s.wecom.authenticated).toBe(1);

      // 4. What a supervisor sees: the 台账 (the campaign's ledger lines, updated by each duty once it changed).
      const expected = new Map([
        [wecomDuty.dutyId, { status: '已办结', acknowledgedBy: '', completedBy: wecomPerson.name }],
        [dingtalkDuty.dutyId, { status: '已办结', acknowledgedBy: '', completedBy: dingtalkPerson.name }],
        [emailDuty.dutyId, { status: '已确认，办理中', acknowledgedBy: emailPerson.name, completedBy: '' }],
      ]);
      const shows = (r: LedgerRow) => ({
        status: r.status,
        acknowledgedBy: r.acknowledgedBy,
        completedBy: r.completedBy,
      });
      const after = await until(
        'the three states in the 台账',
        async () => {
          const rows = await ledgerSheet();
          // Each duty tells its campaign when it changed: wait until all three lines moved, then compare them whole.
          return rows.filter((r) => acted.has(r.dutyId)).every((r) => r.status !== '待确认') ? rows : undefined;
        },
        20_000,
      );
      for (const r of after.filter((x) => acted.has(x.dutyId)))
        expect({ unit: r.unit, ...shows(r) }).toEqual({ unit: r.unit, ...expected.get(r.dutyId)! });
      expect(after.find((r) => r.dutyId === emailDuty.dutyId)!.completedAt).toBe('');
      // Every other duty — the DingTalk unit's second one among them — exactly as before.
      const untouched = (rows: LedgerRow[]) =>
        rows
          .filter((r) => !acted.has(r.dutyId))
          .map((r) => ({
            dutyId: r.dutyId,
            ...shows(r),
            acknowledgedAt: r.acknowledgedAt,
            completedAt: r.completedAt,
          }));
      expect(untouched(after)).toHaveLength(TASKS.length - 3);
      expect(untouched(after)).toEqual(untouched(before));
      for (const e of ledger.filter((x) => !acted.has(x.dutyId))) {
        const st = await env.client.workflow.getHandle(e.dutyId).query(statusQuery);
        expect({
          task: e.taskNumber,
          status: st.status,
          replies: st.history.filter((h) => h.via !== undefined || h.event === 'refused'),
        }).toEqual({ task: e.taskNumber, status: 'open', replies: [] });
      }
    },
  );
});

/** A delivery's ACK, or a failure naming the frame after `ms`. */
const acked = (d: Delivery, ms = 10_000) =>
  Promise.race([
    d.acked,
    sleep(ms).then(() =>
      Promise.reject(new Error(`frame ${d.frameId} not ACKed within ${ms} ms (pushed ${d.pushes}×)`)),
    ),
  ]);
