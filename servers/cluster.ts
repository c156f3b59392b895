/**
 * A real Temporal cluster on this machine, set up by duban itself from the registries it reaches:
 * - Temporal server v1.29.1 and its SQL schema tool, built with `go install` (no `replace` directive in that
 *   module, so `go install` takes it) and cached by version like the CLI;
 * - PostgreSQL from Debian's packages (installed with apt-get when missing and running as root), a database
 *   cluster of its own under data/cluster/, listening on loopback only;
 * - the schema applied with the server's own tool from the module's schema files;
 * - frontend, history, matching and internal-worker as four processes on their own ports, 8 history shards,
 *   started one step at a time (servers/cluster-start.ts says in what order and what each step waits for).
 * duban then reaches it through TEMPORAL_ADDRESS, exactly as a user reaches their own cluster.
 *
 * A successful `up` leaves the services running, detached; a failed or interrupted one stops whatever it
 * started (services, and PostgreSQL when it started it) before it returns or exits.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { chownSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Connection } from '@temporalio/client';
import { grpc, temporal } from '@temporalio/proto';
import Long from 'long';
import { cacheRoot } from './tools';
import { ensureSearchAttributes } from './search-attributes';
import { CLUSTER_SERVICES, describeWait, exitHint, MEMBERSHIP_ROLE, membershipMissing, restartChecks, startPlan, type ClusterService, type MembershipRow, type ReadyCheck } from './cluster-start';
import { interrupted, onInterrupt } from './interrupts';

export { CLUSTER_SERVICES, type ClusterService } from './cluster-start';
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const HISTORY_SHARDS = 8;
/** Per start step; a cold start on 2 busy cores takes well under a minute per step. */
const STEP_TIMEOUT_MS = Number(process.env.DUBAN_CLUSTER_STEP_TIMEOUT_S ?? 180) * 1000;
const NAMESPACE = 'default';
const PROBE_QUEUE = 'duban-cluster-probe';

type Log = (line: string) => void;
const stderrLog: Log = (line) => process.stderr.write(`[duban cluster] ${line}\n`);

export type ClusterErrorCode = 'NO_POSTGRES' | 'BUILD_FAILED' | 'COMMAND_FAILED' | 'SERVICE_EXITED' | 'NOT_READY' | 'INTERRUPTED';

export class ClusterError extends Error {
  constructor(
    readonly code: ClusterErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ClusterError';
  }
}

/** Ports: the frontend on `base` (default 17233, so it never meets the dev server's 7233), the rest beside it. */
export function clusterPorts(base = Number(process.env.DUBAN_CLUSTER_PORT ?? 17233)) {
  return {
    frontend: base,
    frontendHttp: base + 10,
    history: base + 1,
    matching: base + 2,
    worker: base + 6,
    membership: { frontend: base + 100, history: base + 101, matching: base + 102, worker: base + 106 },
    metrics: base + 900,
    postgres: base + 200,
  };
}

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; user?: string } = {}): SpawnSyncReturns<string> {
  const [cmd, argv] = options.user && process.getuid?.() === 0 ? ['runuser', ['-u', options.user, '--', command, ...args]] : [command, args];
  return spawnSync(cmd, argv, { encoding: 'utf8', env: { ...process.env, ...options.env } });
}

function must(what: string, r: SpawnSyncReturns<string>): string {
  if (r.status !== 0) {
    const detail = (r.stderr || r.stdout || String(r.error ?? '')).trim().slice(-1500);
    throw new ClusterError('COMMAND_FAILED', `${what} 失败 failed (exit ${r.status}): ${detail}\n→ 修正后再运行 fix the cause above, then run \`npm run cluster\` again`);
  }
  return r.stdout;
}

