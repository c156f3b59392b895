/**
 * The foundation: one duty workflow on both real servers. On the time-skipping server it waits months of
 * workflow time in seconds; on the dev server it answers a query and an update in real time.
 */
import { describe, expect, it } from 'vitest';
import { RecordingChannel } from '../activities/outbox';
import { createWorker } from '../worker';
import { acknowledgeUpdate, completeUpdate, statusQuery } from '../workflows/messages';
import { dutyInput } from './duty-fixtures';
import { devServerEnv, uniqueQueue, workflowBundle } from './env';
import { runDuty } from './harness';

// 2027 is not in the holiday package yet, so this runs on a Monday–Friday calendar; 31 May 2027 is a Monday.
const dutyDueMay31 = (id: string) => dutyInput(id, '2027-05-31', { calendar: { knownYears: [], holidays: [], makeupWorkdays: [] } });
const coordinator = { person: '王小明', unit: '县民政局', role: 'coordinator' as const };

describe('duty workflow on the time-skipping test server', () => {
  it('sleeps until 31 May, reminding at 09:00 on the right working days, in seconds of wall time', async () => {
    const wall = Date.now();
    // The coordinator reports completion when the first escalation arrives; the server holds time still
    // while the notify activity runs, so the completion lands at that instant.
    const run = await runDuty(dutyDueMay31(`foundation-ts-${Date.now()}`), '2027-04-01T10:00', async (msg, handle) => {
      if (msg.kind !== 'escalation') return;
      expect(await handle.query(statusQuery)).toMatchObject({ remindersSent: 5, level: 'red' });
      await handle.executeUpdate(completeUpdate, { args: [{ actor: coordinator, note: '已报送县局' }] });
    });
    expect(run.final).toMatchObject({ status: 'completed', level: 'green', remindersSent: 5, escalationsSent: 1 });
    expect(run.messages.filter((m) => m.kind === 'ack-request')).toHaveLength(3);
    expect(run.lines.filter((l) => !l.startsWith('ack-request'))).toEqual([
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
        ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/不是县民政局的联络员/) } });
        expect(await handle.query(statusQuery)).toMatchObject({ status: 'acknowledged', acknowledgedBy: '王小明' });
        await handle.terminate('test done');
      });
    } finally {
      await env.teardown();
    }
    // Started outside office hours or not, the first message is the request to acknowledge.
    expect(channel.messages.every((m) => m.kind === 'ack-request')).toBe(true);
  });
});
