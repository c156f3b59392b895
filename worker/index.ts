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
  /** MiB the worker may use (default DUBAN_WORKER_MEMORY_MIB, else 512): sizes the workflow cache. */
  memoryBudgetMiB?: number;
  /** Overrides the cache the memory budget gives (the campaigns' worker keeps a small one of its own). */
  maxCachedWorkflows?: number;
  /** Activities already built, to share one set (and one WeCom rate limit) between a process's workers. */
  activities?: ReturnType<typeof createActivities>;
}

/**
 * The queue campaigns run on when started by `npm start` / `duban campaign start`: a worker of its own polls it
 * with a small cache of its own, so a storm of duties waking at one instant cannot evict the campaign (which
 * would then replay its whole history — thousands of morning items — on every signal). Its duties stay on the
 * main queue (CampaignOptions.dutyTaskQueue).
 */
export function campaignQueueOf(taskQueue: string): string {
  return `${taskQueue}-campaigns`;
}
export const CAMPAIGN_WORKER_CACHE = 50;

/**
 * What a worker's memory goes to: about 220 MiB for the process, the SDK and the workflow bundle's context, and
 * about 0.7 MiB per cached workflow run (measured: with 10,000 open duties and a cache of 695 runs the worker
 * held 691.5 MiB against 201 MiB idle — `npm run bench -- --only storm`, 2026-11-30). The cache, not the number
 * of duties, sets the RSS: an evicted duty is replayed from its history when it wakes.
 */
export const WORKER_BASE_MIB = 220;
export const CACHED_RUN_MIB = 0.7;
export const DEFAULT_MEMORY_BUDGET_MIB = 512;

/** The workflow cache that keeps a worker within `budgetMiB` (at least 50 runs). */
export function cacheSizeFor(budgetMiB: number): number {
  return Math.max(50, Math.floor((budgetMiB - WORKER_BASE_MIB) / CACHED_RUN_MIB));
}

export function memoryBudgetFromEnv(): number {
  const raw = process.env.DUBAN_WORKER_MEMORY_MIB;
  if (raw === undefined || raw === '') return DEFAULT_MEMORY_BUDGET_MIB;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < WORKER_BASE_MIB + 50) throw new Error(`DUBAN_WORKER_MEMORY_MIB=${raw}：须为不小于 ${WORKER_BASE_MIB + 50} 的 MiB 数 (worker memory budget in MiB)`);
  return n;
}

export async function createWorker(options: DubanWorkerOptions): Promise<Worker> {
  const code = options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    activities: options.activities ?? createActivities({ ...options.deps, ...(options.channel ? { channel: options.channel } : {}) }),
    ...code,
    ...(options.shutdownForceTime ? { shutdownForceTime: options.shutdownForceTime } : {}),
    maxCachedWorkflows: options.maxCachedWorkflows ?? cacheSizeFor(options.memoryBudgetMiB ?? memoryBudgetFromEnv()),
  });
}