/** The server and schema-tool binaries, built once per machine; and where the module's schema files are. */
export async function ensureTemporalServer(log: Log = stderrLog): Promise<{ server: string; sqlTool: string; schemaDir: string }> {
  const dir = join(cacheRoot(), 'temporal-server', TEMPORAL_SERVER_VERSION);
  const server = join(dir, 'server');
  const sqlTool = join(dir, 'temporal-sql-tool');
  if (!existsSync(server) || !existsSync(sqlTool)) {
    const staging = `${dir}.building-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const started = Date.now();
    log(`building Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL tool with go install (minutes on 2 cores; once per machine)…`);
    await new Promise<void>((ok, fail) => {
      // A group of its own, so that a stop signal reaches the compilers go runs as well.
      const child = spawn('go', ['install', `go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`, `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`], {
        env: { ...process.env, GOBIN: staging },
        stdio: ['ignore', 'ignore', 'pipe'],
        detached: true,
      });
      const release = onInterrupt(() => {
        killGroup(child.pid, 'SIGKILL');
        rmSync(staging, { recursive: true, force: true });
      });
      let tail = '';
      child.stderr.on('data', (c: Buffer) => (tail = (tail + c.toString()).slice(-2000)));
      child.on('error', (err) => {
        release();
        fail(new ClusterError('BUILD_FAILED', `没有找到 Go (go not found): 请安装 Go ≥ 1.25 (https://go.dev/dl/) install Go >= 1.25, then run \`npm run cluster\` again`, { cause: err }));
      });
      child.on('close', (code) => {
        release();
        if (code === 0) return ok();
        fail(new ClusterError('BUILD_FAILED', `Temporal server 构建失败 go install of the Temporal server failed (${code}): ${tail}\n→ 检查 Go 模块代理是否可达（GOPROXY）与 Go 版本 ≥ 1.25 (check that the Go module proxy is reachable and Go is >= 1.25)`));
      });
    });
    mkdirSync(dir, { recursive: true });
    renameSync(join(staging, 'server'), server);
    renameSync(join(staging, 'sql'), sqlTool);
    rmSync(staging, { recursive: true, force: true });
    log(`Temporal server built in ${Math.round((Date.now() - started) / 1000)} s → ${dir}`);
  }
  // The schema files ship in the module (the same version the binaries were built from).
  const info = JSON.parse(must('go mod download', run('go', ['mod', 'download', '-json', `go.temporal.io/server@${TEMPORAL_SERVER_VERSION}`]))) as { Dir?: string };
  if (!info.Dir) throw new ClusterError('COMMAND_FAILED', 'go mod download gave no module directory for the Temporal server (go mod download 没有给出模块目录)');
  return { server, sqlTool, schemaDir: join(info.Dir, 'schema', 'postgresql', 'v12') };
}

