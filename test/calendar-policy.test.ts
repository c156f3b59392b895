/** Pure logic: the working-day calendar, the reminder and escalation policy, and campaign expansion. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { officialCalendar } from '../calendar/official';
import {
  addDays,
  dayNumber,
  formatShanghai,
  isValidDate,
  shanghaiDate,
  shanghaiMinutes,
  isOfficeHours,
  isWorkingDay,
  nextOfficeInstant,
  shanghaiInstant,
  shiftWorkingDays,
  workingDaysBetween,
} from '../calendar/working-days';
import { loadCampaign } from '../cli/campaign-input';
import { expandCampaign, officesFor, periodsOf } from '../workflows/expand';
import {
  DEFAULT_ESCALATION,
  escalationAt,
  initialDutyState,
  plannedActions,
  reminderPlan,
} from '../workflows/policy';
import { expectedByCheckpoint } from '../workflows/quota';
import type { DutyState } from '../workflows/types';
import { calendar2022, dutyInput } from './duty-fixtures';

describe('working-day calendar (chinese-days)', () => {
  it('knows 2022 holidays and make-up working days', () => {
    expect(isWorkingDay(calendar2022, '2022-04-24')).toBe(true); // Sunday, make-up day
    expect(isWorkingDay(calendar2022, '2022-05-07')).toBe(true); // Saturday, make-up day
    expect(isWorkingDay(calendar2022, '2022-05-02')).toBe(false); // Labour Day
    expect(isWorkingDay(calendar2022, '2022-10-07')).toBe(false); // National Day week
    expect(isWorkingDay(calendar2022, '2022-10-08')).toBe(true);
    expect(isWorkingDay(calendar2022, '2022-06-04')).toBe(false); // ordinary Saturday
  });

  it('counts and shifts working days across holidays', () => {
    expect(shiftWorkingDays(calendar2022, '2022-09-30', 1)).toBe('2022-10-08');
    expect(shiftWorkingDays(calendar2022, '2022-05-31', -10)).toBe('2022-05-17');
    expect(workingDaysBetween(calendar2022, '2022-04-29', '2022-05-09')).toBe(4);
  });

  it('allows messages only in office hours on working days', () => {
    expect(isOfficeHours(calendar2022, shanghaiInstant('2022-05-07', 9 * 60))).toBe(true);
    expect(isOfficeHours(calendar2022, shanghaiInstant('2022-05-06', 18 * 60))).toBe(false);
    expect(isOfficeHours(calendar2022, shanghaiInstant('2022-05-06', 8 * 60 + 29))).toBe(false);
    expect(formatShanghai(nextOfficeInstant(calendar2022, shanghaiInstant('2022-04-29', 19 * 60)))).toBe(
      '2022-05-05T09:00:00+08:00',
    );
    expect(formatShanghai(nextOfficeInstant(calendar2022, shanghaiInstant('2022-05-05', 7 * 60)))).toBe(
      '2022-05-05T09:00:00+08:00',
    );
  });

  it('warns loudly and falls back to Monday–Friday for a year the package does not know', () => {
    const { calendar, warnings } = officialCalendar([2022, 2031]);
    expect(calendar.knownYears).toEqual([2022]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('2031');
    expect(isWorkingDay(calendar, '2031-10-01')).toBe(true); // a Wednesday: no holiday known
    const supplied = officialCalendar([2031], { years: { '2031': { holidays: ['2031-10-01'], makeupWorkdays: [] } } });
    expect(supplied.warnings).toEqual([]);
    expect(isWorkingDay(supplied.calendar, '2031-10-01')).toBe(false);
  });
});

// The calendar arithmetic works on day numbers with caches; these check it against plain Date arithmetic.
const slowDate = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10);
const slowWorking = (date: string) =>
  calendar2022.makeupWorkdays.includes(date) ||
  (!calendar2022.holidays.includes(date) && ![0, 6].includes(new Date(`${date}T00:00:00Z`).getUTCDay()));

describe('working-day arithmetic on day numbers', () => {
  const days = fc.integer({ min: dayNumber('1999-01-01'), max: dayNumber('2101-12-31') });
  it('reads and writes dates as Date does, and refuses dates that do not exist', () => {
    fc.assert(
      fc.property(days, fc.integer({ min: -800, max: 800 }), (day, n) => {
        const date = slowDate(day);
        expect(dayNumber(date)).toBe(day);
        expect(addDays(date, n)).toBe(slowDate(day + n));
      }),
      { numRuns: 3000 },
    );
    expect(isValidDate('2024-02-29')).toBe(true);
    expect(isValidDate('2022-02-29')).toBe(false);
    expect(isValidDate('2100-02-29')).toBe(false);
    expect(isValidDate('2022-04-31')).toBe(false);
    expect(isValidDate('2022-13-01')).toBe(false);
  });

  it('takes Shanghai dates and minutes of an instant as Date does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        const local = new Date(ms + 8 * 3600_000);
        expect(shanghaiDate(ms)).toBe(local.toISOString().slice(0, 10));
        expect(shanghaiMinutes(ms)).toBe(local.getUTCHours() * 60 + local.getUTCMinutes());
      }),
      { numRuns: 3000 },
    );
  });

  it('shifts and counts working days as a day-by-day walk does', () => {
    const in2022 = fc.integer({ min: dayNumber('2022-01-01'), max: dayNumber('2023-06-30') });
    fc.assert(
      fc.property(in2022, fc.integer({ min: -40, max: 40 }), (day, n) => {
        const date = slowDate(day);
        expect(isWorkingDay(calendar2022, date)).toBe(slowWorking(date));
        let d = day;
        let left = Math.abs(n);
        if (n === 0) while (!slowWorking(slowDate(d))) d++;
        while (left > 0) {
          d += n > 0 ? 1 : -1;
          if (slowWorking(slowDate(d))) left--;
        }
        expect(shiftWorkingDays(calendar2022, date, n)).toBe(slowDate(d));
        const to = slowDate(day + Math.abs(n) * 3);
        let count = 0;
        for (let x = day + 1; x <= day + Math.abs(n) * 3; x++) if (slowWorking(slowDate(x))) count++;
        expect(workingDaysBetween(calendar2022, date, to)).toBe(count);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['the default ladder, a working-day deadline', DEFAULT_ESCALATION, '2022-09-30'],
    ['a ladder that steps back and holds, a holiday deadline', [{ afterWorkingDays: 1, to: ['leader'] }, { afterWorkingDays: 0, to: ['leader'] }, { afterWorkingDays: 2, to: ['leader'] }, { afterWorkingDays: 2, to: ['leader'] }, { afterWorkingDays: 4, to: ['leader'], formal: true }], '2022-10-01'],
  ] as const)('plans the same escalation dates as the ladder counted from the base each time: %s', (_name, ladder, deadline) => {
    const escalation = ladder.map((s) => ({ ...s, to: [...s.to] }));
    const input = dutyInput('t/escalation-dates', deadline, { escalation });
    const state: DutyState = { ...initialDutyState(input, Date.parse('2022-04-29T10:00:00+08:00')), status: 'acknowledged' };
    const planned = plannedActions(input, state).filter((a) => a.escalation);
    expect(planned.length).toBeGreaterThan(40);
    for (const a of planned) {
      const n = Number(a.key.split('/').pop());
      expect(a.escalation).toEqual(escalationAt(calendar2022, deadline, escalation, 5, n));
    }
  });
});

describe('reminder and escalation policy', () => {
  it('reminds a holiday deadline on the last working day before it', () => {
    // 1 Oct 2022 is National Day: "on the day" becomes Friday 30 September.
    expect(reminderPlan(calendar2022, '2022-10-01', [1, 0]).map((r) => r.date)).toEqual(['2022-09-29', '2022-09-30']);
  });

  it('climbs the ladder and then repeats weekly', () => {
    const steps = [0, 1, 2, 3, 4].map((n) => escalationAt(calendar2022, '2022-05-31', DEFAULT_ESCALATION, 5, n));
    // Dragon Boat Festival on Friday 3 June 2022.
    expect(steps.map((s) => [s.date, s.step, s.repeat])).toEqual([
      ['2022-06-01', 0, 0],
      ['2022-06-06', 1, 0],
      ['2022-06-08', 2, 0],
      ['2022-06-15', 2, 1],
      ['2022-06-22', 2, 2],
    ]);
  });

  it('expects a quota pace in proportion to the time elapsed', () => {
    expect(expectedByCheckpoint(4, '2022-04-29', '2022-06-30', '2022-12-31')).toBe(2);
    expect(expectedByCheckpoint(1, '2022-04-29', '2022-06-30', '2022-12-31')).toBe(1);
  });
});

describe('campaign expansion of the seed plan', () => {
  const { input } = loadCampaign({ year: 2022 });
  const duties = expandCampaign(input, '2022-04-29');

  it('makes one duty per accountable (duty, unit) with deterministic ids', () => {
    // 32 dated duties, 15 for the tasks the notice gives no time limit (year-end, implied: issue #15), and 22
    // co-units' parts of task 1 (lead+co).
    expect(duties).toHaveLength(69);
    expect(new Set(duties.map((d) => d.duty.dutyId)).size).toBe(69);
    expect(expandCampaign(input, '2022-04-29').map((d) => d.duty.dutyId)).toEqual(duties.map((d) => d.duty.dutyId));
    expect(duties[0]?.duty.dutyId).toBe('dazhu-2022-28/2022/t1/d1/县乡村振兴局');
  });

  it('makes every listed unit accountable when the plan says so, expanding 各乡镇(街道)', () => {
    const plan = {
      ...input.plan,
      tasks: input.plan.tasks.map((t) => (t.number === 1 ? { ...t, accountable: 'all' as const } : t)),
    };
    const all = expandCampaign({ ...input, plan }, '2022-04-29').filter((d) => d.duty.taskNumber === 1);
    expect(all.map((d) => d.duty.unit)).toContain('竹阳街道');
    expect(all).toHaveLength(1 + 14 + input.groups['各乡镇(街道)']!.length);
  });

  it('turns cadences into dated instances from the start month, and task 19 into progress duties', () => {
    expect(periodsOf('quarterly', 2022, '2022-04-29').map((p) => p.due)).toEqual([
      '2022-06-30',
      '2022-09-30',
      '2022-12-31',
    ]);
    const t19 = duties.filter((d) => d.duty.taskNumber === 19 && d.duty.kind === 'progress');
    expect(t19.map((d) => d.duty.period)).toEqual([
      '2022-04',
      '2022-05',
      '2022-06',
      '2022-07',
      '2022-08',
      '2022-09',
      '2022-10',
      '2022-11',
      '2022-12',
    ]);
    const quota = duties.find((d) => d.duty.kind === 'quota');
    expect(quota?.quota?.items.map((q) => q.min)).toEqual([1, 3, 1, 1, 2, 4, 1]);
  });

  it('has 县委农办 supervise when 县乡村振兴局 itself is late', () => {
    expect(officesFor(input, '县乡村振兴局').supervisor).toBe('县委农办');
    expect(officesFor(input, '县民政局').supervisor).toBe('县乡村振兴局');
  });
});
