/**
 * The WeChat bot end to end on the dev server, driven through wechaty-puppet-mock: a reminder appears in
 * the unit's group with an @mention → the coordinator replies 收到 任务1 → the duty is acknowledged → the bot
 * confirms; an outsider and another unit are refused and change nothing; after logout the same message
 * goes by email with an admin alert, and the heartbeat notices.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { PuppetMock, mock } from 'wechaty-puppet-mock';
import { WechatyBuilder } from 'wechaty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../activities';
import { RecordingChannel } from '../activities/outbox';
import { registerHandlers } from '../bot/bot';
import { identify } from '../bot/replies';
import { heartbeat } from '../bot/main';
import { createWechatSender, splitText } from '../bot/sender';
import { createEmailSender, createSmtpTransport } from '../channels/email';
import { SendLedger } from '../channels/ledger';
import { loadCampaign } from '../cli/campaign-input';
import { loadDirectory } from '../plan/files';
import { createWorker } from '../worker';
import { decideExtensionUpdate, ledgerQuery, requestExtensionUpdate, statusQuery } from '../workflows/messages';
import { devServerEnv, uniqueQueue, workflowBundle } from './env';
import { until } from './until';
import { startSmtpSink, type SmtpSink } from './smtp-sink';

const directory = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
const lead = directory.units['县乡村振兴局']!.coordinators[0]!;
const otherUnit = directory.units['县教科局']!.coordinators[0]!;


describe('WeChat bot (puppet-mock) with the workflows', () => {
  let sink: SmtpSink;
  const said: { from: string; text: string }[] = [];
  let cleanup: () => Promise<void> = async () => undefined;
  let ctx: {
    room: mock.RoomMock;
    coordinator: mock.ContactMock;
    outsider: mock.ContactMock;
    other: mock.ContactMock;
    dutyId: string;
    client: Awaited<ReturnType<typeof devServerEnv>>['client'];
    bot: ReturnType<typeof WechatyBuilder.build>;
    mocker: mock.Mocker;
    run: Promise<void>;
  };

  beforeAll(async () => {
    sink = await startSmtpSink();
    const env = await devServerEnv();
    const mocker = new mock.Mocker();
    const bot = WechatyBuilder.build({ puppet: new PuppetMock({ mocker }) });
    const self = mocker.createContact({ name: '督办助手' });
    const coordinator = mocker.createContact({ id: lead.wechat!, name: lead.name });
    const other = mocker.createContact({ id: otherUnit.wechat!, name: otherUnit.name });
    const outsider = mocker.createContact({ name: '路人甲' });
    const room = mocker.createRoom({ topic: directory.units['县乡村振兴局']!.wechatGroup!, memberIdList: [self.id, coordinator.id, other.id, outsider.id] });
    room.on('message', (m) => {
      said.push({ from: m.talker().payload?.name ?? '', text: m.text() ?? '' });
    });

    const loaded = loadCampaign({ year: 2022, options: { closeAt: '2023-03-31' } });
    // Task 1's lead duty alone: 县教科局 is another unit here (its part of task 1, lead+co, is test/lead-co.test.ts's).
    const plan = { ...loaded.input.plan, tasks: loaded.input.plan.tasks.filter((t) => t.number === 1).map((t) => ({ ...t, accountable: 'lead' as const })) };
    const wechatQueue = uniqueQueue('wechat');
    const campaignId = `wechat-test-${randomUUID()}`;
    const campaignWorkflowId = `duban/${campaignId}`;
    registerHandlers(bot, { client: env.client, directory, campaignWorkflowId });
    await bot.start();
    mocker.login(self);
    await until('login', () => bot.isLoggedIn);

    const ledger = new SendLedger();
    const email = createEmailSender({
      transport: createSmtpTransport({ transport: { host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true }, from: 'duban@example.org' }),
      from: 'duban@example.org',
      ledger,
    });
    const taskQueue = uniqueQueue('main');
    const main = await createWorker({
      connection: env.nativeConnection,
      taskQueue,
      channel: new RecordingChannel(),
      deps: { email, directory },
      workflowBundle: workflowBundle(),
    });
    const wechatWorker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: wechatQueue,
      activities: { deliverWechat: createActivities({ wechat: createWechatSender({ bot, directory, ledger, intervalMs: 0 }) }).deliverWechat },
    });
    const running = Promise.all([main.run(), wechatWorker.run()]).then(() => undefined);
    // Thursday 5 May 2022, 10:00 Shanghai: a working day in office hours, so the announcement goes at once.
    const clockOffsetMs = Date.parse('2022-05-05T10:00:00+08:00') - Date.now();
    await env.client.workflow.start('campaignWorkflow', {
      taskQueue,
      workflowId: campaignWorkflowId,
      args: [{ ...loaded.input, campaignId, plan, clockOffsetMs, options: { closeAt: '2023-03-31', wechatTaskQueue: wechatQueue, morningSettleSeconds: 1 } }],
    });
    const dutyId = await until('the duty in the ledger', async () => {
      const entries = await env.client.workflow.getHandle(campaignWorkflowId).query(ledgerQuery);
      return entries[0]?.dutyId;
    });
    ctx = { room, coordinator, outsider, other, dutyId, client: env.client, bot, mocker, run: running };
    cleanup = async () => {
      for (const id of [campaignWorkflowId, dutyId]) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      main.shutdown();
      wechatWorker.shutdown();
      await running;
      await bot.stop();
      email.close();
      await sink.close();
      await env.teardown();
    };
  }, 60_000);

  afterAll(async () => cleanup());

  it('posts the announcement in the unit’s group, @mentioning its coordinator', async () => {
    const post = await until('the announcement', () => said.find((s) => s.from === '督办助手' && s.text.includes('请查收')));
    expect(post.text.startsWith(`@${lead.name}`)).toBe(true);
    expect(post.text).toContain('任务1「完善防返贫动态监测帮扶机制」');
  });

  it('acknowledges the duty when the coordinator replies 收到 任务1, and confirms in the group', async () => {
    ctx.coordinator.say('收到 任务1').to(ctx.room);
    const confirm = await until('the confirmation', () => said.find((s) => s.from === '督办助手' && s.text.includes('已确认 1（任务1）')));
    expect(confirm.text).toContain('截止 2022-05-31');
    const state = await ctx.client.workflow.getHandle(ctx.dutyId).query(statusQuery);
    expect(state).toMatchObject({ status: 'acknowledged', acknowledgedBy: lead.name });
  });

  it('refuses an outsider and another unit’s coordinator, changing nothing', async () => {
    const before = await ctx.client.workflow.getHandle(ctx.dutyId).query(statusQuery);
    ctx.outsider.say('完成 1 都办完了').to(ctx.room);
    await until('the outsider refusal', () => said.find((s) => s.text.includes('路人甲：您不在督办通讯录中')));
    ctx.other.say('完成 1 代为办结').to(ctx.room);
    const refusal = await until('the other unit refusal', () => said.find((s) => s.text.includes('未受理')));
    expect(refusal.text).toContain('任务1不是县教科局的督办事项');
    // Nothing changed but the record of the two attempts.
    const after = await until('the attempts on record', async () => {
      const s = await ctx.client.workflow.getHandle(ctx.dutyId).query(statusQuery);
      return s.history.filter((h) => h.event === 'refused').length === 2 ? s : undefined;
    });
    expect(after.status).toBe('acknowledged');
    expect(after.acknowledgedBy).toBe(before.acknowledgedBy);
    expect(after.history.some((h) => h.event === 'completed')).toBe(false);
    const refused = after.history.filter((h) => h.event === 'refused');
    expect(refused[0]?.by).toContain('路人甲');
    expect(refused[1]?.by).toContain(otherUnit.name);
    expect(refused[1]?.detail).toContain('完成 1 代为办结');
  });

  it('answers chatter in the group with silence, and help when asked', async () => {
    const count = said.length;
    ctx.coordinator.say('大家中午好').to(ctx.room);
    ctx.coordinator.say('帮助').to(ctx.room);
    await until('help', () => said.find((s) => s.text.includes('督办助手可识别的回复')));
    expect(said.slice(count).filter((s) => s.from === '督办助手')).toHaveLength(1);
  });

  it('sends by email with an admin alert when the bot is logged out, and the heartbeat notices', async () => {
    await ctx.bot.logout();
    await until('logout', () => !ctx.bot.isLoggedIn);
    const alerts: string[] = [];
    const check = heartbeat({
      bot: ctx.bot,
      alert: async (text) => {
        alerts.push(text);
      },
    });
    expect(await check()).toBe(false);
    expect(await check()).toBe(false);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toContain('微信机器人已掉线');
    // A reply by other means (e.g. the dashboard) prompts a message to the supervising office.
    await ctx.client.workflow
      .getHandle(ctx.dutyId)
      .executeUpdate(requestExtensionUpdate, { args: [{ actor: { person: lead.name, unit: '县乡村振兴局', role: 'coordinator' }, date: '2022-06-15', reason: '等待数据' }] });
    const fallback = await until('the email fallback', () => sink.received.find((m) => m.text?.includes('申请将任务1截止日期')));
    expect(fallback.text).toContain('微信未能送达，改由邮件发送');
    // (Co-units whose groups the mock does not have were alerted about at the first morning message.)
    // The alert about this message (a morning message may fail the same way meanwhile).
    const alert = await until('the admin alert', () =>
      sink.received.find((m) => m.subject === '【督办系统告警】' && m.text?.includes('微信发送失败，已改发邮件：【督办】[任务1]')),
    );
    expect(alert.text).toContain('微信机器人未登录');
  });

  it('resumes WeChat sends after the bot logs in again', async () => {
    ctx.mocker.login(ctx.mocker.createContact({ name: '督办助手' }));
    await until('login', () => ctx.bot.isLoggedIn);
    const before = said.length;
    // The supervising office (县委农办) refuses the extension; the answer to the unit goes by WeChat again.
    await ctx.client.workflow
      .getHandle(ctx.dutyId)
      .executeUpdate(decideExtensionUpdate, { args: [{ actor: { person: '督查员', unit: '县委农办', role: 'supervisor' }, approve: false, reason: '理由不充分' }] });
    const post = await until('the decision in the group', () => said.slice(before).find((s) => s.text.includes('延期申请未获同意')));
    expect(post.text.startsWith(`@${lead.name}`)).toBe(true);
  });
});

describe('long WeChat texts', () => {
  it('are split at paragraph ends into numbered parts', () => {
    const text = Array.from({ length: 40 }, (_, i) => `第${i + 1}段：${'督办'.repeat(30)}`).join('\n');
    const parts = splitText(text, 500);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => p.length <= 510)).toBe(true);
    expect(parts[0]?.startsWith(`（1/${parts.length}）第1段`)).toBe(true);
    expect(parts.join('\n')).toContain('第40段');
  });
});

describe('who may speak for a unit', () => {
  it('is decided by the contact id or the remark our account set, never by a self-chosen name', () => {
    const real = identify(directory, { id: lead.wechat!, name: '随便什么名字' });
    expect(real).toMatchObject({ unit: '县乡村振兴局', role: 'coordinator' });
    // A stranger who copies the coordinator's display name, or puts the id in a group nickname, is nobody.
    expect(identify(directory, { id: 'wxid_stranger', name: lead.name })).toBeUndefined();
    expect(identify(directory, { id: 'wxid_stranger', name: 'x' })).toBeUndefined();
    // The same person acts as a supervisor only for supervising commands.
    expect(identify(directory, { id: lead.wechat!, name: 'x' }, true)).toMatchObject({ role: 'supervisor' });
  });
});
