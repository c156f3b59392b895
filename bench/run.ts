/**
 * `npm run bench [-- --quick]`: duban's benchmark on the embedded dev server (in memory), each figure next to
 * a baseline measured on the same server in the same run, so ratios hold on a noisy machine.
 *
 *   1. campaign start   N duty workflows started by a client (county = the seed plan, province = 180×) vs
 *                       N trivial workflows (workflows/s)
 *   2. deadline storm   N duties whose one reminder is due at the same real instant, delivered by email to a
 *                       real SMTP sink (deliveries/s, lateness) vs N trivial activities due at one instant
 *   3. reply round trip chat reply → Update → confirmation in chat (puppet-mock), p50/p99
 *   4. worker memory    RSS of a worker process with 1k, 5k, 10k open duties
 *   5. year simulation  the seed plan's whole year on the time-skipping test server (wall time)
 *
 * Prints one JSON summary on stdout; writes bench/results/latest.json (or quick.json) and chart.svg.
 * Options: --quick (under 2 minutes, smaller N), --only campaign,storm,replies,memory,year, --out DIR,
 * --storm N (override the storm size).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { mock, PuppetMock } from 'wechaty-puppet-mock';
import { WechatyBuilder } from 'wechaty';
import { RecordingChannel } from '../activities/outbox';
import { registerHandlers } from '../bot/bot';
import { createEmailSender, createSmtpTransport } from '../channels/email';
import { SendLedger } from '../channels/ledger';
import { simulateYear } from '../cli/simulate';
import { startDevServer, type RunningServer } from '../servers/processes';
import { createWorker, WORKFLOWS_PATH } from '../worker';
import type { campaignWorkflow } from '../workflows/campaign';
import type { dutyWorkflow } from '../workflows/duty';
import { ledgerQuery } from '../workflows/messages';
import { renderChart } from './chart';
import { countyDuties, offsetFor, seedCampaign, seedDuties, stormDuties } from './duties';
import { log, percentile, pool, processMemory, round, sleepMs, terminateAll, until, waitQuiet, type InFlight } from './lib';
import { createTrivialActivities } from './trivial-activities';
import type { startOnly, trivialWorkflow } from './trivial-workflows';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
    storm: { type: 'string' },
  },
});
const QUICK = args.quick;
const ONLY = new Set((args.only ?? 'campaign,storm,replies,memory,year').split(','));

/** Sizes and time bounds. Every loop below is bounded by one of these. */
const CFG = QUICK
  ? {
      provinceCounties: 16, // 512 duties
      startConcurrency: 50,
      stormN: 300,
      stormBudgetMs: 60_000,
      replies: 200,
      memoryPoints: [500, 1000],
      quietBudgetMs: 90_000,
      year: false,
    }
  : {
      provinceCounties: 180, // 5,760 duties
      startConcurrency: 50,
      stormN: 10_000,
      stormBudgetMs: 8 * 60_000,
      replies: 300,
      memoryPoints: [1000, 5000, 10_000],
      quietBudgetMs: 15 * 60_000,
      year: true,
    };
if (args.storm) CFG.stormN = Number(args.storm);

const TARGETS = {
  campaignRatio: 0.7,
  stormRatio: 0.7,
  storm10kSeconds: 300,
  replyP99Ms: 300,
  rssMiB: 1024,
  yearSeconds: 60,
};

const quietLogger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let runId = Date.now().toString(36);
const queue = (what: string) => `bench-${runId}-${what}`;

interface Ctx {
  dev: RunningServer;
  native: NativeConnection;
  client: Client;
  dutyBundle: { code: string; path: string };
  trivialBundle: { code: string };
  tmp: string;
}

const inFlightOf = (w: Worker) => (): InFlight => {
  const s = w.getStatus();
  return { activations: s.numInFlightWorkflowActivations, activities: s.numInFlightActivities };
};

async function runWorker<T>(worker: Worker, fn: () => Promise<T>): Promise<T> {
  const running = worker.run();
  try {
    return await fn();
  } finally {
    worker.shutdown();
    await running;
  }
}

// ---------------------------------------------------------------- 1. campaign start

interface StartFigure {
  n: number;
  started: number;
  failed: number;
  ms: number;
  perSecond: number;
  /** Until the worker had run every started workflow's first task (and what followed at once). */
  settledMs: number | null;
}

