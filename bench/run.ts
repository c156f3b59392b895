/**
 * `npm run bench [-- --quick]`: duban's benchmark on the embedded dev server (in memory). Each figure is
 * measured next to a baseline on the same server in the same run, so the ratios hold on a noisy machine.
 *
 *   1. campaign start   N duty workflows started by a client (county = the seed plan, province = 180×) vs
 *                       N trivial workflows: workflows/s
 *   2. deadline storm   N duties whose one reminder is due at the same real instant, each delivered by email
 *                       to a real SMTP sink, vs N trivial activities due at one instant: deliveries/s, lateness
 *   2b. typical case   N reminders over U units at one instant, one morning message per unit from a campaign
 *                       (10,000 over 500; quick 1,000 over 50): when each unit's message reached the SMTP sink
 *   3. reply round trip chat reply → Update → confirmation in chat (wechaty puppet-mock): p50/p99
 *   4. worker memory    RSS of the storm's worker process with 1k, 5k, 10k open duties (before the instant)
 *   5. year simulation  the seed plan's whole year on the time-skipping test server: wall time
 *
 * Workers run in their own processes (bench/worker-process.ts), as `duban worker` does; so does the SMTP sink.
 * Prints one JSON summary on stdout and writes bench/results/latest.json, latest.md (the README's table)
 * and chart.svg (quick: quick.json, quick.md, quick-chart.svg).
 * Options: --quick, --only campaign,storm,typical,replies,year, --out DIR, --storm N, --typical N --units U
 * --settle S (a fixed settling time instead of settling by arrivals), --cpu-prof DIR (the storm's
 * worker process writes V8 CPU profiles there), --render FILE.json (table and chart again from a results file).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { WechatyBuilder } from 'wechaty';
import { mock, PuppetMock } from 'wechaty-puppet-mock';
import { registerHandlers } from '../bot/bot';
import { simulateYear } from '../cli/simulate';
import { clusterUp, HISTORY_SHARDS, TEMPORAL_SERVER_VERSION } from '../servers/cluster';
import { startDevServer } from '../servers/processes';
import { campaignQueueOf, WORKFLOWS_PATH } from '../worker';
import type { campaignWorkflow } from '../workflows/campaign';
import type { deskWorkflow } from '../workflows/desk';
import type { dutyWorkflow } from '../workflows/duty';
import { deskQuery } from '../workflows/messages';
import type { DutyInput } from '../workflows/types';
import { renderChart } from './chart';
import { startSinkProcess, startWorkerProcess, type WorkerProcess } from './children';
import { benchUnit, countyDuties, offsetFor, seedCampaign, seedDuties, stormDuties, typicalDuties } from './duties';
import { shanghaiInstant } from '../calendar/working-days';
import { childPids, cpuMeter, log, percentile, pool, processMemory, round, sleepMs, terminateAll, until, waitQuiet } from './lib';
import { summaryMarkdown, summaryRows } from './summary';
import type { startOnly, trivialWorkflow } from './trivial-workflows';
import { readCampaignLedger } from '../campaigns/ledger-read';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
    storm: { type: 'string' },
    typical: { type: 'string' },
    units: { type: 'string' },
    settle: { type: 'string' },
    // The typical case's batching: the deployment's desk (default, as `npm start` runs from 0.5.0; duties hand their
    // reminders ahead from 0.7.0), or a campaign of its own as 0.4.0 measured it.
    morning: { type: 'string', default: 'desk' },
    // Seconds from the typical case's start to its instant (default: from the calibration). With the desk, the
    // duties hand their reminders over in that time, as a deployment's do the evening before.
    lead: { type: 'string' },
    'cpu-prof': { type: 'string' },
    render: { type: 'string' },
    engine: { type: 'string', default: 'dev' },
  },
});
/** `--engine cluster`: the same phases on the real cluster `duban cluster up` sets up (data/cluster). */
const CLUSTER = args.engine === 'cluster';
const QUICK = args.quick;
const ONLY = new Set((args.only ?? 'campaign,storm,typical,replies,year').split(','));

/** Sizes and time bounds; every loop below is bounded by one of these. */
const CFG = QUICK
  ? { provinceCounties: 16, typicalN: 1000, typicalUnits: 50, stormN: 300, memoryPoints: [150, 300], stormBudgetMs: 60_000, replies: 200, settleBudgetMs: 5000, calibrationN: 50, countyRounds: 3, year: false }
  : { provinceCounties: 180, typicalN: 10_000, typicalUnits: 500, stormN: 10_000, memoryPoints: [1000, 5000, 10_000], stormBudgetMs: 310_000, replies: 300, settleBudgetMs: 20_000, calibrationN: 100, countyRounds: 10, year: true };
if (args.typical) CFG.typicalN = Number(args.typical);
if (args.units) CFG.typicalUnits = Number(args.units);
if (args.storm) {
  CFG.stormN = Number(args.storm);
  CFG.memoryPoints = CFG.memoryPoints.filter((p) => p < CFG.stormN).concat(CFG.stormN);
}
const START_CONCURRENCY = 50;
/** Campaign start: how long to wait for the worker to run the started duties' first tasks before moving on. */
const SETTLE_BUDGET_MS = CFG.settleBudgetMs;

