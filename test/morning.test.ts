/**
 * The morning message (workflows/morning.ts) and the weekly overdue schedule behind it: one message per unit
 * and instant, each duty listed once with its code, and a late duty reminded on Mondays.
 */
import { describe, expect, it } from 'vitest';
import { shanghaiDate, shanghaiInstant } from '../calendar/working-days';
import { groupItems, morningMessage, settledAt } from '../workflows/morning';
import { initialDutyState, plannedActions } from '../workflows/policy';
import type { MessageKind, OutgoingMessage, Recipient } from '../workflows/types';
import { calendar2022, dutyInput } from './duty-fixtures';

const AT = shanghaiInstant('2022-05-10');

function item(dutyId: string, kind: MessageKind, unit: string, recipients: Recipient[], over: Partial<OutgoingMessage> = {}): OutgoingMessage {
  const task = Number(/t(\d+)/.exec(dutyId)?.[1] ?? 1);
  return {
    key: `${dutyId}/${kind}`,
    kind,
    dutyId,
    taskNumber: task,
    unit,
    code: `${task}`,
    toUnits: [...new Set(recipients.map((r) => r.unit))],
    recipients,
    level: 'blue',
    at: AT,
    deadline: '2022-05-31',
    subject: `[任务${task}]`,
    text: `${unit}：任务${task}的${kind}`,
    ...over,
  };
}

const coords = (unit: string): Recipient => ({ unit, role: 'coordinators' });
const leaders = (unit: string): Recipient => ({ unit, role: 'leaders' });

describe('morning messages', () => {
  const items = [
    item('c/t1/d1/县民政局', 'ack-request', '县民政局', [coords('县民政局')]),
    item('c/t1/d1/县民政局', 'reminder', '县民政局', [coords('县民政局')]),
    item('c/t4/d1/县民政局', 'reminder', '县民政局', [coords('县民政局')], { code: '4b' }),
    item('c/t5/d1/县财政局', 'escalation', '县财政局', [coords('县财政局'), leaders('县财政局'), coords('县乡村振兴局')], { level: 'red' }),
    item('c/t9/d1/县财政局', 'reminder', '县财政局', [coords('县财政局')], { at: AT + 3600_000 }),
  ];

  it('groups everything due to one unit at one instant, and copies an escalation to its supervising office', () => {
    const groups = groupItems(items);
    expect(groups.map((g) => [shanghaiDate(g.at), g.unit, g.items.length])).toEqual([
      ['2022-05-10', '县乡村振兴局', 1],
      ['2022-05-10', '县民政局', 3],
      ['2022-05-10', '县财政局', 1],
      ['2022-05-10', '县财政局', 1],
    ]);
    expect(groups[2]!.at).toBe(AT);
    expect(groups[3]!.at).toBe(AT + 3600_000);
  });

  it('lists each duty once, with its code, level and what is asked, under one heading', () => {
    const msg = morningMessage('c', groupItems(items).find((g) => g.unit === '县民政局')!);
    expect(msg.toUnits).toEqual(['县民政局']);
    expect(msg.recipients).toEqual([coords('县民政局')]);
    // Every duty in it is reminded: the message is a reminder (a mix would be 'morning').
    expect(msg.kind).toBe('reminder');
    expect(msg.text.split('\n')[0]).toBe('今日督办（县民政局，2 项）');
    // Task 1's request to acknowledge and its reminder are one entry, spoken for by the reminder.
    expect(msg.text).toContain('一、【请确认、催办提醒·蓝色】任务1 · 回复编号 1\n县民政局：任务1的reminder');
    expect(msg.text).not.toContain('任务1的ack-request');
    expect(msg.text).toContain('二、【催办提醒·蓝色】任务4 · 回复编号 4b');
    expect(msg.items).toHaveLength(3);
    expect(msg.key).toBe('c/morning/2022-05-10/09:00/县民政局');
    expect(msg.subject).toBe('【今日督办】县民政局（2 项）· 5月10日');
  });

  it('reaches leaders only when an item is for them, and names another unit’s duty as such', () => {
    const groups = groupItems(items);
    const own = morningMessage('c', groups.find((g) => g.unit === '县财政局' && g.at === AT)!);
    expect(own.recipients).toEqual([coords('县财政局'), leaders('县财政局')]);
    // One duty: the message keeps its kind and duty, as a message about one duty always did.
    expect(own).toMatchObject({ kind: 'escalation', dutyId: 'c/t5/d1/县财政局', taskNumber: 5, level: 'red' });
    const copy = morningMessage('c', groups.find((g) => g.unit === '县乡村振兴局')!);
    expect(copy.recipients).toEqual([coords('县乡村振兴局')]);
    expect(copy.text).toContain('【逾期督办·红色】任务5 · 县财政局 · 回复编号 5');
  });
});

