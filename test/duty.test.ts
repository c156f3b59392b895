/**
 * Duty workflows over months of workflow time on the time-skipping server, on China's 2022 working-day
 * calendar: reminders, acknowledgement, completion, rejection, extension, progress, quotas, past-due duties
 * and the escalation ladder up to the discipline inspection office.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isOfficeHours } from '../calendar/working-days';
import {
  acknowledgeUpdate,
  completeUpdate,
  decideExtensionUpdate,
  rejectUpdate,
  reportActionsUpdate,
  reportProgressUpdate,
  requestExtensionUpdate,
  statusQuery,
} from '../workflows/messages';
import type { DutyState } from '../workflows/types';
import { calendar2022, dutyInput } from './duty-fixtures';
import { coordinator, runDuty, supervisor } from './harness';

const id = (name: string) => `test/${name}/${randomUUID()}`;
const closeAt = '2023-03-31';

function expectOfficeHoursOnly(messages: { at: number }[]) {
  for (const m of messages) expect(isOfficeHours(calendar2022, m.at), new Date(m.at).toISOString()).toBe(true);
}

/** Task 12's visit quotas for 县民政局: 1 visit by its head and 3 by its leaders in the year, checked at mid-year and end of September. */
function quotaDuty(dutyId: string) {
  return dutyInput(dutyId, '2022-12-31', {
    closeAt,
    duty: { ...dutyInput('x', '2022-12-31').duty, dutyId, kind: 'quota', taskNumber: 12, unit: '县民政局' },
    quota: {
      items: [
        { min: 1, clause: '主要负责同志到村指导工作不少于1次' },
        { min: 3, clause: '班子成员到村调研指导累计不少于3次' },
      ],
      checkpoints: ['2022-06-30', '2022-09-30'],
    },
  });
}

