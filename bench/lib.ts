/** Small helpers for the benchmark: bounded concurrency, percentiles, waiting for quiet, process memory. */
import { readdirSync, readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';

export const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

export interface PoolResult {
  done: number;
  failed: number;
  firstError?: string;
  ms: number;
  /** The time budget ran out before every item was tried. */
  timedOut: boolean;
}

/** Runs `fn` over `count` items with at most `concurrency` in flight, stopping at `budgetMs`. */
export async function pool(count: number, concurrency: number, fn: (i: number) => Promise<unknown>, budgetMs: number): Promise<PoolResult> {
  const started = Date.now();
  const end = started + budgetMs;
  let next = 0;
  let done = 0;
  let failed = 0;
  let firstError: string | undefined;
  let timedOut = false;
  const lane = async () => {
    for (;;) {
      if (Date.now() > end) {
        timedOut = next < count;
        return;
      }
      const i = next++;
      if (i >= count) return;
      try {
        await fn(i);
        done++;
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { done, failed, ms: Date.now() - started, timedOut, ...(firstError ? { firstError } : {}) };
}

/** p in 0..100 over an unsorted list; nearest-rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

export async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms: number, every = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleepMs(every);
  }
}

export interface InFlight {
  activations: number;
  activities: number;
}

/**
 * Waits until the worker has had nothing in flight for `idleMs`: its pollers get a task at once while the
 * queue has a backlog, so a worker idle that long has drained it. (The server's task-queue stats lag by
 * seconds, too much to use here.) Returns the milliseconds until the worker went idle, or -1 on timeout.
 */
export async function waitQuiet(inFlight: () => InFlight | Promise<InFlight>, timeoutMs: number, idleMs = 400): Promise<number> {
  const started = Date.now();
  let idleSince: number | undefined;
  while (Date.now() - started < timeoutMs) {
    const f = await inFlight();
    const now = Date.now();
    if (f.activations + f.activities > 0) idleSince = undefined;
    else idleSince ??= now;
    if (idleSince !== undefined && now - idleSince >= idleMs) return idleSince - started;
    await sleepMs(20);
  }
  return -1;
}

/** Terminates the given workflows (already closed ones are ignored). */
export async function terminateAll(client: Client, ids: string[], budgetMs: number): Promise<PoolResult> {
  return pool(
    ids.length,
    64,
    async (i) => {
      try {
        await client.workflow.getHandle(ids[i] ?? '').terminate('benchmark phase over');
      } catch (err) {
        if ((err as Error).name !== 'WorkflowNotFoundError') throw err;
      }
    },
    budgetMs,
  );
}

/** VmRSS and VmHWM (peak) of a process, in MiB, from /proc. */
export function processMemory(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

export const round = (n: number, digits = 1) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : null);

/** CPU seconds (user + system) a process has used so far, from /proc; NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Pids of this process's children with the given command name (e.g. the dev server, `temporal`). */
export function childPids(comm: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && name === comm) out.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** CPU seconds used by each named process between `start()` and `stop()`. */
export function cpuMeter(pids: Record<string, number>) {
  const take = () => Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid === process.pid ? process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 : cpuSeconds(pid)]));
  let from = take();
  let t0 = Date.now();
  return {
    start() {
      from = take();
      t0 = Date.now();
    },
    stop(): Record<string, number | null> {
      const to = take();
      return { wallSeconds: round((Date.now() - t0) / 1000), ...Object.fromEntries(Object.keys(pids).map((k) => [k, round((to[k] ?? NaN) - (from[k] ?? NaN))])) };
    },
  };
}
