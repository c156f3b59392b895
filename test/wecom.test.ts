/**
 * The WeCom group robot channel against a local server implementing the webhook contract: a campaign's
 * morning message reaches the county group with @mentions by mobile (text) and a unit's own robot as markdown
 * with its action links, and those coordinators get no email copy; 45009 → the send fails retryably and the
 * retry posts once, nothing lost; a wrong key (93000) → that unit by email and an administrator alert.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createActivities } from '../activities';
import { RecordingChannel } from '../activities/outbox';
import type { EmailSender } from '../channels/email';
import { SendLedger } from '../channels/ledger';
import { createWecomSender, MARKDOWN_MAX_BYTES, splitBytes } from '../channels/wecom';
import { loadCampaign } from '../cli/campaign-input';
import { unitLinks } from '../links/actions';
import { linkSecretSource } from '../links/secret';
import { loadDirectory } from '../plan/files';
import type { Directory } from '../plan/directory';
import { createWorker } from '../worker';
import { ledgerQuery } from '../workflows/messages';
import type { OutgoingMessage } from '../workflows/types';
import { devServerEnv, uniqueQueue, workflowBundle } from './env';
import { startSmtpSink, type SmtpSink } from './smtp-sink';
import { until } from './until';
import { loopbackEmail, recipientsOf } from './linked-campaign';
import { startWecomServer, type WecomServer } from './wecom-server';

const seed = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
const COUNTY_KEY = 'county-robot-0001';
const UNIT_KEY = 'jiaoke-robot-0001';
const MOBILE = '13800001111';

/** The seed directory with the county group robot (县乡村振兴局's coordinator @mentioned by mobile) and 县教科局's own robot. */
function wecomDirectory(over: { unitKey?: string } = {}): Directory {
  const lead = seed.units['县乡村振兴局']!;
  const jiaoke = seed.units['县教科局']!;
  return {
    ...seed,
    wecomWebhook: COUNTY_KEY,
    units: {
      ...seed.units,
      县乡村振兴局: { ...lead, coordinators: [{ ...lead.coordinators[0]!, mobile: MOBILE }] },
      县教科局: { ...jiaoke, wecomWebhook: over.unitKey ?? UNIT_KEY },
    },
  };
}

let sink: SmtpSink | undefined;
let server: WecomServer | undefined;
let email: EmailSender | undefined;
afterEach(async () => {
  email?.close();
  await sink?.close();
  await server?.close();
});

const to = recipientsOf;

function mailer(s: SmtpSink, ledger: SendLedger): EmailSender {
  email = loopbackEmail(s, ledger);
  return email;
}

const reminder = (unit: string): OutgoingMessage => ({
  key: `wecom-test/${randomUUID()}`,
  kind: 'reminder',
  dutyId: `wecom-test/duty/${unit}`,
  unit,
  taskNumber: 1,
  code: '1',
  toUnits: [unit],
  recipients: [
    { unit, role: 'coordinators' },
    { unit, role: 'leaders' },
  ],
  level: 'blue',
  at: Date.parse('2022-05-30T09:00+08:00'),
  subject: '【督办】[任务1] 测试 · 5月31日截止',
  text: '任务1 还有 1 个工作日截止\n回复编号：1',
});

