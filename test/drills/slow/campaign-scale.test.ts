/**
 * A drill (`npm run drills`): a campaign of 10,010 duties continuing as new through its start loop, where the
 * whole ledger in the next run's input used to pass 2 MB. Measured 2026-12-07 on this 2-core machine: the start
 * loop did not finish within 10 minutes on the dev server (10,010 child starts), so it is not in the default run.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RecordingChannel } from '../../../activities/outbox';
import { createWorker } from '../../../worker';
import { expandCampaign, type CampaignInput } from '../../../workflows/expand';
import { unpackLedger } from '../../../workflows/ledger-pack';
import { base, bigCampaign } from '../../big-campaign';
import { devServerEnv, uniqueQueue, workflowBundle } from '../../env';
import { until } from '../../until';

describe('a campaign of 10,010 duties', () => {
  it('continues as new through its start loop and keeps every duty in its ledger', async () => {
    const env = await devServerEnv();
    const taskQueue = uniqueQueue('scale');
    // The duties go to a queue no worker serves: they are started (that is what the campaign records) but never
    // run, so the test measures the campaign alone.
    const idle = uniqueQueue('scale-duties');
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel: new RecordingChannel(), workflowBundle: workflowBundle() });
    const running = worker.run();
    const campaignId = `scale-${randomUUID()}`;
    const workflowId = `duban/${campaignId}`;
    const input: CampaignInput = { ...bigCampaign(770, campaignId), clockOffsetMs: Date.parse('2022-01-04T10:00:00+08:00') - Date.now() };
    input.options = { ...input.options, closeAt: '2023-03-31', dutyTaskQueue: idle, digests: false };
    const expected = expandCampaign(input, '2022-01-04').length;
    expect(expected).toBe(10_010);
    try {
      const handle = await env.client.workflow.start('campaignWorkflow', { taskQueue, workflowId, args: [input] });
      const firstRun = handle.firstExecutionRunId;
      // Its runs, oldest first, until one holds every duty (the last run's `started` carried = all of them).
      const runs = await until(
        'the start loop to finish',
        async () => {
          const list: { runId: string; status: string }[] = [];
          for await (const w of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) list.push({ runId: w.runId, status: w.status.name });
          const desc = await handle.describe();
          if (desc.status.name !== 'RUNNING') throw new Error(`the campaign ${desc.status.name}: ${JSON.stringify(list)}`);
          await new Promise((r) => setTimeout(r, 2000));
          const duties = await env.client.workflow.count(`WorkflowType = 'dutyWorkflow' AND TaskQueue = '${idle}'`).catch(() => undefined);
          return duties?.count === expected ? list : undefined;
        },
        1_500_000,
      );
      // It continued as new at least twice while starting: the last carried over 2 MB of ledger before 0.8.0.
      expect(runs.filter((r) => r.status === 'ContinuedAsNew' || r.status === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(2);
      expect(runs.some((r) => r.runId === firstRun)).toBe(true);
      // The latest run's input: every duty's line, packed.
      const history = await handle.fetchHistory();
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      const payload = started?.input?.payloads?.[0]?.data;
      expect(payload).toBeDefined();
      const bytes = payload!.length;
      const carried = (JSON.parse(Buffer.from(payload!).toString('utf8')) as CampaignInput).carried!;
      const ledger = unpackLedger(carried.ledgerPacked!, base(input, '2022-01-04'));
      expect(ledger.length + carried.ledger.length).toBeGreaterThanOrEqual(Math.floor(expected / 2));
      expect(bytes).toBeLessThan(2 * 1024 * 1024);
    } finally {
      await env.client.workflow
        .getHandle(workflowId)
        .terminate('test over')
        .catch(() => undefined);
      worker.shutdown();
      await running;
      await env.teardown();
    }
  }, 1_800_000);
});
