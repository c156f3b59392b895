/**
 * A duty started inside the hand-ahead window (a campaign started at 08:20 for 09:00, as a city's morning starts
 * thousands) hands its request to acknowledge and its reminder together and tells the campaign its ledger line once,
 * with both counted (HAND_TOGETHER_PATCH, #27). Before, it handed one item per turn and sent a line after each: three
 * lines to the campaign and five signal round trips per duty, which set the pace of a 10,000-duty morning.
 * What the unit notices is unchanged and checked too: one message at 09:00 with both, nothing before.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingChannel } from '../activities/outbox';
import { formatShanghai } from '../calendar/working-days';
import { createWorker } from '../worker';
import { deskShardIds } from '../workflows/desk-shards';
import { deskQuery, statusQuery } from '../workflows/messages';
import type { OutgoingMessage } from '../workflows/types';
import { calendar2022, dutyInput } from './duty-fixtures';
import { timeSkippingEnv, uniqueQueue, workflowBundle } from './env';

const START = Date.parse('2022-06-15T08:20:00+08:00');

describe('a duty started at 08:20 for a 09:00 request and reminder', () => {
  let env: TestWorkflowEnvironment;
  const sent: OutgoingMessage[] = [];
  let stop: () => Promise<void> = async () => undefined;
  const tag = uniqueQueue('together');
  const deskId = `duban/desk/${tag}`;
  // Stands in for the campaign: a workflow that takes the duty's ledger lines (each one a signal in its history).
  const campaignId = `duban/desk/${tag}-campaign`;
  const dutyId = `${tag}/t1/d1/县民政局`;
  let offset = 0;

  beforeAll(async () => {
    env = await timeSkippingEnv();
    const taskQueue = uniqueQueue('together');
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel: new RecordingChannel(undefined, async (m) => void sent.push(m)), workflowBundle: workflowBundle() });
    const running = worker.run();
    offset = START - (await env.currentTimeMs());
    for (const [id, shards] of [[deskId, 2], [campaignId, 1]] as const) await env.client.workflow.start('deskWorkflow', { taskQueue, workflowId: id, args: [{ deskId: id, calendar: calendar2022, campaigns: [], clockOffsetMs: offset, shards }] });
    const input = dutyInput(dutyId, '2022-06-15', { reminderOffsets: [0], informUnits: [], morningWorkflowId: deskId, morningDesk: true, deskShards: 2, campaignWorkflowId: campaignId, startAt: START, clockOffsetMs: offset });
    await env.client.workflow.start('dutyWorkflow', { taskQueue, workflowId: dutyId, args: [input] });
    stop = async () => {
      for (const id of [dutyId, ...deskShardIds(deskId, 2), campaignId]) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      worker.shutdown();
      await running;
      await env.teardown();
    };
  }, 60_000);
  afterAll(() => stop());

  it('tells the campaign its line once, with the reminder counted, and the unit gets one message at 09:00', async () => {
    const duty = env.client.workflow.getHandle(dutyId);
    // Settled: both items handed (the duty waits for its instant), long before 09:00.
    let status = await duty.query(statusQuery);
    for (let i = 0; i < 50 && !(status.history.filter((h) => h.event === 'ack-request' || h.event === 'reminder').length === 2); i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await duty.query(statusQuery);
    }
    expect(status.remindersSent).toBe(1);
    const held = await Promise.all(deskShardIds(deskId, 2).map((id) => env.client.workflow.getHandle(id).query(deskQuery).catch(() => ({ pending: 0 }))));
    expect(held.reduce((n, d) => n + d.pending, 0)).toBe(2);
    const lines: unknown[] = [];
    for (const e of (await env.client.workflow.getHandle(campaignId).fetchHistory()).events ?? []) {
      if (e.workflowExecutionSignaledEventAttributes?.signalName === 'dutyChanged') lines.push(e);
    }
    expect(lines.length).toBe(1);
    expect(sent.filter((m) => m.toUnits.includes('县民政局'))).toEqual([]);
    await env.sleep(Date.parse('2022-06-15T09:10:00+08:00') - ((await env.currentTimeMs()) + offset));
    const mine = sent.filter((m) => m.toUnits.includes('县民政局'));
    expect(mine.map((m) => formatShanghai(m.at))).toEqual(['2022-06-15T09:00:00+08:00']);
  }, 60_000);
});
