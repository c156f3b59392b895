/**
 * The Java time-skipping test server (temporal-test-server 1.38.0) holds its clock while a child workflow tells
 * its parent that it has ended, and lets go when the parent has taken the news. When the parent run has already
 * closed — a campaign that continued as new while its duties ran on — the parent never takes it, and the clock
 * stays held for good: time stops skipping with nothing left to do. (Read in its sources:
 * `processCompleteWorkflowExecution` locks "notify parent"; `childWorkflowCompleted` on a closed run throws
 * NOT_FOUND, which is caught, and the unlock never comes. Failing and cancelled children are the same.)
 *
 * A real cluster or the dev server has no such clock. Simulations count the locks left behind this way —
 * children that ended while the parent run that started them was closed, their end missing from its history — and
 * give each back once, so a year whose campaign continues as new still runs to its end.
 */
import type { Client } from '@temporalio/client';

/** Ends that notify the parent (a terminated or continued-as-new child does not, and holds nothing). */
const NOTIFYING = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

/**
 * How many clock locks the given workflows' children have left behind: one per child that ended (and would tell its
 * parent) while the parent run that started it was closed — its end is not in that run's history.
 */
export async function countLeakedTimeLocks(client: Client, workflowIds: string[]): Promise<number> {
  /** Per closed parent run, the children whose end its history took (undefined: the run is still open). */
  const taken = new Map<string, Set<string> | undefined>();
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
    if (!taken.has(key)) taken.set(key, await childEndsTaken(client, workflowId, runId));
    const ends = taken.get(key);
    if (ends && !ends.has(id)) leaked++;
  }
  return leaked;
}

async function childEndsTaken(client: Client, workflowId: string, runId: string): Promise<Set<string> | undefined> {
  try {
    const handle = client.workflow.getHandle(workflowId, runId);
    if ((await handle.describe()).status.name === 'RUNNING') return undefined;
    const ends = new Set<string>();
    for (const e of (await handle.fetchHistory()).events ?? []) {
      const a =
        e.childWorkflowExecutionCompletedEventAttributes ??
        e.childWorkflowExecutionFailedEventAttributes ??
        e.childWorkflowExecutionCanceledEventAttributes ??
        e.childWorkflowExecutionTimedOutEventAttributes;
      const child = a?.workflowExecution?.workflowId;
      if (child) ends.add(child);
    }
    return ends;
  } catch {
    return undefined;
  }
}