async function startTrivial(ctx: Ctx, n: number, label: string): Promise<StartFigure> {
  const taskQueue = queue(`start-trivial-${label}`);
  const worker = await Worker.create({
    connection: ctx.native,
    taskQueue,
    workflowBundle: { code: ctx.trivialBundle.code },
    activities: createTrivialActivities(() => undefined),
  });
  return runWorker(worker, async () => {
    const started = Date.now();
    const r = await pool(
      n,
      CFG.startConcurrency,
      (i) => ctx.client.workflow.start<typeof startOnly>('startOnly', { taskQueue, workflowId: `${taskQueue}/${i}` }),
      120_000,
    );
    const quiet = await waitQuiet(ctx.client, taskQueue, inFlightOf(worker), 120_000);
    return { n, started: r.done, failed: r.failed, ms: r.ms, perSecond: (r.done / r.ms) * 1000, settledMs: quiet < 0 ? null : quiet + (Date.now() - started - quiet - (Date.now() - started - quiet)) };
  });
}

async function startDuties(ctx: Ctx, n: number, label: string): Promise<StartFigure & { settleBudgetMs: number }> {
  const taskQueue = queue(`start-duty-${label}`);
  const worker = await createWorker({ connection: ctx.native, taskQueue, channel: new RecordingChannel(), deps: { directory: seedCampaign().directory }, workflowBundle: { code: ctx.dutyBundle.code } });
  // The campaign as it starts on the notice's day: Friday 29 April 2022, 10:00, in office hours, so every
  // one-off duty announces itself at once (to the recording channel).
  const duties = countyDuties(n, `${taskQueue}`, offsetFor(`${seedCampaign().nominalStart}:00`));
  const settleBudgetMs = Math.min(CFG.quietBudgetMs, 60_000 + n * 100);
  const fig = await runWorker(worker, async () => {
    const started = Date.now();
    const r = await pool(
      n,
      CFG.startConcurrency,
      (i) => ctx.client.workflow.start<typeof dutyWorkflow>('dutyWorkflow', { taskQueue, workflowId: duties[i]!.duty.dutyId, args: [duties[i]!] }),
      300_000,
    );
    const quiet = await waitQuiet(ctx.client, taskQueue, inFlightOf(worker), settleBudgetMs);
    return { n, started: r.done, failed: r.failed, ms: r.ms, perSecond: (r.done / r.ms) * 1000, settledMs: quiet < 0 ? null : quiet + (Date.now() - started - quiet - (Date.now() - started - quiet)), settleBudgetMs };
  });
  const t = await terminateAll(ctx.client, duties.map((d) => d.duty.dutyId), 180_000);
  log(`  terminated ${t.done} duties in ${t.ms} ms`);
  return fig;
}

async function campaignPhase(ctx: Ctx) {
  const county = seedDuties().length;
  const out: Record<string, unknown> = {};
  for (const [label, n] of [
    ['county', county],
    ['province', county * CFG.provinceCounties],
  ] as const) {
    log(`campaign start (${label}): ${n} trivial workflows`);
    const trivial = await startTrivial(ctx, n, label);
    log(`  trivial ${round(trivial.perSecond)}/s, settled in ${trivial.settledMs} ms`);
    log(`campaign start (${label}): ${n} duty workflows`);
    const duty = await startDuties(ctx, n, label);
    log(`  duties ${round(duty.perSecond)}/s, settled in ${duty.settledMs} ms`);
    const ratio = duty.perSecond / trivial.perSecond;
    out[label] = {
      n,
      dutyPerSecond: round(duty.perSecond),
      trivialPerSecond: round(trivial.perSecond),
      ratio: round(ratio, 2),
      target: TARGETS.campaignRatio,
      met: ratio >= TARGETS.campaignRatio,
      dutySettledMs: duty.settledMs,
      dutySettledPerSecond: duty.settledMs ? round((n / duty.settledMs) * 1000) : null,
      trivialSettledMs: trivial.settledMs,
      trivialSettledPerSecond: trivial.settledMs ? round((n / trivial.settledMs) * 1000) : null,
      failed: duty.failed + trivial.failed,
    };
  }
  return out;
}

// ---------------------------------------------------------------- 2. deadline storm

