/**
 * Channel settings come from the worker, not from whoever runs the CLI (issue #27): `campaign start` from a plain
 * shell (no DUBAN_WECHAT) used to start the campaign with WeChat off, and its deskJoin turned WeChat off for every
 * campaign of the desk. The worker writes its settings to the data folder; the CLI reads them there.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, inject, it } from 'vitest';
import { WECHAT_TASK_QUEUE } from '../bot/main';
import { channelSettingsFromEnv, deploymentChannels, writeChannelSettings } from '../campaigns/deployment';
import type { CampaignInput } from '../workflows/expand';
import { RecordingChannel } from '../activities/outbox';
import { deskIdFor } from '../campaigns/registry';
import { readCampaignLedger } from '../campaigns/ledger-read';
import type { DeskInput } from '../workflows/desk';
import { campaignQueueOf, createWorker } from '../worker';
import { devServerEnv, uniqueQueue, workflowBundle } from './env';
import { until } from './until';

const REPO = join(__dirname, '..');
const run = promisify(execFile);

describe('the deployment’s channel settings', () => {
  it('are what the worker wrote, whatever the reading shell says; an unreadable file is an error naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'duban-deploy-'));
    expect(deploymentChannels(dir, {}).note).toContain('deployment.json');
    expect(deploymentChannels(dir, { DUBAN_WECHAT: '1' }).settings.wechatTaskQueue).toBe(WECHAT_TASK_QUEUE);
    writeChannelSettings(dir, channelSettingsFromEnv({ DUBAN_WECHAT: '1' }));
    const plain = deploymentChannels(dir, {});
    expect(plain.settings.wechatTaskQueue).toBe(WECHAT_TASK_QUEUE);
    expect(plain.note).toBeUndefined();
    writeFileSync(join(dir, 'deployment.json'), '{"wechat":');
    expect(() => deploymentChannels(dir, {})).toThrow(/deployment\.json 不是有效的 JSON/);
  });

  it('`campaign start` from a plain shell keeps the worker’s WeChat on', async () => {
    const env = await devServerEnv();
    const data = mkdtempSync(join(tmpdir(), 'duban-deploy-cli-'));
    const taskQueue = uniqueQueue('deploy');
    // What `npm start` with DUBAN_WECHAT=1 wrote.
    writeChannelSettings(data, channelSettingsFromEnv({ DUBAN_WECHAT: '1' }));
    const shell: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: inject('devServerAddress'), TEMPORAL_TASK_QUEUE: taskQueue, DUBAN_DATA_DIR: data };
    delete shell.DUBAN_WECHAT;
    // The deployment's worker is running, as beside `npm start`: the CLI's queries of the new campaign and the
    // desk are answered (without one, each waits out its 10 s deadline).
    const channel = new RecordingChannel(undefined, async () => undefined);
    const workers = await Promise.all([
      createWorker({ connection: env.nativeConnection, taskQueue, channel, workflowBundle: workflowBundle() }),
      createWorker({ connection: env.nativeConnection, taskQueue: campaignQueueOf(taskQueue), channel, workflowBundle: workflowBundle() }),
    ]);
    const handle = env.client.workflow.getHandle('duban/dazhu-2022-28/2031');
    const desk = env.client.workflow.getHandle(deskIdFor(taskQueue));
    const startedWith = async <T>(h: typeof handle) => {
      const history = await h.fetchHistory();
      return defaultPayloadConverter.fromPayload<T>(history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!);
    };
    const running = Promise.all(workers.map((w) => w.run()));
    try {
      const started = await run(process.execPath, [join(REPO, 'bin', 'duban.js'), 'campaign', 'start', join(REPO, 'seeds', 'dazhu-2022-28.txt'), '--year', '2031'], { cwd: REPO, env: shell });
      expect(started.stdout).toContain('督办批次已启动');
      expect((await startedWith<CampaignInput>(handle)).options?.wechatTaskQueue).toBe(WECHAT_TASK_QUEUE);
      // …and the desk it started (the campaign's first task starts it) sends by WeChat too.
      const deskInput = await until('the desk started', () => startedWith<DeskInput>(desk).catch(() => undefined), 30_000);
      expect(deskInput.wechatTaskQueue).toBe(WECHAT_TASK_QUEUE);
    } finally {
      const ledger = await readCampaignLedger(handle).catch(() => []);
      for (const e of ledger) await env.client.workflow.getHandle(e.dutyId).terminate('test over').catch(() => undefined);
      await handle.terminate('test over').catch(() => undefined);
      await desk.terminate('test over').catch(() => undefined);
      for (const w of workers) w.shutdown();
      await running;
      await env.teardown();
    }
  }, 120_000);
});
