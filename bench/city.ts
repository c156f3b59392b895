/**
 * `npm run bench:city -- --campaigns 10 --duties 10000 --units 500 --shards 4 --engine cluster|dev [--lead S]`:
 * a city's morning (issue #27), through real campaigns; no duty is started directly.
 *
 * - **Directory.** A synthetic one: the seed directory's offices plus `units` units (单位0001 …), each with one
 *   email coordinator, written to the benchmark's own temporary data dir and read back from there by the worker
 *   and the plan check (seeds/ is not touched).
 * - **Campaigns.** `campaigns` plans of duties/campaigns tasks each, written to the data dir and started one after
 *   another as `duban campaign start` starts them (cli/campaign.ts startCampaignWorkflow: the campaign on the
 *   campaigns' queue, its duties on the main one, the deployment's desk with the worker's DUBAN_DESK_SHARDS read
 *   from deployment.json; each campaign gets its own reply-code prefix, so the next is started only once the last
 *   answers its info query). Every task is due on Wednesday 15 June 2022, a reminder on the day only, and starts at
 *   08:20 on a clock shifted so that 09:00 is `lead` seconds ahead in real time (test/drills/cluster/desk-campaign.ts;
 *   the desk on the same clock through deskOnDrillClock). Each duty's request to acknowledge and its reminder are
 *   then both for 09:00, handed to the desk shards at once.
 * - **Recipients across campaigns and shards.** Task i of campaign c is led by unit i mod U and copies one co-unit
 *   (配合单位（知悉）), unit (i + 1 + c·⌊U/C⌋) mod U: never the lead, and a different unit for each campaign. The copy
 *   rides on the duty's first request to acknowledge, so that item has two recipients, usually in two different
 *   shards (split by the duty, workflows/desk-shards.ts). Each unit is then owed exactly one message at 09:00,
 *   listing the N/U tasks it leads and the N/U tasks it is copied on, from every campaign, gathered by its one shard
 *   from duties of every campaign. Task numbers are unique across campaigns (campaign c's start at c·100000 + 1),
 *   so a message's 「任务N」 names one duty.
 * - **Processes.** The worker (bench/city-worker.ts, both queues as `duban worker`) and the SMTP sink
 *   (bench/city-sink.ts) each in their own process; the worker's RSS sampled from /proc every 2 s.
 * - **Engine.** `cluster`: `duban cluster up` (servers/cluster.ts clusterUp, tied to this process) on a data dir of
 *   the benchmark's own, deleted afterwards, after waiting for /tmp/duban-cluster.lock to be free and taking it;
 *   `dev`: the embedded dev server (in memory).
 *
 * Writes bench/results/city-<N>-<engine>.json and .md (`--out DIR` elsewhere).
 */
import { randomUUID } from 'node:crypto';
import { fork, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { stringify } from 'yaml';
import { loadCampaign } from '../cli/campaign-input';
import { startCampaignWorkflow } from '../cli/campaign';
import { channelSettingsFromEnv, writeChannelSettings } from '../campaigns/deployment';
import { deskIdFor, listCampaigns } from '../campaigns/registry';
import { loadDirectory, writePlan } from '../plan/files';
import { clusterStop, clusterUp, HISTORY_SHARDS, TEMPORAL_SERVER_VERSION, type ClusterHandle } from '../servers/cluster';
import { startDevServer } from '../servers/processes';
import { campaignQueueOf, WORKFLOWS_PATH } from '../worker';
import { expandCampaign } from '../workflows/expand';
import { deskShardIds, shardOfUnit } from '../workflows/desk-shards';
import { deskQuery } from '../workflows/messages';
import { DRILL_DATE, DRILL_INSTANT, deskOnDrillClock } from '../test/drills/cluster/desk-campaign';
import { benchDirectory, benchUnit } from './duties';
import { log, percentile, processMemory, round, sleepMs } from './lib';
import type { CityMail } from './city-sink';
import type { CityWorkerConfig, CityWorkerStatus } from './city-worker';

const { values: args } = parseArgs({
  options: {
    campaigns: { type: 'string', default: '10' },
    duties: { type: 'string', default: '10000' },
    units: { type: 'string', default: '500' },
    shards: { type: 'string', default: '4' },
    engine: { type: 'string', default: 'cluster' },
    /** Seconds from the first campaign's start to 09:00 (default: from the size). */
    lead: { type: 'string' },
    out: { type: 'string' },
    /** Seconds after the instant to wait for every unit's message before counting (default 660: the desk's longest settling and a margin). */
    within: { type: 'string', default: '660' },
    /** A label for the results file (default: the duty count). */
    name: { type: 'string' },
  },
});

const C = Number(args.campaigns);
const N = Number(args.duties);
const U = Number(args.units);
const SHARDS = Number(args.shards);
const ENGINE = args.engine === 'dev' ? 'dev' : 'cluster';
const PER_CAMPAIGN = Math.floor(N / C);
if (!(C >= 1 && PER_CAMPAIGN >= 1 && U >= 2 && N % C === 0 && PER_CAMPAIGN < 100_000)) throw new Error('--duties must be a multiple of --campaigns (under 100,000 each), --units at least 2');
/** Default lead: time to start and hand over on this machine's cluster (about 40 duties/s), with a margin. */
const LEAD_MS = (args.lead ? Number(args.lead) : Math.round(90 + N / 30)) * 1000;
const WITHIN_MS = Number(args.within) * 1000;
const LOCK = '/tmp/duban-cluster.lock';
const TSX = ['--require', require.resolve('tsx/cjs')];
const START = Date.parse(`${DRILL_DATE}T08:20:00+08:00`);
const quietLogger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').trim();

// ---------------------------------------------------------------- child processes

/** DUBAN_BENCH_PROFILE=DIR: the worker writes a CPU profile of each of its threads to DIR (node --cpu-prof). */
function forkTs(file: string, argv: string[]): ChildProcess {
  const profile = file === 'city-worker.ts' && process.env.DUBAN_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.DUBAN_BENCH_PROFILE}`] : [];
  return fork(join(__dirname, file), argv, { execArgv: [...TSX, ...profile], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function whenMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} from child ${child.pid} in ${timeoutMs} ms`)), timeoutMs);
    const on = (m: { type: string }) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    child.once('exit', (code) => reject(new Error(`child ${child.pid} exited (${code}) before ${type}`)));
  });
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  if (child.connected) child.send({ type: 'stop' });
  if (await Promise.race([gone.then(() => false), sleepMs(graceMs).then(() => true)])) {
    child.kill('SIGKILL');
    await gone;
  }
}