interface StormFigure {
  n: number;
  delivered: number;
  deliveredWithin5Min: number;
  /** From the instant to the last delivery. */
  lastMs: number | null;
  deliveriesPerSecond: number | null;
  p50LatenessMs: number | null;
  p99LatenessMs: number | null;
  maxLatenessMs: number | null;
  /** Milliseconds between "every workflow had run its first task" and the instant (negative: not ready). */
  slackMs: number | null;
  startMs: number;
}

function stormFigure(n: number, instant: number, times: number[], startMs: number, readyAt: number | null): StormFigure {
  const lateness = times.map((t) => t - instant);
  const last = lateness.length ? Math.max(...lateness) : null;
  return {
    n,
    delivered: times.length,
    deliveredWithin5Min: lateness.filter((l) => l <= 300_000).length,
    lastMs: last,
    deliveriesPerSecond: last ? round((times.length / Math.max(last, 1)) * 1000) : null,
    p50LatenessMs: round(percentile(lateness, 50), 0),
    p99LatenessMs: round(percentile(lateness, 99), 0),
    maxLatenessMs: last,
    slackMs: readyAt === null ? null : instant - readyAt,
    startMs,
  };
}

/** How long to allow before the instant: starting N workflows and running their first task, with margin. */
function leadMs(n: number, msPerWorkflow: number): number {
  return Math.round(10_000 + n * msPerWorkflow * 1.3);
}

async function stormTrivial(ctx: Ctx, n: number, msPerWorkflow: number): Promise<StormFigure> {
  const taskQueue = queue('storm-trivial');
  const done = new Map<number, number>();
  const worker = await Worker.create({
    connection: ctx.native,
    taskQueue,
    workflowBundle: { code: ctx.trivialBundle.code },
    activities: createTrivialActivities((id, at) => {
      if (!done.has(id)) done.set(id, at);
    }),
  });
  return runWorker(worker, async () => {
    const t0 = Date.now();
    const instant = t0 + leadMs(n, msPerWorkflow);
    const r = await pool(
      n,
      CFG.startConcurrency,
      (i) => ctx.client.workflow.start<typeof trivialWorkflow>('trivialWorkflow', { taskQueue, workflowId: `${taskQueue}/${i}`, args: [instant, i] }),
      instant - t0,
    );
    const quiet = await waitQuiet(ctx.client, taskQueue, inFlightOf(worker), Math.max(0, instant - Date.now() - 500));
    const readyAt = quiet < 0 ? null : Date.now() - 600;
    log(`  trivial: started ${r.done} in ${r.ms} ms, ready ${readyAt ? instant - readyAt : '?'} ms before the instant`);
    await until('the trivial storm', () => done.size >= r.done || Date.now() > instant + CFG.stormBudgetMs, CFG.stormBudgetMs + (instant - Date.now()) + 5000, 50);
    return stormFigure(n, instant, [...done.values()], r.ms, readyAt);
  });
}

function startSinkProcess(onAccepted: (items: { key: string; at: number }[]) => void): Promise<{ port: number; child: ChildProcess }> {
  const child = fork(join(__dirname, 'sink-process.ts'), [], { execArgv: ['--require', require.resolve('tsx/cjs')], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.on('message', (m: { type: string; port?: number; items?: { key: string; at: number }[] }) => {
      if (m.type === 'ready') resolve({ port: m.port ?? 0, child });
      else if (m.type === 'accepted' && m.items) onAccepted(m.items);
    });
    child.once('exit', (code) => reject(new Error(`SMTP sink process exited with ${code}`)));
  });
}