const TARGETS = { campaignRatio: 0.7, stormRatio: 0.7, storm10kSeconds: 300, replyP99Ms: 300, rssMiB: 1024, yearSeconds: 60 };

const quietLogger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const runId = Date.now().toString(36);
const queue = (what: string) => `bench-${runId}-${what}`;

interface Ctx {
  address: string;
  /** The dev server's process, for its CPU use. */
  devPid: number;
  client: Client;
  dutyBundlePath: string;
  trivialBundlePath: string;
  tmp: string;
  /** Shared by the campaign phase, the calibration and the trivial storm. */
  trivial: WorkerProcess;
  trivialQueue: string;
  trivialDone: Map<number, number>;
  trivialIdleRssMiB: number;
  /** duban's worker without email: campaign start, calibration, replies. */
  duban: WorkerProcess;
  dubanQueue: string;
}

const startDuty = (client: Client, taskQueue: string, d: DutyInput) =>
  client.workflow.start<typeof dutyWorkflow>('dutyWorkflow', { taskQueue, workflowId: d.duty.dutyId, args: [d] });

// ---------------------------------------------------------------- 1. campaign start

interface StartFigure {
  n: number;
  started: number;
  failed: number;
  ms: number;
  perSecond: number;
  /** Until the worker had run every started workflow's first task (null: not within the budget). */
  settledMs: number | null;
}

async function timedStarts(n: number, worker: WorkerProcess, start: (i: number) => Promise<unknown>): Promise<StartFigure> {
  const t0 = Date.now();
  const r = await pool(n, START_CONCURRENCY, start, 300_000);
  const q0 = Date.now();
  const quiet = await waitQuiet(worker.inFlight, SETTLE_BUDGET_MS);
  return { n, started: r.done, failed: r.failed, ms: r.ms, perSecond: (r.done / r.ms) * 1000, settledMs: quiet < 0 ? null : q0 - t0 + quiet };
}

/** Rounds of starts, trivial and duty alternately (so drift on the machine hits both), summed. */
async function startRounds(ctx: Ctx, label: string, n: number, rounds: number) {
  const sum = { trivial: { started: 0, failed: 0, ms: 0, settled: [] as (number | null)[] }, duty: { started: 0, failed: 0, ms: 0, settled: [] as (number | null)[] } };
  // The campaign as it starts on the notice's day, Friday 29 April 2022 10:00 (office hours): every one-off
  // duty announces itself at once (to the recording channel; no email here).
  const offset = offsetFor(`${seedCampaign().nominalStart}:00`);
  for (let r = 0; r < rounds; r++) {
    const trivial = await timedStarts(n, ctx.trivial, (i) =>
      ctx.client.workflow.start<typeof startOnly>('startOnly', { taskQueue: ctx.trivialQueue, workflowId: queue(`start-${label}-${r}-${i}`) }),
    );
    const duties = countyDuties(n, queue(`start-${label}-${r}`), offset);
    const duty = await timedStarts(n, ctx.duban, (i) => startDuty(ctx.client, ctx.dubanQueue, duties[i]!));
    await terminateAll(ctx.client, duties.map((d) => d.duty.dutyId), 180_000);
    await waitQuiet(ctx.duban.inFlight, 60_000);
    for (const [k, f] of [['trivial', trivial], ['duty', duty]] as const) {
      sum[k].started += f.started;
      sum[k].failed += f.failed;
      sum[k].ms += f.ms;
      sum[k].settled.push(f.settledMs);
    }
  }
  return sum;
}

async function campaignPhase(ctx: Ctx) {
  const county = seedDuties().length;
  // Warm up both workers and the client's connection (not counted).
  await startRounds(ctx, 'warm-up', 20, 1);
  const out: Record<string, unknown> = {};
  for (const [label, n, rounds] of [
    ['county', county, CFG.countyRounds],
    ['province', county * CFG.provinceCounties, 1],
  ] as const) {
    log(`campaign start (${label}): ${rounds} × (${n} trivial workflows, then ${n} duty workflows)`);
    const s = await startRounds(ctx, label, n, rounds);
    const dutyPerSecond = (s.duty.started / s.duty.ms) * 1000;
    const trivialPerSecond = (s.trivial.started / s.trivial.ms) * 1000;
    const ratio = dutyPerSecond / trivialPerSecond;
    const settled = (xs: (number | null)[]) => (xs.every((x) => x !== null) ? Math.max(...(xs as number[])) : null);
    log(`  trivial ${round(trivialPerSecond)}/s, duties ${round(dutyPerSecond)}/s: ratio ${round(ratio, 2)}; duty worker done ${settled(s.duty.settled) ?? `> ${SETTLE_BUDGET_MS} ms`} after the first start`);
    out[label] = {
      n,
      rounds,
      dutyPerSecond: round(dutyPerSecond),
      trivialPerSecond: round(trivialPerSecond),
      ratio: round(ratio, 2),
      target: TARGETS.campaignRatio,
      met: ratio >= TARGETS.campaignRatio && s.duty.failed === 0,
      /** Per round: until the worker had run every first task (null: not within the settle budget). */
      dutyWorkerDoneMs: settled(s.duty.settled),
      trivialWorkerDoneMs: settled(s.trivial.settled),
      settleBudgetMs: SETTLE_BUDGET_MS,
      failed: s.duty.failed + s.trivial.failed,
    };
  }
  return out;
}

