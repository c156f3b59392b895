/**
 * Waiting for a condition or an instant, whichever comes first, without ever cancelling a timer.
 *
 * `condition(fn, timeout)` cancels its timer when `fn` turns true first. The Java time-skipping test server
 * (io.temporal:temporal-test-server up to at least 1.38.0, sdk-java issues #2606 and #3088) loses a workflow
 * for good when a workflow task cancels a timer that fired while that task was running: it refuses the
 * completion with "invalid history builder state for action", never schedules another task, and keeps its
 * time-skipping lock, so the whole server's clock stops. Under time skipping that race is common: the clock
 * jumps to one timer and then runs at wall speed past timers due a few milliseconds later. This is what hung
 * simulated years (README, "Why a simulated year hung").
 *
 * Here each instant gets one timer that is never cancelled: waiting again for the same instant reuses it,
 * and a timer no longer waited for fires later into nothing (one short workflow task). A real cluster handles
 * the cancel correctly; the change costs it nothing but those rare extra tasks.
 */
import { CancellationScope, condition, patched, sleep } from '@temporalio/workflow';

/** Workflows started before this patch cancel their timers as 0.1.0 did, so their histories replay. */
export const NO_TIMER_CANCEL_PATCH = 'no-timer-cancel';

export interface Waker {
  /** Resolves when `fn()` holds, or when the workflow clock reaches `at` (ms, as `now()` reads it). */
  until(fn: () => boolean, at?: number): Promise<void>;
}

export function makeWaker(now: () => number): Waker {
  /** Planned wake-up instants → whether their timer has fired. */
  const timers = new Map<number, boolean>();
  return {
    async until(fn, at) {
      if (at === undefined) return condition(fn);
      if (!patched(NO_TIMER_CANCEL_PATCH)) {
        await condition(fn, Math.max(1, at - now()));
        return;
      }
      if (!timers.has(at)) {
        timers.set(at, false);
        void CancellationScope.nonCancellable(() => sleep(Math.max(1, at - now()))).then(() => {
          timers.set(at, true);
        });
      }
      await condition(() => fn() || timers.get(at) === true);
      for (const [instant, fired] of timers) if (fired) timers.delete(instant);
    },
  };
}