async function stormDuty(ctx: Ctx, n: number, msPerWorkflow: number): Promise<StormFigure & { mailsAccepted: number }> {
  const taskQueue = queue('storm-duty');
  const accepted = new Map<string, number>();
  let mails = 0;
  const sink = await startSinkProcess((items) => {
    for (const { key, at } of items) {
      mails++;
      if (!accepted.has(key)) accepted.set(key, at);
    }
  });
  const ledger = new SendLedger(join(ctx.tmp, 'send-ledger.sqlite'));
  const from = '督办系统 <duban@example.org>';
  const email = createEmailSender({ transport: createSmtpTransport({ transport: { host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true }, from }), from, ledger });
  const worker = await createWorker({
    connection: ctx.native,
    taskQueue,
    channel: new RecordingChannel(join(ctx.tmp, 'outbox.jsonl')),
    deps: { email, directory: seedCampaign().directory },
    workflowBundle: { code: ctx.dutyBundle.code },
  });
  // Wednesday 15 June 2022, an ordinary working day: the reminder "on the day" is at 09:00.
  const deadline = '2022-06-15';
  const t0 = Date.now();
  const instant = t0 + leadMs(n, msPerWorkflow);
  const duties = stormDuties(n, taskQueue, deadline, instant);
  try {
    return await runWorker(worker, async () => {
      const r = await pool(
        n,
        CFG.startConcurrency,
        (i) => ctx.client.workflow.start<typeof dutyWorkflow>('dutyWorkflow', { taskQueue, workflowId: duties[i]!.duty.dutyId, args: [duties[i]!] }),
        instant - t0,
      );
      const quiet = await waitQuiet(ctx.client, taskQueue, inFlightOf(worker), Math.max(0, instant - Date.now() - 500));
      const readyAt = quiet < 0 ? null : Date.now() - 600;
      log(`  duties: started ${r.done} in ${r.ms} ms, ready ${readyAt ? `${instant - readyAt} ms before the instant` : 'NOT before the instant'}`);
      const keys = new Set(duties.map((d) => `${d.duty.dutyId}/reminder/${deadline}`));
      const ours = () => [...accepted].filter(([k]) => keys.has(k));
      let lastReport = Date.now();
      await until(
        'the duty storm',
        () => {
          const got = ours().length;
          if (Date.now() - lastReport > 15_000) {
            lastReport = Date.now();
            log(`  … ${got}/${r.done} reminders accepted by the sink, ${round((Date.now() - instant) / 1000)} s after the instant`);
          }
          return got >= r.done || Date.now() > instant + CFG.stormBudgetMs;
        },
        CFG.stormBudgetMs + Math.max(0, instant - Date.now()) + 5000,
        100,
      );
      return { ...stormFigure(n, instant, ours().map(([, at]) => at), r.ms, readyAt), mailsAccepted: mails };
    });
  } finally {
    const t = await terminateAll(ctx.client, duties.map((d) => d.duty.dutyId), 300_000);
    log(`  terminated ${t.done} duties in ${t.ms} ms`);
    email.close();
    ledger.close();
    sink.child.send({ type: 'stop' });
    await new Promise((r) => sink.child.once('exit', r));
  }
}

/** First-task cost per workflow, from a small calibration batch, to place the storm's instant. */
async function calibrate(ctx: Ctx): Promise<{ trivialMs: number; dutyMs: number }> {
  const n = 100;
  const t = await startTrivial(ctx, n, 'calibration');
  const taskQueue = queue('calibration-duty');
  const worker = await createWorker({ connection: ctx.native, taskQueue, channel: new RecordingChannel(), deps: { directory: seedCampaign().directory }, workflowBundle: { code: ctx.dutyBundle.code } });
  const duties = stormDuties(n, taskQueue, '2022-06-15', Date.now() + 3_600_000);
  const dutyMs = await runWorker(worker, async () => {
    const started = Date.now();
    await pool(n, CFG.startConcurrency, (i) => ctx.client.workflow.start<typeof dutyWorkflow>('dutyWorkflow', { taskQueue, workflowId: duties[i]!.duty.dutyId, args: [duties[i]!] }), 60_000);
    await waitQuiet(ctx.client, taskQueue, inFlightOf(worker), 120_000);
    return (Date.now() - started - 600) / n;
  });
  await terminateAll(ctx.client, duties.map((d) => d.duty.dutyId), 60_000);
  const trivialMs = (t.settledMs ?? t.ms * 2) / n;
  log(`calibration: ${round(trivialMs, 2)} ms per trivial workflow, ${round(dutyMs, 2)} ms per duty (start + first task)`);
  return { trivialMs, dutyMs };
}