// ---------------------------------------------------------------- 2. deadline storm (and 4. worker memory)

interface StormFigure {
  n: number;
  started: number;
  delivered: number;
  deliveredWithin5Min: number;
  /** From the instant to the last delivery. */
  lastMs: number | null;
  deliveriesPerSecond: number | null;
  /** Over every started workflow; null when that rank was not delivered within the budget (see `budgetMs`). */
  p50LatenessMs: number | null;
  p99LatenessMs: number | null;
  budgetMs: number;
  /** The worker had run every first task this long before the instant (negative or null: it had not). */
  slackMs: number | null;
  /** CPU seconds each process used from the instant until the storm ended. */
  cpuSeconds?: Record<string, number | null>;
}

function stormFigure(n: number, started: number, instant: number, times: number[], readyAt: number | null): StormFigure {
  const lateness = times.map((t) => t - instant);
  const last = lateness.length ? Math.max(...lateness) : null;
  // Reminders not delivered within the budget count as later than every delivered one.
  const all = [...lateness, ...Array.from({ length: Math.max(0, started - times.length) }, () => Infinity)];
  return {
    n,
    started,
    delivered: times.length,
    deliveredWithin5Min: lateness.filter((l) => l <= 300_000).length,
    lastMs: last,
    deliveriesPerSecond: last ? round((times.length / Math.max(last, 1)) * 1000) : null,
    p50LatenessMs: round(percentile(all, 50), 0),
    p99LatenessMs: round(percentile(all, 99), 0),
    budgetMs: CFG.stormBudgetMs,
    slackMs: readyAt === null ? null : instant - readyAt,
  };
}

/**
 * Time to allow before the instant: starting N workflows and the worker running their first tasks, from the
 * calibration with a margin (a full worker cache makes later first tasks slower than the calibration's).
 */
const leadMs = (n: number, msPerWorkflow: number, margin: number, pauses = 0) => Math.round(5000 + n * msPerWorkflow * margin + pauses * 2500);
/** The most a storm waits for its instant (keeps a full run within ~30 minutes on a machine busy with other work). */
const MAX_LEAD_MS = { trivial: 240_000, duty: 600_000 };

/** Milliseconds per workflow (start and first task) for a batch of `n`, to place the storms' instant. */
async function calibrate(ctx: Ctx): Promise<{ trivialMs: number; dutyMs: number }> {
  const n = CFG.calibrationN;
  // As in the storms: workflows that set a timer an hour ahead and wait.
  const later = Date.now() + 3_600_000;
  const t = await timedStarts(n, ctx.trivial, (i) =>
    ctx.client.workflow.start<typeof trivialWorkflow>('trivialWorkflow', { taskQueue: ctx.trivialQueue, workflowId: queue(`cal-${i}`), args: [later, -1] }),
  );
  await terminateAll(ctx.client, Array.from({ length: n }, (_, i) => queue(`cal-${i}`)), 60_000);
  const duties = stormDuties(n, queue('cal'), '2022-06-15', Date.now() + 3_600_000);
  const d = await timedStarts(n, ctx.duban, (i) => startDuty(ctx.client, ctx.dubanQueue, duties[i]!));
  await terminateAll(ctx.client, duties.map((x) => x.duty.dutyId), 60_000);
  const trivialMs = (t.settledMs ?? SETTLE_BUDGET_MS) / n;
  const dutyMs = (d.settledMs ?? SETTLE_BUDGET_MS) / n;
  log(`calibration: ${round(trivialMs, 2)} ms per trivial workflow, ${round(dutyMs, 2)} ms per duty (start and first task)`);
  return { trivialMs, dutyMs };
}

async function stormTrivial(ctx: Ctx, n: number, msPerWorkflow: number): Promise<StormFigure & { workerRssMiB: number | null }> {
  ctx.trivialDone.clear();
  const t0 = Date.now();
  const instant = t0 + Math.min(MAX_LEAD_MS.trivial, leadMs(n, msPerWorkflow, 1.25));
  const r = await pool(
    n,
    START_CONCURRENCY,
    (i) => ctx.client.workflow.start<typeof trivialWorkflow>('trivialWorkflow', { taskQueue: ctx.trivialQueue, workflowId: queue(`storm-${i}`), args: [instant, i] }),
    instant - t0,
  );
  const q0 = Date.now();
  const quiet = await waitQuiet(ctx.trivial.inFlight, Math.max(0, instant - Date.now() - 200));
  const readyAt = quiet < 0 ? null : q0 + quiet;
  // The baseline for the worker's memory: the same number of open (sleeping) trivial workflows.
  await ctx.trivial.gc();
  const mem = processMemory(ctx.trivial.pid);
  log(`  trivial: ${r.done} started in ${r.ms} ms; ready ${readyAt ? `${instant - readyAt} ms before the instant` : 'NOT before the instant'}; worker RSS ${round(mem.rssMiB)} MiB`);
  await sleepMs(Math.max(0, instant - Date.now()));
  const cpu = cpuMeter({ devServer: ctx.devPid, worker: ctx.trivial.pid, bench: process.pid });
  await until('the trivial storm', () => ctx.trivialDone.size >= r.done || Date.now() > instant + CFG.stormBudgetMs, CFG.stormBudgetMs + Math.max(0, instant - Date.now()) + 5000, 50);
  return { ...stormFigure(n, r.done, instant, [...ctx.trivialDone.values()], readyAt), cpuSeconds: cpu.stop(), workerRssMiB: round(mem.rssMiB) };
}

