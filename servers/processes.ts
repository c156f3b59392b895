/**
 * Starts and stops the Temporal server processes: the CLI dev server (SQLite file, Web UI) and the Java
 * time-skipping test server. Readiness is a real gRPC round trip, not a sleep.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import { ensureTemporalCli, ensureTestServer } from './tools';

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
  child.kill('SIGKILL');
  throw new Error(`${what} did not answer on ${address} within ${timeoutMs} ms (last error: ${String(lastError)})\n${output()}`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
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
  const started = Date.now();
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
  const child = spawn(
    java,
    ['-cp', classpath, 'io.temporal.testserver.TestServer', String(port)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = captureOutput(child);
  const address = `127.0.0.1:${port}`;
  // TestWorkflowEnvironment would give a spawned server 5 s; a cold JVM on 2 cores can need more.
  await waitReady(child, address, 'Temporal test server', 60_000, output);
  return { address, startMs: Date.now() - started, stop: stopper(child) };
}
