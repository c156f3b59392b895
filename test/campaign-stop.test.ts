/**
 * `duban campaign stop` when the campaign does not answer (issue #27): its worker is down, so its ledger cannot be
 * read. It used to read that as no duties, stop the campaign alone and report 「任务 0 项」, leaving every duty to
 * go on sending. Now the duties are found by id in Temporal's visibility; when neither can be read, nothing stops.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RecordingChannel } from '../activities/outbox';
import { CampaignDutiesUnknownError, ledgerOf, planStop, runningDutyIds } from '../campaigns/registry';
import { loadCampaign } from '../cli/campaign-input';
import { createWorker } from '../worker';
import { ledgerQuery } from '../workflows/messages';
import { devServerEnv, uniqueQueue, workflowBundle } from './env';
import { until } from './until';

describe('stopping a campaign whose worker is down', () => {
  it('finds its running duties by id, and refuses when they cannot be read at all', async () => {
    const env = await devServerEnv();
    const taskQueue = uniqueQueue('campaign-stop');
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel: new RecordingChannel(), workflowBundle: workflowBundle() });
    const running = worker.run();
    const campaignId = `stop-test-${randomUUID()}`;
    const workflowId = `duban/${campaignId}`;
    const loaded = loadCampaign({ year: 2022 });
    const clockOffsetMs = Date.parse('2022-05-06T10:00:00+08:00') - Date.now();
    await env.client.workflow.start('campaignWorkflow', {
      taskQueue,
      workflowId,
      args: [{ ...loaded.input, campaignId, clockOffsetMs, startAt: Date.parse(`${loaded.nominalStart}:00+08:00`), options: { ...loaded.input.options, closeAt: '2023-03-31' } }],
    });
    const ledger = await until('every duty started', async () => {
      const entries = await env.client.workflow.getHandle(workflowId).query(ledgerQuery);
      return entries.length === 69 ? entries : undefined;
    });
    const ids = ledger.map((e) => e.dutyId);
    try {
      await until('the duties in visibility', async () => ((await runningDutyIds(env.client, campaignId)).length === 69 ? true : undefined), 30_000);
      // The worker goes down: the campaign no longer answers.
      worker.shutdown();
      await running;
      expect(await ledgerOf(env.client, workflowId, 2_000)).toBeUndefined();
      const plan = await planStop(env.client, workflowId, campaignId, runningDutyIds, 2_000);
      expect(plan.sources).toEqual(['visibility']);
      expect(plan.dutyIds).toEqual([...ids].sort());
      // Neither the campaign nor visibility: refused, saying why.
      const refused = await planStop(env.client, workflowId, campaignId, async () => {
        throw new Error('visibility unavailable');
      }, 2_000).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(CampaignDutiesUnknownError);
      expect((refused as Error).message).toContain('未停止任何工作流');
    } finally {
      for (const id of [workflowId, ...ids]) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      await env.teardown();
    }
  }, 180_000);
});