interface MemoryPoint {
  openDuties: number;
  rssMiB: number | null;
  peakMiB: number | null;
  cachedWorkflows: number;
  /** The worker had run every first task when measured. */
  settled: boolean;
}

async function stormDuty(ctx: Ctx, n: number, msPerWorkflow: number) {
  const taskQueue = queue('storm-duty');
  const accepted = new Map<string, number>();
  let mails = 0;
  const sink = await startSinkProcess((items) => {
    for (const { key, at } of items) {
      mails++;
      if (!accepted.has(key)) accepted.set(key, at);
    }
  });
  const dataDir = mkdtempSync(join(ctx.tmp, 'storm-'));
  const worker = await startWorkerProcess({ address: ctx.address, taskQueue, kind: 'duban', bundlePath: ctx.dutyBundlePath, dataDir, smtpPort: sink.port }, undefined, args['cpu-prof']);
  const measureMemory = async () => {
    await worker.gc();
    await sleepMs(1000);
    return processMemory(worker.pid);
  };
  const idle = await measureMemory();
  log(`  duban worker process idle: RSS ${round(idle.rssMiB)} MiB`);
  // Wednesday 15 June 2022, an ordinary working day: the reminder "on the day" is at 09:00.
  const deadline = '2022-06-15';
  const t0 = Date.now();
  const instant = t0 + Math.min(MAX_LEAD_MS.duty, leadMs(n, msPerWorkflow, 1.4, CFG.memoryPoints.length));
  const duties = stormDuties(n, taskQueue, deadline, instant);
  const keys = new Set(duties.map((d) => `${d.duty.dutyId}/reminder/${deadline}`));
  const ours = () => [...accepted].filter(([k]) => keys.has(k));
  const memory: MemoryPoint[] = [];
  let started = 0;
  let readyAt: number | null = null;
  try {
    log(`  instant in ${round((instant - t0) / 1000)} s; starting ${n} duties, measuring the worker's memory at ${CFG.memoryPoints.join(', ')} open duties`);
    for (const point of CFG.memoryPoints) {
      const from = started;
      const r = await pool(point - from, START_CONCURRENCY, (i) => startDuty(ctx.client, taskQueue, duties[from + i]!), Math.max(1000, instant - Date.now()));
      started += r.done;
      const q0 = Date.now();
      const quiet = await waitQuiet(worker.inFlight, Math.max(0, instant - Date.now() - 3000));
      readyAt = quiet < 0 ? null : q0 + quiet;
      const mem = await measureMemory();
      const status = await worker.status();
      memory.push({ openDuties: started, rssMiB: round(mem.rssMiB), peakMiB: round(mem.peakMiB), cachedWorkflows: status.cached, settled: quiet >= 0 });
      log(`  ${started} open duties: worker RSS ${round(mem.rssMiB)} MiB (peak so far ${round(mem.peakMiB)} MiB), ${status.cached} cached; ${round((instant - Date.now()) / 1000)} s to the instant`);
      if (Date.now() > instant) break;
    }
    log(`  duties: ${started} started; ready ${readyAt ? `${instant - readyAt} ms before the instant` : 'NOT before the instant'}`);
    await sleepMs(Math.max(0, instant - Date.now()));
    const cpu = cpuMeter({ devServer: ctx.devPid, worker: worker.pid, sink: sink.pid, bench: process.pid });
    let lastReport = Date.now();
    await until(
      'the duty storm',
      () => {
        const got = ours().length;
        if (Date.now() - lastReport > 30_000) {
          lastReport = Date.now();
          log(`  … ${got}/${started} reminders accepted by the sink, ${round((Date.now() - instant) / 1000)} s after the instant`);
        }
        return got >= started || Date.now() > instant + CFG.stormBudgetMs;
      },
      CFG.stormBudgetMs + Math.max(0, instant - Date.now()) + 5000,
      100,
    );
    const after = processMemory(worker.pid);
    return {
      figure: { ...stormFigure(n, started, instant, ours().map(([, at]) => at), readyAt), cpuSeconds: cpu.stop() },
      mailsAccepted: mails,
      memory: { idleRssMiB: round(idle.rssMiB), points: memory, peakDuringStormMiB: round(after.peakMiB) },
    };
  } finally {
    await worker.stop(5000);
    const t = await terminateAll(ctx.client, duties.slice(0, started).map((d) => d.duty.dutyId), 300_000);
    log(`  terminated ${t.done} duties in ${t.ms} ms`);
    await sink.stop();
  }
}

