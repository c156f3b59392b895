/**
 * Starts and stops the Temporal server processes: the CLI dev server (SQLite file, Web UI) and the Java
 * time-skipping test server. Readiness is a real gRPC round trip, not a sleep.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import { ensureTemporalCli, ensureTestServer } from './tools';
import { DEV_SERVER_TYPE_NAMES } from './search-attributes';
import { DUBAN_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

export interface RunningServer {
  address: string;
  /** Web UI of the dev server; absent for the test server. */
  uiUrl?: string;
  /** Milliseconds from spawn until the server answered a gRPC call. */
  startMs: number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(child: ChildProcess, address: string, what: string, timeoutMs: number, output: () => string) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`${what} exited with code ${child.exitCode} before it was ready:\n${output()}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  killGroup(child, 'SIGKILL');
  throw new Error(`${what} did not answer on ${address} within ${timeoutMs} ms (last error: ${String(lastError)})\n${output()}`);
}

/**
 * Starts a server so that it cannot outlive us. A small shell stands between us and the server: it passes
 * SIGTERM on, and it reads its standard input, a pipe from this process, which reaches end-of-file when this
 * process ends for any reason (exit, Ctrl-C, SIGTERM, even SIGKILL, or vitest ending a test process); the
 * shell then stops the server. An 'exit' handler alone cannot do this: it does not run on a signal or a kill,
 * and the stop it starts never finishes.
 */
const TIED = [
  // Our stdin (the pipe) on fd 3 for the watcher: a background job's stdin is /dev/null in sh.
  'exec 3<&0 </dev/null',
  '"$@" 3<&- &',
  'server=$!',
  '( while read -r _line; do :; done; kill -TERM "$server" 2>/dev/null; n=0; while kill -0 "$server" 2>/dev/null && [ $n -lt 20 ]; do sleep 0.5; n=$((n+1)); done; kill -KILL "$server" 2>/dev/null ) <&3 &',
  'watcher=$!',
  'exec 3<&-',
  'trap \'kill -TERM "$server" 2>/dev/null\' TERM INT HUP',
  'wait "$server"; code=$?',
  // Interrupted by the trap: wait for the server to finish shutting down.
  'while kill -0 "$server" 2>/dev/null; do wait "$server"; code=$?; done',
  'kill "$watcher" 2>/dev/null; wait "$watcher" 2>/dev/null',
  'exit "$code"',
].join('\n');

export function spawnTied(command: string, args: string[]): ChildProcess {
  // A process group of its own (shell, server, watcher), so that a forced stop reaches all three.
  return spawn('sh', ['-c', TIED, 'duban-server', command, ...args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM through the shell's trap; resolves once the server has exited and closed its output (port free). */
function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.stdout?.closed && (child.exitCode !== null || child.signalCode !== null)) return resolve();
      const force = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
      child.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

function captureOutput(child: ChildProcess): () => string {
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => tail;
}

export interface DevServerOptions {
  /** SQLite file; omitted = in-memory (tests). */
  dbFile?: string;
  port?: number;
  uiPort?: number;
  namespace?: string;
  /** Bind address; loopback unless told otherwise. */
  ip?: string;
}

export async function startDevServer(options: DevServerOptions = {}): Promise<RunningServer> {
  const cli = await ensureTemporalCli();
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? (await freePort());
  const uiPort = options.uiPort ?? (await freePort());
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--ui-port', String(uiPort), '--log-level', 'error'];
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  if (options.namespace && options.namespace !== 'default') args.push('--namespace', options.namespace);
  // duban's search attributes, registered at every start (the dev server keeps them in its file; naming one it
  // already has with the same type is no error).
  for (const key of DUBAN_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=${DEV_SERVER_TYPE_NAMES[key.type]}`);
  const started = Date.now();
  const child = spawnTied(cli, args);
  const output = captureOutput(child);
  const address = `${ip}:${port}`;
  await waitReady(child, address, 'Temporal dev server', 60_000, output);
  return { address, uiUrl: `http://${ip}:${uiPort}`, startMs: Date.now() - started, stop: stopper(child) };
}

export async function startTestServer(options: { port?: number } = {}): Promise<RunningServer> {
  const { java, classpath } = await ensureTestServer();
  const port = options.port ?? (await freePort());
  const started = Date.now();
  // Started without --enable-time-skipping: the server then begins with skipping locked, which is what the
  // SDK's time-skipping client expects (its result() unlocks once and locks again). With the flag, that
  // unlock releases a lock the server holds for a pending workflow task, and time races past it.
  const child = spawnTied(java, ['-cp', classpath, 'io.temporal.testserver.TestServer', String(port)]);
  const output = captureOutput(child);
  const address = `127.0.0.1:${port}`;
  // TestWorkflowEnvironment would give a spawned server 5 s; a cold JVM on 2 cores can need more.
  await waitReady(child, address, 'Temporal test server', 60_000, output);
  return { address, startMs: Date.now() - started, stop: stopper(child) };
}