async function stormPhase(ctx: Ctx) {
  const n = CFG.stormN;
  const cal = await calibrate(ctx);
  log(`deadline storm: ${n} trivial activities due at one instant`);
  const trivial = await stormTrivial(ctx, n, cal.trivialMs);
  log(`  trivial: ${trivial.delivered}/${n}, ${trivial.deliveriesPerSecond}/s, p50 ${trivial.p50LatenessMs} ms, p99 ${trivial.p99LatenessMs} ms`);
  log(`deadline storm: ${n} duty reminders due at one instant, by email to the SMTP sink`);
  const duty = await stormDuty(ctx, n, cal.dutyMs);
  log(`  duties: ${duty.delivered}/${n}, ${duty.deliveriesPerSecond}/s, p50 ${duty.p50LatenessMs} ms, p99 ${duty.p99LatenessMs} ms`);
  const ratio = duty.deliveriesPerSecond && trivial.deliveriesPerSecond ? duty.deliveriesPerSecond / trivial.deliveriesPerSecond : null;
  const all = duty.delivered === n;
  const tenK = n >= 10_000 && all ? (duty.lastMs ?? Infinity) / 1000 : duty.deliveriesPerSecond ? 10_000 / duty.deliveriesPerSecond : null;
  return {
    n,
    duty,
    trivial,
    ratio: round(ratio ?? NaN, 2),
    ratioTarget: TARGETS.stormRatio,
    ratioMet: ratio !== null && ratio >= TARGETS.stormRatio,
    calibrationMsPerWorkflow: { trivial: round(cal.trivialMs, 2), duty: round(cal.dutyMs, 2) },
    /** Seconds for 10,000 reminders: measured when N was 10,000, else projected from the measured rate. */
    tenThousandSeconds: round(tenK ?? NaN, 0),
    tenThousandMeasured: n >= 10_000 && all,
    tenThousandTargetSeconds: TARGETS.storm10kSeconds,
    tenThousandMet: tenK !== null && tenK <= TARGETS.storm10kSeconds,
  };
}

// ---------------------------------------------------------------- 3. reply round trip

async function repliesPhase(ctx: Ctx) {
  const { directory, input } = seedCampaign();
  const taskQueue = queue('replies');
  const worker = await createWorker({ connection: ctx.native, taskQueue, channel: new RecordingChannel(), deps: { directory }, workflowBundle: { code: ctx.dutyBundle.code } });
  const mocker = new mock.Mocker();
  const bot = WechatyBuilder.build({ puppet: new PuppetMock({ mocker }) });
  const self = mocker.createContact({ name: '督办助手' });
  const campaignWorkflowId = `duban/${taskQueue}`;
  registerHandlers(bot, { client: ctx.client, directory, campaignWorkflowId });
  await bot.start();
  mocker.login(self);
  await until('the bot login', () => bot.isLoggedIn, 20_000);
  const running = worker.run();
  const rtts: number[] = [];
  let refused = 0;
  let missing = 0;
  let dutyIds: string[] = [];
  try {
    // Thursday 5 May 2022, 10:00: a working day in office hours; the campaign starts every duty of the plan.
    await ctx.client.workflow.start<typeof campaignWorkflow>('campaignWorkflow', {
      taskQueue,
      workflowId: campaignWorkflowId,
      args: [{ ...input, campaignId: taskQueue, clockOffsetMs: offsetFor('2022-05-05T10:00:00') }],
    });
    await until('every duty started', async () => (await ctx.client.workflow.getHandle(campaignWorkflowId).query(ledgerQuery)).length >= seedDuties().length || undefined, 60_000);
    await waitQuiet(ctx.client, taskQueue, inFlightOf(worker), 120_000);
    const ledger = await ctx.client.workflow.getHandle(campaignWorkflowId).query(ledgerQuery);
    dutyIds = ledger.map((e) => e.dutyId);
    // Who replies: each unit's first coordinator in the unit's WeChat group, about one of the unit's tasks.
    const speakers = [...new Map(ledger.map((e) => [`${e.unit}/${e.taskNumber}`, e])).values()].flatMap((e) => {
      const unit = directory.units[e.unit];
      const person = unit?.coordinators.find((c) => c.wechat);
      return unit?.wechatGroup && person?.wechat ? [{ unit: e.unit, task: e.taskNumber, group: unit.wechatGroup, person }] : [];
    });
    const contacts = new Map<string, mock.ContactMock>();
    const rooms = new Map<string, mock.RoomMock>();
    const said: { room: string; text: string; at: number }[] = [];
    for (const s of speakers) {
      if (!contacts.has(s.person.wechat!)) contacts.set(s.person.wechat!, mocker.createContact({ id: s.person.wechat!, name: s.person.name }));
      if (!rooms.has(s.group)) {
        const room = mocker.createRoom({ topic: s.group, memberIdList: [self.id, contacts.get(s.person.wechat!)!.id] });
        room.on('message', (m) => {
          if (m.talker().id === self.id) said.push({ room: s.group, text: m.text() ?? '', at: Date.now() });
        });
        rooms.set(s.group, room);
      }
    }
    log(`reply round trip: ${CFG.replies} replies (+10 warm-up) from ${contacts.size} coordinators in ${rooms.size} groups`);
    const total = CFG.replies + 10;
    const end = Date.now() + 5 * 60_000;
    for (let i = 0; i < total && Date.now() < end; i++) {
      const s = speakers[i % speakers.length]!;
      const from = said.length;
      const t0 = performance.now();
      contacts.get(s.person.wechat!)!.say(`收到 ${s.task}`).to(rooms.get(s.group)!);
      try {
        const answer = await until('the confirmation', () => said.slice(from).find((x) => x.room === s.group), 10_000, 1);
        const rtt = performance.now() - t0;
        if (!answer.text.includes(`已确认 任务${s.task}`)) refused++;
        if (i >= 10) rtts.push(rtt);
      } catch {
        missing++;
      }
    }
  } finally {
    await terminateAll(ctx.client, [campaignWorkflowId, ...dutyIds], 60_000);
    worker.shutdown();
    await running;
    await bot.stop();
  }
  const p99 = percentile(rtts, 99);
  return {
    n: rtts.length,
    p50Ms: round(percentile(rtts, 50)),
    p99Ms: round(p99),
    maxMs: round(Math.max(...rtts)),
    refused,
    missing,
    targetP99Ms: TARGETS.replyP99Ms,
    met: p99 < TARGETS.replyP99Ms && rtts.length >= 200 && refused === 0 && missing === 0,
  };
}

