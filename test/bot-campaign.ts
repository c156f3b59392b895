/**
 * A real campaign on the dev server for the bot's tests: a worker, the campaign started on a shifted clock,
 * its ledger once complete, and a stop that ends every workflow it started.
 */
import { randomUUID } from 'node:crypto';
import { RecordingChannel } from '../activities/outbox';
import { createWorker } from '../worker';
import type { CampaignInput } from '../workflows/expand';
import { ledgerQuery } from '../workflows/messages';
import type { LedgerEntry } from '../workflows/types';
import { uniqueQueue, workflowBundle, type devServerEnv } from './env';
import { until } from './until';

export interface BotCampaign {
  campaignWorkflowId: string;
  ledger: LedgerEntry[];
  stop(): Promise<void>;
}

/** Starts `input` (ids made unique) and waits until `ready(ledger)`; `campaignWorkflowId` is fixed first so the bot can be wired to it. */
export async function startBotCampaign(
  env: Awaited<ReturnType<typeof devServerEnv>>,
  input: CampaignInput,
  ready: (ledger: LedgerEntry[]) => boolean,
  campaignWorkflowId = `duban/bot-test-${randomUUID()}`,
): Promise<BotCampaign> {
  const taskQueue = uniqueQueue('bot-campaign');
  const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel: new RecordingChannel(), workflowBundle: workflowBundle() });
  const running = worker.run();
  await env.client.workflow.start('campaignWorkflow', {
    taskQueue,
    workflowId: campaignWorkflowId,
    args: [{ ...input, campaignId: campaignWorkflowId.slice('duban/'.length), options: { ...input.options, closeAt: '2023-03-31' } }],
  });
  const ledger = await until('the campaign’s duties in its ledger', async () => {
    const entries = await env.client.workflow.getHandle(campaignWorkflowId).query(ledgerQuery);
    return ready(entries) ? entries : undefined;
  });
  return {
    campaignWorkflowId,
    ledger,
    async stop() {
      for (const id of [campaignWorkflowId, ...ledger.map((e) => e.dutyId)]) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      worker.shutdown();
      await running;
    },
  };
}
