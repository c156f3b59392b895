/**
 * A silent year of the seed plan on the time-skipping server: nobody replies, and the messages stay within the
 * burden rules (one per unit and instant, the formal notice once per duty), with the ladder every late duty climbs.
 */
import { describe, expect, it } from 'vitest';
import { addDays, dayNumber, isWorkingDay, shanghaiDate, shanghaiInstant, shiftWorkingDays } from '../calendar/working-days';
import type { SimulationResult } from '../cli/simulate';
import { itemsOf } from '../workflows/morning';
import { describeSameEveryRun, seedYear, UNDATED } from './seed-year';

describe('a silent year of the seed plan (2022, nobody replies)', () => {
  let result: SimulationResult;

  it('runs, and sends at most 490 messages, each unit at most two a day besides formal notices', async () => {
    result = await seedYear('none');
    // 0.1.0 sent 1,208 messages in this year, 928 of them repeated formal notices. 295 before the 15 year-end
    // duties of tasks without a time limit (issue #15); they add 60, reminded at 10 and 0 working days only and
    // escalated without a formal notice (355; 363 with the full ladder). Task 1's 22 co-units' parts (lead+co)
    // add 130: three asks to acknowledge, two reminders, one escalation and one overdue reminder each, until they
    // close the working day after the lead's deadline (485 in all; 529 closing ten working days after).
    expect(result.messages.length).toBeLessThanOrEqual(490);
    const perUnitDay = new Map<string, number>();
    for (const m of result.messages) {
      if (m.kind === 'supervision-notice') continue;
      for (const u of m.toUnits) perUnitDay.set(`${u} ${shanghaiDate(m.at)}`, (perUnitDay.get(`${u} ${shanghaiDate(m.at)}`) ?? 0) + 1);
    }
    expect([...perUnitDay].filter(([, n]) => n > 2)).toEqual([]);
    expect(result.offHours).toEqual([]);
  }, 240_000);

  it('sends one message per unit and instant, listing each duty with its code', () => {
    const seen = new Set<string>();
    for (const m of result.messages.filter((x) => x.kind !== 'supervision-notice' && x.kind !== 'digest')) {
      expect(m.toUnits).toHaveLength(1);
      const key = `${m.toUnits[0]} ${m.at}`;
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
      for (const item of itemsOf(m)) expect(m.text).toContain(`回复编号 ${item.code}`);
    }
    // The first morning: 县乡村振兴局 hears of its own duties and of those it is kept informed of, in one message.
    const first = result.messages.find((m) => m.toUnits[0] === '县乡村振兴局');
    expect(first?.text).toMatch(/^今日督办（县乡村振兴局，\d+ 项，其中本单位 \d+ 项）/);
    expect(new Set(itemsOf(first!).map((i) => i.dutyId)).size).toBeGreaterThan(3);
  });

  it('sends the formal notice once per duty, and task 1 reaches 县纪委监委 within 10 working days of 31 May', () => {
    const formal = result.messages.filter((m) => m.kind === 'supervision-notice');
    // Every duty with a time limit the notice set; none of the 15 implied year-end ones, none of task 1's parts.
    expect(formal.length).toBe(result.ledger.filter((e) => !UNDATED.has(e.taskNumber) && !e.lead).length);
    expect(new Set(formal.map((m) => m.dutyId)).size).toBe(formal.length);
    const t1 = result.messages.find((m) => m.toUnits.includes('县纪委监委') && itemsOf(m).some((i) => i.taskNumber === 1));
    expect(t1?.kind).toBe('supervision-notice');
    expect(t1!.at).toBeLessThanOrEqual(shanghaiInstant(shiftWorkingDays(result.calendar, '2022-05-31', 10)));
  });

  it('asks past-due tasks 4 and 5 for their status before any escalation', () => {
    for (const task of [4, 5]) {
      const about = result.dutyMessages.filter((m) => m.taskNumber === task);
      expect(about[0]?.kind, `task ${task}`).toBe('status-check');
      const firstEscalation = about.find((m) => m.kind === 'escalation');
      expect(firstEscalation!.at).toBeGreaterThan(about[0]!.at);
    }
  });

  it('reminds a late duty on Mondays after its formal notice, weekly for four weeks and then every four weeks', () => {
    const t4 = result.dutyMessages.filter((m) => m.taskNumber === 4 && m.kind === 'overdue-reminder');
    const dates = t4.map((m) => shanghaiDate(m.at));
    expect(dates.length).toBeGreaterThan(6);
    for (const d of dates) {
      // The week's first working day (Monday, or the first after a holiday).
      const weekday = new Date(`${d}T00:00:00Z`).getUTCDay();
      for (let back = 1; back <= (weekday + 6) % 7; back++) expect(isWorkingDay(result.calendar, addDays(d, -back)), d).toBe(false);
    }
    const gaps = dates.slice(1).map((d, i) => (dayNumber(d) - dayNumber(dates[i]!)) / 7);
    expect(gaps.slice(0, 3).every((g) => Math.round(g) === 1)).toBe(true);
    expect(gaps.slice(4).every((g) => Math.round(g) === 4)).toBe(true);
  });

  it('tells the unit of a task the notice gives no time limit why it is due at the year end, and says so of no other duty', () => {
    const undated = UNDATED;
    const about = result.dutyMessages.filter((m) => m.taskNumber !== undefined && undated.has(m.taskNumber));
    expect(new Set(about.map((m) => m.taskNumber)).size).toBe(15);
    for (const m of about) expect(m.text, `${m.kind} ${m.dutyId}`).toContain('截止：2022-12-31（通知未列明时限，按年度任务于年底前办结）');
    for (const m of result.dutyMessages.filter((x) => !about.includes(x))) expect(m.text).not.toContain('通知未列明时限');
  });

  it('escalates a late task the notice gave no time limit to the supervising offices, never by a formal notice or to 县纪委监委', () => {
    const undated = UNDATED;
    const about = result.dutyMessages.filter((m) => m.taskNumber !== undefined && undated.has(m.taskNumber));
    expect(about.some((m) => m.kind === 'escalation' && m.toUnits.includes('县委农办'))).toBe(true);
    expect(about.filter((m) => m.kind === 'supervision-notice').map((m) => m.dutyId)).toEqual([]);
    expect(about.filter((m) => m.toUnits.includes('县纪委监委')).map((m) => `${m.kind} ${m.dutyId}`)).toEqual([]);
    // The three offices' busiest day is what it was before these duties: 8 messages, 9 January 2023.
    const perDay = new Map<string, number>();
    for (const m of result.messages) for (const u of m.toUnits) perDay.set(`${shanghaiDate(m.at)}|${u}`, (perDay.get(`${shanghaiDate(m.at)}|${u}`) ?? 0) + 1);
    expect(Math.max(...perDay.values())).toBeLessThanOrEqual(8);
  });
});

describeSameEveryRun('none');
