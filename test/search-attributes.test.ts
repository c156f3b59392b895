/**
 * Duties found by search attributes, as a supervisor or an administrator would look for them: the Temporal CLI's
 * `workflow list --query` on the dev server the project starts; left off on the time-skipping server.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { describe, expect, it } from 'vitest';
import { RecordingChannel } from '../activities/outbox';
import { ensureTemporalCli } from '../servers/tools';
import { createWorker } from '../worker';
import { devServerEnv, timeSkippingEnv, uniqueQueue, workflowBundle } from './env';
import { dutyInput } from './duty-fixtures';
import { until } from './until';
import { ensureSearchAttributes } from '../servers/search-attributes';
import { completeUpdate } from '../workflows/messages';

const run = promisify(execFile);

describe('search attributes', () => {
  it('finds a late duty of one unit with `temporal workflow list --query`, and its level changes there', async () => {
    const env = await devServerEnv();
    const taskQueue = uniqueQueue('sa');
    const campaign = `sa-${taskQueue.slice(-8)}`;
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel: new RecordingChannel(), workflowBundle: workflowBundle() });
    const cli = await ensureTemporalCli();
    const list = async (query: string) => {
      const { stdout } = await run(cli, ['workflow', 'list', '--address', inject('devServerAddress'), '--query', query, '--output', 'json']);
      return (JSON.parse(stdout || '[]') as { execution: { workflowId: string } }[]).map((w) => w.execution.workflowId).sort();
    };
    try {
      await worker.runUntil(async () => {
        // Already registered at the dev server's start: nothing to add.
        expect(await ensureSearchAttributes(env.connection, 'default')).toEqual({ ok: true, added: [] });
        const now = Date.now();
        // Started a month ago with its deadline a week ago: past its grace, red. The other is due next year.
        const late = dutyInput(`${campaign}/t1/late/县财政局`, new Date(now - 7 * 86_400_000).toISOString().slice(0, 10), {
          duty: { ...dutyInput('x', '2022-05-31').duty, dutyId: `${campaign}/t1/late/县财政局`, unit: '县财政局' },
          startAt: now - 30 * 86_400_000,
          searchAttributes: { campaign },
          closeAt: '2099-01-01',
        });
        const onTime = dutyInput(`${campaign}/t1/on-time/县财政局`, `${new Date(now).getUTCFullYear() + 1}-06-30`, {
          duty: { ...late.duty, dutyId: `${campaign}/t1/on-time/县财政局` },
          searchAttributes: { campaign },
          closeAt: '2099-01-01',
        });
        const otherUnit = dutyInput(`${campaign}/t1/late/县民政局`, late.deadline, { startAt: late.startAt!, searchAttributes: { campaign }, closeAt: '2099-01-01' });
        otherUnit.duty.dutyId = `${campaign}/t1/late/县民政局`;
        for (const input of [late, onTime, otherUnit]) {
          await env.client.workflow.start('dutyWorkflow', { taskQueue, workflowId: input.duty.dutyId, args: [input] });
        }
        const red = await until('the late duty listed as red', async () => {
          const ids = await list(`DubanCampaign='${campaign}' AND DubanUnit='县财政局' AND DubanLevel='red'`);
          return ids.length ? ids : undefined;
        });
        expect(red).toEqual([late.duty.dutyId]);
        const all = await until('all three listed', async () => {
          const ids = await list(`DubanCampaign='${campaign}' AND DubanTask=1`);
          return ids.length === 3 ? ids : undefined;
        });
        expect(all).toHaveLength(3);
        // Completed: green, and no longer among the red ones.
        await env.client.workflow.getHandle(late.duty.dutyId).executeUpdate(completeUpdate, {
          args: [{ actor: { person: '张伟', unit: '县财政局', role: 'coordinator' }, note: '已完成' }],
        });
        await until('the completed duty listed as green', async () => {
          const ids = await list(`DubanCampaign='${campaign}' AND DubanLevel='green'`);
          return ids.includes(late.duty.dutyId) ? true : undefined;
        });
        expect(await list(`DubanCampaign='${campaign}' AND DubanUnit='县财政局' AND DubanLevel='red'`)).toEqual([]);
        for (const input of [onTime, otherUnit]) await env.client.workflow.getHandle(input.duty.dutyId).terminate('test over');
      });
    } finally {
      await env.teardown();
    }
  }, 120_000);

  it('is left off where the server cannot register them (the time-skipping server that runs simulated years)', async () => {
    // The Java test server has no operator service and refuses unknown attributes, so a duty that set them
    // would stall there: the check says so, and the simulator's campaigns go without them.
    const env = await timeSkippingEnv();
    try {
      const check = await ensureSearchAttributes(env.connection, 'default');
      expect(check.ok).toBe(false);
    } finally {
      await env.teardown();
    }
  });
});