// ---------------------------------------------------------------- 2b. the typical case: batched per unit

/**
 * `--only typical`: N reminders due at one instant over U units (N/U each), handed to a campaign that sends one
 * morning message per unit, by email to the SMTP sink. The figure is when each unit's message was accepted:
 * every duty's reminder is in it, so the last unit's message is when the last duty was delivered.
 */
async function typicalPhase(ctx: Ctx) {
  const n = CFG.typicalN;
  const units = CFG.typicalUnits;
  const settleSeconds = args.settle === undefined ? undefined : Number(args.settle);
  const taskQueue = queue('typical');
  const accepted = new Map<string, number>();
  const counts = new Map<string, number>();
  const sink = await startSinkProcess((items) => {
    for (const { key, at } of items) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (!accepted.has(key)) accepted.set(key, at);
    }
  });
  const dataDir = mkdtempSync(join(ctx.tmp, 'typical-'));
  const campaignQueue = campaignQueueOf(taskQueue);
  const worker = await startWorkerProcess({ address: ctx.address, taskQueue, kind: 'duban', bundlePath: ctx.dutyBundlePath, dataDir, smtpPort: sink.port, extraUnits: units, campaignQueue });
  const deadline = '2022-06-15';
  const cal = await calibrate(ctx);
  const t0 = Date.now();
  const instant = t0 + (args.lead ? Number(args.lead) * 1000 : Math.min(MAX_LEAD_MS.duty, leadMs(n, cal.dutyMs, 1.6, 1) + 20_000));
  const clockOffsetMs = shanghaiInstant(deadline) - instant;
  // The campaign that batches: the seed plan's first task keeps it running (its own duties announce themselves
  // at start, long before the instant, and are not counted); no digests.
  const campaignId = queue('typical-campaign');
  const seed = seedCampaign().input;
  const campaignInput = { ...seed, campaignId, plan: { ...seed.plan, tasks: seed.plan.tasks.slice(0, 1) }, clockOffsetMs, options: { digests: false, dutyTaskQueue: taskQueue, ...(settleSeconds !== undefined ? { morningSettleSeconds: settleSeconds } : {}) } };
  const campaignId_ = `duban/${campaignId}`;
  const viaDesk = args.morning !== 'campaign';
  const deskId = `duban/desk/${taskQueue}`;
  const duties = viaDesk
    ? typicalDuties(n, units, taskQueue, deadline, instant, deskId).map((d) => ({ ...d, morningDesk: true }))
    : typicalDuties(n, units, taskQueue, deadline, instant, campaignId_);
  const keyPrefix = viaDesk ? deskId : campaignId;
  const unitKey = (u: string) => `${keyPrefix}/morning/${deadline}/09:00/${u}`;
  const wanted = new Set(Array.from({ length: units }, (_, i) => unitKey(benchUnit(i))));
  const late = () => [...accepted.keys()].filter((k) => k.startsWith(`${keyPrefix}/morning/${deadline}/`) && !wanted.has(k) && /单位\d{4}$/.test(k));
  let started = 0;
  try {
    // As `npm start` runs it: the campaign (and the desk) on a queue of its own, the duties on the main one.
    await ctx.client.workflow.start<typeof campaignWorkflow>('campaignWorkflow', { taskQueue: campaignQueue, workflowId: campaignId_, args: [campaignInput] });
    if (viaDesk) {
      await ctx.client.workflow.start<typeof deskWorkflow>('deskWorkflow', { taskQueue: campaignQueue, workflowId: deskId, args: [{ deskId, calendar: seed.calendar, campaigns: [], clockOffsetMs }] });
    }
    log(`typical case: ${n} reminders over ${units} units at one instant, batched per unit by the ${viaDesk ? 'desk (reminders handed ahead)' : 'campaign'} (settles ${settleSeconds === undefined ? 'by arrivals, 20 s–10 min' : `${settleSeconds} s`}); instant in ${round((instant - t0) / 1000)} s`);
    const r = await pool(n, START_CONCURRENCY, (i) => startDuty(ctx.client, taskQueue, duties[i]!), Math.max(1000, instant - Date.now()));
    started = r.done;
    const quiet = await waitQuiet(worker.inFlight, Math.max(0, instant - Date.now() - 3000));
    log(`  ${started} duties started; ${quiet < 0 ? 'NOT ready' : `ready ${round((instant - Date.now()) / 1000)} s`} before the instant`);
    let handedAt: number | null = null;
    if (viaDesk) {
      // Handed over when the desk holds every duty's item (it answers its query between signals).
      const desk = ctx.client.workflow.getHandle(deskId);
      while (Date.now() < instant - 2000) {
        const held = await desk.query(deskQuery).catch(() => undefined);
        if (held && held.pending >= started) {
          handedAt = Date.now();
          break;
        }
        await sleepMs(2000);
      }
      log(`  ${handedAt ? `the desk held all ${started} items ${round((handedAt - t0) / 1000)} s after the start, ${round((instant - handedAt) / 1000)} s before the instant` : 'the desk did NOT hold every item by the instant'}`);
    }
    await sleepMs(Math.max(0, instant - Date.now()));
    const cpu = cpuMeter({ devServer: ctx.devPid, worker: worker.pid, sink: sink.pid, bench: process.pid });
    const budgetMs = (settleSeconds ?? 600) * 1000 + CFG.stormBudgetMs;
    let lastReport = Date.now();
    await until(
      'the typical case',
      () => {
        const got = [...wanted].filter((k) => accepted.has(k)).length;
        if (Date.now() - lastReport > 15_000) {
          lastReport = Date.now();
          log(`  … ${got}/${units} units' messages accepted, ${round((Date.now() - instant) / 1000)} s after the instant`);
        }
        return got >= units || Date.now() > instant + budgetMs;
      },
      budgetMs + 5000,
      100,
    );
    // Items that came after their unit's message went would make a second message: give them a moment.
    await sleepMs(5000);
    const times = [...wanted].filter((k) => accepted.has(k)).map((k) => accepted.get(k)! - instant);
    const campaign = await ctx.client.workflow.getHandle(viaDesk ? deskId : campaignId_).describe();
    const figure = {
      n,
      units,
      started,
      settle: settleSeconds === undefined ? 'by arrivals (20 s–10 min)' : `${settleSeconds} s`,
      batchedBy: viaDesk ? 'desk, reminders handed ahead' : 'campaign',
      ...(viaDesk ? { handedOverSeconds: handedAt ? round((handedAt - t0) / 1000) : null, leadSeconds: round((instant - t0) / 1000) } : {}),
      unitsMessaged: times.length,
      lastMs: times.length ? Math.max(...times) : null,
      firstMs: times.length ? Math.min(...times) : null,
      p50Ms: round(percentile(times, 50), 0),
      withinTarget: times.filter((t) => t <= 60_000).length,
      repeats: [...wanted].reduce((s, k) => s + Math.max(0, (counts.get(k) ?? 0) - 1), 0),
      lateMessages: late().length,
      campaignStatus: campaign.status.name,
      cpuSeconds: cpu.stop(),
      targetSeconds: 60,
    };
    log(`  ${figure.unitsMessaged}/${units} units messaged; first ${round((figure.firstMs ?? NaN) / 1000, 1)} s, last ${round((figure.lastMs ?? NaN) / 1000, 1)} s after the instant; ${figure.lateMessages} late second messages, ${figure.repeats} repeats; campaign ${figure.campaignStatus}`);
    return { ...figure, met: figure.unitsMessaged === units && (figure.lastMs ?? Infinity) <= 60_000 && figure.lateMessages === 0 };
  } finally {
    await worker.stop(5000);
    await terminateAll(ctx.client, [...duties.slice(0, started).map((d) => d.duty.dutyId), campaignId_, ...(viaDesk ? [deskId] : [])], 300_000).catch(() => undefined);
    await sink.stop();
  }
}

