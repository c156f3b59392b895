/**
 * Several campaigns in one deployment (a county's year): reply codes unique per unit across campaigns, a reply
 * that could mean either notice's task asked about, one morning message per unit and instant and one digest per
 * slot across campaigns (the desk), and the office's commands — import, campaign start, list, stop.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { parseCommand } from '../bot/commands';
import { resolveReply, type DutyView } from '../bot/resolve';
import { nextCodePrefix, type CampaignListing } from '../campaigns/registry';
import { simulateYear, type SimulationResult } from '../cli/simulate';
import { combinedDigest, morningGroups, morningMessage } from '../workflows/morning';
import { buildDigest } from '../workflows/digest';
import { renderMail } from '../channels/render';
import { deskWorkflow, isWeeklyDigestDay } from '../workflows/desk';
import { dutyStatusSignal, morningItemSignal } from '../workflows/messages';
import { officialCalendar } from '../calendar/official';
import type { Actor } from '../workflows/messages';
import type { OutgoingMessage } from '../workflows/types';
import { createWorker } from '../worker';
import { RecordingChannel } from '../activities/outbox';
import { devServerEnv, timeSkippingEnv, uniqueQueue, workflowBundle } from './env';
import { until } from './until';
import { campaignQueueOf } from '../worker';
import { loadCampaign } from '../cli/campaign-input';
import { startDashboard } from '../dashboard/server';

const RENJU = join(__dirname, 'fixtures', 'notices', 'dazhu-2022-renju.txt');
const REPO = join(__dirname, '..');

const view = (code: string, over: Partial<DutyView> = {}): DutyView => ({
  dutyId: `c/${code}`,
  task: Number(code.replace(/^[a-z]|[a-z]$/g, '')),
  kind: 'deadline',
  code,
  unit: '县财政局',
  deadline: '2022-06-30',
  status: 'acknowledged',
  ended: false,
  ...over,
});
const coordinator: Actor = { person: '徐雪梅（虚构）', unit: '县财政局', role: 'coordinator' };
const resolve = (text: string, duties: DutyView[]) => resolveReply(parseCommand(text), { actor: coordinator, duties, today: '2022-06-01', inGroup: false, text });

describe('reply codes across campaigns', () => {
  // 县财政局 holds task 3 of the seed (code 3) and task 3 of the second notice (code b3), and the second
  // notice's task 5 twice (b5a, b5b).
  const duties = [view('3', { dutyId: 'seed/t3' }), view('b3', { dutyId: 'renju/t3', campaign: 'renju' }), view('b5a'), view('b5b'), view('12')];

  it('reads a code with its campaign letter, in either case, and acts on that duty alone', () => {
    expect(parseCommand('完成 b3 资金已下达')).toMatchObject({ ok: true, command: { kind: 'complete', task: 3, code: 'b3' } });
    expect(resolve('完成 B3 资金已下达', duties)).toMatchObject({ intent: 'complete', duties: [{ dutyId: 'renju/t3' }] });
    expect(resolve('收到b5a', duties)).toMatchObject({ intent: 'acknowledge', duties: [{ code: 'b5a' }] });
    expect(resolve('完成 3 已办', duties).duties.map((d) => d.code).sort()).toEqual(['3', 'b3']);
  });

  it('asks which notice when a bare number is a task of both, listing both codes', () => {
    const asked = resolve('完成 3 已办', duties);
    expect(asked.intent).toBe('ask');
    expect(asked.answer).toContain('3（任务3');
    expect(asked.answer).toContain('b3（任务3');
    // A number only one campaign has a task of is that duty.
    expect(resolve('完成 12 已办', duties)).toMatchObject({ intent: 'complete', duties: [{ code: '12' }] });
  });

  it('reads a campaign letter only where a code stands, and never guesses past an unknown one', () => {
    // Letters and numbers elsewhere in the text are words: the number written is the duty.
    const own = [view('3'), view('b2'), view('5', { status: 'open' })];
    expect(resolve('完成任务3，材料见附件B2', own)).toMatchObject({ intent: 'complete', duties: [{ code: '3' }] });
    expect(parseCommand('完成任务3，材料见附件B2')).toMatchObject({ command: { code: '3', note: '材料见附件B2' } });
    expect(resolve('完成 5，见附件A1', own)).toMatchObject({ intent: 'complete', duties: [{ code: '5' }] });
    expect(resolve('延期 5 7月15日 原因：等待G3审批', own)).toMatchObject({ intent: 'extension', duties: [{ code: '5' }] });
    // A lettered code the unit does not hold is answered, not dropped into a bare 「完成」 on the one open duty.
    const unknown = resolve('完成 g5 已办', [view('5', { status: 'open' })]);
    expect(unknown.intent).toBe('refused');
    expect(unknown.answer).toContain('g5');
  });

  it('gives the first campaign no prefix and each later one the next free letter', () => {
    const listing = (codePrefix: string): CampaignListing => ({ workflowId: `duban/x${codePrefix}`, status: 'RUNNING', startTime: new Date(0), info: { campaignId: 'x', title: 't', year: 2022, codePrefix, startedAt: 0 } });
    expect(nextCodePrefix([])).toBe('');
    expect(nextCodePrefix([listing('')])).toBe('b');
    expect(nextCodePrefix([listing(''), listing('b'), listing('d')])).toBe('c');
  });
});

describe('the desk (pure parts)', () => {
  it('puts several campaigns’ digests of one slot into one message, and passes a single one through', () => {
    const digest = (campaign: string, kind: 'weekly' | 'red'): OutgoingMessage => ({
      key: `${campaign}/digest/${kind}/2022-06-06`,
      kind: 'digest',
      toUnits: ['县乡村振兴局', '县纪委监委'],
      recipients: [
        { unit: '县乡村振兴局', role: 'coordinators' },
        { unit: '县纪委监委', role: 'coordinators' },
      ],
      level: kind === 'red' ? 'red' : 'none',
      at: Date.parse('2022-06-06T09:30:00+08:00'),
      subject: `【督办周报】${campaign}`,
      text: `${campaign} 的周报`,
    });
    const one = digest('a', 'weekly');
    expect(combinedDigest('desk', [one])).toBe(one);
    const both = combinedDigest('desk', [digest('b', 'red'), one]);
    expect(both.subject).toBe('【督办周报】2 个督办批次 · 2022-06-06');
    expect(both.text).toContain('a 的周报');
    expect(both.text).toContain('b 的周报');
    expect(both.level).toBe('red');
    expect(both.recipients).toHaveLength(2);
    // The email draws each notice's chart, as a single digest's email draws its one.
    const { calendar } = officialCalendar([2022]);
    const figures = (unit: string) => buildDigest([{ dutyId: `x/${unit}`, kind: 'deadline', taskNumber: 1, unit, deadline: '2022-05-31', status: 'completed', level: 'green', remindersSent: 0, escalationsSent: 0, ended: false, updatedAt: 0 }], calendar, Date.parse('2022-06-06T09:30:00+08:00'));
    const mail = renderMail(combinedDigest('desk', [{ ...digest('a', 'weekly'), digest: figures('县民政局') }, { ...digest('b', 'weekly'), digest: figures('县财政局') }]));
    expect(mail.html.match(/aria-label="各单位办结率与确认率"/g)).toHaveLength(2);
    expect(mail.html).toContain('县民政局');
    expect(mail.html).toContain('县财政局');
  });

  it('sends a unit one late message for items late from several instants, under a key never used', () => {
    const T = Date.parse('2022-06-07T09:00:00+08:00');
    const late = (dutyId: string, at: number): OutgoingMessage => ({
      key: `${dutyId}/reminder/${at}`, kind: 'reminder', dutyId, taskNumber: 3, unit: '县民政局', code: '3', toUnits: ['县民政局'],
      recipients: [{ unit: '县民政局', role: 'coordinators' }], level: 'blue', at, deadline: '2022-06-30', subject: '催办', text: dutyId,
    });
    const now = T + 3 * 3600_000;
    const minute = Math.floor(now / 60_000) * 60_000;
    // Both instants' messages went already; the unit also had a message at this very minute.
    const sent = new Set([`${T}|县民政局`, `${T + 3600_000}|县民政局`, `${minute}|县民政局`]);
    const groups = morningGroups([late('a', T), late('b', T + 3600_000)], { sent, now, lateByAge: true, mergeLate: true });
    expect(groups).toHaveLength(1);
    expect(groups[0]!.items.map((i) => i.dutyId)).toEqual(['a', 'b']);
    expect(groups[0]!.at).toBe(minute + 60_000);
    expect(morningMessage('desk', groups[0]!).key).not.toBe(morningMessage('desk', { ...groups[0]!, at: minute }).key);
  });

  it('knows the weekly digest day: Monday, or the first working day after a Monday holiday', () => {
    const { calendar } = officialCalendar([2022]);
    expect(isWeeklyDigestDay(calendar, '2022-06-06')).toBe(true);
    expect(isWeeklyDigestDay(calendar, '2022-06-07')).toBe(false);
    // Monday 3 October 2022 is National Day: the week's first working day is Saturday 8 October (调休).
    expect(isWeeklyDigestDay(calendar, '2022-10-03')).toBe(false);
    expect(isWeeklyDigestDay(calendar, '2022-10-08')).toBe(true);
  });
});

describe('the desk workflow', () => {
  it('drops an item whose duty was completed while it waited, sends the rest as one message, and still serves after continuing as new', async () => {
    const env = await timeSkippingEnv();
    const taskQueue = uniqueQueue('desk');
    const sent: OutgoingMessage[] = [];
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel: new RecordingChannel(undefined, async (m) => void sent.push(m)), workflowBundle: workflowBundle() });
    const T = Date.parse('2022-06-07T09:00:00+08:00');
    const item = (dutyId: string, at: number): OutgoingMessage => ({
      key: `${dutyId}/reminder/${at}`,
      kind: 'reminder',
      dutyId,
      taskNumber: 3,
      unit: '县民政局',
      code: dutyId.endsWith('b') ? 'b3' : '3',
      toUnits: ['县民政局'],
      recipients: [{ unit: '县民政局', role: 'coordinators' }],
      level: 'blue',
      at,
      deadline: '2022-06-30',
      subject: '催办',
      text: `${dutyId} 的提醒`,
    });
    try {
      await worker.runUntil(async () => {
        const clockOffsetMs = T - (await env.currentTimeMs());
        const deskId = `duban/desk/${taskQueue}`;
        const desk = await env.client.workflow.start(deskWorkflow, {
          taskQueue,
          workflowId: deskId,
          args: [{ deskId, calendar: officialCalendar([2022]).calendar, campaigns: [{ campaignId: 'seed', digestUnits: ['县乡村振兴局'] }], clockOffsetMs, continueAsNewAfterEvents: 12 }],
        });
        const firstRun = (await desk.describe()).runId;
        await desk.signal(morningItemSignal, item('seed/t3/a', T));
        await desk.signal(morningItemSignal, item('renju/t3/b', T));
        // Completed by a reply while the instant settles: nothing more about it.
        await desk.signal(dutyStatusSignal, { dutyId: 'seed/t3/a', status: 'completed' });
        await env.sleep(60_000);
        expect(sent.map((m) => [m.toUnits, (m.items ?? []).map((i) => i.dutyId)])).toEqual([[['县民政局'], ['renju/t3/b']]]);
        // Its history past the (lowered) limit and nothing waiting: the desk continued as new, and still serves.
        const T2 = T + 86_400_000;
        await env.sleep(T2 - T - 60_000);
        await desk.signal(morningItemSignal, item('seed/t3/a2', T2));
        await desk.signal(morningItemSignal, item('renju/t3/b2', T2));
        await env.sleep(60_000);
        expect(sent).toHaveLength(2);
        expect((sent[1]?.items ?? []).map((i) => i.dutyId).sort()).toEqual(['renju/t3/b2', 'seed/t3/a2']);
        expect((await desk.describe()).runId).not.toBe(firstRun);
        await desk.terminate('test over');
      });
    } finally {
      await env.teardown();
    }
  }, 120_000);
});

describe('two notices in one year (seed + a second notice, silent units)', () => {
  let year: SimulationResult;

  it('runs both campaigns to their end, the second with lettered codes', async () => {
    const env = await timeSkippingEnv();
    try {
      year = await simulateYear({ year: 2022, replies: 'none', env, workflowBundle: workflowBundle(), taskQueue: uniqueQueue('two'), also: [{ year: 2022, notice: RENJU }] });
    } finally {
      await env.teardown();
    }
    const second = year.ledger.filter((e) => e.dutyId.startsWith('dazhu-2022-renju/'));
    expect(second.length).toBeGreaterThan(5);
    expect(second.every((e) => e.code?.startsWith('b'))).toBe(true);
    expect(year.ledger.filter((e) => !e.dutyId.startsWith('dazhu-2022-renju/')).every((e) => !/^[a-z]/.test(e.code ?? ''))).toBe(true);
    expect(year.ledger.every((e) => e.ended)).toBe(true);
  }, 240_000);

  it('sends each unit one message per instant, a unit with duties in both notices included', () => {
    const per = new Map<string, OutgoingMessage[]>();
    for (const m of year.messages) {
      // The formal 督办通知书 goes alone, once per duty (house rule); everything else shares the instant's message.
      if (m.kind === 'supervision-notice') continue;
      for (const u of m.toUnits) per.set(`${m.at}|${u}`, [...(per.get(`${m.at}|${u}`) ?? []), m]);
    }
    const several = [...per].filter(([, ms]) => ms.length > 1).map(([k, ms]) => `${k}: ${ms.map((m) => m.key).join(', ')}`);
    expect(several).toEqual([]);
    // 县财政局 holds duties of both notices: at least one of its messages lists codes of both.
    const mixed = year.messages.filter((m) => m.toUnits.includes('县财政局') && m.items && m.items.some((i) => i.code?.startsWith('b')) && m.items.some((i) => i.code && /^\d/.test(i.code)));
    expect(mixed.length).toBeGreaterThan(0);
  });

  it('sends supervisors one digest per slot, covering both notices', () => {
    const digests = year.messages.filter((m) => m.kind === 'digest');
    const slots = new Set(digests.map((m) => m.at));
    expect(digests.length).toBe(slots.size);
    expect(digests.some((m) => m.subject.includes('2 个督办批次'))).toBe(true);
  });
});

const run = promisify(execFile);

describe('the office’s commands: import, campaign start, list, stop', () => {
  it('imports a notice for review, starts two campaigns beside each other, lists them and stops one', async () => {
    const env = await devServerEnv();
    const taskQueue = uniqueQueue('ops');
    const data = mkdtempSync(join(tmpdir(), 'duban-campaigns-'));
    const cli = (...args: string[]) =>
      run(process.execPath, [join(REPO, 'bin', 'duban.js'), ...args], {
        cwd: REPO,
        env: { ...process.env, TEMPORAL_ADDRESS: inject('devServerAddress'), TEMPORAL_TASK_QUEUE: taskQueue, DUBAN_DATA_DIR: data, DUBAN_LOG_FORMAT: 'text' },
      }).then(
        (r) => ({ failed: 0, stdout: r.stdout, stderr: r.stderr }),
        (err: { code?: number; stdout?: string; stderr?: string }) => ({ failed: err.code ?? 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }),
      );
    const channel = new RecordingChannel();
    // What `npm start` runs: duties on the queue, campaigns (and the desk) on <queue>-campaigns.
    const workers = await Promise.all([
      createWorker({ connection: env.nativeConnection, taskQueue, channel, workflowBundle: workflowBundle() }),
      createWorker({ connection: env.nativeConnection, taskQueue: campaignQueueOf(taskQueue), channel, workflowBundle: workflowBundle() }),
    ]);
    const listed = async () => JSON.parse((await cli('campaign', 'list', '--json')).stdout) as (CampaignListing & { counts?: { duties: number } })[];
    const body = async () => {
      const seed = await cli('campaign', 'start', join(REPO, 'seeds', 'dazhu-2022-28.txt'), '--year', '2029');
      expect(seed.stdout).toContain('督办批次已启动 campaign started: duban/dazhu-2022-28/2029');
      const imported = await cli('import', RENJU, '--year', '2029');
      const plan = join(data, 'plans', 'dazhu-2022-renju.yaml');
      expect(imported.failed).toBe(0);
      expect(imported.stdout).toContain(`npx duban campaign start ${plan}`);
      expect(readFileSync(plan, 'utf8')).toContain('县农业农村局');
      // A reviewed plan is never replaced without --force.
      const again = await cli('import', RENJU, '--year', '2029');
      expect(again.failed).toBe(1);
      expect(again.stderr).toContain('已存在，不会覆盖');
      const second = await cli('campaign', 'start', plan);
      expect(second.stdout).toContain('本批次回复编号以 b 开头');
      // Started twice: the running one continues, nothing doubles.
      expect((await cli('campaign', 'start', plan)).stdout).toContain('已在运行');
      const both = await until('both campaigns listed with their figures', async () => {
        const rows = await listed();
        return rows.length === 2 && rows.every((r) => r.info && r.counts) ? rows : undefined;
      });
      expect(both.map((r) => [r.workflowId, r.status, r.info?.codePrefix])).toEqual([
        ['duban/dazhu-2022-28/2029', 'RUNNING', ''],
        ['duban/dazhu-2022-renju/2029', 'RUNNING', 'b'],
      ]);
      expect(both[1]?.counts?.duties).toBeGreaterThan(5);
      // The dashboard lists both campaigns, shows either, and a unit's duties across both.
      const seedLoaded = loadCampaign({ year: 2029 });
      const dashboard = await startDashboard({ client: env.client, campaignWorkflowId: 'duban/dazhu-2022-28/2029', plan: seedLoaded.input.plan, calendar: seedLoaded.input.calendar, taskQueue }, '127.0.0.1', 0);
      try {
        const page = async (path: string) => {
          const res = await fetch(new URL(path, dashboard.url));
          return { status: res.status, html: await res.text() };
        };
        const home = await page('/');
        expect(home.html).toContain('id="campaigns"');
        expect(home.html).toContain('农村人居环境整治提升工作的通知');
        expect(home.html).toContain('巩固拓展脱贫攻坚成果同乡村振兴有效衔接');
        const second = await page(`/?campaign=${encodeURIComponent('duban/dazhu-2022-renju/2029')}`);
        expect(second.html).toContain('任务1 推进农村厕所革命');
        expect(second.html).not.toContain('完善防返贫动态监测帮扶机制');
        expect((await page('/?campaign=duban%2Fnone')).status).toBe(404);
        const unit = await page(`/unit?name=${encodeURIComponent('县农业农村局')}`);
        expect(unit.html).toContain('data-code="b1"');
        expect(unit.html).toContain('data-code="5"');
      } finally {
        await dashboard.close();
      }
      // A reply reaches the duty of whichever campaign holds it: 县农业农村局's task 1 is the second notice's (b1).
      const replied = await cli('reply', '完成 1 已完成摸排整改', '--from', '沈文斌（虚构）');
      expect(replied.stdout).toContain('已登记办结 b1（任务1）· 县农业农村局');
      // Stopping asks first, then stops the campaign and its duties.
      const asked = await cli('campaign', 'stop', 'duban/dazhu-2022-renju/2029');
      expect(asked.failed).toBe(2);
      expect(asked.stdout).toContain('确认请加 --yes');
      expect((await listed()).map((r) => r.status)).toEqual(['RUNNING', 'RUNNING']);
      const stopped = await cli('campaign', 'stop', 'duban/dazhu-2022-renju/2029', '--yes');
      expect(stopped.stdout).toContain('已停止 stopped: duban/dazhu-2022-renju/2029');
      expect((await listed()).map((r) => r.status)).toEqual(['RUNNING', 'TERMINATED']);
      const duty = await env.client.workflow.getHandle('dazhu-2022-renju/2029/t1/d1/县农业农村局').describe();
      expect(duty.status.name).toBe('TERMINATED');
      // Started again under its id it would find its duties ended and end at once: refused, saying what to do.
      const restarted = await cli('campaign', 'start', plan);
      expect(restarted.failed).toBe(1);
      expect(restarted.stderr).toContain('不能在同一编号下重新启动');
      // A notice naming a unit the directory lacks: the plan is written for review, the unit named, start refused.
      const countyB = await cli('import', join(__dirname, 'fixtures', 'notices', 'county-b-2023.txt'), '--year', '2029');
      expect(countyB.failed).toBe(1);
      expect(countyB.stderr).toMatch(/任务\d+「.*」（.*county-b-2023.txt:\d+）：通讯录中没有「/);
      expect(readFileSync(join(data, 'plans', 'county-b-2023.yaml'), 'utf8')).toContain('tasks:');
      expect((await cli('campaign', 'start', join(data, 'plans', 'county-b-2023.yaml'))).failed).toBe(1);
      expect((await cli('campaign', 'stop', 'duban/dazhu-2022-28/2029', '--yes')).failed).toBe(0);
      await env.client.workflow.getHandle(`duban/desk/${taskQueue}`).terminate('test over').catch(() => undefined);
    };
    const done = body();
    try {
      await Promise.all(workers.map((w) => w.runUntil(done.catch(() => undefined))));
      await done;
    } finally {
      await env.teardown();
    }
  }, 240_000);
});
