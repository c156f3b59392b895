/**
 * The foundation: one duty workflow on both real servers. On the time-skipping server it waits months of
 * workflow time in seconds; on the dev server it answers a query and an update in real time.
 */
import { describe, expect, it } from 'vitest';
import { RecordingChannel } from '../activities/outbox';
import { formatShanghai } from '../calendar/working-days';
import { createWorker } from '../worker';
import { acknowledgeUpdate, completeUpdate, statusQuery } from '../workflows/messages';
import { DEFAULT_ESCALATION, DEFAULT_REMINDER_OFFSETS, DEFAULT_REPEAT_WORKING_DAYS } from '../workflows/policy';
import type { DutyInput } from '../workflows/types';
import { devServerEnv, timeSkippingEnv, uniqueQueue, workflowBundle } from './env';

// 2027 is not in the holiday package yet, so this runs on a Monday–Friday calendar; 31 May 2027 is a Monday.
function dutyDueMay31(id: string): DutyInput {
  return {
    duty: { dutyId: id, taskNumber: 1, taskTitle: '完善防返贫动态监测帮扶机制', sentence: '5月底前完成年度集中排查。', unit: '县乡村振兴局' },
    campaignId: 'foundation',
    deadline: '2027-05-31',
    informUnits: ['县民政局'],
    calendar: { knownYears: [], holidays: [], makeupWorkdays: [] },
    reminderOffsets: DEFAULT_REMINDER_OFFSETS,
    escalation: DEFAULT_ESCALATION,
    repeatEveryWorkingDays: DEFAULT_REPEAT_WORKING_DAYS,
  };
}
const coordinator = { person: '王小明', unit: '县乡村振兴局', role: 'coordinator' as const };

describe('duty workflow on the time-skipping test server', () => {
  it('sleeps until 31 May, reminding at 09:00 on the right working days, in seconds of wall time', async () => {
    const env = await timeSkippingEnv();
    const taskQueue = uniqueQueue();
    const id = `foundation-ts-${taskQueue}`;
    const handle = env.client.workflow.getHandle(id);
    // The coordinator reports completion when the first escalation arrives; the server holds time still
    // while the notify activity runs, so the completion lands at that instant.
    const channel = new RecordingChannel(undefined, async (msg) => {
      if (msg.kind !== 'escalation') return;
      expect(await handle.query(statusQuery)).toMatchObject({ remindersSent: 5, level: 'red' });
      await handle.executeUpdate(completeUpdate, { args: [{ actor: coordinator, note: '已报送县局' }] });
    });
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel, workflowBundle: workflowBundle() });
    const wall = Date.now();
    try {
      const final = await worker.runUntil(async () => {
        await env.client.workflow.start('dutyWorkflow', { taskQueue, workflowId: id, args: [dutyDueMay31(id)] });
        return handle.result();
      });
      expect(final).toMatchObject({ status: 'completed', level: 'green', remindersSent: 5, escalationsSent: 1 });
    } finally {
      await env.teardown();
    }
    expect(channel.messages.map((m) => `${m.kind} ${formatShanghai(m.at)}`)).toEqual([
      'reminder 2027-05-17T09:00:00+08:00',
      'reminder 2027-05-24T09:00:00+08:00',
      'reminder 2027-05-26T09:00:00+08:00',
      'reminder 2027-05-28T09:00:00+08:00',
      'reminder 2027-05-31T09:00:00+08:00',
      'escalation 2027-06-01T09:00:00+08:00',
    ]);
    expect(Date.now() - wall).toBeLessThan(30_000);
  });
});

describe('duty workflow on the dev server', () => {
  it('answers a status query and takes an acknowledgement', async () => {
    const env = await devServerEnv();
    const channel = new RecordingChannel();
    const taskQueue = uniqueQueue();
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel, workflowBundle: workflowBundle() });
    const id = `foundation-dev-${taskQueue}`;
    try {
      await worker.runUntil(async () => {
        const handle = await env.client.workflow.start('dutyWorkflow', { taskQueue, workflowId: id, args: [dutyDueMay31(id)] });
        const before = await handle.query(statusQuery);
        expect(before).toMatchObject({ status: 'open', deadline: '2027-05-31', remindersSent: 0 });
        const after = await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: coordinator }] });
        expect(after).toMatchObject({ status: 'acknowledged', acknowledgedBy: '王小明' });
        await expect(
          handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: { person: '路人', unit: '县教科局', role: 'coordinator' } }] }),
        ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/不是 县乡村振兴局 的联络员/) } });
        expect(await handle.query(statusQuery)).toMatchObject({ status: 'acknowledged', acknowledgedBy: '王小明' });
        await handle.terminate('test done');
      });
    } finally {
      await env.teardown();
    }
    expect(channel.messages).toEqual([]);
  });
});
