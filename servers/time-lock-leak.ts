/**
 * The Java time-skipping test server (temporal-test-server 1.38.0) holds its clock while a child workflow tells
 * its parent that it has ended, and lets go when the parent has taken the news. When the parent run has already
 * closed — a campaign that continued as new while its duties ran on — the parent never takes it, and the clock
 * stays held for good: time stops skipping with nothing left to do. (Read in its sources:
 * `processCompleteWorkflowExecution` locks "notify parent"; `childWorkflowCompleted` on a closed run throws
 * NOT_FOUND, which is caught, and the unlock never comes. Failing and cancelled children are the same.)
 *
 * A real cluster or the dev server has no such clock. Simulations and the tests' year runs count the locks left
 * behind this way — children that closed after the parent run that started them — and give each back once, so a
 * year whose campaign continues as new still runs to its end. Nothing is released that this did not leave.
 */
import type { Client } from '@temporalio/client';

/** Ends that notify the parent (a terminated or continued-as-new child does not, and holds nothing). */
const NOTIFYING = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

/** How many clock locks the given workflows' children have left behind: one per child that outlived its parent run. */
export async function countLeakedTimeLocks(client: Client, workflowIds: string[]): Promise<number> {
  const parentClosedAt = new Map<string, number | undefined>();
  let leaked = 0;
  for (const id of workflowIds) {
    const child = await client.workflow
      .getHandle(id)
      .describe()
      .catch(() => undefined);
    if (!child?.parentExecution || !NOTIFYING.has(child.status.name) || !child.closeTime) continue;
    const { workflowId, runId } = child.parentExecution;
    if (!workflowId || !runId) continue;
    const key = `${workflowId}\u0000${runId}`;
    if (!parentClosedAt.has(key)) {
      const parent = await client.workflow
        .getHandle(workflowId, runId)
        .describe()
        .catch(() => undefined);
      parentClosedAt.set(key, parent?.closeTime?.getTime());
    }
    const closed = parentClosedAt.get(key);
    if (closed !== undefined && closed <= child.closeTime.getTime()) leaked++;
  }
  return leaked;
}
