/** Supervisors' digests: contents from a ledger of known states, and when the campaign sends them. */
import { describe, expect, it } from 'vitest';
import { renderMail } from '../channels/render';
import { nextDigestSlot, nextWeeklyDigest } from '../workflows/digest-slots';
import { buildDigest, digestText } from '../workflows/digest';
import type { LedgerEntry } from '../workflows/types';
import { formatShanghai, shanghaiInstant } from '../calendar/working-days';
import { calendar2022 } from './duty-fixtures';

const entry = (over: Partial<LedgerEntry> & Pick<LedgerEntry, 'dutyId' | 'unit' | 'deadline'>): LedgerEntry => ({
  kind: 'deadline',
  taskNumber: 1,
  status: 'open',
  level: 'none',
  remindersSent: 0,
  escalationsSent: 0,
  ended: false,
  updatedAt: 0,
  ...over,
});

describe('digest levels', () => {
  it('tags a duty past its deadline red even when the ledger still has the blue it reported before', () => {
    // Due Friday 10 June, digest on Monday 13 June: the duty has not woken since Friday.
    const d = buildDigest([entry({ dutyId: 'f', unit: '县民政局', deadline: '2022-06-10', level: 'blue', code: '7' })], calendar2022, shanghaiInstant('2022-06-13', 9 * 60 + 30));
    expect(d.overdue.map((l) => l.level)).toEqual(['red']);
    expect(digestText(d, 'weekly')).toContain('任务1［编号 7］ 县民政局 截止 2022-06-10，逾期 1 个工作日【红】');
  });
});

describe('progress reported against a bar only the unit stated', () => {
  it('is listed for the supervisors to verify, with what was reported and the reply to reject it', () => {
    const d = buildDigest(
      [entry({ dutyId: 'p', unit: '县乡村振兴局', taskNumber: 19, period: '2022-05', code: '19f', kind: 'progress', deadline: '2022-05-31', status: 'completed', level: 'green', completedAt: 1, unverified: '进度 1%，单位自报比较基准 0%' })],
      calendar2022,
      shanghaiInstant('2022-06-06', 9 * 60 + 30),
    );
    const text = digestText(d, 'weekly');
    expect(text).toContain('待核实的进度（通知未设数值基准，比较基准为单位自报；不属实请回复「驳回 编号 理由」）（1）');
    expect(text).toContain('任务19（2022-05）［编号 19f］ 县乡村振兴局：进度 1%，单位自报比较基准 0%');
    // Reported, not done: not counted as completed, in the totals or the unit's rate.
    expect(text).toContain('已办结 0（另有 1 项进度待核实）');
    expect(d.units[0]?.completed).toBe(0);
    // Nothing to verify, no section.
    expect(digestText(buildDigest([], calendar2022, shanghaiInstant('2022-06-06', 9 * 60 + 30)), 'weekly')).not.toContain('待核实');
  });
});

describe('digest contents', () => {
  // Friday 10 June 2022 (3 June was the Dragon Boat holiday).
  const now = shanghaiInstant('2022-06-10', 9 * 60);
  const ledger: LedgerEntry[] = [
    entry({ dutyId: 'a', unit: '县民政局', deadline: '2022-05-31', level: 'red', status: 'acknowledged', acknowledgedAt: 1, escalationsSent: 3 }),
    entry({ dutyId: 'b', unit: '县教科局', deadline: '2022-06-15', level: 'blue', remindersSent: 2 }),
    entry({ dutyId: 'c', unit: '县教科局', deadline: '2022-05-31', status: 'completed', level: 'green', acknowledgedAt: 1, completedAt: 2 }),
    entry({ dutyId: 'd', unit: '县水务局', deadline: '2022-09-30', taskNumber: 8 }),
    entry({ dutyId: 'e', unit: '县水务局', deadline: '2022-06-24', taskNumber: 9, status: 'acknowledged', acknowledgedAt: 1, level: 'blue' }),
  ];
  const d = buildDigest(ledger, calendar2022, now);

  it('lists overdue duties with working days late, and what falls due in the next 10 working days', () => {
    // 1, 2, 6, 7, 8, 9, 10 June: seven working days late.
    expect(d.overdue.map((l) => [l.dutyId, l.workingDays, l.level])).toEqual([['a', 7, 'red']]);
    expect(d.upcoming.map((l) => [l.dutyId, l.workingDays])).toEqual([
      ['b', 3],
      ['e', 10],
    ]);
    expect(d.unacknowledged.map((l) => l.dutyId)).toEqual(['b']);
    expect(d.totals).toEqual({ duties: 5, completed: 1, overdue: 1, unacknowledged: 1 });
  });

  it('ranks units by completion, then acknowledgement, then fewer overdue', () => {
    expect(d.units.map((u) => [u.unit, u.completionRate, u.ackRate, u.overdue])).toEqual([
      ['县教科局', 0.5, 0.5, 0],
      ['县民政局', 0, 1, 1],
      ['县水务局', 0, 0.5, 0],
    ]);
    const text = digestText(d, 'weekly');
    expect(text).toContain('督办周报（2022-06-10）');
    expect(text).toContain('任务1 县民政局 截止 2022-05-31，逾期 7 个工作日【红】');
    expect(text).toContain('1. 县教科局：确认 50%，办结 50%（1/2）');
  });

  it('draws the ranking as bars in the email', () => {
    const mail = renderMail({ key: 'k', kind: 'digest', toUnits: [], recipients: [], level: 'red', at: now, subject: '【督办周报】', text: digestText(d, 'weekly'), digest: d });
    expect(mail.html).toContain('aria-label="各单位办结率与确认率"');
    expect(mail.html).toContain('width:100px'); // 县教科局 50% completion
  });
});