async function stormPhase(ctx: Ctx) {
  const n = CFG.stormN;
  const cal = await calibrate(ctx);
  log(`deadline storm: ${n} trivial activities due at one instant`);
  const trivial = await stormTrivial(ctx, n, cal.trivialMs);
  log(`  trivial: ${trivial.delivered}/${n}, ${trivial.deliveriesPerSecond}/s, lateness p50 ${trivial.p50LatenessMs} ms, p99 ${trivial.p99LatenessMs} ms`);
  log(`deadline storm: ${n} duty reminders due at one instant, by email to the SMTP sink`);
  const { figure: duty, mailsAccepted, memory } = await stormDuty(ctx, n, cal.dutyMs);
  log(`  duties: ${duty.delivered}/${n}, ${duty.deliveriesPerSecond}/s, lateness p50 ${duty.p50LatenessMs} ms, p99 ${duty.p99LatenessMs} ms`);
  const ratio = duty.deliveriesPerSecond && trivial.deliveriesPerSecond ? duty.deliveriesPerSecond / trivial.deliveriesPerSecond : null;
  const measured10k = n >= 10_000;
  const all = duty.delivered >= 10_000;
  // 10,000 reminders: measured when N was 10,000 (all delivered: the last one's lateness), else projected
  // from the measured rate.
  const tenK = measured10k && all ? (duty.lastMs ?? 0) / 1000 : duty.deliveriesPerSecond ? 10_000 / duty.deliveriesPerSecond : null;
  const at10k = memory.points.find((p) => p.openDuties >= 10_000) ?? memory.points.at(-1);
  return {
    storm: {
      n,
      duty: { ...duty, mailsAccepted },
      trivial,
      ratio: round(ratio ?? NaN, 2),
      ratioTarget: TARGETS.stormRatio,
      ratioMet: ratio !== null && ratio >= TARGETS.stormRatio,
      calibrationMsPerWorkflow: { trivial: round(cal.trivialMs, 2), duty: round(cal.dutyMs, 2) },
      tenThousand: {
        seconds: round(tenK ?? NaN, 0),
        how: measured10k ? (all ? 'measured' : 'projected from the measured rate') : `projected from N = ${n}`,
        deliveredWithin5Min: measured10k ? duty.deliveredWithin5Min : null,
        targetSeconds: TARGETS.storm10kSeconds,
        met: measured10k ? duty.deliveredWithin5Min >= 10_000 : tenK !== null && tenK <= TARGETS.storm10kSeconds,
      },
    },
    memory: {
      ...memory,
      baseline: { trivialWorkerIdleRssMiB: round(ctx.trivialIdleRssMiB), trivialWorkerRssMiB: trivial.workerRssMiB, openTrivialWorkflows: trivial.started },
      targetMiB: TARGETS.rssMiB,
      // Judged only when 10,000 duties were open (not in a quick run).
      met: at10k && at10k.openDuties >= 10_000 ? at10k.settled && (at10k.rssMiB ?? Infinity) < TARGETS.rssMiB : null,
    },
  };
}