describe('duty workflow, 2022 calendar', () => {
  it('asks for acknowledgement across the May Day holiday, counting the make-up Saturday, then reminds at 09:00', async () => {
    const run = await runDuty(dutyInput(id('nag'), '2022-05-31', { closeAt }), '2022-04-29T10:00', async (msg, handle) => {
      if (msg.kind === 'reminder' && msg.at >= Date.parse('2022-05-26T00:00+08:00')) {
        await handle.executeUpdate(completeUpdate, { args: [{ actor: coordinator, note: '排查完成，已报县局' }] });
      }
    });
    expect(run.lines).toEqual([
      'ack-request 2022-04-29T10:00:00+08:00',
      // Apr 30–May 4 are the Labour Day holiday; Sat 7 May is a make-up working day.
      'ack-request 2022-05-06T09:00:00+08:00',
      'ack-request 2022-05-09T09:00:00+08:00',
      'reminder 2022-05-17T09:00:00+08:00',
      'reminder 2022-05-24T09:00:00+08:00',
      'reminder 2022-05-26T09:00:00+08:00',
    ]);
    expect(run.messages[0]?.toUnits).toEqual(['县民政局', '县教科局']);
    expect(run.messages[3]?.text).toContain('尚未确认');
    expect(run.final).toMatchObject({ status: 'completed', level: 'green', completionNote: '排查完成，已报县局', ended: true });
    expectOfficeHoursOnly(run.messages);
  });

  it('stops asking for acknowledgement once acknowledged, but keeps the deadline reminders', async () => {
    const run = await runDuty(dutyInput(id('ack'), '2022-05-31', { closeAt }), '2022-04-29T10:00', async (msg, handle) => {
      if (msg.kind === 'ack-request') await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: coordinator }] });
      if (msg.kind === 'reminder' && msg.text.includes('今天截止')) {
        await handle.executeUpdate(completeUpdate, { args: [{ actor: coordinator, note: '完成' }] });
      }
    });
    expect(run.lines).toEqual([
      'ack-request 2022-04-29T10:00:00+08:00',
      'reminder 2022-05-17T09:00:00+08:00',
      'reminder 2022-05-24T09:00:00+08:00',
      'reminder 2022-05-26T09:00:00+08:00',
      'reminder 2022-05-30T09:00:00+08:00',
      'reminder 2022-05-31T09:00:00+08:00',
    ]);
    expect(run.final).toMatchObject({ status: 'completed', acknowledgedBy: '王晓明', remindersSent: 5, escalationsSent: 0 });
  });

  it('escalates after the National Day holiday on the right working days, up to the discipline inspection office, with one formal notice', async () => {
    const run = await runDuty(dutyInput(id('ladder'), '2022-09-30', { closeAt }), '2022-09-01T09:00', async (msg, handle) => {
      if (msg.kind === 'ack-request') await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: coordinator }] });
      if (msg.kind === 'overdue-reminder' && msg.at > Date.parse('2022-10-15T00:00+08:00')) {
        await handle.executeUpdate(completeUpdate, { args: [{ actor: coordinator, note: '已整改完成' }] });
      }
    });
    const escalations = run.messages.filter((m) => m.kind === 'escalation' || m.kind === 'supervision-notice' || m.kind === 'overdue-reminder');
    expect(escalations.map((m) => [m.kind, m.at, m.toUnits, m.level])).toEqual([
      // Oct 1–7 off; Sat 8 and Sun 9 October are make-up working days.
      ['escalation', Date.parse('2022-10-08T09:00+08:00'), ['县民政局', '县乡村振兴局'], 'red'],
      ['escalation', Date.parse('2022-10-10T09:00+08:00'), ['县民政局', '县乡村振兴局', '县委农办'], 'red'],
      ['supervision-notice', Date.parse('2022-10-12T09:00+08:00'), ['县民政局', '县乡村振兴局', '县委农办', '县纪委监委'], 'red'],
      // The formal notice is a document, sent once: a week later only the late unit is reminded.
      ['overdue-reminder', Date.parse('2022-10-19T09:00+08:00'), ['县民政局'], 'red'],
    ]);
    expect(escalations[0]?.recipients).toContainEqual({ unit: '县民政局', role: 'leaders' });
    expect(escalations[2]?.text).toContain('督办通知书');
    expect(escalations[3]?.recipients).toEqual([
      { unit: '县民政局', role: 'coordinators' },
      { unit: '县民政局', role: 'leaders' },
    ]);
    expect(run.final).toMatchObject({ status: 'completed', escalationsSent: 3 });
    expectOfficeHoursOnly(run.messages);
  });

  it('reopens a rejected completion and escalates again when it stays undone', async () => {
    let rejected = false;
    const run = await runDuty(dutyInput(id('reject'), '2022-06-15', { closeAt }), '2022-06-01T09:00', async (msg, handle) => {
      if (msg.kind === 'ack-request' && !rejected) {
        await handle.executeUpdate(completeUpdate, { args: [{ actor: coordinator, note: '已完成' }] });
        await expect(handle.executeUpdate(rejectUpdate, { args: [{ actor: coordinator, reason: '自己驳回' }] })).rejects.toMatchObject({
          cause: { message: expect.stringContaining('不是督办单位人员') },
        });
        const reopened = await handle.executeUpdate(rejectUpdate, { args: [{ actor: supervisor, reason: '材料不全' }] });
        expect(reopened.status).toBe('open');
        rejected = true;
      }
      if (msg.kind === 'escalation') await handle.executeUpdate(completeUpdate, { args: [{ actor: coordinator, note: '补齐材料' }] });
    });
    expect(run.messages.find((m) => m.kind === 'rejection')?.text).toContain('材料不全');
    expect(run.lines.at(-1)).toBe('escalation 2022-06-16T09:00:00+08:00');
    expect(run.final.history.map((h) => h.event)).toEqual(expect.arrayContaining(['completed', 'rejected', 'escalation']));
    expect(run.final).toMatchObject({ status: 'completed', completionNote: '补齐材料' });
  });

  it('re-plans reminders when a supervisor approves an extension', async () => {
    const run = await runDuty(dutyInput(id('extend'), '2022-06-30', { closeAt }), '2022-06-01T09:00', async (msg, handle) => {
      if (msg.kind === 'ack-request' && msg.key.endsWith('first')) {
        await expect(
          handle.executeUpdate(requestExtensionUpdate, { args: [{ actor: coordinator, date: '2022-06-31', reason: '等待编办批复' }] }),
        ).rejects.toMatchObject({ cause: { message: expect.stringContaining('不存在') } });
        await handle.executeUpdate(requestExtensionUpdate, { args: [{ actor: coordinator, date: '2022-07-15', reason: '等待编办批复' }] });
      }
      if (msg.kind === 'extension-request') {
        expect(msg.toUnits).toEqual(['县乡村振兴局']);
        await handle.executeUpdate(decideExtensionUpdate, { args: [{ actor: supervisor, approve: true }] });
      }
      if (msg.kind === 'reminder' && msg.text.includes('今天截止')) {
        await handle.executeUpdate(completeUpdate, { args: [{ actor: coordinator, note: '三定方案已出台' }] });
      }
    });
    const reminders = run.lines.filter((l) => l.startsWith('reminder'));
    expect(reminders).toEqual([
      'reminder 2022-07-01T09:00:00+08:00',
      'reminder 2022-07-08T09:00:00+08:00',
      'reminder 2022-07-12T09:00:00+08:00',
      'reminder 2022-07-14T09:00:00+08:00',
      'reminder 2022-07-15T09:00:00+08:00',
    ]);
    expect(run.lines).toContain('extension-decision 2022-06-01T09:00:00+08:00');
    expect(run.final).toMatchObject({ deadline: '2022-07-15', originalDeadline: '2022-06-30', escalationsSent: 0, status: 'completed' });
  });

  it('asks a unit to confirm a duty already past at start, and escalates only after the grace period', async () => {
    const silent = await runDuty(dutyInput(id('past-silent'), '2022-03-31', { closeAt }), '2022-04-29T10:00', async (msg, handle) => {
      if (msg.kind === 'escalation') {
        const state = await handle.query(statusQuery);
        expect(state.level).toBe('red');
        await handle.executeUpdate(completeUpdate, { args: [{ actor: coordinator, note: '补报' }] });
      }
      if (msg.kind === 'status-check') {
        expect((await handle.query(statusQuery)).level).toBe('yellow');
        // It says what stops escalation: a completion or an approved extension, not 「收到」.
        expect(msg.text).toContain('请在 3 个工作日内报告办理情况');
        expect(msg.text).toContain('从第 4 个工作日起逐级督办（回复「收到」只表示已收到，不停止督办）');
      }
    });
    expect(silent.lines).toEqual([
      'status-check 2022-04-29T10:00:00+08:00',
      // Three working days' grace: 5 May, 6 May, and the make-up Saturday 7 May; escalation the working day after.
      'escalation 2022-05-09T09:00:00+08:00',
    ]);
    // Still yellow on the last grace day, red from the day after.
    expect(silent.final.history.some((h) => h.event === 'escalation')).toBe(true);
    const prompt = await runDuty(dutyInput(id('past-prompt'), '2022-03-31', { closeAt }), '2022-04-29T10:00', async (msg, handle) => {
      if (msg.kind === 'status-check') await handle.executeUpdate(completeUpdate, { args: [{ actor: coordinator, note: '3月已完成' }] });
    });
    expect(prompt.lines).toEqual(['status-check 2022-04-29T10:00:00+08:00']);
    expect(prompt.final.escalationsSent).toBe(0);
  });

  it('marks a progress report under the bar as behind, and completes the month when it reaches it', async () => {
    const input = dutyInput(id('progress'), '2022-06-30', {
      closeAt,
      duty: { ...dutyInput('x', '2022-06-30').duty, dutyId: id('progress'), kind: 'progress', taskNumber: 19, period: '2022-06', unit: '县民政局' },
      progress: { bar: 0 },
    });
    let reports = 0;
    const run = await runDuty(input, '2022-06-01T09:00', async (msg, handle) => {
      if (msg.kind === 'reminder' && reports === 0) {
        reports++;
        const behind = await handle.executeUpdate(reportProgressUpdate, { args: [{ actor: coordinator, percent: 45, bar: 60 }] });
        // Under the bar: behind (yellow), and the report counts as acknowledgement.
        expect(behind).toMatchObject({ behind: true, level: 'yellow', status: 'acknowledged' });
      }
      if (msg.kind === 'reminder' && msg.at >= Date.parse('2022-06-23T00:00+08:00')) {
        const done = await handle.executeUpdate(reportProgressUpdate, { args: [{ actor: coordinator, percent: 70, bar: 60 }] });
        expect(done).toMatchObject({ behind: false, status: 'completed', level: 'green' });
      }
    });
    // A recurring instance is announced by its reminders (no separate acknowledgement requests).
    expect(run.messages.filter((m) => m.kind === 'ack-request')).toEqual([]);
    const warning = run.messages.find((m) => m.kind === 'progress-warning');
    expect(warning?.toUnits).toEqual(['县民政局', '县乡村振兴局']);
    expect(warning?.text).toContain('45%');
    expect(run.final.status).toBe('completed');
  });

  it('does not let a unit set its own bar when the notice names none: the month is reported, for a supervisor to verify', async () => {
    // Task 19: 「每月进度高于全省平均水平」 — no number in the plan (bar 0).
    const input = dutyInput(id('progress-self-bar'), '2022-06-30', {
      closeAt,
      duty: { ...dutyInput('x', '2022-06-30').duty, dutyId: id('progress-self-bar'), kind: 'progress', taskNumber: 19, period: '2022-06', unit: '县民政局' },
      progress: { bar: 0 },
    });
    let answer: DutyState | undefined;
    const run = await runDuty(input, '2022-06-01T09:00', async (msg, handle) => {
      if (msg.kind === 'reminder' && !answer) answer = await handle.executeUpdate(reportProgressUpdate, { args: [{ actor: coordinator, percent: 1, bar: 0 }] });
    });
    // 「进度 19 1% 全省0%」 used to complete the month as met (「进度 1%（基准 0%）」).
    expect(answer?.completionNote).toBe('已报进度 1%，单位自报比较基准 0%（通知未设数值基准，待督办单位核实）');
    expect(answer?.progress?.unverified).toBe(true);
    expect(run.final.history.find((h) => h.event === 'progress')?.detail).toBe('进度 1%，单位自报比较基准 0%');
    // With a number in the plan, the same report is behind, whatever bar the unit names.
    const withBar = { ...input, duty: { ...input.duty, dutyId: id('progress-plan-bar') }, progress: { bar: 60 } };
    let behind: DutyState | undefined;
    await runDuty(withBar, '2022-06-01T09:00', async (msg, handle) => {
      if (msg.kind === 'reminder' && !behind) behind = await handle.executeUpdate(reportProgressUpdate, { args: [{ actor: coordinator, percent: 1, bar: 0 }] });
    });
    expect(behind).toMatchObject({ behind: true, status: 'acknowledged' });
  });

  it('carries its state through continue-as-new: an acknowledgement and the counts survive, and nothing is asked again', async () => {
    // A history limit of 30 events makes the duty continue as new several times over its year.
    const input = dutyInput(id('continue'), '2022-09-30', { closeAt, continueAsNewAfterEvents: 30 });
    const runIds = new Set<string>();
    const run = await runDuty(input, '2022-04-29T10:00', async (msg, handle) => {
      runIds.add((await handle.describe()).runId);
      if (msg.kind === 'ack-request' && msg.key.endsWith('first')) await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: coordinator }] });
    });
    expect(runIds.size).toBeGreaterThan(2);
    // Acknowledged on the first day, in the first run: no later run asked again, the reminders all went.
    expect(run.messages.filter((m) => m.kind === 'ack-request')).toHaveLength(1);
    expect(run.final.acknowledgedAt! - Date.parse('2022-04-29T10:00+08:00')).toBeLessThan(60_000);
    expect(run.final.remindersSent).toBe(run.messages.filter((m) => m.kind === 'reminder').length);
    expect(run.final.history.filter((h) => h.event === 'acknowledged')).toHaveLength(1);
  });

  it('warns at mid-year when the pace of visits is short, and completes when every quota is met', async () => {
    const input = quotaDuty(id('quota'));
    const run = await runDuty(input, '2022-04-29T10:00', async (msg, handle) => {
      if (msg.kind === 'ack-request' && msg.key.endsWith('first')) {
        await handle.executeUpdate(reportActionsUpdate, { args: [{ actor: coordinator, count: 1 }] });
      }
      if (msg.kind === 'quota-warning' && msg.at > Date.parse('2022-09-01T00:00+08:00')) {
        const state = await handle.executeUpdate(reportActionsUpdate, { args: [{ actor: coordinator, count: 3 }] });
        expect(state.quotaCounts).toEqual([1, 3]);
      }
    });
    const warnings = run.messages.filter((m) => m.kind === 'quota-warning');
    expect(warnings.map((m) => m.at)).toEqual([Date.parse('2022-06-30T09:00+08:00'), Date.parse('2022-09-30T09:00+08:00')]);
    expect(warnings[0]?.text).toContain('第2项「班子成员到村调研指导累计不少于3次」：应达 1 次，已报 0 次');
    expect(run.final).toMatchObject({ status: 'completed', completionNote: '次数要求均已达到' });
  });

  it('clears "behind" once the visits catch up with the pace the warning asked for', async () => {
    const input = quotaDuty(id('quota-catch-up'));
    const seen: { behind: boolean; level: string }[] = [];
    await runDuty(input, '2022-04-29T10:00', async (msg, handle) => {
      if (msg.kind === 'ack-request' && msg.key.endsWith('first')) await handle.executeUpdate(reportActionsUpdate, { args: [{ actor: coordinator, count: 1 }] });
      if (msg.kind === 'quota-warning' && seen.length === 0) {
        const before = await handle.query(statusQuery);
        // Item 2 is due 1 visit by 30 June: one report makes the pace good, though the year's 3 are not met.
        const after = await handle.executeUpdate(reportActionsUpdate, { args: [{ actor: coordinator, count: 1, item: 2 }] });
        seen.push({ behind: before.behind, level: before.level }, { behind: after.behind, level: after.level });
      }
    });
    expect(seen, JSON.stringify(seen)).toEqual([
      { behind: true, level: 'yellow' },
      // Due 31 December: more than 10 working days away, no colour.
      { behind: false, level: 'none' },
    ]);
  });

  it('starts after hours without messaging anyone until 09:00, and refuses another unit without changing anything', async () => {
    const run = await runDuty(dutyInput(id('authz'), '2022-06-30', { closeAt }), '2022-06-02T20:30', async (msg, handle) => {
      if (msg.kind === 'ack-request') {
        const before = await handle.query(statusQuery);
        await expect(
          handle.executeUpdate(completeUpdate, { args: [{ actor: { person: '赵某', unit: '县教科局', role: 'coordinator' }, note: 'x' }] }),
        ).rejects.toMatchObject({ cause: { message: '赵某（县教科局）不是县民政局的联络员或分管领导，不能报办结' } });
        expect(await handle.query(statusQuery)).toEqual(before);
      }
      if (msg.kind === 'reminder') await handle.executeUpdate(completeUpdate, { args: [{ actor: coordinator, note: 'ok' }] });
    });
    // Thursday evening → Friday 09:00 (3 June 2022 is the Dragon Boat holiday) → Monday 6 June 09:00.
    expect(run.lines[0]).toBe('ack-request 2022-06-06T09:00:00+08:00');
    expect(run.final.history.filter((h) => h.event === 'completed')).toHaveLength(1);
    expect(run.final.history.filter((h) => h.event === 'completed')[0]?.by).toBe('王晓明');
  });
});
