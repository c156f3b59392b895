/**
 * duban worker processes for the cluster drills, each one remembered from the moment it is spawned (not only
 * once it says `ready`), so that a drill's end stops every one, whichever step failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const workers = new Set<ChildProcess>();

/** `script`: the worker's program (default the drills' worker-child.ts, which polls one task queue). */
export function startTrackedWorker(env: Record<string, string>, readyMs = 180_000, script = join(__dirname, '..', 'worker-child.ts')): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  workers.add(child);
  child.once('exit', () => workers.delete(child));
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`worker not ready within ${readyMs} ms: ${err}`)), readyMs);
    child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    child.stdout?.on('data', (c: Buffer) => {
      if (c.toString().includes('ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code ?? signal}) before it was ready: ${err}`));
    });
  });
}

/** SIGKILLs every worker still running and waits until each has exited. */
export async function killAllWorkers(): Promise<number> {
  const left = [...workers].filter((w) => w.exitCode === null && w.signalCode === null);
  await Promise.all(
    left.map(
      (w) =>
        new Promise<void>((resolve) => {
          w.once('exit', () => resolve());
          w.kill('SIGKILL');
        }),
    ),
  );
  return left.length;
}
