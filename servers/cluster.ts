/**
 * A real Temporal cluster on this machine, set up by duban itself from the registries it reaches:
 * - Temporal server v1.29.1 and its SQL schema tool, built with `go install` (no `replace` directive in that
 *   module, so `go install` takes it) and cached by version like the CLI;
 * - PostgreSQL from Debian's packages (installed with apt-get when missing and running as root), a database
 *   cluster of its own under data/cluster/, listening on loopback only;
 * - the schema applied with the server's own tool from the module's schema files;
 * - frontend, history, matching and internal-worker as four processes on their own ports, 8 history shards.
 * duban then reaches it through TEMPORAL_ADDRESS, exactly as a user reaches their own cluster.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import Long from 'long';
import { cacheRoot } from './tools';
import { ensureSearchAttributes } from './search-attributes';

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const HISTORY_SHARDS = 8;
export const CLUSTER_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type ClusterService = (typeof CLUSTER_SERVICES)[number];

type Log = (line: string) => void;
const stderrLog: Log = (line) => process.stderr.write(`[duban cluster] ${line}\n`);

export class ClusterError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
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
  if (r.status !== 0) throw new ClusterError(`${what} failed (exit ${r.status}): ${(r.stderr || r.stdout || String(r.error ?? '')).trim().slice(-1500)}`);
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
      const child = spawn('go', ['install', `go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`, `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`], {
        env: { ...process.env, GOBIN: staging },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let tail = '';
      child.stderr.on('data', (c: Buffer) => (tail = (tail + c.toString()).slice(-2000)));
      child.on('error', fail);
      child.on('close', (code) => (code === 0 ? ok() : fail(new ClusterError(`go install of the Temporal server failed (${code}): ${tail}`))));
    });
    mkdirSync(dir, { recursive: true });
    renameSync(join(staging, 'server'), server);
    renameSync(join(staging, 'sql'), sqlTool);
    rmSync(staging, { recursive: true, force: true });
    log(`Temporal server built in ${Math.round((Date.now() - started) / 1000)} s → ${dir}`);
  }
  // The schema files ship in the module (the same version the binaries were built from).
  const info = JSON.parse(must('go mod download', run('go', ['mod', 'download', '-json', `go.temporal.io/server@${TEMPORAL_SERVER_VERSION}`]))) as { Dir?: string };
  if (!info.Dir) throw new ClusterError('go mod download gave no module directory for the Temporal server');
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
  if (process.getuid?.() !== 0) throw new ClusterError('PostgreSQL is not installed: run `sudo apt-get install postgresql`, then `npm run cluster` again.');
  log('installing PostgreSQL from Debian (apt-get)…');
  must('apt-get update', run('apt-get', ['update']));
  must('apt-get install postgresql', run('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { env: { DEBIAN_FRONTEND: 'noninteractive' } }));
  const bin = find();
  if (!bin) throw new ClusterError('apt-get installed postgresql but no initdb was found under /usr/lib/postgresql');
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

function postgresUp(bin: string, paths: ClusterPaths, port: number, log: Log): void {
  const asPostgres = process.getuid?.() === 0 ? 'postgres' : undefined;
  for (const d of [dirname(paths.pgData), paths.pgSocket]) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
    if (asPostgres) chownSync(d, Number(run('id', ['-u', 'postgres']).stdout.trim()), Number(run('id', ['-g', 'postgres']).stdout.trim()));
  }
  if (!existsSync(join(paths.pgData, 'PG_VERSION'))) {
    log(`initdb ${paths.pgData}`);
    must('initdb', run(join(bin, 'initdb'), ['-D', paths.pgData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'], asPostgres ? { user: asPostgres } : {}));
  }
  const status = run(join(bin, 'pg_ctl'), ['-D', paths.pgData, 'status'], asPostgres ? { user: asPostgres } : {});
  if (status.status === 0) return;
  log(`starting PostgreSQL on 127.0.0.1:${port}`);
  must(
    'pg_ctl start',
    run(join(bin, 'pg_ctl'), ['-D', paths.pgData, '-l', join(dirname(paths.pgData), 'postgres.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${paths.pgSocket} -c listen_addresses=127.0.0.1 -c max_connections=200`, 'start'], asPostgres ? { user: asPostgres } : {}),
  );
}

function postgresDown(bin: string, paths: ClusterPaths): void {
  if (!existsSync(join(paths.pgData, 'PG_VERSION'))) return;
  run(join(bin, 'pg_ctl'), ['-D', paths.pgData, '-m', 'fast', '-w', 'stop'], process.getuid?.() === 0 ? { user: 'postgres' } : {});
}

/** The databases and their schema, once (the tool's update-schema is idempotent). */
function schema(tools: { sqlTool: string; schemaDir: string }, port: number, log: Log): void {
  const psql = (sql: string) => run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-tAc', sql]);
  if (psql("SELECT 1 FROM pg_roles WHERE rolname = 'temporal'").stdout.trim() !== '1') {
    must('create role', psql("CREATE ROLE temporal LOGIN PASSWORD 'temporal' CREATEDB"));
  }
  for (const [db, dir] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ] as const) {
    const tool = (...args: string[]) => run(tools.sqlTool, ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(port), '-u', 'temporal', '--pw', 'temporal', '--db', db, ...args]);
    if (psql(`SELECT 1 FROM pg_database WHERE datname = '${db}'`).stdout.trim() !== '1') {
      log(`creating database ${db}`);
      must(`create-database ${db}`, tool('create-database'));
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

/** Each service its own process; metrics on one port would clash, so only the frontend exports them. */
function startService(server: string, paths: ClusterPaths, service: ClusterService): number {
  const log = openSync(join(paths.root, `${service}.log`), 'a');
  const child = spawn(server, ['--root', paths.root, '--config', 'config', '--env', service, '--allow-no-auth', 'start', '--service', service], {
    cwd: paths.root,
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  writeFileSync(join(paths.root, `${service}.pid`), String(child.pid));
  return child.pid ?? 0;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function servicePid(paths: ClusterPaths, service: ClusterService): number | undefined {
  const file = join(paths.root, `${service}.pid`);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8'));
  return pid > 0 && alive(pid) ? pid : undefined;
}

export interface ClusterHandle {
  address: string;
  ports: ReturnType<typeof clusterPorts>;
  paths: ClusterPaths;
}

/** Starts whatever is not running; idempotent. Resolves once the frontend answers and `default` exists. */
export async function clusterUp(dataDir: string, log: Log = stderrLog): Promise<ClusterHandle> {
  const ports = clusterPorts();
  const paths = clusterPaths(dataDir);
  const tools = await ensureTemporalServer(log);
  const pg = ensurePostgres(log);
  postgresUp(pg, paths, ports.postgres, log);
  schema(tools, ports.postgres, log);
  mkdirSync(paths.config, { recursive: true });
  // One config per service (the --env name), the same but for metrics: only the frontend's listens.
  for (const service of CLUSTER_SERVICES) {
    const text = serverConfig(ports, join(paths.config, 'dynamicconfig.yaml'));
    writeFileSync(join(paths.config, `${service}.yaml`), service === 'frontend' ? text : text.replace(/ {2}metrics:\n(?: {4}.*\n)+/, ''));
  }
  if (!existsSync(join(paths.config, 'dynamicconfig.yaml'))) writeFileSync(join(paths.config, 'dynamicconfig.yaml'), '# dynamic config (empty: defaults)\n');
  for (const service of CLUSTER_SERVICES) {
    if (servicePid(paths, service)) continue;
    log(`starting ${service}`);
    startService(tools.server, paths, service);
  }
  const address = `127.0.0.1:${ports.frontend}`;
  await ensureNamespace(address, log);
  return { address, ports, paths };
}

/** Waits for the frontend and registers the `default` namespace (1 day's retention) and duban's search attributes when missing. */
async function ensureNamespace(address: string, log: Log): Promise<void> {
  const { Connection } = await import('@temporalio/client');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' }).catch(async () => {
          log('registering namespace default');
          await connection.workflowService.registerNamespace({ namespace: 'default', workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(86_400) } });
        });
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        // duban's search attributes, so duties are found by unit and level (a fresh namespace may refuse
        // them for a moment: retried with the rest).
        const indexed = await ensureSearchAttributes(connection, 'default');
        if (!indexed.ok) throw new Error(indexed.reason);
        if (indexed.added.length) log(`registered search attributes ${indexed.added.join(', ')}`);
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw new ClusterError(`the cluster's frontend at ${address} did not answer within 120 s (see data/cluster/*.log)`, { cause: err });
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Stops one service (SIGTERM, then SIGKILL after 10 s). */
export async function stopService(paths: ClusterPaths, service: ClusterService, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const pid = servicePid(paths, service);
  if (!pid) return;
  process.kill(pid, signal);
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(join(paths.root, `${service}.pid`), { force: true });
}

/** Restarts one service (a drill kills history and brings it back). */
export async function restartService(dataDir: string, service: ClusterService): Promise<void> {
  const paths = clusterPaths(dataDir);
  const { server } = await ensureTemporalServer();
  await stopService(paths, service);
  startService(server, paths, service);
}

export async function restartPostgres(dataDir: string): Promise<void> {
  const paths = clusterPaths(dataDir);
  const pg = ensurePostgres();
  postgresDown(pg, paths);
  postgresUp(pg, paths, clusterPorts().postgres, () => undefined);
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