// ---------------------------------------------------------------- 4. worker memory

function startWorkerProcess(address: string, taskQueue: string, bundlePath: string) {
  const child = fork(join(__dirname, 'worker-process.ts'), [address, taskQueue, bundlePath], {
    execArgv: ['--expose-gc', '--require', require.resolve('tsx/cjs')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = <T>(type: string, reply: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: { type: string }) => {
        if (m.type === reply) {
          child.off('message', onMessage);
          resolve(m as T);
        }
      };
      child.on('message', onMessage);
      child.send({ type }, (err) => err && reject(err));
    });
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type: string }) => m.type === 'ready' && resolve());
    child.once('exit', (code) => reject(new Error(`worker process exited with ${code}`)));
  });
  return { child, ready, ask };
}

async function memoryPhase(ctx: Ctx) {
  const taskQueue = queue('memory');
  const w = startWorkerProcess(ctx.dev.address, taskQueue, ctx.dutyBundle.path);
  await w.ready;
  const pid = w.child.pid!;
  const inFlight = () => w.ask<InFlight & { cached: number }>('status', 'status');
  const measure = async () => {
    await w.ask('gc', 'gc-done');
    await sleepMs(1000);
    return processMemory(pid);
  };
  await sleepMs(2000);
  const idle = await measure();
  log(`worker memory: idle worker process ${round(idle.rssMiB)} MiB`);
  // Friday 10 June 2022, 20:00: after office hours, so every duty waits (nothing is due before Monday).
  const max = Math.max(...CFG.memoryPoints);
  const duties = countyDuties(max, taskQueue, offsetFor('2022-06-10T20:00:00'));
  const points: { openDuties: number; rssMiB: number | null; peakMiB: number | null; cachedWorkflows: number; startAndSettleMs: number; settled: boolean }[] = [];
  let started = 0;
  try {
    for (const target of CFG.memoryPoints) {
      const t0 = Date.now();
      const from = started;
      const r = await pool(target - from, CFG.startConcurrency, (i) => ctx.client.workflow.start<typeof dutyWorkflow>('dutyWorkflow', { taskQueue, workflowId: duties[from + i]!.duty.dutyId, args: [duties[from + i]!] }), 600_000);
      started += r.done;
      const quiet = await waitQuiet(ctx.client, taskQueue, inFlight, CFG.quietBudgetMs);
      const mem = await measure();
      const status = await inFlight();
      points.push({ openDuties: started, rssMiB: round(mem.rssMiB), peakMiB: round(mem.peakMiB), cachedWorkflows: status.cached, startAndSettleMs: Date.now() - t0, settled: quiet >= 0 });
      log(`  ${started} open duties: RSS ${round(mem.rssMiB)} MiB (peak ${round(mem.peakMiB)} MiB), ${status.cached} cached, ${round((Date.now() - t0) / 1000)} s`);
    }
  } finally {
    w.child.send({ type: 'stop' });
    await new Promise((r) => w.child.once('exit', r));
    const t = await terminateAll(ctx.client, duties.slice(0, started).map((d) => d.duty.dutyId), 300_000);
    log(`  terminated ${t.done} duties in ${t.ms} ms`);
  }
  const worst = Math.max(...points.map((p) => p.peakMiB ?? Infinity));
  return { idleRssMiB: round(idle.rssMiB), points, targetMiB: TARGETS.rssMiB, met: worst < TARGETS.rssMiB && points.every((p) => p.settled) };
}

