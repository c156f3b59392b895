/** The benchmark's child processes: workers (duban's or the baseline's) and the SMTP sink, talked to over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { sleepMs, type InFlight } from './lib';
import type { WorkerProcessConfig, WorkerProcessStatus } from './worker-process';

const TSX = ['--require', require.resolve('tsx/cjs')];

function forkTs(file: string, args: string[], execArgv: string[] = []): ChildProcess {
  return fork(join(__dirname, file), args, { execArgv: [...execArgv, ...TSX], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** Replies of one type are answered in order, so each request takes the next reply of its type. */
function replies(child: ChildProcess) {
  const waiting = new Map<string, ((m: unknown) => void)[]>();
  child.on('message', (m: { type: string }) => waiting.get(m.type)?.shift()?.(m));
  return <T>(type: string, reply: string, timeoutMs = 30_000): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${reply} from child ${child.pid} in ${timeoutMs} ms`)), timeoutMs);
      const list = waiting.get(reply) ?? [];
      list.push((m) => {
        clearTimeout(timer);
        resolve(m as T);
      });
      waiting.set(reply, list);
      child.send({ type });
    });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Asks the child to stop; kills it (this child only, by its pid) if it has not exited in `graceMs`. */
async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.connected) child.send({ type: 'stop' });
  const gone = exited(child);
  const late = await Promise.race([gone.then(() => false), sleepMs(graceMs).then(() => true)]);
  if (late) {
    child.kill('SIGKILL');
    await gone;
  }
}

export interface WorkerProcess {
  pid: number;
  status(): Promise<WorkerProcessStatus>;
  inFlight(): Promise<InFlight>;
  gc(): Promise<void>;
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts a worker process and resolves once it polls. `onDone` receives the trivial activity's run times;
 * with `profileDir` the process writes V8 CPU profiles there (one per thread) when it exits.
 */
export async function startWorkerProcess(
  config: WorkerProcessConfig,
  onDone?: (items: { id: number; at: number }[]) => void,
  profileDir?: string,
): Promise<WorkerProcess> {
  const child = forkTs('worker-process.ts', [JSON.stringify(config)], ['--expose-gc', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])]);
  const ask = replies(child);
  child.on('message', (m: { type: string; items?: { id: number; at: number }[] }) => {
    if (m.type === 'done' && m.items) onDone?.(m.items);
  });
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type: string }) => m.type === 'ready' && resolve());
    child.once('exit', (code) => reject(new Error(`worker process exited with ${code} before it was ready`)));
  });
  return {
    pid: child.pid ?? 0,
    status: () => ask<WorkerProcessStatus>('status', 'status'),
    inFlight: async () => ask<WorkerProcessStatus>('status', 'status'),
    gc: async () => {
      await ask('gc', 'gc-done');
    },
    stop: (graceMs = 20_000) => stopChild(child, graceMs),
  };
}

export interface SinkProcess {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

/** The SMTP sink in its own process; `onAccepted` receives each mail's X-Duban-Key and arrival time. */
export async function startSinkProcess(onAccepted: (items: { key: string; at: number }[]) => void): Promise<SinkProcess> {
  const child = forkTs('sink-process.ts', []);
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (m: { type: string; port?: number; items?: { key: string; at: number }[] }) => {
      if (m.type === 'ready') resolve(m.port ?? 0);
      else if (m.type === 'accepted' && m.items) onAccepted(m.items);
    });
    child.once('exit', (code) => reject(new Error(`SMTP sink process exited with ${code} before it was ready`)));
  });
  return { pid: child.pid ?? 0, port, stop: () => stopChild(child, 10_000) };
}
