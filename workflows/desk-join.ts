/** How a campaign joins the deployment's desk: what it tells the desk, and starting the desk when none runs. */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import { ParentClosePolicy, getExternalWorkflowHandle, startChild } from '@temporalio/workflow';
import { deskWorkflow } from './desk';
import type { CampaignInput } from './expand';
import { deskJoinSignal, type DeskJoin } from './messages';

/** The desk's shard count as the campaign was started with it, only when over one (as a duty's input carries it). */
export function deskShardsOf(input: CampaignInput): { deskShards?: number } {
  const n = input.options?.deskShards ?? 1;
  return n > 1 ? { deskShards: n } : {};
}

/** What a campaign tells its desk: its digest readers, its calendar and the channels it was started with. */
export function deskJoinOf(input: CampaignInput): DeskJoin {
  const shards = deskShardsOf(input).deskShards;
  return {
    campaignId: input.campaignId,
    // Their overdue reminders wait for Monday's digest, which a campaign without digests does not send.
    digestUnits: input.options?.digests === false ? [] : [...input.supervisors, input.disciplineOffice],
    calendar: input.calendar,
    ...(input.options?.wechatTaskQueue ? { wechatTaskQueue: input.options.wechatTaskQueue } : {}),
    ...(input.options?.delivery ? { delivery: input.options.delivery } : {}),
    ...(shards ? { shards } : {}),
  };
}

/**
 * Starts the deployment's desk unless it runs (its id is fixed: the first campaign starts it, the others find
 * it), and gives it this campaign's calendar, laid over whatever years it has.
 */
export async function ensureDesk(input: CampaignInput, desk: string): Promise<void> {
  const join = deskJoinOf(input);
  try {
    await startChild(deskWorkflow, {
      workflowId: desk,
      args: [
        {
          deskId: desk,
          calendar: input.calendar,
          campaigns: [{ campaignId: join.campaignId, digestUnits: join.digestUnits }],
          ...(join.wechatTaskQueue ? { wechatTaskQueue: join.wechatTaskQueue } : {}),
          ...(join.delivery ? { delivery: join.delivery } : {}),
          ...(input.clockOffsetMs ? { clockOffsetMs: input.clockOffsetMs } : {}),
          ...(join.shards ? { shards: join.shards } : {}),
        },
      ],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      // A desk an administrator terminated may be started again; a running one is found, not doubled.
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    await getExternalWorkflowHandle(desk).signal(deskJoinSignal, join);
  }
}
