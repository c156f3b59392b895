/**
 * A watchdog for runs on the time-skipping server: when neither the workflow clock skips ahead nor anything
 * new happens for a set time, it names the workflows that hold work nobody is doing (a workflow task or an
 * activity that never completes) and their last history event, instead of letting the run wait forever.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export class StalledRunError extends Error {
  readonly code = 'STALLED';
  constructor(message: string) {
    super(message);
    this.name = 'StalledRunError';
  }
}

export interface ProgressWatchOptions {
  client: Client;
  /** The server's clock (TestWorkflowEnvironment.currentTimeMs). */
  clock: () => Promise<number>;
  /** Workflows to inspect when stalled. */
  workflowIds: () => string[];
  /**
   * A counter that grows whenever something happens (messages sent, replies answered, events in a
   * workflow's history): busy work that sends nothing is progress too.
   */
  activity: () => number | Promise<number>;
  /** Real milliseconds without progress before giving up. */
  stallMs: number;
  /** Added to the server clock when reporting workflow time (the simulator's year offset). */
  clockOffsetMs?: number;
  pollMs?: number;
  /**
   * Time-skipping server only: how to find and give back clock locks the server left behind (see
   * time-lock-leak.ts). Asked once the run has stood still for `leakCheckMs` with no workflow holding work.
   */
  timeLocks?: { leaked: () => Promise<number>; unlock: () => Promise<void> };
  /** Real milliseconds of standing still before looking for left-behind locks (default 3000). */
  leakCheckMs?: number;
}

const PENDING_WORK = new Set(['WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_FAILED', 'WORKFLOW_TASK_TIMED_OUT', 'ACTIVITY_TASK_SCHEDULED', 'ACTIVITY_TASK_STARTED']);

function eventName(type: temporal.api.enums.v1.EventType | null | undefined): string {
  return (temporal.api.enums.v1.EventType[type ?? 0] ?? String(type)).replace(/^EVENT_TYPE_/, '');
}

/** The workflows with work pending, each with its last event, as lines of text. */
export async function describeStuck(client: Client, workflowIds: string[], limit = 5): Promise<string[]> {
  const lines: string[] = [];
  for (const id of workflowIds) {
    if (lines.length >= limit) break;
    try {
      const handle = client.workflow.getHandle(id);
      const described = await handle.describe();
      if (described.status.name !== 'RUNNING') continue;
      const events = (await handle.fetchHistory()).events ?? [];
      const last = events[events.length - 1];
      const name = eventName(last?.eventType);
      if (!PENDING_WORK.has(name)) continue;
      const failure = last?.workflowTaskFailedEventAttributes?.failure?.message;
      lines.push(`${id}: last event #${String(last?.eventId ?? '?')} ${name}${failure ? ` (${failure})` : ''}`);
    } catch {
      // A workflow that was never started, or has gone: nothing to report.
    }
  }
  return lines;
}

/**
 * Resolves never; rejects with a StalledRunError once the run stops progressing. `stop()` ends the watch.
 * Progress is the clock moving faster than real time (time skipped) or the activity counter changing.
 */
export function watchProgress(options: ProgressWatchOptions): { stalled: Promise<never>; stop: () => void } {
  const pollMs = options.pollMs ?? 2000;
  const leakCheckMs = Math.min(options.leakCheckMs ?? 3000, options.stallMs);
  let released = 0;
  // A call that hangs counts as no answer: the watch must not hang on the server it watches.
  const answer = <T>(p: Promise<T>): Promise<T> =>
    Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('no answer')), pollMs * 5).unref())]);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const stalled = new Promise<never>((_, reject) => {
    let lastClock = -1;
    let lastReal = Date.now();
    let lastActivity = -1;
    let progressAt = Date.now();
    const tick = async () => {
      if (stopped) return;
      const real = Date.now();
      // A poll the server does not answer is no progress.
      let clock: number | undefined;
      try {
        clock = await answer(options.clock());
        const activity = await answer(Promise.resolve(options.activity()));
        const skipped = lastClock >= 0 && clock - lastClock > real - lastReal + 1000;
        if (skipped || (lastActivity >= 0 && activity !== lastActivity)) progressAt = real;
        lastClock = clock;
        lastActivity = activity;
      } catch {
        // counted as no progress
      }
      lastReal = real;
      if (stopped) return;
      if (options.timeLocks && real - progressAt >= leakCheckMs) {
        try {
          const stuck = await answer(describeStuck(options.client, options.workflowIds(), 1));
          const leaked = stuck.length ? released : await options.timeLocks.leaked();
          if (stopped) return;
          // Giving back a lock is progress: the clock moves again.
          if (released < leaked) progressAt = real;
          for (; released < leaked; released++) await options.timeLocks.unlock();
        } catch {
          // looked for again at the next poll
        }
      }
      if (real - progressAt >= options.stallMs) {
        const stuck = await answer(describeStuck(options.client, options.workflowIds())).catch(() => []);
        if (stopped) return;
        const at =
          clock === undefined ? 'unknown: the server did not answer' : `${new Date(clock + (options.clockOffsetMs ?? 0) + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ')} +08:00`;
        reject(
          new StalledRunError(
            `运行停滞 run stalled: nothing happened and the workflow clock did not move for ${Math.round(options.stallMs / 1000)} s (workflow time ${at}). ` +
              (stuck.length ? `Stuck: ${stuck.join('; ')}` : 'No workflow has pending work: a client may be holding time still.'),
          ),
        );
        return;
      }
      timer = setTimeout(() => void tick(), pollMs);
    };
    timer = setTimeout(() => void tick(), pollMs);
  });
  // Nobody may be listening when the run ends first.
  stalled.catch(() => undefined);
  return {
    stalled,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