describe('when the weekly digest goes', () => {
  it('goes on Monday at 09:30, after the morning run, or the next working day when Monday is a holiday', () => {
    expect(formatShanghai(nextWeeklyDigest(calendar2022, shanghaiInstant('2022-06-08', 15 * 60)))).toBe('2022-06-13T09:30:00+08:00');
    // Monday 2 May 2022 is Labour Day: Thursday 5 May.
    expect(formatShanghai(nextWeeklyDigest(calendar2022, shanghaiInstant('2022-04-29', 10 * 60)))).toBe('2022-05-05T09:30:00+08:00');
    expect(formatShanghai(nextWeeklyDigest(calendar2022, shanghaiInstant('2022-06-13', 9 * 60)))).toBe('2022-06-13T09:30:00+08:00');
    expect(formatShanghai(nextWeeklyDigest(calendar2022, shanghaiInstant('2022-06-13', 9 * 60 + 31)))).toBe('2022-06-20T09:30:00+08:00');
  });

  it('sends a red digest at the next 09:30 slot of a working day', () => {
    // Turned red in the 09:00 run: the same morning.
    expect(formatShanghai(nextDigestSlot(calendar2022, shanghaiInstant('2022-06-13', 9 * 60)))).toBe('2022-06-13T09:30:00+08:00');
    // Turned red after the slot, or on a holiday: the next working day.
    expect(formatShanghai(nextDigestSlot(calendar2022, shanghaiInstant('2022-06-13', 10 * 60)))).toBe('2022-06-14T09:30:00+08:00');
    expect(formatShanghai(nextDigestSlot(calendar2022, shanghaiInstant('2022-04-30', 9 * 60)))).toBe('2022-05-05T09:30:00+08:00');
  });
});

describe('digest order', () => {
  it('reads the same whatever order the ledger lines arrived in (duties start in parallel)', () => {
    // The shape of the 2022-05-09 weekly digest that differed between two runs of the same simulated year.
    const now = shanghaiInstant('2022-05-09', 9 * 60 + 30);
    const ledger: LedgerEntry[] = [
      entry({ dutyId: 'x/4', code: '4', taskNumber: 4, unit: '县以工代赈中心', deadline: '2022-03-31', remindersSent: 1 }),
      entry({ dutyId: 'x/19a', code: '19a', taskNumber: 19, unit: '县乡村振兴局', deadline: '2022-03-31', remindersSent: 1 }),
      entry({ dutyId: 'x/19b', code: '19b', taskNumber: 19, unit: '县乡村振兴局', deadline: '2022-04-30', remindersSent: 1 }),
      entry({ dutyId: 'x/19c', code: '19c', taskNumber: 19, period: '2022-04', unit: '县乡村振兴局', deadline: '2022-04-30', remindersSent: 1 }),
      entry({ dutyId: 'x/20a', code: '20a', taskNumber: 20, period: '2022-05', unit: '县纪委监委', deadline: '2022-05-15', remindersSent: 1 }),
      entry({ dutyId: 'x/20b', code: '20b', taskNumber: 20, period: '2022-05', unit: '县委组织部', deadline: '2022-05-15', remindersSent: 1 }),
    ];
    const texts = [ledger, [...ledger].reverse(), [ledger[2]!, ledger[5]!, ledger[0]!, ledger[4]!, ledger[1]!, ledger[3]!]].map((l) => digestText(buildDigest(l, calendar2022, now), 'weekly'));
    expect(texts[1]).toBe(texts[0]);
    expect(texts[2]).toBe(texts[0]);
    // Task order, then deadline: 任务4 before the three 任务19 lines.
    expect(texts[0]).toMatch(/三、已提醒仍未确认（6）\n {2}任务4 县以工代赈中心\n {2}任务19 县乡村振兴局\n {2}任务19 县乡村振兴局\n {2}任务19（2022-04） 县乡村振兴局\n {2}任务20（2022-05） 县委组织部\n {2}任务20（2022-05） 县纪委监委/);
  });
});
