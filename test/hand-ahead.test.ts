/**
 * Hand-ahead (issue #16's typical case): a duty given the desk hands it a reminder the evening before its 09:00
 * instant and does not wake for it; what changes the duty before the instant takes the item back. What a unit
 * would notice: the reminder comes at 09:00 as before, says what holds at 09:00 (no 「尚未确认」 after a 收到 at night),
 * and a reminder of a deadline that moved overnight never comes. Time-skipping server, a desk and a duty.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingChannel } from '../activities/outbox';
import { formatShanghai } from '../calendar/working-days';
import { createWorker } from '../worker';
import { acknowledgeUpdate, completeUpdate, decideExtensionUpdate, deskQuery, rejectUpdate, requestExtensionUpdate, statusQuery } from '../workflows/messages';
import type { Actor } from '../workflows/messages';
import type { OutgoingMessage } from '../workflows/types';
import { calendar2022, dutyInput } from './duty-fixtures';
import { timeSkippingEnv, uniqueQueue, workflowBundle } from './env';

const START = Date.parse('2022-05-05T10:00:00+08:00');
const coordinator: Actor = { person: '周志强（虚构）', unit: '县民政局', role: 'coordinator' };
const supervisor: Actor = { person: '张海燕（虚构）', unit: '县乡村振兴局', role: 'supervisor' };

describe('reminders handed to the desk ahead of their instant', () => {
  let env: TestWorkflowEnvironment;
  const sent: OutgoingMessage[] = [];
  let stop: () => Promise<void> = async () => undefined;
  const deskId = `duban/desk/${uniqueQueue('hand-ahead')}`;
  const dutyId = `${uniqueQueue('hand-ahead')}/t1/d1/县民政局`;
  let offset = 0;
  /** Lets the campaign's clock run to `iso` (Shanghai). */
  const runTo = async (iso: string) => {
    const ms = Date.parse(iso) - ((await env.currentTimeMs()) + offset);
    if (ms > 0) await env.sleep(ms);
  };
  const duty = () => env.client.workflow.getHandle(dutyId);
  const toUnit = (iso: string) => sent.filter((m) => m.toUnits.includes('县民政局') && formatShanghai(m.at) === iso);

  beforeAll(async () => {
    env = await timeSkippingEnv();
    const taskQueue = uniqueQueue('hand-ahead');
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel: new RecordingChannel(undefined, async (m) => void sent.push(m)), workflowBundle: workflowBundle() });
    const running = worker.run();
    offset = START - (await env.currentTimeMs());
    await env.client.workflow.start('deskWorkflow', { taskQueue, workflowId: deskId, args: [{ deskId, calendar: calendar2022, campaigns: [], clockOffsetMs: offset }] });
    // Reminded 3 working days before 20 May (Tuesday 17 May) and on the day; no co-units copied.
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

  it('hands Tuesday’s reminder over on Monday evening, and nothing goes before 09:00', async () => {
    await runTo('2022-05-16T23:00:00+08:00');
    const state = await duty().query(statusQuery);
    expect(state.ahead?.map((a) => a.key)).toEqual(['reminder/2022-05-17']);
    expect((await env.client.workflow.getHandle(deskId).query(deskQuery)).pending).toBe(1);
    expect(toUnit('2022-05-17T09:00:00+08:00')).toEqual([]);
  }, 60_000);

  it('takes it back when the unit acknowledges at night, and sends at 09:00 what holds then', async () => {
    await duty().executeUpdate(acknowledgeUpdate, { args: [{ actor: coordinator }] });
    await runTo('2022-05-17T10:00:00+08:00');
    const at9 = toUnit('2022-05-17T09:00:00+08:00');
    expect(at9).toHaveLength(1);
    expect(at9[0]!.text).toContain('还有 3 个工作日截止');
    expect(at9[0]!.text).not.toContain('尚未确认');
    const state = await duty().query(statusQuery);
    expect(state.remindersSent).toBe(1);
    expect(state.history.filter((h) => h.event === 'reminder').map((h) => formatShanghai(h.at))).toEqual(['2022-05-17T09:00:00+08:00']);
  }, 60_000);

  it('never sends the reminder of a deadline an extension moved overnight', async () => {
    await runTo('2022-05-19T23:00:00+08:00');
    expect((await duty().query(statusQuery)).ahead?.map((a) => a.key)).toEqual(['reminder/2022-05-20']);
    await duty().executeUpdate(requestExtensionUpdate, { args: [{ actor: coordinator, date: '2022-05-27', reason: '等待乡镇数据' }] });
    await duty().executeUpdate(decideExtensionUpdate, { args: [{ actor: supervisor, approve: true }] });
    await runTo('2022-05-20T10:00:00+08:00');
    expect(toUnit('2022-05-20T09:00:00+08:00').filter((m) => m.text.includes('今天截止'))).toEqual([]);
    const state = await duty().query(statusQuery);
    expect(state.deadline).toBe('2022-05-27');
    expect(state.history.filter((h) => h.event === 'reminder').map((h) => formatShanghai(h.at))).toEqual(['2022-05-17T09:00:00+08:00']);
    // The new deadline's reminders come in their turn: 3 working days before 27 May.
    await runTo('2022-05-24T10:00:00+08:00');
    expect(toUnit('2022-05-24T09:00:00+08:00').map((m) => m.text).join('\n')).toContain('还有 3 个工作日截止');
  }, 60_000);

  it('still reminds on the day when a completion reported at night is sent back before morning', async () => {
    await runTo('2022-05-26T23:00:00+08:00');
    expect((await duty().query(statusQuery)).ahead?.map((a) => a.key)).toEqual(['reminder/2022-05-27']);
    await duty().executeUpdate(completeUpdate, { args: [{ actor: coordinator, note: '已完成' }] });
    await runTo('2022-05-26T23:30:00+08:00');
    await duty().executeUpdate(rejectUpdate, { args: [{ actor: supervisor, reason: '缺少乡镇汇总表' }] });
    await runTo('2022-05-27T10:00:00+08:00');
    expect(toUnit('2022-05-27T09:00:00+08:00').map((m) => m.text).join('\n')).toContain('今天截止');
    expect((await duty().query(statusQuery)).history.filter((h) => h.event === 'reminder').map((h) => formatShanghai(h.at))).toContain('2022-05-27T09:00:00+08:00');
  }, 60_000);
});
