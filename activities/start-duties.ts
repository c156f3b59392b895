/**
 * A campaign's duties, started by an activity (0.9.2, START_BY_ACTIVITY_PATCH) instead of as child workflows.
 *
 * Why: a child start writes to the parent twice (initiated, started), and the server takes a workflow's writes one
 * at a time. The city benchmark's campaign was such a hot workflow: some 10–20 duties a second per campaign whatever
 * the batch, with a history of three events per duty to replay after every failed task (#27). Started here, each
 * duty is its own StartWorkflowExecution; the campaign's history gets three events per batch. Duties were already
 * abandoned by their campaign (ParentClosePolicy.ABANDON) and outlive it, so nothing else changes for them.
 *
 * Each start is idempotent: an id that has run is never run again (REJECT_DUPLICATE). A duty already running (a
 * retried batch, a restarted campaign) is asked to report its ledger line again; one that has ended is returned,
 * and the campaign records it as ended — what the child path did with the same two cases.
 */
import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { reportRequestSignal } from '../workflows/messages';
import type { DutyInput } from '../workflows/types';

export interface StartDutiesInput {
  /** The queue the duties run on (the campaign's own unless CampaignOptions.dutyTaskQueue moved them). */
  taskQueue: string;
  duties: DutyInput[];
}

export interface StartDutiesResult {
  started: number;
  /** Already running: asked to report again. */
  running: number;
  /** Had run and ended: the campaign marks them ended. */
  ended: string[];
}

/** Starts in flight at once: enough to keep the frontend busy, few enough not to crowd the worker's other work. */
export const STARTS_IN_FLIGHT = 16;

/** `client` is the worker's own (the activity context's) unless a caller gives one. */
export function createDutyStarter(client: () => Client = () => Context.current().client) {
  return async function startDuties(input: StartDutiesInput): Promise<StartDutiesResult> {
    const temporal = client();
    const result: StartDutiesResult = { started: 0, running: 0, ended: [] };
    let next = 0;
    const one = async (duty: DutyInput) => {
      const workflowId = duty.duty.dutyId;
      try {
        await temporal.workflow.start('dutyWorkflow', { workflowId, taskQueue: input.taskQueue, args: [duty], workflowIdReusePolicy: 'REJECT_DUPLICATE' });
        result.started++;
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        try {
          await temporal.workflow.getHandle(workflowId).signal(reportRequestSignal);
          result.running++;
        } catch (signalErr) {
          if (!(signalErr instanceof WorkflowNotFoundError)) throw signalErr;
          result.ended.push(workflowId);
        }
      }
    };
    const lane = async () => {
      while (next < input.duties.length) {
        const duty = input.duties[next++]!;
        await one(duty);
        Context.current().heartbeat(next);
      }
    };
    await Promise.all(Array.from({ length: Math.min(STARTS_IN_FLIGHT, input.duties.length) }, lane));
    return result;
  };
}