describe('a late duty after its formal notice', () => {
  it('is reminded on the first working day of each week for four weeks, then every four weeks', () => {
    const input = dutyInput('c/t1/d1/县民政局', '2022-05-31');
    const state = initialDutyState(input, shanghaiInstant('2022-04-29', 10 * 60));
    const actions = plannedActions(input, state, { formalOnce: true, weeklyOverdue: true });
    const formal = actions.filter((a) => a.kind === 'supervision-notice');
    expect(formal.map((a) => shanghaiDate(a.at))).toEqual(['2022-06-08']);
    const overdue = actions.filter((a) => a.kind === 'overdue-reminder').map((a) => shanghaiDate(a.at));
    // Weeks 1–4 after the notice's week, then weeks 8, 12, …; never a repeated formal notice.
    expect(overdue.slice(0, 6)).toEqual(['2022-06-13', '2022-06-20', '2022-06-27', '2022-07-04', '2022-08-01', '2022-08-29']);
    // National Day week 2022: Monday 3 to Friday 7 October are holidays, Saturday 8 is a working day.
    const national = plannedActions(dutyInput('c/t1/d1/县民政局', '2022-09-19'), initialDutyState(dutyInput('c/t1/d1/县民政局', '2022-09-19'), shanghaiInstant('2022-04-29', 10 * 60)), {
      formalOnce: true,
      weeklyOverdue: true,
    })
      .filter((a) => a.kind === 'overdue-reminder')
      .map((a) => shanghaiDate(a.at));
    expect(national.slice(0, 2)).toEqual(['2022-10-08', '2022-10-10']);
    expect(calendar2022).toBeDefined();
  });

  it('keeps the weekday-of-deadline repeats for duties whose campaign does not send morning messages', () => {
    const input = dutyInput('c/t1/d1/县民政局', '2022-05-31');
    const state = initialDutyState(input, shanghaiInstant('2022-04-29', 10 * 60));
    const overdue = plannedActions(input, state, { formalOnce: true }).filter((a) => a.kind === 'overdue-reminder');
    expect(overdue.slice(0, 2).map((a) => shanghaiDate(a.at))).toEqual(['2022-06-15', '2022-06-22']);
  });
});

describe('when an instant has settled (campaigns from 0.4.0)', () => {
  const T = AT;
  it('goes 20 s after the instant when every item came at once (a responsive worker)', () => {
    expect(settledAt(T, T) - T).toBe(20_000);
    expect(settledAt(T, undefined) - T).toBe(20_000);
  });
  it('waits for items still arriving, 10 s after the last one', () => {
    expect(settledAt(T, T + 25_000) - T).toBe(35_000);
  });
  it('waits for a busy worker still handing items over minutes later, but never more than ten minutes', () => {
    expect(settledAt(T, T + 115_000) - T).toBe(125_000);
    expect(settledAt(T, T + 595_000) - T).toBe(600_000);
    expect(settledAt(T, T + 3_600_000) - T).toBe(600_000);
  });
});