// ---------------------------------------------------------------- the lock

async function takeLock(): Promise<void> {
  let said = false;
  while (existsSync(LOCK)) {
    if (!said) log(`${LOCK} exists (${readFileSync(LOCK, 'utf8').trim()}): waiting for it to go (every 30 s)`);
    said = true;
    await sleepMs(30_000);
  }
  writeFileSync(LOCK, `bench:city (bench/city.ts, pid ${process.pid}) ${new Date().toISOString()}\n`);
  log(`took ${LOCK}`);
}

function releaseLock(): void {
  try {
    if (readFileSync(LOCK, 'utf8').includes(`pid ${process.pid})`)) rmSync(LOCK);
  } catch {
    // Not ours, or gone.
  }
}

// ---------------------------------------------------------------- what each unit is owed

interface Owed {
  /** Task numbers the unit must find in its message. */
  tasks: Set<number>;
  campaigns: Set<number>;
}

// ---------------------------------------------------------------- main

async function main() {
  const wall = Date.now();
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  const results: Record<string, unknown> = {
    command: `npm run bench:city -- ${process.argv.slice(2).join(' ')}`,
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      kernel: release(),
      temporalServer:
        ENGINE === 'cluster'
          ? `Temporal server ${TEMPORAL_SERVER_VERSION} cluster: frontend, history, matching, worker as 4 processes, ${HISTORY_SHARDS} history shards, PostgreSQL 15 (same machine)`
          : 'Temporal CLI dev server (in-memory SQLite)',
    },
    loadAverageAtStart: loadavg(),
    size: { campaigns: C, duties: N, dutiesPerCampaign: PER_CAMPAIGN, units: U, deskShards: SHARDS, engine: ENGINE, leadSeconds: LEAD_MS / 1000 },
  };
  const tmp = mkdtempSync(join(tmpdir(), 'duban-city-'));
  chmodSync(tmp, 0o755);
  const dataDir = join(tmp, 'data');
  mkdirSync(dataDir);
  const errors: string[] = [];
  let cluster: ClusterHandle | undefined;
  let stopDev: (() => Promise<void>) | undefined;
  let worker: ChildProcess | undefined;
  let sink: ChildProcess | undefined;
  let connection: Connection | undefined;
  let lockTaken = false;
  let stopping = false;
  const teardown = async () => {
    if (stopping) return;
    stopping = true;
    if (worker) await stopChild(worker, 15_000).catch(() => undefined);
    if (sink) await stopChild(sink, 10_000).catch(() => undefined);
    await connection?.close().catch(() => undefined);
    if (cluster) await clusterStop(cluster, (l) => log(`cluster: ${l}`)).catch((e: unknown) => log(`cluster stop: ${String(e)}`));
    if (stopDev) await stopDev().catch(() => undefined);
    if (cluster) {
      // The benchmark's own cluster data (and PostgreSQL's files, when they went to a folder of their own).
      rmSync(tmp, { recursive: true, force: true });
      const pg = cluster.paths.pgData.replace(/\/pg$/, '');
      if (pg.startsWith(tmpdir()) && pg.includes('duban-pg-')) rmSync(pg, { recursive: true, force: true });
    } else rmSync(tmp, { recursive: true, force: true });
    if (lockTaken) releaseLock();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      void Promise.race([teardown(), sleepMs(60_000)]).finally(() => process.exit(130));
    });
  }
  try {
    // The directory, written and read back as the worker reads it.
    const directoryFile = join(dataDir, 'units.yaml');
    writeFileSync(directoryFile, `# bench/city.ts: the seed directory's offices and ${U} synthetic units\n${stringify(benchDirectory(U), { lineWidth: 0 })}`);
    const directory = loadDirectory(directoryFile);
    const units = Array.from({ length: U }, (_, i) => benchUnit(i));
    process.env.DUBAN_DATA_DIR = dataDir;
    // As the worker writes it at start: `campaign start` reads the desk's shard count there.
    writeChannelSettings(dataDir, channelSettingsFromEnv({ DUBAN_DESK_SHARDS: String(SHARDS) }));

    const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
    const bundlePath = join(tmp, 'workflow-bundle.js');
    writeFileSync(bundlePath, bundle.code);

    let address: string;
    if (ENGINE === 'cluster') {
      await takeLock();
      lockTaken = true;
      const t = Date.now();
      cluster = await clusterUp(join(tmp, 'cluster-data'), (l) => log(`cluster: ${l}`), { tiedToProcess: true });
      address = cluster.address;
      results.serverStartSeconds = round((Date.now() - t) / 1000);
    } else {
      const dev = await startDevServer();
      stopDev = dev.stop;
      address = dev.address;
      results.serverStartSeconds = round(dev.startMs / 1000);
    }
    log(`${ENGINE} at ${address}; ${C} campaigns × ${PER_CAMPAIGN} duties over ${U} units, ${SHARDS} desk shards; load ${loadavg()}`);
    connection = await Connection.connect({ address });

    // The sink.
    const mails: CityMail[] = [];
    sink = forkTs('city-sink.ts', []);
    sink.on('message', (m: { type: string; items?: CityMail[] }) => {
      if (m.type === 'mails' && m.items) mails.push(...m.items);
    });
    const { port } = await whenMessage<{ port: number }>(sink, 'ready', 60_000);

    // The worker.
    const taskQueue = `city-${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
    const workerConfig: CityWorkerConfig = { address, taskQueue, bundlePath, directoryFile, dataDir, smtpPort: port };
    worker = forkTs('city-worker.ts', [JSON.stringify(workerConfig)]);
    await whenMessage(worker, 'ready', 120_000);
    const workerPid = worker.pid ?? 0;
    let workerExit: string | undefined;
    worker.once('exit', (code, signal) => {
      workerExit = `worker exited (${code ?? signal})`;
      if (!stopping) errors.push(workerExit);
    });
    const workerStatus = async () => {
      if (!worker?.connected) return undefined;
      const p = whenMessage<CityWorkerStatus>(worker, 'status', 10_000);
      worker.send({ type: 'status' });
      return p.catch(() => undefined);
    };
    const idleRss = processMemory(workerPid).rssMiB;

    const deskId = deskIdFor(taskQueue);
    const shardIds = deskShardIds(deskId, SHARDS);
    const t0 = Date.now();
    const instant = t0 + LEAD_MS;
    const clockOffsetMs = DRILL_INSTANT - instant;
    const client = new Client({ connection, interceptors: { workflow: [deskOnDrillClock(clockOffsetMs)] } });
    const plain = new Client({ connection });

    // Samples every 2 s: duties started, items the shards hold, the worker's RSS, the load.
    const samples: { t: number; started: number | null; held: (number | null)[]; rssMiB: number | null }[] = [];
    let rssPeak = idleRss;
    let sampling = true;
    const countDuties = async () =>
      plain.workflow
        .count(`TaskQueue = '${taskQueue}' AND WorkflowType = 'dutyWorkflow'`)
        .then((c) => c.count)
        .catch(() => null);
    const deskHeld = (id: string) =>
      plain
        .withDeadline(Date.now() + 5000, () => plain.workflow.getHandle(id).query(deskQuery))
        .then((s) => s.pending)
        .catch(() => null);
    const sampler = (async () => {
      while (sampling) {
        const at = Date.now();
        let rss: number | null;
        try {
          rss = processMemory(workerPid).rssMiB;
          rssPeak = Math.max(rssPeak, rss);
        } catch {
          rss = null;
        }
        const [started, ...held] = await Promise.all([countDuties(), ...shardIds.map(deskHeld)]);
        samples.push({ t: at - t0, started, held, rssMiB: round(rss ?? NaN) });
        await sleepMs(Math.max(0, 2000 - (Date.now() - at)));
      }
    })();

    // The campaigns, as `duban campaign start` starts them.
    const owed = new Map<string, Owed>(units.map((u) => [u, { tasks: new Set(), campaigns: new Set() }]));
    const campaignIds: string[] = [];
    const campaignStarts: { campaignId: string; codePrefix: string; startedAtS: number; notes: string[] }[] = [];
    let expectedItems = 0;
    let dutyCount = 0;
    const planDir = join(dataDir, 'plans');
    mkdirSync(planDir);
    for (let c = 0; c < C; c++) {
      const file = join(planDir, `city-${String(c + 1).padStart(2, '0')}.yaml`);
      const offset = 1 + c * Math.floor(U / C);
      writePlan(file, {
        year: 2022,
        title: `城市督办基准 第${c + 1}批`,
        source: 'bench/city.ts',
        tasks: Array.from({ length: PER_CAMPAIGN }, (_, i) => ({
          number: c * 100_000 + i + 1,
          title: `第${c + 1}批任务${i + 1}`,
          lead: units[i % U]!,
          coUnits: [units[(i + offset) % U]!],
          deadlines: [{ date: DRILL_DATE, text: '6月15日前完成。', reminderOffsets: [0] }],
        })),
      });
      const loaded = loadCampaign({ year: 2022, plan: file, directory });
      loaded.input.clockOffsetMs = clockOffsetMs;
      loaded.input.startAt = START;
      const s0 = Date.now();
      const started = await startCampaignWorkflow(client, { address, namespace: 'default', taskQueue }, loaded);
      if (!started.started) throw new Error(`campaign ${started.workflowId} was not started: ${started.notes.join('; ')}`);
      campaignIds.push(started.workflowId);
      campaignStarts.push({ campaignId: loaded.input.campaignId, codePrefix: started.codePrefix, startedAtS: round((s0 - t0) / 1000)!, notes: started.notes.filter((n) => !n.includes('回复编号以')) });
      for (const d of expandCampaign(loaded.input, DRILL_DATE)) {
        dutyCount++;
        const lead = d.duty.unit;
        owed.get(lead)?.tasks.add(d.duty.taskNumber);
        owed.get(lead)?.campaigns.add(c);
        for (const u of d.informUnits) {
          owed.get(u)?.tasks.add(d.duty.taskNumber);
          owed.get(u)?.campaigns.add(c);
        }
        // The reminder: one part, the lead's shard; the request to acknowledge: one part per shard of its recipients.
        expectedItems += 1 + new Set([lead, ...d.informUnits].map((u) => shardOfUnit(u, SHARDS))).size;
      }
      // The next campaign's reply-code prefix is chosen from the running campaigns' answers: wait for this one to be
      // listed and to answer, as a clerk starting them one after another would find it.
      const end = Date.now() + 120_000;
      for (;;) {
        const listed = await listCampaigns(plain, { taskQueue, running: true }).catch(() => []);
        if (listed.filter((x) => x.info).length >= c + 1) break;
        if (Date.now() > end) throw new Error(`campaign ${started.workflowId} not listed with its info 120 s after its start`);
        await sleepMs(250);
      }
      log(`campaign ${c + 1}/${C} ${started.workflowId} started (prefix '${started.codePrefix}') ${round((Date.now() - t0) / 1000)} s in; ${round((instant - Date.now()) / 1000)} s to the instant`);
    }
    const allCampaignsStartedMs = Date.now() - t0;
    results.campaignStarts = campaignStarts;
    const prefixes = campaignStarts.map((s) => s.codePrefix);
    if (new Set(prefixes).size !== prefixes.length) errors.push(`reply-code prefixes not unique: ${prefixes.join(',')}`);

    // Until every duty has started and the shards hold every item (or the instant).
    let allStartedMs: number | null = null;
    let handedMs: number | null = null;
    let firstItemMs: number | null = null;
    let lastLog = 0;
    while (Date.now() < instant) {
      const last = samples.at(-1);
      if (last) {
        const held = last.held.reduce<number>((a, b) => a + (b ?? 0), 0);
        if (firstItemMs === null && held > 0) firstItemMs = last.t;
        if (allStartedMs === null && (last.started ?? 0) >= dutyCount) allStartedMs = last.t;
        if (handedMs === null && held >= expectedItems) handedMs = last.t;
        if (Date.now() - lastLog > 20_000) {
          lastLog = Date.now();
          log(`  ${round(last.t / 1000)} s: ${last.started ?? '?'}/${dutyCount} duties started; shards hold ${last.held.map((h) => h ?? '?').join('+')} = ${held}/${expectedItems} items; worker RSS ${last.rssMiB} MiB; load ${loadavg().split(' ').slice(0, 3).join(' ')}; ${round((instant - Date.now()) / 1000)} s to the instant`);
        }
        if (handedMs !== null && allStartedMs !== null) break;
      }
      await sleepMs(1000);
    }
    if (handedMs === null) log(`NOT handed over before the instant: the shards hold ${samples.at(-1)?.held.join('+')} of ${expectedItems}`);
    else log(`handed over ${round(handedMs / 1000)} s after the first start; ${round((instant - Date.now()) / 1000)} s to the instant`);
    const heldAtInstant = async () => (await Promise.all(shardIds.map(deskHeld))).map((x) => x ?? -1);
    await sleepMs(Math.max(0, instant - Date.now() - 3000));
    const atInstant = await heldAtInstant();
    log(`at the instant: shards hold ${atInstant.join('+')} (expected ${expectedItems}); waiting for ${U} units' messages (up to ${WITHIN_MS / 1000} s)`);

    // The morning.
    const morningKey = new RegExp(`^${deskId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:/shard-\\d+)?/morning/${DRILL_DATE}/09:00/(.+)$`);
    const unitsMessaged = () => new Set(mails.flatMap((m) => (morningKey.exec(m.key)?.[1] ? [morningKey.exec(m.key)![1]!] : []))).size;
    const end = instant + WITHIN_MS;
    lastLog = 0;
    while (Date.now() < end && unitsMessaged() < U) {
      if (Date.now() - lastLog > 15_000) {
        lastLog = Date.now();
        log(`  ${round((Date.now() - instant) / 1000)} s after the instant: ${unitsMessaged()}/${U} units messaged, ${mails.length} mails; worker RSS ${samples.at(-1)?.rssMiB} MiB`);
      }
      await sleepMs(500);
    }
    log(`${unitsMessaged()}/${U} units messaged ${round((Date.now() - instant) / 1000)} s after the instant; 20 s more for late or second messages`);
    await sleepMs(20_000);
    const flushed = whenMessage(sink, 'flushed', 30_000);
    sink.send({ type: 'flush' });
    await flushed.catch(() => undefined);
    sampling = false;
    await sampler;

    // ---------------------------------------------------------------- counting
    const byUnit = new Map<string, CityMail[]>();
    const dutyUnit = new Map<string, string>();
    let other = 0;
    const otherKeys: string[] = [];
    for (const m of mails) {
      const unit = morningKey.exec(m.key)?.[1];
      if (unit && owed.has(unit)) byUnit.set(unit, [...(byUnit.get(unit) ?? []), m]);
      else {
        // A duty's own mail (its key is the duty id and the action), or an alert.
        const u = /\/t\d+\/d\d+\/([^/]+)\//.exec(m.key)?.[1];
        if (u && owed.has(u)) {
          byUnit.set(u, [...(byUnit.get(u) ?? []), m]);
          dutyUnit.set(m.key, u);
        }
        other++;
        if (otherKeys.length < 20) otherKeys.push(m.key);
      }
    }
    let exactlyOne = 0;
    const missing: string[] = [];
    const second: string[] = [];
    const lost: string[] = [];
    let repeats = 0;
    let overflowed = 0;
    const times: number[] = [];
    const tasksPerMessage: number[] = [];
    const campaignsPerRecipient: number[] = [];
    for (const [unit, o] of owed) {
      const got = byUnit.get(unit) ?? [];
      const keys = new Set(got.map((g) => g.key));
      if (!got.length) missing.push(unit);
      if (keys.size > 1) second.push(unit);
      repeats += got.length - keys.size;
      const heard = new Set(got.flatMap((g) => g.tasks));
      if (got.some((g) => g.overflow > 0)) overflowed++;
      const notListed = [...o.tasks].filter((t) => !heard.has(t));
      for (const t of notListed.slice(0, 3)) lost.push(`${unit} 任务${t}`);
      if (notListed.length > 3) lost.push(`${unit}: ${notListed.length - 3} more`);
      if (keys.size === 1 && got.length === 1 && notListed.length === 0) exactlyOne++;
      const first = got.find((g) => morningKey.test(g.key));
      if (first) {
        times.push(first.at - instant);
        tasksPerMessage.push(first.tasks.length);
      }
      campaignsPerRecipient.push(o.campaigns.size);
    }
    const lostCount = [...owed].reduce((n, [unit, o]) => {
      const heard = new Set((byUnit.get(unit) ?? []).flatMap((g) => g.tasks));
      return n + [...o.tasks].filter((t) => !heard.has(t)).length;
    }, 0);
    const owedTasks = [...owed.values()].reduce((n, o) => n + o.tasks.size, 0);

    // ---------------------------------------------------------------- runs, failures
    const runsOf = async (id: string) => {
      const runs: { runId: string; status: string; events?: number; taskFailures?: number }[] = [];
      for await (const w of plain.workflow.list({ query: `WorkflowId = '${id}'` })) runs.push({ runId: w.runId, status: w.status.name, events: w.historyLength });
      return runs;
    };
    const failureCauses: string[] = [];
    let taskTimeouts = 0;
    /** Failed workflow tasks of a run (a workflow task that timed out is counted apart: a busy worker's, not an error). */
    const taskFailuresOf = async (id: string, runId: string) => {
      try {
        const h = await plain.workflow.getHandle(id, runId || undefined).fetchHistory();
        const events = h.events ?? [];
        taskTimeouts += events.filter((e) => e.workflowTaskTimedOutEventAttributes).length;
        const failed = events.filter((e) => e.workflowTaskFailedEventAttributes);
        for (const e of failed.slice(0, 2)) {
          const a = e.workflowTaskFailedEventAttributes!;
          if (failureCauses.length < 10) failureCauses.push(`${id} (run ${runId || 'latest'}): cause ${String(a.cause)}: ${String(a.failure?.message ?? '').slice(0, 300)}`);
        }
        return failed.length;
      } catch {
        return null;
      }
    };
    const runReport = async (ids: string[]) => {
      const out: { id: string; runs: number; continuedAsNew: number; running: number; failed: number; taskFailures: number }[] = [];
      for (const id of ids) {
        const runs = await runsOf(id);
        let taskFailures = 0;
        for (const r of runs) taskFailures += (await taskFailuresOf(id, r.runId)) ?? 0;
        out.push({
          id,
          runs: runs.length,
          continuedAsNew: runs.filter((r) => r.status === 'CONTINUED_AS_NEW').length,
          running: runs.filter((r) => r.status === 'RUNNING').length,
          failed: runs.filter((r) => r.status === 'FAILED' || r.status === 'TIMED_OUT' || r.status === 'TERMINATED').length,
          taskFailures,
        });
      }
      return out;
    };
    const campaignRuns = await runReport(campaignIds);
    const deskRuns = await runReport(shardIds);
    const countOf = (q: string) =>
      plain.workflow
        .count(q)
        .then((c) => c.count)
        .catch(() => null);
    const queues = `(TaskQueue = '${taskQueue}' OR TaskQueue = '${campaignQueueOf(taskQueue)}')`;
    const failedWorkflows = await countOf(`${queues} AND ExecutionStatus IN ('Failed', 'TimedOut', 'Terminated')`);
    const dutiesRunning = await countOf(`TaskQueue = '${taskQueue}' AND WorkflowType = 'dutyWorkflow' AND ExecutionStatus = 'Running'`);
    const parcels = await countOf(`${queues} AND WorkflowType = 'deskParcelWorkflow'`);
    // A sample of duties' histories for failed workflow tasks (all of them would take longer than the run).
    const sampleIds = Array.from({ length: Math.min(100, dutyCount) }, (_, k) => {
      const c = k % C;
      const i = Math.floor((k * PER_CAMPAIGN) / Math.min(100, dutyCount)) % PER_CAMPAIGN;
      return `${campaignStarts[c]!.campaignId}/t${c * 100_000 + i + 1}/d1/${units[i % U]}`;
    });
    let dutyTaskFailures = 0;
    for (const id of sampleIds) dutyTaskFailures += (await taskFailuresOf(id, '')) ?? 0;
    const status = await workerStatus();

    // ---------------------------------------------------------------- figures
    const rate = (items: number, ms: number | null) => (ms && ms > 0 ? round((items / ms) * 1000) : null);
    const handoverWindowMs = handedMs !== null && firstItemMs !== null ? handedMs - firstItemMs : null;
    const lastMs = times.length ? Math.max(...times) : null;
    const rssSamples = samples.map((s) => s.rssMiB).filter((x): x is number => x !== null);
    const figures = {
      campaignStart: {
        campaignsStartedSeconds: round(allCampaignsStartedMs / 1000),
        allDutiesStartedSeconds: allStartedMs === null ? null : round(allStartedMs / 1000),
        dutiesPerSecond: rate(dutyCount, allStartedMs),
        duties: dutyCount,
      },
      handOver: {
        expectedItems,
        heldAtInstant: atInstant,
        heldAtInstantTotal: atInstant.reduce((a, b) => a + Math.max(0, b), 0),
        firstItemSeconds: firstItemMs === null ? null : round(firstItemMs / 1000),
        allHeldSeconds: handedMs === null ? null : round(handedMs / 1000),
        /** From the first campaign's start to the shards holding every item. */
        itemsPerSecondFromStart: rate(expectedItems, handedMs),
        /** From the first item held to the last. */
        itemsPerSecondWhileHanding: rate(expectedItems, handoverWindowMs),
        target: 200,
      },
      morning: {
        units: U,
        unitsMessaged: times.length,
        exactlyOne,
        missing: missing.length,
        secondMessages: second.length,
        repeats,
        owedTasks,
        tasksNotListed: lostCount,
        messagesWithOverflowLine: overflowed,
        tasksPerMessage: { min: Math.min(...tasksPerMessage), max: Math.max(...tasksPerMessage) },
        campaignsPerRecipient: { min: Math.min(...campaignsPerRecipient), max: Math.max(...campaignsPerRecipient) },
        firstSeconds: times.length ? round(Math.min(...times) / 1000) : null,
        medianSeconds: times.length ? round(percentile(times, 50) / 1000) : null,
        lastSeconds: lastMs === null ? null : round(lastMs / 1000),
        withinSixtySeconds: times.filter((t) => t <= 60_000).length,
        otherMails: other,
        otherKeys,
        mails: mails.length,
        samples: { missing: missing.slice(0, 10), second: second.slice(0, 10), lost: lost.slice(0, 10) },
      },
      continueAsNew: {
        campaigns: campaignRuns,
        desks: deskRuns,
        campaignRuns: campaignRuns.reduce((n, r) => n + r.runs, 0),
        deskRuns: deskRuns.reduce((n, r) => n + r.runs, 0),
        parcels,
        taskFailures: campaignRuns.concat(deskRuns).reduce((n, r) => n + r.taskFailures, 0),
        /** Workflow tasks that timed out (campaigns, desks and the sampled duties): the worker was late, not wrong. */
        taskTimeouts,
        failureCauses,
      },
      worker: {
        idleRssMiB: round(idleRss),
        peakRssMiB: round(rssPeak),
        peakRssHwmMiB: (() => {
          try {
            return round(processMemory(workerPid).peakMiB);
          } catch {
            return null;
          }
        })(),
        rssAtInstantMiB: rssSamples.length ? rssSamples[samples.findIndex((s) => s.t >= LEAD_MS)] ?? rssSamples.at(-1) : null,
        targetMiB: 1024,
        sdkWarnings: status?.warnings ?? null,
        sdkErrors: status?.errors ?? null,
        sdkSamples: status?.samples ?? [],
        exit: workerExit ?? null,
      },
      errors: {
        failedOrTerminatedWorkflows: failedWorkflows,
        dutiesRunningAfter: dutiesRunning,
        dutyTaskFailuresInSample: { sampled: sampleIds.length, taskFailures: dutyTaskFailures },
        notes: errors,
      },
    };
    const met = {
      oneMessageEach: exactlyOne === U && missing.length === 0 && second.length === 0 && lostCount === 0 && repeats === 0,
      lastWithin60s: lastMs !== null && lastMs <= 60_000 && times.length === U,
      handOver200PerSecond: (figures.handOver.itemsPerSecondFromStart ?? 0) >= 200,
      continueAsNewWithoutError: figures.continueAsNew.taskFailures === 0 && campaignRuns.concat(deskRuns).every((r) => r.failed === 0 && r.running === 1),
      rssUnder1GiB: rssPeak < 1024,
      noErrors: (failedWorkflows ?? 1) === 0 && dutyTaskFailures === 0 && errors.length === 0 && (status?.errors ?? 0) === 0,
    };
    Object.assign(results, figures, { met, samples: samples.map((s) => [round(s.t / 1000), s.started, s.held.reduce<number>((a, b) => a + (b ?? 0), 0), s.rssMiB]) });
  } catch (err) {
    results.failure = (err as Error).stack ?? String(err);
    log(`FAILED: ${String(err)}`);
    process.exitCode = 1;
  } finally {
    results.loadAverageAtEnd = loadavg();
    await teardown();
    results.wallSeconds = round((Date.now() - wall) / 1000);
  }
  const outDir = args.out ?? join(__dirname, 'results');
  mkdirSync(outDir, { recursive: true });
  const base = join(outDir, `city-${args.name ?? N}-${ENGINE}`);
  writeFileSync(`${base}.json`, JSON.stringify(results, null, 2) + '\n');
  writeFileSync(`${base}.md`, markdown(results));
  process.stderr.write(`\n${markdown(results)}\n`);
  log(`done in ${results.wallSeconds} s; wrote ${base}.json and .md`);
}

