/**
 * A stopped campaign says nothing more (issue #27, 0.9.1). `campaign stop` sends the desk its drop, then terminates
 * the duties: a duty that hands its next item in between, or a shard that passes one on after the drop, used to put
 * that item back on the desk, and its unit got a reminder about a campaign nobody runs any more. What a unit notices:
 * nothing about the stopped campaign after the stop, and the other campaign's reminder as before.
 * Time-skipping server; items handed to the desk as duties hand them.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingChannel } from '../activities/outbox';
import { createWorker } from '../worker';
import { deskShardIds, deskShardOf } from '../workflows/desk-shards';
import { deskDropSignal, deskJoinSignal, deskQuery, morningItemSignal } from '../workflows/messages';
import type { OutgoingMessage } from '../workflows/types';
import { calendar2022 } from './duty-fixtures';
import { deskItem } from './desk-items';
import { timeSkippingEnv, uniqueQueue, workflowBundle } from './env';

const EVENING = Date.parse('2022-05-16T20:00:00+08:00');
const INSTANT = Date.parse('2022-05-17T09:00:00+08:00');

describe('a desk told a campaign stopped', () => {
  let env: TestWorkflowEnvironment;
  const sent: OutgoingMessage[] = [];
  let stop: () => Promise<void> = async () => undefined;
  let taskQueue = '';
  let offset = 0;
  const started: string[] = [];

  beforeAll(async () => {
    env = await timeSkippingEnv();
    taskQueue = uniqueQueue('stopped');
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel: new RecordingChannel(undefined, async (m) => void sent.push(m)), workflowBundle: workflowBundle() });
    const running = worker.run();
    stop = async () => {
      for (const id of started) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      worker.shutdown();
      await running;
      await env.teardown();
    };
  }, 60_000);
  afterAll(async () => stop());

  /** A desk with two campaigns; `shards` of them. Each unit gets one item of each campaign for the 09:00 instant. */
  const startDesk = async (tag: string, shards: number) => {
    const deskId = `duban/desk/${tag}`;
    const [kept, stoppedOne] = [`${tag}-kept`, `${tag}-stopped`];
    // Each desk starts on the evening before the instant, on its own clock.
    offset = EVENING - (await env.currentTimeMs());
    await env.client.workflow.start('deskWorkflow', { taskQueue, workflowId: deskId, args: [{ deskId, calendar: calendar2022, campaigns: [], clockOffsetMs: offset, ...(shards > 1 ? { shards } : {}) }] });
    started.push(...deskShardIds(deskId, shards));
    // The home shard starts the others in its first workflow tasks.
    for (const id of deskShardIds(deskId, shards)) {
      for (let tries = 0; ; tries++) {
        const up = await env.client.workflow.getHandle(id).query(deskQuery).then(() => true, () => false);
        if (up) break;
        if (tries > 50) throw new Error(`desk shard ${id} never started`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    for (const campaignId of [kept, stoppedOne]) await env.client.workflow.getHandle(deskId).signal(deskJoinSignal, { campaignId, digestUnits: [], calendar: calendar2022, ...(shards > 1 ? { shards } : {}) });
    return { deskId, kept, stoppedOne };
  };
  const to = (unit: string) => sent.filter((m) => m.toUnits.includes(unit) && m.at === INSTANT);

  it('sends nothing of it that a duty hands after the drop, and the other campaign’s reminder as before', async () => {
    const { deskId, kept, stoppedOne } = await startDesk(uniqueQueue('one'), 1);
    const desk = env.client.workflow.getHandle(deskId);
    const unit = '测试单位000';
    await desk.signal(morningItemSignal, deskItem(0, INSTANT, 1, kept));
    await desk.signal(morningItemSignal, deskItem(1, INSTANT, 1, stoppedOne));
    await desk.signal(deskDropSignal, { campaignId: stoppedOne });
    // The stopped campaign's duty, not yet terminated, hands its next item.
    await desk.signal(morningItemSignal, deskItem(2, INSTANT, 1, stoppedOne));
    expect((await desk.query(deskQuery)).pending).toBe(1);
    await env.sleep(INSTANT + 3_600_000 - ((await env.currentTimeMs()) + offset));
    const got = to(unit);
    expect(got).toHaveLength(1);
    expect(got[0]!.items?.map((i) => i.dutyId)).toEqual([`${kept}/d0`]);
  }, 120_000);

  it('in shards, refuses an item of it that reaches a shard after the drop passed on', async () => {
    const { deskId, kept, stoppedOne } = await startDesk(uniqueQueue('three'), 3);
    const units = ['县民政局', '县教科局', '县卫健局', '县住建局', '县水务局', '县农业农村局'];
    const item = (i: number, campaign: string, unit: string) => ({ ...deskItem(i, INSTANT, 1, campaign), unit, toUnits: [unit], recipients: [{ unit, role: 'coordinators' as const }] });
    for (const [i, unit] of units.entries()) await env.client.workflow.getHandle(deskShardOf(deskId, unit, 3)).signal(morningItemSignal, item(i, kept, unit));
    await env.client.workflow.getHandle(deskId).signal(deskDropSignal, { campaignId: stoppedOne });
    await env.sleep(30_000);
    // Duties of the stopped campaign, handing to their units' shards after the home shard passed the drop on.
    for (const [i, unit] of units.entries()) await env.client.workflow.getHandle(deskShardOf(deskId, unit, 3)).signal(morningItemSignal, item(100 + i, stoppedOne, unit));
    await env.sleep(INSTANT + 3_600_000 - ((await env.currentTimeMs()) + offset));
    for (const [i, unit] of units.entries()) {
      const got = to(unit);
      expect(got, unit).toHaveLength(1);
      expect(got[0]!.items?.map((x) => x.dutyId), unit).toEqual([`${kept}/d${i}`]);
    }
  }, 180_000);
});