// ---------------------------------------------------------------- 3. reply round trip

async function repliesPhase(ctx: Ctx) {
  const { directory, input } = seedCampaign();
  const taskQueue = ctx.dubanQueue;
  const mocker = new mock.Mocker();
  const bot = WechatyBuilder.build({ puppet: new PuppetMock({ mocker }) });
  const self = mocker.createContact({ name: '督办助手' });
  const campaignId = queue('replies');
  const campaignWorkflowId = `duban/${campaignId}`;
  registerHandlers(bot, { client: ctx.client, directory, campaignWorkflowId });
  await bot.start();
  mocker.login(self);
  await until('the bot login', () => bot.isLoggedIn, 20_000);
  const rtts: number[] = [];
  let refused = 0;
  let missing = 0;
  let dutyIds: string[] = [];
  try {
    // Thursday 5 May 2022, 10:00: a working day in office hours; the campaign starts every duty of the plan.
    await ctx.client.workflow.start<typeof campaignWorkflow>('campaignWorkflow', {
      taskQueue,
      workflowId: campaignWorkflowId,
      args: [{ ...input, campaignId, clockOffsetMs: offsetFor('2022-05-05T10:00:00') }],
    });
    const handle = ctx.client.workflow.getHandle(campaignWorkflowId);
    await until('every duty in the ledger', async () => (await readCampaignLedger(handle)).length >= seedDuties('2022-05-05').length, 60_000);
    await waitQuiet(ctx.duban.inFlight, 120_000);
    const ledger = await readCampaignLedger(handle);
    dutyIds = ledger.map((e) => e.dutyId);
    // Who replies: for every (unit, task) of the campaign, the unit's first coordinator, in the unit's group.
    // Each names its duty by its reply code (a bare task number is a question when the unit holds several).
    const speakers = [...new Map(ledger.map((e) => [`${e.unit}/${e.code ?? e.taskNumber}`, e])).values()].flatMap((e) => {
      const unit = directory.units[e.unit];
      const person = unit?.coordinators.find((c) => c.wechat);
      return unit?.wechatGroup && person?.wechat ? [{ code: e.code ?? String(e.taskNumber), group: unit.wechatGroup, wechat: person.wechat, name: person.name }] : [];
    });
    const contacts = new Map<string, mock.ContactMock>();
    const rooms = new Map<string, mock.RoomMock>();
    let waiting: { group: string; resolve: (text: string) => void } | undefined;
    for (const s of speakers) {
      if (!contacts.has(s.wechat)) contacts.set(s.wechat, mocker.createContact({ id: s.wechat, name: s.name }));
      if (!rooms.has(s.group)) {
        const room = mocker.createRoom({ topic: s.group, memberIdList: [self.id, contacts.get(s.wechat)!.id] });
        room.on('message', (m) => {
          if (m.talker().id === self.id && waiting?.group === s.group) waiting.resolve(m.text() ?? '');
        });
        rooms.set(s.group, room);
      }
    }
    const warmUp = 10;
    log(`reply round trip: ${CFG.replies} replies (after ${warmUp} to warm up) from ${contacts.size} coordinators in ${rooms.size} groups`);
    const end = Date.now() + 5 * 60_000;
    for (let i = 0; i < CFG.replies + warmUp && Date.now() < end; i++) {
      const s = speakers[i % speakers.length]!;
      const answered = new Promise<string>((resolve) => (waiting = { group: s.group, resolve }));
      const t0 = performance.now();
      contacts.get(s.wechat)!.say(`收到 ${s.code}`).to(rooms.get(s.group)!);
      const text = await Promise.race([answered, sleepMs(10_000).then(() => undefined)]);
      const rtt = performance.now() - t0;
      waiting = undefined;
      if (text === undefined) missing++;
      else if (!text.includes(`已确认 ${s.code}（`)) refused++;
      else if (i >= warmUp) rtts.push(rtt);
    }
  } finally {
    await terminateAll(ctx.client, [campaignWorkflowId, ...dutyIds], 60_000);
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

/** `--render FILE.json`: writes the table (.md) and the chart (.svg) for a results file again, measuring nothing. */
function render(file: string): void {
  const results = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const base = file.replace(/\.json$/, '');
  writeFileSync(`${base}.md`, summaryMarkdown(results));
  writeFileSync(base.endsWith('quick') ? join(dirname(base), 'quick-chart.svg') : join(dirname(base), 'chart.svg'), renderChart(results));
  process.stdout.write(summaryMarkdown(results));
}

async function main() {
  if (args.render) return render(args.render);
  const wall = Date.now();
  // No shutdown signals for the SDK's runtime: Ctrl-C stops the child processes and the server here.
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  const tmp = mkdtempSync(join(tmpdir(), 'duban-bench-'));
  log(`${QUICK ? 'quick' : 'full'} run; phases: ${[...ONLY].join(', ')}`);
  const [dev, dutyBundle, trivialBundle] = await Promise.all([
    CLUSTER
      ? clusterUp(join(process.cwd(), 'data'), (line) => log(line)).then((c) => ({ address: c.address, startMs: 0, stop: async () => undefined }))
      : startDevServer(),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger }),
    bundleWorkflowCode({ workflowsPath: join(__dirname, 'trivial-workflows.ts'), logger: quietLogger }),
  ]);
  log(CLUSTER ? `cluster ${dev.address} (PostgreSQL, ${HISTORY_SHARDS} history shards)` : `dev server ${dev.address} (in memory) ready in ${dev.startMs} ms`);
  // Interrupted: stop the dev server (worker and sink processes exit when their IPC channel closes).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      void Promise.race([dev.stop(), sleepMs(15_000)]).finally(() => process.exit(130));
    });
  }
  const dutyBundlePath = join(tmp, 'duty-bundle.js');
  const trivialBundlePath = join(tmp, 'trivial-bundle.js');
  writeFileSync(dutyBundlePath, dutyBundle.code);
  writeFileSync(trivialBundlePath, trivialBundle.code);
  const connection = await Connection.connect({ address: dev.address });
  const client = new Client({ connection });
  const results: Record<string, unknown> = {
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      kernel: release(),
      temporalServer: CLUSTER
        ? `Temporal server ${TEMPORAL_SERVER_VERSION} cluster: frontend, history, matching, worker as 4 processes, ${HISTORY_SHARDS} history shards, PostgreSQL 15 (same machine)`
        : 'Temporal CLI v1.5.1 dev server (Server 1.29.1), in-memory SQLite',
    },
    date: new Date().toISOString(),
    mode: QUICK ? 'quick' : 'full',
  };
  const trivialDone = new Map<number, number>();
  const trivialQueue = queue('trivial');
  const dubanQueue = queue('duban');
  const children: WorkerProcess[] = [];
  try {
    if (ONLY.has('campaign') || ONLY.has('storm') || ONLY.has('typical') || ONLY.has('replies')) {
      const [trivial, duban] = await Promise.all([
        startWorkerProcess({ address: dev.address, taskQueue: trivialQueue, kind: 'trivial', bundlePath: trivialBundlePath }, (items) => {
          for (const { id, at } of items) if (id >= 0 && !trivialDone.has(id)) trivialDone.set(id, at);
        }),
        startWorkerProcess({ address: dev.address, taskQueue: dubanQueue, kind: 'duban', bundlePath: dutyBundlePath }),
      ]);
      children.push(trivial, duban);
      await trivial.gc();
      const trivialIdleRssMiB = processMemory(trivial.pid).rssMiB;
      const devPid = childPids('temporal')[0] ?? 0;
      const ctx: Ctx = { address: dev.address, devPid, client, dutyBundlePath, trivialBundlePath, tmp, trivial, trivialQueue, trivialDone, trivialIdleRssMiB, duban, dubanQueue };
      if (ONLY.has('campaign')) results.campaignStart = await campaignPhase(ctx);
      if (ONLY.has('storm')) Object.assign(results, await stormPhase(ctx));
      if (ONLY.has('typical')) results.typical = await typicalPhase(ctx);
      if (ONLY.has('replies')) results.replies = await repliesPhase(ctx);
    }
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await connection.close();
    await dev.stop();
  }
  // Last, with the dev server stopped, so the test server has the machine.
  if (ONLY.has('year')) {
    results.year = CFG.year || args.only ? await yearPhase({ code: dutyBundle.code }) : { skipped: 'quick run: the year alone takes longer than the quick budget; run without --quick' };
  }
  results.wallSeconds = round((Date.now() - wall) / 1000);
  const outDir = args.out ?? join(__dirname, 'results');
  mkdirSync(outDir, { recursive: true });
  const name = `${CLUSTER ? 'cluster-' : ''}${QUICK ? 'quick' : 'latest'}`;
  results.summary = summaryRows(results);
  writeFileSync(join(outDir, `${name}.json`), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(outDir, `${name}.md`), summaryMarkdown(results));
  writeFileSync(join(outDir, `${CLUSTER ? 'cluster-' : ''}${QUICK ? 'quick-chart.svg' : 'chart.svg'}`), renderChart(results));
  rmSync(tmp, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  process.stderr.write(`\n${summaryMarkdown(results)}\n`);
  log(`done in ${results.wallSeconds} s; wrote ${join(outDir, `${name}.json`)}, ${name}.md and the chart`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`benchmark failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
