/**
 * A desk lost after the hand-over (issue #27): the duty handed Tuesday's 09:00 reminder to the desk on Monday
 * evening; the desk is terminated at 21:30 and started again (what `duban desk ensure` does), and the duty is asked
 * to hand again. At 09:00 the unit gets its one reminder, as if nothing had happened. Time-skipping server.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingChannel } from '../activities/outbox';
import { formatShanghai } from '../calendar/working-days';
import { createWorker } from '../worker';
import { deskQuery, deskRehandSignal, statusQuery } from '../workflows/messages';
import type { OutgoingMessage } from '../workflows/types';
import { calendar2022, dutyInput } from './duty-fixtures';
import { timeSkippingEnv, uniqueQueue, workflowBundle } from './env';

const START = Date.parse('2022-05-05T10:00:00+08:00');

describe('a desk terminated after the hand-over and started again', () => {
  let env: TestWorkflowEnvironment;
  const sent: OutgoingMessage[] = [];
  let stop: () => Promise<void> = async () => undefined;
  let taskQueue = '';
  const deskId = `duban/desk/${uniqueQueue('desk-rebuild')}`;
  const dutyId = `${uniqueQueue('desk-rebuild')}/t1/d1/县民政局`;
  let offset = 0;
  const runTo = async (iso: string) => {
    const ms = Date.parse(iso) - ((await env.currentTimeMs()) + offset);
    if (ms > 0) await env.sleep(ms);
  };
  const startDesk = () => env.client.workflow.start('deskWorkflow', { taskQueue, workflowId: deskId, args: [{ deskId, calendar: calendar2022, campaigns: [], clockOffsetMs: offset }] });

  beforeAll(async () => {
    env = await timeSkippingEnv();
    taskQueue = uniqueQueue('desk-rebuild');
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel: new RecordingChannel(undefined, async (m) => void sent.push(m)), workflowBundle: workflowBundle() });
    const running = worker.run();
    offset = START - (await env.currentTimeMs());
    await startDesk();
    const input = dutyInput(dutyId, '2022-05-20', { reminderOffsets: [3, 0], informUnits: [], morningWorkflowId: deskId, morningDesk: true, startAt: START, clockOffsetMs: offset });
    await env.client.workflow.start('dutyWorkflow', { taskQueue, workflowId: dutyId, args: [input] });
    stop = async () => {
      for (const id of [dutyId, deskId]) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      worker.shutdown();
      await running;
      await env.teardown();
    };
  }, 60_000);
  afterAll(async () => stop());

  it('still gets the unit its one reminder at 09:00', async () => {
    await runTo('2022-05-16T21:30:00+08:00');
    expect((await env.client.workflow.getHandle(dutyId).query(statusQuery)).ahead?.map((a) => a.key)).toEqual(['reminder/2022-05-17']);
    await env.client.workflow.getHandle(deskId).terminate('drill: the desk is lost at 21:30');
    await startDesk();
    expect((await env.client.workflow.getHandle(deskId).query(deskQuery)).pending).toBe(0);
    await env.client.workflow.getHandle(dutyId).signal(deskRehandSignal);
    await runTo('2022-05-16T22:00:00+08:00');
    expect((await env.client.workflow.getHandle(deskId).query(deskQuery)).pending).toBe(1);
    await runTo('2022-05-17T10:00:00+08:00');
    const at9 = sent.filter((m) => m.toUnits.includes('县民政局') && formatShanghai(m.at) === '2022-05-17T09:00:00+08:00');
    expect(at9).toHaveLength(1);
    expect(at9[0]!.text).toContain('还有 3 个工作日截止');
    const state = await env.client.workflow.getHandle(dutyId).query(statusQuery);
    expect(state.remindersSent).toBe(1);
    expect(state.history.filter((h) => h.event === 'reminder').map((h) => formatShanghai(h.at))).toEqual(['2022-05-17T09:00:00+08:00']);
  }, 60_000);
});
