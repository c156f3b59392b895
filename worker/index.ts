/** Builds a duban worker: the workflows plus activities wired to the given channel. */
import { join } from 'node:path';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps, type Channel } from '../activities';

export const DEFAULT_TASK_QUEUE = 'duban';
export const WORKFLOWS_PATH = join(__dirname, '..', 'workflows', 'index.ts');

export interface DubanWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /** The outbox / transcript every message is recorded in. */
  channel?: Channel;
  /** Email, directory and WeChat clients for the activities. */
  deps?: Omit<ActivityDeps, 'channel'>;
  /** A prebuilt workflow bundle (tests build one per run); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Give up on a graceful shutdown after this long (a stalled simulation must still end). */
  shutdownForceTime?: WorkerOptions['shutdownForceTime'];
}

export async function createWorker(options: DubanWorkerOptions): Promise<Worker> {
  const code = options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    activities: createActivities({ ...options.deps, ...(options.channel ? { channel: options.channel } : {}) }),
    ...code,
    ...(options.shutdownForceTime ? { shutdownForceTime: options.shutdownForceTime } : {}),
  });
}