/** Debian's PostgreSQL binaries (installed with apt-get when missing, as root). */
export function ensurePostgres(log: Log = stderrLog): string {
  const find = () => {
    const r = spawnSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1'], { encoding: 'utf8' });
    const bin = r.stdout.trim();
    return bin && existsSync(join(bin, 'initdb')) ? bin : undefined;
  };
  const found = find();
  if (found) return found;
  if (process.getuid?.() !== 0) throw new ClusterError('NO_POSTGRES', '未安装 PostgreSQL：请运行 `sudo apt-get install postgresql`，再 `npm run cluster` (PostgreSQL is not installed: run `sudo apt-get install postgresql`, then `npm run cluster` again)');
  log('installing PostgreSQL from Debian (apt-get)…');
  must('apt-get update', run('apt-get', ['update']));
  must('apt-get install postgresql', run('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { env: { DEBIAN_FRONTEND: 'noninteractive' } }));
  const bin = find();
  if (!bin) throw new ClusterError('NO_POSTGRES', 'apt-get 装了 postgresql 却找不到 initdb (apt-get installed postgresql but no initdb was found under /usr/lib/postgresql): 请检查 `dpkg -L postgresql-15` check the package');
  return bin;
}

/** Whether the `postgres` user can reach a folder (PostgreSQL refuses to run as root; its data must be its own). */
function reachableByPostgres(dir: string): boolean {
  if (process.getuid?.() !== 0) return true;
  return run('test', ['-x', dir], { user: 'postgres' }).status === 0;
}

export interface ClusterPaths {
  root: string;
  pgData: string;
  pgSocket: string;
  config: string;
}

export function clusterPaths(dataDir: string): ClusterPaths {
  const root = resolve(dataDir, 'cluster');
  mkdirSync(root, { recursive: true });
  // data/cluster/pg when the postgres user can reach it; a clone in a private temporary folder cannot, and then
  // PostgreSQL's files go to a folder of their own in the system's temporary folder, named after this one.
  const pgBase = reachableByPostgres(root) ? root : join(tmpdir(), `duban-pg-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`);
  return { root, pgData: join(pgBase, 'pg'), pgSocket: join(pgBase, 'pg-socket'), config: join(root, 'config') };
}

const asPostgres = () => (process.getuid?.() === 0 ? { user: 'postgres' } : {});

function postgresRunning(bin: string, paths: ClusterPaths): boolean {
  return existsSync(join(paths.pgData, 'PG_VERSION')) && run(join(bin, 'pg_ctl'), ['-D', paths.pgData, 'status'], asPostgres()).status === 0;
}

/** Creates the database cluster when missing and starts it when it is not running. */
function postgresUp(bin: string, paths: ClusterPaths, port: number, log: Log): void {
  for (const d of [dirname(paths.pgData), paths.pgSocket]) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
    if (process.getuid?.() === 0) chownSync(d, Number(run('id', ['-u', 'postgres']).stdout.trim()), Number(run('id', ['-g', 'postgres']).stdout.trim()));
  }
  if (!existsSync(join(paths.pgData, 'PG_VERSION'))) {
    log(`initdb ${paths.pgData}`);
    must('initdb', run(join(bin, 'initdb'), ['-D', paths.pgData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'], asPostgres()));
  }
  if (postgresRunning(bin, paths)) return;
  log(`starting PostgreSQL on 127.0.0.1:${port}`);
  must(
    'pg_ctl start',
    run(join(bin, 'pg_ctl'), ['-D', paths.pgData, '-l', join(dirname(paths.pgData), 'postgres.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${paths.pgSocket} -c listen_addresses=127.0.0.1 -c max_connections=200`, 'start'], asPostgres()),
  );
}

function postgresDown(bin: string, paths: ClusterPaths): void {
  if (!existsSync(join(paths.pgData, 'PG_VERSION'))) return;
  run(join(bin, 'pg_ctl'), ['-D', paths.pgData, '-m', 'fast', '-w', 'stop'], asPostgres());
}

function psql(port: number, sql: string, db = 'postgres'): SpawnSyncReturns<string> {
  return run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', db, '-tAc', sql]);
}

/** The databases and their schema, once (the tool's update-schema is idempotent). */
function schema(tools: { sqlTool: string; schemaDir: string }, port: number, log: Log): void {
  if (psql(port, "SELECT 1 FROM pg_roles WHERE rolname = 'temporal'").stdout.trim() !== '1') {
    must('create role', psql(port, "CREATE ROLE temporal LOGIN PASSWORD 'temporal' CREATEDB"));
  }
  for (const [db, dir] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ] as const) {
    const tool = (...args: string[]) => run(tools.sqlTool, ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(port), '-u', 'temporal', '--pw', 'temporal', '--db', db, ...args]);
    if (psql(port, `SELECT 1 FROM pg_database WHERE datname = '${db}'`).stdout.trim() !== '1') {
      log(`creating database ${db}`);
      must(`create-database ${db}`, tool('create-database'));
    }
    // Asked of the tables, not the database: a first start cut short between the two leaves a database without them.
    if (psql(port, "SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_version'", db).stdout.trim() !== '1') {
      log(`setting up the schema of ${db}`);
      must(`setup-schema ${db}`, tool('setup-schema', '-v', '0.0'));
    }
    must(`update-schema ${db}`, tool('update-schema', '-d', join(tools.schemaDir, dir, 'versioned')));
  }
}

function serverConfig(ports: ReturnType<typeof clusterPorts>, dynamicConfig: string): string {
  const store = (db: string, conns: number) => `      sql:
        pluginName: "postgres12"
        databaseName: "${db}"
        connectAddr: "127.0.0.1:${ports.postgres}"
        connectProtocol: "tcp"
        user: "temporal"
        password: "temporal"
        maxConns: ${conns}
        maxIdleConns: ${conns}
        maxConnLifetime: "1h"`;
  const service = (name: ClusterService, extra = '') => `  ${name}:
    rpc:
      grpcPort: ${ports[name]}
      membershipPort: ${ports.membership[name]}
      bindOnLocalHost: true${extra}`;
  return `# Written by duban cluster up (servers/cluster.ts); rewritten on every start.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: ${HISTORY_SHARDS}
  datastores:
    default:
${store('temporal', 40)}
    visibility:
${store('temporal_visibility', 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: "127.0.0.1:${ports.metrics}"
services:
${service('frontend', `\n      httpPort: ${ports.frontendHttp}`)}
${service('history')}
${service('matching')}
${service('worker')}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${ports.frontend}"
dcRedirectionPolicy:
  policy: "noop"
dynamicConfigClient:
  filepath: "${dynamicConfig}"
  pollInterval: "10s"
`;
}

function writeConfigs(paths: ClusterPaths, ports: ReturnType<typeof clusterPorts>): void {
  mkdirSync(paths.config, { recursive: true });
  // One config per service (the --env name), the same but for metrics: only the frontend's listens.
  for (const service of CLUSTER_SERVICES) {
    const text = serverConfig(ports, join(paths.config, 'dynamicconfig.yaml'));
    writeFileSync(join(paths.config, `${service}.yaml`), service === 'frontend' ? text : text.replace(/ {2}metrics:\n(?: {4}.*\n)+/, ''));
  }
  if (!existsSync(join(paths.config, 'dynamicconfig.yaml'))) writeFileSync(join(paths.config, 'dynamicconfig.yaml'), '# dynamic config (empty: defaults)\n');
}

/** When a service was spawned and where its log stood then: the part of the log that is this start's. */
interface Spawned {
  at: number;
  logFrom: number;
}

const logFile = (paths: ClusterPaths, service: ClusterService) => join(paths.root, `${service}.log`);

/**
 * Each service its own process, detached into a group of its own: it outlives a successful `up`, and a stop
 * reaches the whole group. Metrics on one port would clash, so only the frontend exports them.
 */
function startService(server: string, paths: ClusterPaths, service: ClusterService): Spawned {
  if (interrupted()) throw new ClusterError('INTERRUPTED', `启动被中断 start interrupted before ${service}`);
  const file = logFile(paths, service);
  const logFrom = existsSync(file) ? statSync(file).size : 0;
  const log = openSync(file, 'a');
  const child = spawn(server, ['--root', paths.root, '--config', 'config', '--env', service, '--allow-no-auth', 'start', '--service', service], {
    cwd: paths.root,
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  writeFileSync(join(paths.root, `${service}.pid`), String(child.pid));
  return { at: Date.now(), logFrom };
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A pid file outlives its process, and the pid may since belong to another program: ask /proc when there is one. */
function isService(pid: number, service: ClusterService): boolean {
  if (!alive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`--service\0${service}`);
  } catch {
    return !existsSync('/proc/self/cmdline');
  }
}

export function servicePid(paths: ClusterPaths, service: ClusterService): number | undefined {
  const file = join(paths.root, `${service}.pid`);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8'));
  return pid > 0 && isService(pid, service) ? pid : undefined;
}

/** The last lines of a service's log since `from`, for an error message. */
function logTail(paths: ClusterPaths, service: ClusterService, from = 0, lines = 8): string {
  const file = logFile(paths, service);
  if (!existsSync(file)) return '(no log)';
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(from, size - 8000);
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    return buf
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim())
      .slice(-lines)
      .map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l))
      .join('\n');
  } finally {
    closeSync(fd);
  }
}

/** The cluster_membership rows, times in epoch milliseconds (the server writes them in UTC). */
function membershipRows(port: number): MembershipRow[] {
  const r = psql(port, 'SELECT role, floor(extract(epoch FROM session_start) * 1000), floor(extract(epoch FROM last_heartbeat) * 1000) FROM cluster_membership', 'temporal');
  if (r.status !== 0) throw new Error(`cluster_membership: ${(r.stderr || '').trim()}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.includes('|'))
    .map((l) => {
      const [role, s, h] = l.split('|').map(Number);
      return { role: role!, sessionStartMs: s!, lastHeartbeatMs: h! };
    });
}

/**
 * Membership rows of roles with no process running. A new process seeds its ring from these rows, and rows of
 * processes stopped less than a heartbeat cutoff ago send it joining hosts that are gone until its 30 s join
 * limit passes (measured: a restart from a stopped cluster took 52 s instead of 6).
 */
function forgetMembers(port: number, services: readonly ClusterService[]): void {
  if (!services.length) return;
  psql(port, `DELETE FROM cluster_membership WHERE role IN (${services.map((s) => MEMBERSHIP_ROLE[s]).join(', ')})`, 'temporal');
}

function metadataWritten(port: number): boolean {
  return psql(port, "SELECT count(*) FROM cluster_metadata_info WHERE cluster_name = 'active'", 'temporal').stdout.trim() === '1';
}

/** One connection to the frontend for every check of a start, made when it first answers. */
class Frontend {
  private connection?: Connection;
  constructor(
    readonly address: string,
    private readonly log: Log,
  ) {}

  /**
   * Lazy: `Connection.connect` asks getSystemInfo, which a frontend refuses ("not healthy yet") until it has
   * joined the ring, and the health check is how that is asked. Every call has a deadline of its own.
   */
  private async call<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    if (!this.connection) {
      const { Connection } = await import('@temporalio/client');
      this.connection = Connection.lazy({ address: this.address });
    }
    const c = this.connection;
    return c.withDeadline(Date.now() + 5000, () => fn(c));
  }

  /** grpc.health.v1 for the WorkflowService: SERVING once the frontend has joined the membership ring. */
  async healthy(): Promise<string | undefined> {
    const { status } = await this.call((c) => c.healthService.check({ service: 'temporal.api.workflowservice.v1.WorkflowService' }));
    return status === grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING ? undefined : `health status ${String(status)} (not SERVING)`;
  }

  /** `default` (1 day's retention) and duban's search attributes, registered when missing. */
  async namespace(): Promise<string | undefined> {
    const known = await this.call((c) => c.workflowService.describeNamespace({ namespace: NAMESPACE })).then(
      () => true,
      (err: { code?: number }) => {
        if (err.code !== 5) throw err;
        return false;
      },
    );
    if (!known) {
      this.log(`registering namespace ${NAMESPACE}`);
      await this.call((c) => c.workflowService.registerNamespace({ namespace: NAMESPACE, workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(86_400) } })).catch((err: { code?: number }) => {
        if (err.code !== 6) throw err;
      });
      return 'namespace registered; waiting for it to be served';
    }
    // A fresh namespace may refuse search attributes for a moment: asked again on the next round.
    const indexed = await this.call((c) => ensureSearchAttributes(c, NAMESPACE));
    if (!indexed.ok) return `search attributes: ${indexed.reason}`;
    if (indexed.added.length) this.log(`registered search attributes ${indexed.added.join(', ')}`);
    return undefined;
  }

  /**
   * The frontend routes to matching and to history: what a worker's poll and a workflow start need. The probe
   * workflow is terminated at once and would time out in a minute anyway.
   */
  async routes(): Promise<string | undefined> {
    await this.call((c) => c.workflowService.describeTaskQueue({ namespace: NAMESPACE, taskQueue: { name: PROBE_QUEUE }, taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW }));
    const workflowId = `duban-cluster-probe-${randomUUID()}`;
    await this.call((c) => c.workflowService.startWorkflowExecution({
      namespace: NAMESPACE,
      workflowId,
      workflowType: { name: 'duban-cluster-probe' },
      taskQueue: { name: PROBE_QUEUE },
      requestId: randomUUID(),
      workflowExecutionTimeout: { seconds: Long.fromNumber(60) },
      identity: 'duban cluster up',
    }));
    await this.call((c) => c.workflowService.terminateWorkflowExecution({ namespace: NAMESPACE, workflowExecution: { workflowId }, reason: 'duban cluster up: readiness probe', identity: 'duban cluster up' }));
    return undefined;
  }

  async close(): Promise<void> {
    await this.connection?.close().catch(() => undefined);
    this.connection = undefined;
  }
}

interface StepContext {
  paths: ClusterPaths;
  ports: ReturnType<typeof clusterPorts>;
  frontend: Frontend;
  log: Log;
  /** Every service spawned by this start (or restart), with when. */
  spawned: Map<ClusterService, Spawned>;
}

/** The first unmet check of `checks`, as a line saying what it waits for; undefined when all are met. */
async function unmet(checks: readonly ReadyCheck[], services: readonly ClusterService[], ctx: StepContext): Promise<{ check: ReadyCheck; detail: string } | undefined> {
  for (const check of checks) {
    let detail: string | undefined;
    try {
      if (check === 'metadata') detail = metadataWritten(ctx.ports.postgres) ? undefined : 'no cluster_metadata_info row yet';
      else if (check === 'health') detail = await ctx.frontend.healthy();
      else if (check === 'namespace') detail = await ctx.frontend.namespace();
      else if (check === 'workflow') detail = await ctx.frontend.routes();
      else {
        const missing = membershipMissing(
          membershipRows(ctx.ports.postgres),
          services.map((service) => ({ service, since: ctx.spawned.get(service)?.at })),
          Date.now(),
        );
        detail = missing.length ? `${missing.join(', ')} not in cluster_membership yet` : undefined;
      }
    } catch (err) {
      detail = err instanceof Error ? err.message : String(err);
    }
    if (detail !== undefined) return { check, detail };
  }
  return undefined;
}

/** A service that exited while the start waited fails it at once, with its log's last lines and what to do. */
function assertRunning(services: readonly ClusterService[], ctx: StepContext): void {
  for (const service of services) {
    if (servicePid(ctx.paths, service)) continue;
    const tail = logTail(ctx.paths, service, ctx.spawned.get(service)?.logFrom);
    throw new ClusterError(
      'SERVICE_EXITED',
      `Temporal ${service} 进程在启动中退出 exited during start-up. ${logFile(ctx.paths, service)} 的最后几行 (its last lines):\n${tail}\n→ ${exitHint(service, tail)}`,
    );
  }
}

async function waitFor(checks: readonly ReadyCheck[], services: readonly ClusterService[], alsoRunning: readonly ClusterService[], ctx: StepContext): Promise<void> {
  const began = Date.now();
  let waiting: ReadyCheck | undefined;
  for (;;) {
    if (interrupted()) throw new ClusterError('INTERRUPTED', '启动被中断 start interrupted');
    assertRunning([...alsoRunning, ...services], ctx);
    const open = await unmet(checks, services, ctx);
    if (!open) return;
    if (open.check !== waiting) ctx.log(`waiting for ${describeWait(open.check, open.detail)}`);
    waiting = open.check;
    if (Date.now() - began > STEP_TIMEOUT_MS) {
      const logs = services.map((s) => `${s}: ${logTail(ctx.paths, s, ctx.spawned.get(s)?.logFrom, 3)}`).join('\n');
      throw new ClusterError(
        'NOT_READY',
        `Temporal ${services.join('/')} 在 ${STEP_TIMEOUT_MS / 1000} 秒内未就绪 not ready within ${STEP_TIMEOUT_MS / 1000} s — ${describeWait(open.check, open.detail)}\n${logs}\n→ 看 data/cluster/*.log；机器繁忙时可设 DUBAN_CLUSTER_STEP_TIMEOUT_S=600 再试 (read data/cluster/*.log; on a busy machine set DUBAN_CLUSTER_STEP_TIMEOUT_S=600 and try again)`,
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * Stops what a start brought up if this process dies without saying otherwise — SIGKILL, or vitest ending a
 * drill's process by closing its channel (a signal to vitest never reaches the test's own handlers). A shell
 * in a group of its own reads a pipe from this process: lines name what was started; at end-of-file it stops
 * those services (their pid files are read then, so a restarted service is the one stopped) and PostgreSQL.
 * Released (killed) when the start succeeds and the cluster is meant to stay, or once its owner stopped it.
 */
const WATCHDOG = [
  'root=$1; shift',
  'services=""; pg=0',
  'while read -r kind name; do case "$kind" in service) services="$services $name" ;; postgres) pg=1 ;; esac; done',
  'ours() { pid=$(cat "$root/$1.pid" 2>/dev/null) && tr "\\0" " " < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--service $1"; }',
  'for s in $services; do ours "$s" && kill -TERM "-$pid" 2>/dev/null; done',
  'n=0; while [ $n -lt 20 ]; do left=0; for s in $services; do ours "$s" && left=1; done; [ $left = 0 ] && break; sleep 0.5; n=$((n+1)); done',
  'for s in $services; do ours "$s" && kill -KILL "-$pid" 2>/dev/null; done',
  '[ $pg = 1 ] && "$@" >/dev/null 2>&1',
  'exit 0',
].join('\n');

class Watchdog {
  private readonly child;
  constructor(paths: ClusterPaths, pgStop: string[]) {
    this.child = spawn('sh', ['-c', WATCHDOG, 'duban-cluster-watchdog', paths.root, ...pgStop], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    this.child.stdin.on('error', () => undefined);
    this.child.unref();
    // The pipe must not keep this process alive: it is only there to close when this process ends.
    (this.child.stdin as unknown as { unref?: () => void }).unref?.();
  }

  note(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Synchronous, so that it holds even when this process exits right after. */
  release(): void {
    killGroup(this.child.pid, 'SIGKILL');
  }
}

function pgStopCommand(bin: string, paths: ClusterPaths): string[] {
  const stop = [join(bin, 'pg_ctl'), '-D', paths.pgData, '-m', 'fast', '-w', 'stop'];
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...stop] : stop;
}

/** What a start brought up, so that a failure (or a drill's end) stops exactly that and nothing else. */
export interface ClusterStarted {
  postgres: boolean;
  services: ClusterService[];
}

export interface ClusterHandle {
  address: string;
  ports: ReturnType<typeof clusterPorts>;
  paths: ClusterPaths;
  started: ClusterStarted;
  /** With `tiedToProcess`: the watchdog that stops `started` should this process die; clusterStop releases it. */
  watchdog?: { release(): void };
}

export interface ClusterUpOptions {
  /**
   * Keep what this start brought up only as long as this process lives (a drill): stopped by clusterStop, or
   * by the watchdog if the process dies first. Without it a successful start stays up until `cluster down`.
   */
  tiedToProcess?: boolean;
}

/**
 * Starts whatever is not running, in the order of startPlan, each step waiting for its checks; idempotent.
 * Resolves once a workflow can be started through the frontend and every service is in the membership.
 */
export async function clusterUp(dataDir: string, log: Log = stderrLog, options: ClusterUpOptions = {}): Promise<ClusterHandle> {
  const began = Date.now();
  const ports = clusterPorts();
  const paths = clusterPaths(dataDir);
  const address = `127.0.0.1:${ports.frontend}`;
  const started: ClusterStarted = { postgres: false, services: [] };
  let pgBin: string | undefined;
  const undo = async () => {
    if (started.services.length) log(`stopping what this start started: ${started.services.join(', ')}`);
    await Promise.all(started.services.map((s) => stopService(paths, s)));
    if (started.postgres && pgBin) {
      log('stopping PostgreSQL (started by this start)');
      postgresDown(pgBin, paths);
    }
  };
  const release = onInterrupt(undo);
  const frontend = new Frontend(address, log);
  let watchdog: Watchdog | undefined;
  try {
    const tools = await ensureTemporalServer(log);
    pgBin = ensurePostgres(log);
    watchdog = new Watchdog(paths, pgStopCommand(pgBin, paths));
    // Counted as started before pg_ctl runs: an interrupt during its start must still stop it.
    if (!postgresRunning(pgBin, paths)) {
      started.postgres = true;
      watchdog.note('postgres');
    }
    postgresUp(pgBin, paths, ports.postgres, log);
    schema(tools, ports.postgres, log);
    writeConfigs(paths, ports);
    const running = new Set(CLUSTER_SERVICES.filter((s) => servicePid(paths, s)));
    if (running.size) log(`already running: ${[...running].join(', ')}`);
    forgetMembers(ports.postgres, CLUSTER_SERVICES.filter((s) => !running.has(s)));
    const ctx: StepContext = { paths, ports, frontend, log, spawned: new Map() };
    const before: ClusterService[] = [];
    for (const step of startPlan(running)) {
      for (const service of step.start) {
        log(`starting ${service}`);
        watchdog.note(`service ${service}`);
        ctx.spawned.set(service, startService(tools.server, paths, service));
        started.services.push(service);
      }
      const services = [...step.running, ...step.start];
      await waitFor(step.checks, services, before, ctx);
      before.push(...services);
    }
    log(`cluster ready in ${Math.round((Date.now() - began) / 1000)} s (a workflow starts through ${address}; ${CLUSTER_SERVICES.join(', ')} in the membership)`);
    if (options.tiedToProcess) return { address, ports, paths, started, watchdog };
    watchdog.release();
    return { address, ports, paths, started };
  } catch (err) {
    // On a signal the handler is already stopping everything (and then exits).
    if (!interrupted()) {
      log(`start failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      await undo();
      watchdog?.release();
    }
    throw err;
  } finally {
    await frontend.close();
    release();
  }
}

/** Stops one service: SIGTERM to its group, SIGKILL after 10 s (history hands its shards over first). */
export async function stopService(paths: ClusterPaths, service: ClusterService, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const pid = servicePid(paths, service);
  if (pid) {
    killGroup(pid, signal);
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (alive(pid)) killGroup(pid, 'SIGKILL');
  }
  rmSync(join(paths.root, `${service}.pid`), { force: true });
}

/** Restarts one service (a drill kills history and brings it back); resolves once it serves again. */
export async function restartService(dataDir: string, service: ClusterService, log: Log = () => undefined): Promise<void> {
  const paths = clusterPaths(dataDir);
  const ports = clusterPorts();
  const { server } = await ensureTemporalServer(log);
  await stopService(paths, service);
  forgetMembers(ports.postgres, [service]);
  const frontend = new Frontend(`127.0.0.1:${ports.frontend}`, log);
  try {
    const ctx: StepContext = { paths, ports, frontend, log, spawned: new Map([[service, startService(server, paths, service)]]) };
    await waitFor(restartChecks(service), [service], CLUSTER_SERVICES.filter((s) => s !== service && servicePid(paths, s)), ctx);
  } finally {
    await frontend.close();
  }
}

export async function restartPostgres(dataDir: string): Promise<void> {
  const paths = clusterPaths(dataDir);
  const pg = ensurePostgres();
  postgresDown(pg, paths);
  postgresUp(pg, paths, clusterPorts().postgres, () => undefined);
}

/** Stops what one `clusterUp` started (a drill's end): the services it spawned, PostgreSQL if it started it. */
export async function clusterStop(handle: ClusterHandle, log: Log = stderrLog): Promise<void> {
  const services = CLUSTER_SERVICES.filter((s) => handle.started.services.includes(s)).reverse();
  if (services.length) log(`stopping ${services.join(', ')}`);
  await Promise.all(services.map((s) => stopService(handle.paths, s)));
  if (handle.started.postgres) {
    log('stopping PostgreSQL');
    postgresDown(ensurePostgres(() => undefined), handle.paths);
  }
  handle.watchdog?.release();
}

export async function clusterDown(dataDir: string, log: Log = stderrLog): Promise<void> {
  const paths = clusterPaths(dataDir);
  for (const service of [...CLUSTER_SERVICES].reverse()) {
    if (servicePid(paths, service)) log(`stopping ${service}`);
    await stopService(paths, service);
  }
  const bin = (() => {
    try {
      return ensurePostgres(() => undefined);
    } catch {
      return undefined;
    }
  })();
  if (bin) postgresDown(bin, paths);
  log('cluster stopped (its data stays in data/cluster; delete the folder to start afresh)');
}
