/**
 * `duban desk ensure` (issue #27): a desk an operator terminated is started again from every running campaign —
 * their digest readers and calendars, on the worker's channel settings — and the campaigns' duties are asked to
 * hand again what the lost desk held. It used to stay gone: only a campaign's first run starts a desk.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, inject, it } from 'vitest';
import { RecordingChannel } from '../activities/outbox';
import { channelSettingsFromEnv, writeChannelSettings } from '../campaigns/deployment';
import { deskIdFor } from '../campaigns/registry';
import { campaignQueueOf, createWorker } from '../worker';
import type { DeskInput } from '../workflows/desk';
import { ledgerQuery } from '../workflows/messages';
import { devServerEnv, uniqueQueue, workflowBundle } from './env';
import { until } from './until';

const REPO = join(__dirname, '..');
const run = promisify(execFile);

describe('duban desk ensure', () => {
  it('starts a terminated desk again with the running campaign’s digest readers, and its duties hand again', async () => {
    const env = await devServerEnv();
    const taskQueue = uniqueQueue('desk-ensure');
    const data = mkdtempSync(join(tmpdir(), 'duban-desk-ensure-'));
    writeChannelSettings(data, channelSettingsFromEnv({}));
    const cli = (...args: string[]) =>
      run(process.execPath, [join(REPO, 'bin', 'duban.js'), ...args], {
        cwd: REPO,
        env: { ...process.env, TEMPORAL_ADDRESS: inject('devServerAddress'), TEMPORAL_TASK_QUEUE: taskQueue, DUBAN_DATA_DIR: data, DUBAN_LOG_FORMAT: 'text' },
      }).then(
        (r) => ({ failed: 0, stdout: r.stdout }),
        (err: { code?: number; stdout?: string; stderr?: string }) => ({ failed: err.code ?? 1, stdout: `${err.stdout ?? ''}${err.stderr ?? ''}` }),
      );
    const channel = new RecordingChannel();
    const workers = await Promise.all([
      createWorker({ connection: env.nativeConnection, taskQueue, channel, workflowBundle: workflowBundle() }),
      createWorker({ connection: env.nativeConnection, taskQueue: campaignQueueOf(taskQueue), channel, workflowBundle: workflowBundle() }),
    ]);
    const running = Promise.all(workers.map((w) => w.run()));
    const campaignId = 'duban/dazhu-2022-28/2032';
    const deskId = deskIdFor(taskQueue);
    const ids: string[] = [];
    try {
      expect((await cli('campaign', 'start', join(REPO, 'seeds', 'dazhu-2022-28.txt'), '--year', '2032')).stdout).toContain('督办批次已启动');
      const ledger = await until('the campaign’s duties', async () => {
        const entries = await env.client.workflow.getHandle(campaignId).query(ledgerQuery);
        return entries.length > 10 && entries.length === new Set(entries.map((e) => e.dutyId)).size ? entries : undefined;
      }, 60_000);
      ids.push(...ledger.map((e) => e.dutyId));
      await until('the desk running', async () => ((await env.client.workflow.getHandle(deskId).describe()).status.name === 'RUNNING' ? true : undefined));
      await env.client.workflow.getHandle(deskId).terminate('drill: an operator terminated the desk');
      const ensured = await cli('desk', 'ensure');
      expect(ensured.failed).toBe(0);
      expect(ensured.stdout).toContain('督办台已重新启动');
      const desk = env.client.workflow.getHandle(deskId);
      expect((await desk.describe()).status.name).toBe('RUNNING');
      const history = await desk.fetchHistory();
      const input = defaultPayloadConverter.fromPayload<DeskInput>(history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!);
      expect(input.campaigns).toEqual([{ campaignId: 'dazhu-2022-28/2032', digestUnits: expect.arrayContaining(['县乡村振兴局', '县纪委监委']) }]);
      // Every running duty is asked to hand again.
      const open = ledger.filter((e) => !e.ended);
      await until(
        'every running duty asked to hand again',
        async () => {
          for (const e of open) {
            const h = await env.client.workflow.getHandle(e.dutyId).fetchHistory();
            if (!h.events?.some((ev) => ev.workflowExecutionSignaledEventAttributes?.signalName === 'deskRehand')) return undefined;
          }
          return true;
        },
        30_000,
      );
      // Run again on a running desk: nothing restarted.
      expect((await cli('desk', 'ensure')).stdout).toContain('督办台运行中');
    } finally {
      for (const id of [campaignId, deskId, ...ids]) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      for (const w of workers) w.shutdown();
      await running;
      await env.teardown();
    }
  }, 180_000);
});
