/**
 * Baseline workflows for the benchmark, bundled apart from duban's and run on their own task queue on the
 * same server: what the server and SDK cost with (almost) no application code.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { createTrivialActivities } from './trivial-activities';

const { trivialActivity } = proxyActivities<ReturnType<typeof createTrivialActivities>>({ startToCloseTimeout: '1 minute' });

/** Campaign-start baseline: starts and returns. */
export async function startOnly(): Promise<void> {
  return;
}

/** Storm baseline: sleeps until the instant (a server timer, as a duty's reminder is), then runs one activity. */
export async function trivialWorkflow(instantMs: number, id: number): Promise<void> {
  const wait = instantMs - Date.now();
  if (wait > 0) await sleep(wait);
  await trivialActivity(id);
}