/** The results as a table. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the results object as written above
function markdown(r: Record<string, any>): string {
  const s = r.size ?? {};
  const lines = [
    `# A city's morning: ${s.campaigns} campaigns × ${s.dutiesPerCampaign} duties over ${s.units} units, ${s.deskShards} desk shards (${s.engine})`,
    '',
    `\`${r.command}\` — ${r.date}, ${r.wallSeconds} s. ${r.machine?.cpus} cores (${r.machine?.cpuModel}), ${r.machine?.memoryGiB} GiB, Node ${r.machine?.node}; ${r.machine?.temporalServer}.`,
    `Load average at start \`${r.loadAverageAtStart}\`, at end \`${r.loadAverageAtEnd}\`. Lead ${s.leadSeconds} s from the first campaign's start to 09:00.`,
    '',
  ];
  if (r.failure) lines.push('**The run failed:**', '', '```', String(r.failure).split('\n').slice(0, 8).join('\n'), '```', '');
  const yes = (b: unknown) => (b === undefined ? '–' : b ? 'yes' : 'no');
  if (r.morning) {
    const m = r.morning;
    const h = r.handOver;
    const c = r.campaignStart;
    const can = r.continueAsNew;
    const w = r.worker;
    const e = r.errors;
    lines.push(
      '| figure | measured | target | met |',
      '|---|---|---|---|',
      `| campaign start | ${s.campaigns} campaigns started in ${c.campaignsStartedSeconds} s; all ${c.duties} duties started ${c.allDutiesStartedSeconds ?? '–'} s after the first start: ${c.dutiesPerSecond ?? '–'} duties/s |  |  |`,
      `| hand-over to the desk shards | ${h.expectedItems} items held ${h.allHeldSeconds ?? 'NOT'} s after the first start: ${h.itemsPerSecondFromStart ?? '–'} items/s (${h.itemsPerSecondWhileHanding ?? '–'}/s from the first item held, ${h.firstItemSeconds ?? '–'} s); at the instant ${h.heldAtInstantTotal} (${h.heldAtInstant.join('+')}) | ≥ 200 items/s | ${yes(r.met?.handOver200PerSecond)} |`,
      `| one message per recipient | ${m.exactlyOne}/${m.units} units got exactly one message listing every task owed (${m.tasksPerMessage.min}–${m.tasksPerMessage.max} tasks each, from ${m.campaignsPerRecipient.min}–${m.campaignsPerRecipient.max} campaigns); missing ${m.missing}, second messages ${m.secondMessages}, repeats ${m.repeats}, tasks not listed ${m.tasksNotListed} of ${m.owedTasks}, overflow lines ${m.messagesWithOverflowLine}, other mails ${m.otherMails} | exactly one each, 0 lost | ${yes(r.met?.oneMessageEach)} |`,
      `| lateness after 09:00 | first ${m.firstSeconds ?? '–'} s, median ${m.medianSeconds ?? '–'} s, last ${m.lastSeconds ?? '–'} s; ${m.withinSixtySeconds}/${m.units} within 60 s | last ≤ 60 s | ${yes(r.met?.lastWithin60s)} |`,
      `| continue-as-new | campaign runs ${can.campaignRuns} (for ${s.campaigns} campaigns), desk runs ${can.deskRuns} (for ${s.deskShards} shards), ${can.parcels ?? '?'} parcels; failed workflow tasks in them ${can.taskFailures}, timed-out workflow tasks ${can.taskTimeouts ?? '?'} | without error | ${yes(r.met?.continueAsNewWithoutError)} |`,
      `| worker RSS | idle ${w.idleRssMiB} MiB, peak ${w.peakRssMiB} MiB (VmHWM ${w.peakRssHwmMiB ?? '–'} MiB) | < 1024 MiB | ${yes(r.met?.rssUnder1GiB)} |`,
      `| errors | failed/terminated workflows ${e.failedOrTerminatedWorkflows ?? '?'}; duties running after ${e.dutiesRunningAfter ?? '?'}; failed workflow tasks in ${e.dutyTaskFailuresInSample.sampled} sampled duties ${e.dutyTaskFailuresInSample.taskFailures}; SDK warnings ${w.sdkWarnings ?? '?'}, errors ${w.sdkErrors ?? '?'}${e.notes.length ? `; ${e.notes.join('; ')}` : ''} | none | ${yes(r.met?.noErrors)} |`,
      '',
    );
    if (can.failureCauses?.length) lines.push('Failed workflow tasks:', '', ...can.failureCauses.map((x: string) => `- ${x}`), '');
    if (w.sdkSamples?.length) lines.push('SDK log lines (first few):', '', ...w.sdkSamples.slice(0, 5).map((x: string) => `- \`${x.replace(/`/g, "'")}\``), '');
  }
  return lines.join('\n') + '\n';
}

main().then(
  () => process.exit(),
  (err: unknown) => {
    process.stderr.write(`city benchmark failed: ${(err as Error).stack ?? String(err)}\n`);
    releaseLock();
    process.exit(1);
  },
);
