/**
 * Stopping a campaign, for `duban campaign stop ID [--yes]` and the dashboard's confirmation page alike: first what
 * will stop (`describeStop`), then the stop itself (`stopCampaign`). The campaign first, so it starts nothing more;
 * then its duties, each of which would otherwise go on alone; then what they handed the desk and is still waiting.
 */
import type { Client } from '@temporalio/client';
import { deskDropSignal } from '../workflows/messages';
import { deskIdFor, listCampaigns, planStop, type CampaignListing } from './registry';

export class CampaignNotRunningError extends Error {
  readonly code = 'CAMPAIGN_NOT_RUNNING';
  constructor(readonly id: string) {
    super(`没有名为 ${id} 的运行中督办批次：可能已停止或已结束，请回到督办批次列表核对 (no running campaign of that id)`);
    this.name = 'CampaignNotRunningError';
  }
}

export interface StopPreview {
  campaign: CampaignListing;
  campaignId: string;
  /** The running duties that will be stopped. */
  dutyIds: string[];
  /** The campaign did not answer: its duties were found in Temporal's visibility by id. */
  fromVisibilityOnly: boolean;
}

/** What stopping `id` (a workflow id or a campaign id) stops; throws when it is not running or its duties cannot be read. */
export async function describeStop(client: Client, taskQueue: string, id: string): Promise<StopPreview> {
  const found = (await listCampaigns(client, { taskQueue, running: true })).find((c) => c.workflowId === id || c.info?.campaignId === id);
  if (!found) throw new CampaignNotRunningError(id);
  // The list may lag a stop that just happened; the campaign's own description does not.
  const described = await client.workflow
    .getHandle(found.workflowId)
    .describe()
    .catch(() => undefined);
  if (described?.status.name !== 'RUNNING') throw new CampaignNotRunningError(id);
  const campaignId = found.info?.campaignId ?? found.workflowId.replace(/^duban\//, '');
  const plan = await planStop(client, found.workflowId, campaignId);
  return { campaign: found, campaignId, dutyIds: plan.dutyIds, fromVisibilityOnly: !plan.sources.includes('ledger') };
}

/** Stops the campaign and its running duties; the count of duties stopped. */
export async function stopCampaign(client: Client, taskQueue: string, preview: StopPreview, reason: string): Promise<number> {
  await client.workflow.getHandle(preview.campaign.workflowId).terminate(reason);
  let stopped = 0;
  for (const dutyId of preview.dutyIds) {
    await client.workflow
      .getHandle(dutyId)
      .terminate(reason)
      .then(() => stopped++)
      .catch(() => undefined);
  }
  // The desk is the deployment's (one per task queue), known without asking the campaign.
  await client.workflow
    .getHandle(preview.campaign.info?.morningDesk ?? deskIdFor(taskQueue))
    .signal(deskDropSignal, { campaignId: preview.campaignId })
    .catch(() => undefined);
  return stopped;
}