describe('the WeCom group robot', () => {
  it('carries a campaign’s morning message: the county group @mentions by mobile, a unit’s own robot gets markdown with its links, and they get no email copy', async () => {
    sink = await startSmtpSink();
    server = await startWecomServer([COUNTY_KEY, UNIT_KEY]);
    const directory = wecomDirectory();
    const env = await devServerEnv();
    const ledger = new SendLedger();
    const signer = { publicUrl: 'http://duban.example.org', secret: linkSecretSource(join(mkdtempSync(join(tmpdir(), 'duban-wecom-')), 'link-secret')) };
    const wecom = createWecomSender({ directory, ledger, baseUrl: server.baseUrl, linksFor: (msg, unit) => unitLinks(signer, directory, msg, unit) });
    const taskQueue = uniqueQueue('wecom');
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel: new RecordingChannel(), deps: { email: mailer(sink, ledger), directory, wecom }, workflowBundle: workflowBundle() });
    const running = worker.run();
    const loaded = loadCampaign({ year: 2022, options: { closeAt: '2023-03-31' } });
    const plan = { ...loaded.input.plan, tasks: loaded.input.plan.tasks.filter((t) => t.number === 1) };
    const campaignWorkflowId = `duban/wecom-test-${randomUUID()}`;
    const clockOffsetMs = Date.parse('2022-05-05T10:00:00+08:00') - Date.now();
    let dutyId: string | undefined;
    try {
      await env.client.workflow.start('campaignWorkflow', {
        taskQueue,
        workflowId: campaignWorkflowId,
        args: [{ ...loaded.input, campaignId: campaignWorkflowId.slice(6), plan, clockOffsetMs, options: { closeAt: '2023-03-31', morningSettleSeconds: 1 } }],
      });
      dutyId = await until('the duty', async () => (await env.client.workflow.getHandle(campaignWorkflowId).query(ledgerQuery))[0]?.dutyId);
      const county = await until('the county group post', () => server!.posts.find((p) => p.key === COUNTY_KEY));
      expect(county.body.msgtype).toBe('text');
      expect(county.body.text?.mentioned_mobile_list).toEqual([MOBILE]);
      expect(county.body.text?.content).toContain('今日督办');
      expect(county.body.text?.content).toContain('回复「收到 1」');
      // The county group is shared by every unit: no links there.
      expect(county.body.text?.content).not.toContain('/a/');
      const own = await until('the unit robot post', () => server!.posts.find((p) => p.key === UNIT_KEY));
      expect(own.body.msgtype).toBe('markdown');
      expect(own.body.markdown?.content).toContain('今日督办');
      await sink.settled();
      // Coordinators reached in WeCom get no email copy; leaders still read email.
      const leadCoordinator = seed.units['县乡村振兴局']!.coordinators[0]!.email!;
      const jiaokeCoordinator = seed.units['县教科局']!.coordinators[0]!.email!;
      const addressed = sink.received.flatMap(to);
      expect(addressed).not.toContain(leadCoordinator);
      expect(addressed).not.toContain(jiaokeCoordinator);
    } finally {
      for (const id of [campaignWorkflowId, dutyId]) if (id) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      worker.shutdown();
      await running;
      await env.teardown();
    }
  }, 60_000);

  it('puts the unit’s action links in its own robot’s markdown', async () => {
    server = await startWecomServer([UNIT_KEY]);
    const directory = wecomDirectory();
    const signer = { publicUrl: 'http://duban.example.org', secret: linkSecretSource(join(mkdtempSync(join(tmpdir(), 'duban-wecom-')), 'link-secret')) };
    const wecom = createWecomSender({ directory, ledger: new SendLedger(), baseUrl: server.baseUrl, linksFor: (msg, unit) => unitLinks(signer, directory, msg, unit) });
    expect((await wecom.send(reminder('县教科局'), ['县教科局'])).delivered).toEqual(['县教科局']);
    const content = server.posts[0]?.body.markdown?.content ?? '';
    expect(content).toMatch(/\[确认收到（编号 1）\]\(http:\/\/duban\.example\.org\/a\/[A-Za-z0-9_.-]+\)/);
    expect(content).toContain('[申请延期（编号 1）]');
  });

  it('on 45009 sends the email first, fails retryably, and the retry posts once: nothing lost, nothing twice; after 3 attempts the unit goes by email', async () => {
    sink = await startSmtpSink();
    server = await startWecomServer([COUNTY_KEY, UNIT_KEY]);
    const directory = wecomDirectory();
    const ledger = new SendLedger();
    let clock = Date.now();
    const wecom = createWecomSender({ directory, ledger, baseUrl: server.baseUrl, clock: () => clock });
    const { notify } = createActivities({ email: mailer(sink, ledger), directory, wecom });
    const msg = reminder('县教科局');
    server.rateLimitNext(UNIT_KEY, 1);
    await expect(notify(msg)).rejects.toThrow(/企业微信暂未送达 县教科局/);
    expect(server.answers.map((a) => a.errcode)).toEqual([45009]);
    // The leaders' email did not wait for the robot.
    await sink.settled();
    const leader = seed.units['县教科局']!.leaders[0]!.email!;
    expect(sink.received.filter((m) => to(m).includes(leader))).toHaveLength(1);
    // Within the minute after a 45009 the robot is not tried again.
    await expect(notify(msg)).rejects.toThrow(/每分钟最多 20 条/);
    expect(server.answers).toHaveLength(1);
    // The activity's retry a minute later posts it, once; the leader's email is not sent again.
    clock += 61_000;
    await notify(msg);
    await notify(msg);
    expect(server.posts.filter((p) => p.key === UNIT_KEY)).toHaveLength(1);
    await sink.settled();
    expect(sink.received.filter((m) => to(m).includes(leader))).toHaveLength(1);
    // A robot that stays limited: on the activity's third attempt its unit's coordinators get the email.
    const coordinator = seed.units['县教科局']!.coordinators[0]!.email!;
    const late = reminder('县教科局');
    server.rateLimitNext(UNIT_KEY, 10);
    clock += 61_000;
    await new MockActivityEnvironment({ attempt: 3 }).run(notify, late);
    await sink.settled();
    const fallback = sink.received.find((m) => to(m).includes(coordinator) && m.text?.includes('企业微信未能送达，改由邮件发送'));
    expect(fallback?.subject).toContain('[任务1]');
  });

  it('sends a unit whose robot key is wrong (93000) by email, and alerts the administrators', async () => {
    sink = await startSmtpSink();
    server = await startWecomServer([COUNTY_KEY]);
    const directory = wecomDirectory({ unitKey: 'deleted-robot-key' });
    const ledger = new SendLedger();
    const channel = new RecordingChannel();
    const wecom = createWecomSender({ directory, ledger, baseUrl: server.baseUrl });
    const { notify } = createActivities({ channel, email: mailer(sink, ledger), directory, wecom });
    await notify(reminder('县教科局'));
    await sink.settled();
    expect(server.answers.map((a) => a.errcode)).toEqual([93000]);
    const coordinator = seed.units['县教科局']!.coordinators[0]!.email!;
    expect(sink.received.some((m) => to(m).includes(coordinator) && m.subject?.startsWith('【督办】'))).toBe(true);
    const alert = sink.received.find((m) => m.subject === '【督办系统告警】');
    expect(alert?.text).toContain('企业微信机器人发送失败，县教科局 已改发邮件');
    expect(alert?.text).toContain('93000');
    expect(channel.messages.some((m) => m.kind === 'alert')).toBe(true);
  });

  it('splits long texts under the byte limits, at paragraph ends', () => {
    const text = Array.from({ length: 80 }, (_, i) => `第${i + 1}项：${'督办事项'.repeat(12)}`).join('\n');
    const parts = splitBytes(text, MARKDOWN_MAX_BYTES);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => Buffer.byteLength(p) <= MARKDOWN_MAX_BYTES)).toBe(true);
    expect(parts.join('\n')).toContain('第80项');
  });
});
