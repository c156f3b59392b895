/**
 * A campaign restarted (its workflow terminated and started again under the same id, as `npx duban` does after
 * an operator stopped it) rebuilds its ledger from the duties that kept running: what was acknowledged stays
 * acknowledged, and no duty is started twice.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RecordingChannel } from '../activities/outbox';
import { loadCampaign } from '../cli/campaign-input';
import { createWorker } from '../worker';
import { expandCampaign } from '../workflows/expand';
import { acknowledgeUpdate, ledgerQuery } from '../workflows/messages';
import { devServerEnv, uniqueQueue, workflowBundle } from './env';
import { until } from './until';

describe('a restarted campaign', () => {
  it('rebuilds its ledger from the running duties, keeping what they recorded', async () => {
    const env = await devServerEnv();
    const taskQueue = uniqueQueue('restart');
    const channel = new RecordingChannel();
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel, workflowBundle: workflowBundle() });
    const running = worker.run();
    const loaded = loadCampaign({ year: 2022, options: { closeAt: '2023-03-31' } });
    // Tasks 1, 4, 5 and 12: five duties of several units.
    const plan = { ...loaded.input.plan, tasks: loaded.input.plan.tasks.filter((t) => [1, 4, 5, 12].includes(t.number)) };
    const campaignId = `restart-test-${randomUUID()}`;
    const workflowId = `duban/${campaignId}`;
    // Thursday 5 May 2022, 10:00 Shanghai.
    const clockOffsetMs = Date.parse('2022-05-05T10:00:00+08:00') - Date.now();
    const args = [{ ...loaded.input, campaignId, plan, clockOffsetMs, options: { closeAt: '2023-03-31', morningSettleSeconds: 1 } }];
    const campaign = env.client.workflow.getHandle(workflowId);
    const expected = expandCampaign(args[0]!, '2022-05-05').map((d) => d.duty.dutyId);
    let dutyIds: string[] = [];
    try {
      await env.client.workflow.start('campaignWorkflow', { taskQueue, workflowId, args });
      const first = await until('every duty in the ledger', async () => {
        const entries = await campaign.query(ledgerQuery);
        return entries.length === expected.length && entries.every((e) => e.updatedAt > 0) ? entries : undefined;
      });
      dutyIds = first.map((e) => e.dutyId);
      expect(dutyIds.length).toBeGreaterThan(2);
      const target = first.find((e) => e.taskNumber === 1)!;
      await env.client.workflow
        .getHandle(target.dutyId)
        .executeUpdate(acknowledgeUpdate, { args: [{ actor: { person: '周志强（虚构）', unit: target.unit, role: 'coordinator' } }] });
      await until('the acknowledgement in the ledger', async () => (await campaign.query(ledgerQuery)).find((e) => e.dutyId === target.dutyId)?.status === 'acknowledged');

      await campaign.terminate('operator restarts the campaign');
      await env.client.workflow.start('campaignWorkflow', { taskQueue, workflowId, args });
      const rebuilt = await until('the rebuilt ledger', async () => {
        const entries = await campaign.query(ledgerQuery);
        const line = entries.find((e) => e.dutyId === target.dutyId);
        return line?.status === 'acknowledged' ? entries : undefined;
      });
      expect(rebuilt.map((e) => e.dutyId).sort()).toEqual([...dutyIds].sort());
      // The duties kept running through the restart, and nothing was announced twice.
      for (const id of dutyIds) expect((await env.client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');
      const keys = channel.messages.map((m) => m.key);
      expect(new Set(keys).size).toBe(keys.length);
    } finally {
      for (const id of [workflowId, ...dutyIds]) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      worker.shutdown();
      await running;
      await env.teardown();
    }
  }, 120_000);
});
