/**
 * A desk that refuses a signal for a moment (it was between runs: the Java test server's continue-as-new is not
 * atomic, sdk-java #1538; here it is simply not running for a second) does not make a duty send its reminder alone.
 * The duty tries again a few seconds later, and at 09:00 its unit gets one morning message holding both its items.
 * Before the signal-retry patch the first duty gave up handing for the rest of its run and sent at each instant,
 * where a second refusal (a desk continuing as new right after its 09:00 wave) made it deliver alone: the unit got
 * two messages at 09:00 (the CI failure of the simulated year, 2022-10-26). Time-skipping server.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingChannel } from '../activities/outbox';
import { formatShanghai } from '../calendar/working-days';
import { createWorker } from '../worker';
import { statusQuery } from '../workflows/messages';
import type { OutgoingMessage } from '../workflows/types';
import { calendar2022, dutyInput } from './duty-fixtures';
import { timeSkippingEnv, uniqueQueue, workflowBundle } from './env';
import { until } from './until';

const START = Date.parse('2022-05-05T10:00:00+08:00');

describe('a signal the desk refuses for a moment', () => {
  let env: TestWorkflowEnvironment;
  const sent: OutgoingMessage[] = [];
  let stop: () => Promise<void> = async () => undefined;
  let taskQueue = '';
  const deskId = `duban/desk/${uniqueQueue('signal-retry')}`;
  const first = `${uniqueQueue('signal-retry')}/t1/d1/县民政局`;
  const second = `${uniqueQueue('signal-retry')}/t2/d1/县民政局`;
  let offset = 0;
  const runTo = async (iso: string) => {
    const ms = Date.parse(iso) - ((await env.currentTimeMs()) + offset);
    if (ms > 0) await env.sleep(ms);
  };
  const startDesk = () => env.client.workflow.start('deskWorkflow', { taskQueue, workflowId: deskId, args: [{ deskId, calendar: calendar2022, campaigns: [], clockOffsetMs: offset }] });
  const startDuty = (workflowId: string, startAt: number) =>
    env.client.workflow.start('dutyWorkflow', {
      taskQueue,
      workflowId,
      args: [dutyInput(workflowId, '2022-05-20', { reminderOffsets: [3, 0], informUnits: [], morningWorkflowId: deskId, morningDesk: true, startAt, clockOffsetMs: offset })],
    });

  beforeAll(async () => {
    env = await timeSkippingEnv();
    taskQueue = uniqueQueue('signal-retry');
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel: new RecordingChannel(undefined, async (m) => void sent.push(m)), workflowBundle: workflowBundle() });
    const running = worker.run();
    offset = START - (await env.currentTimeMs());
    await startDesk();
    await startDuty(first, START);
    stop = async () => {
      for (const id of [first, second, deskId]) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      worker.shutdown();
      await running;
      await env.teardown();
    };
  }, 60_000);
  afterAll(async () => stop());

  it('hands the reminder once the desk is back, and the unit gets one message at 09:00', async () => {
    // The desk is gone when the duty hands Tuesday's reminder at 21:00, and back a second later.
    await runTo('2022-05-16T20:59:00+08:00');
    await env.client.workflow.getHandle(deskId).terminate('drill: the desk is away at 21:00');
    await runTo('2022-05-16T21:00:01+08:00');
    // The clock reached 21:00 first; the duty's turn runs on real time, so wait until its signal was refused.
    await until('the refused hand-over', async () => {
      const history = await env.client.workflow.getHandle(first).fetchHistory();
      return history.events?.some((e) => e.signalExternalWorkflowExecutionFailedEventAttributes) || undefined;
    });
    await startDesk();
    await startDuty(second, Date.parse('2022-05-16T21:00:01+08:00'));
    // That evening the first duty has handed its reminder to the desk, so a desk busy continuing as new at 09:00
    // cannot make it go out alone. (Before the patch the duty kept it, to send at the instant itself.)
    await runTo('2022-05-16T21:30:00+08:00');
    expect((await env.client.workflow.getHandle(first).query(statusQuery)).ahead?.map((a) => a.key)).toEqual(['reminder/2022-05-17']);
    await runTo('2022-05-17T10:00:00+08:00');
    const at9 = sent.filter((m) => m.toUnits.includes('县民政局') && formatShanghai(m.at) === '2022-05-17T09:00:00+08:00');
    expect(at9.map((m) => m.subject)).toHaveLength(1);
    // Both duties' reminders, in the one morning message.
    expect(at9[0]!.text.match(/还有 3 个工作日截止/g)).toHaveLength(2);
    const state = await env.client.workflow.getHandle(first).query(statusQuery);
    expect(state.remindersSent).toBe(1);
  }, 90_000);
});