// ---------------------------------------------------------------- 5. year simulation

async function yearPhase(bundle: { code: string }) {
  log('year simulation: the seed plan on the time-skipping test server, replies none');
  const t0 = Date.now();
  const result = await simulateYear({ year: 2022, replies: 'none', workflowBundle: bundle, taskQueue: queue('year') });
  const totalMs = Date.now() - t0;
  log(`  ${result.messages.length} messages in ${round(result.wallMs / 1000)} s (${round(totalMs / 1000)} s with the server's start)`);
  return {
    simulationSeconds: round(result.wallMs / 1000),
    withServerStartSeconds: round(totalMs / 1000),
    duties: result.summary.duties,
    messages: result.messages.length,
    offHours: result.offHours.length,
    targetSeconds: TARGETS.yearSeconds,
    met: result.wallMs / 1000 < TARGETS.yearSeconds,
  };
}

// ---------------------------------------------------------------- main

async function main() {
  const wall = Date.now();
  runId = `${Date.now().toString(36)}`;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const tmp = mkdtempSync(join(tmpdir(), 'duban-bench-'));
  log(`mode ${QUICK ? 'quick' : 'full'}; phases ${[...ONLY].join(', ')}`);
  const [dev, dutyBundle, trivialBundle] = await Promise.all([
    startDevServer(),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger }),
    bundleWorkflowCode({ workflowsPath: join(__dirname, 'trivial-workflows.ts'), logger: quietLogger }),
  ]);
  log(`dev server ${dev.address} (in memory) ready in ${dev.startMs} ms`);
  const bundlePath = join(tmp, 'duty-bundle.js');
  writeFileSync(bundlePath, dutyBundle.code);
  const native = await NativeConnection.connect({ address: dev.address });
  const connection = await Connection.connect({ address: dev.address });
  const client = new Client({ connection });
  const ctx: Ctx = { dev, native, client, dutyBundle: { code: dutyBundle.code, path: bundlePath }, trivialBundle, tmp };
  const results: Record<string, unknown> = {
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      kernel: release(),
      temporalServer: 'Temporal CLI v1.5.1 dev server (Server 1.29.1), in-memory SQLite',
    },
    date: new Date().toISOString(),
    mode: QUICK ? 'quick' : 'full',
  };
  try {
    if (ONLY.has('campaign')) results.campaignStart = await campaignPhase(ctx);
    if (ONLY.has('storm')) results.storm = await stormPhase(ctx);
    if (ONLY.has('replies')) results.replies = await repliesPhase(ctx);
    if (ONLY.has('memory')) results.memory = await memoryPhase(ctx);
  } finally {
    await connection.close();
    await native.close();
    await dev.stop();
  }
  // Last, with the dev server stopped: the test server gets the machine.
  if (ONLY.has('year') && (CFG.year || args.only)) results.year = await yearPhase({ code: dutyBundle.code });
  results.wallSeconds = round((Date.now() - wall) / 1000);
  const outDir = args.out ?? join(__dirname, 'results');
  mkdirSync(outDir, { recursive: true });
  const name = QUICK ? 'quick' : 'latest';
  writeFileSync(join(outDir, `${name}.json`), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(outDir, QUICK ? 'quick-chart.svg' : 'chart.svg'), renderChart(results));
  rmSync(tmp, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  log(`done in ${results.wallSeconds} s; wrote ${join(outDir, `${name}.json`)}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`benchmark failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
