/**
 * A whole year of the seed plan on the time-skipping server: the campaign starts every duty, simulated
 * coordinators reply, and every message lands on a working day in office hours, with escalations reaching
 * the discipline inspection office on the right day.
 */
import { describe, expect, it } from 'vitest';
import { addDays, dayNumber, formatShanghai, isWorkingDay, shanghaiDate, shanghaiInstant, shiftWorkingDays } from '../calendar/working-days';
import { personaOf } from '../cli/simulated-people';
import { simulateYear, type SimulationResult } from '../cli/simulate';
import { itemsOf } from '../workflows/morning';
import { timeSkippingEnv, uniqueQueue, workflowBundle } from './env';

/** The seed notice's tasks without a date of any kind: their only duty is the implied year-end one (issue #15). */
const UNDATED = new Set([2, 3, 6, 7, 8, 9, 10, 11, 13, 14, 16, 17, 18, 22, 23]);

describe('a year of the seed plan (2022, mixed replies)', () => {
  let result: SimulationResult;

  it('runs every duty to its end', async () => {
    const env = await timeSkippingEnv();
    try {
      result = await simulateYear({ year: 2022, replies: 'mixed', env, workflowBundle: workflowBundle(), taskQueue: uniqueQueue('sim') });
    } finally {
      await env.teardown();
    }
    // 7 dated duties, task 19's and task 20's monthly/quarterly/half-yearly instances from May, task 21's
    // year-end assessment, task 12's visit quotas, and the 15 tasks the notice gives no time limit, due by the
    // year's end (implied, issue #15), and task 1's 22 co-units' parts (lead+co, seeds/dazhu-2022-28.yaml).
    expect(result.summary.duties).toBe(69);
    expect(result.ledger).toHaveLength(69);
    expect(result.ledger.every((e) => e.ended)).toBe(true);
    expect(result.summary.completed + result.summary.closedUnresolved).toBe(69);
    expect(result.summary.completed).toBeGreaterThan(20);
  }, 240_000);

  it('sends nothing on a non-working day or outside 08:30–18:00', () => {
    expect(result.messages.length).toBeGreaterThan(100);
    expect(result.offHours).toEqual([]);
    // Make-up Saturdays (调休) are used; ordinary weekends are not.
    const days = new Set(result.messages.map((m) => shanghaiDate(m.at)));
    expect(days.has('2022-10-08')).toBe(true);
    expect(days.has('2022-05-08')).toBe(false);
    expect(days.has('2022-10-03')).toBe(false);
  });

  it("escalates silent units' duties to the discipline inspection office five working days after the deadline", () => {
    // Deadlines the notice set: an implied year-end one stops at the supervising offices (below).
    // Co-units' parts (lead+co) have a ladder of their own (below).
    const silent = result.ledger.filter((e) => personaOf(e.dutyId, 'mixed') === 'silent' && e.kind === 'deadline' && !UNDATED.has(e.taskNumber) && !e.lead);
    expect(silent.length).toBeGreaterThan(0);
    for (const duty of silent) {
      const escalations = result.dutyMessages.filter((m) => m.dutyId === duty.dutyId && (m.kind === 'escalation' || m.kind === 'supervision-notice'));
      const first = escalations[0];
      const formal = escalations.find((m) => m.kind === 'supervision-notice');
      if (dayNumber(duty.deadline) < dayNumber('2022-04-29')) {
        // Past at the notice date: asked on Friday 29 April, 3 working days to answer (5, 6 May and the make-up
        // Saturday 7 May, after the May Day holiday); escalation from the working day after: +1 Monday 9 May,
        // +5 (the formal notice) Friday 13 May.
        expect(formatShanghai(first!.at)).toBe('2022-05-09T09:00:00+08:00');
        expect(formatShanghai(formal!.at)).toBe('2022-05-13T09:00:00+08:00');
      } else {
        expect(first?.at).toBe(shanghaiInstant(shiftWorkingDays(result.calendar, duty.deadline, 1)));
        expect(formal?.at).toBe(shanghaiInstant(shiftWorkingDays(result.calendar, duty.deadline, 5)));
      }
      expect(formal?.toUnits).toContain('县纪委监委');
      expect(duty.status).toBe('closed');
    }
  });

  it('escalates a silent co-unit’s part once, to its leader and the lead unit, and closes it the day after the lead’s date', () => {
    const silent = result.ledger.filter((e) => e.lead && personaOf(e.dutyId, 'mixed') === 'silent');
    expect(silent.length).toBeGreaterThan(0);
    for (const part of silent) {
      const escalations = result.dutyMessages.filter((m) => m.dutyId === part.dutyId && (m.kind === 'escalation' || m.kind === 'supervision-notice'));
      expect(escalations.map((m) => m.kind)).toEqual(['escalation']);
      expect(escalations[0]!.at).toBe(shanghaiInstant(shiftWorkingDays(result.calendar, part.deadline, 1)));
      expect(escalations[0]!.toUnits).toContain('县乡村振兴局');
      expect(escalations[0]!.toUnits).not.toContain('县纪委监委');
      expect(part.status).toBe('closed');
      expect(result.dutyMessages.filter((m) => m.dutyId === part.dutyId).every((m) => m.at <= shanghaiInstant('2022-06-01'))).toBe(true);
    }
  });

  it('sends supervisors a digest every Monday (or the next working day), and when duties turn red', () => {
    const digests = result.messages.filter((m) => m.kind === 'digest');
    expect(digests.length).toBeGreaterThan(40);
    const weekly = digests.filter((m) => m.key.includes('/digest/weekly/'));
    for (const m of weekly) {
      const date = shanghaiDate(m.at);
      const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
      // On Monday at 09:30; on another day only when that week's Monday was a holiday.
      expect(formatShanghai(m.at).slice(11, 16)).toBe('09:30');
      if (weekday !== 1) expect(isWorkingDay(result.calendar, addDays(date, 1 - weekday))).toBe(false);
    }
    expect(weekly.length).toBeGreaterThan(40);
    const red = digests.filter((m) => m.key.includes('/digest/red/'));
    expect(red.length).toBeGreaterThan(0);
    // Red digests at the 09:30 slot, after the morning run; never two digests on one day.
    for (const m of red) expect(formatShanghai(m.at).slice(11, 16)).toBe('09:30');
    const days = digests.map((m) => shanghaiDate(m.at));
    expect(new Set(days).size).toBe(days.length);
    expect(digests[0]?.toUnits).toEqual(['县乡村振兴局', '县委农办', '县纪委监委']);
    expect(digests[0]?.text).toContain('四、各单位确认率、办结率排名');
  });

  it('answers every simulated reply: accepted, except a supervising office judging its own unit’s duty', () => {
    const replies = result.events.filter((e) => e.kind === 'reply');
    expect(replies.length).toBeGreaterThan(20);
    let refused = 0;
    for (const r of replies) {
      // The confirmation that answers a reply is the event right after it.
      const answer = result.events[result.events.indexOf(r) + 1];
      expect(answer?.kind, r.text).toBe('confirmation');
      expect(answer?.dutyId).toBe(r.dutyId);
      if (r.unit === '县乡村振兴局' && r.dutyId?.endsWith('/县乡村振兴局') && /^(驳回|同意延期)/.test(r.text ?? '')) {
        expect(answer?.text).toBe('未受理：县乡村振兴局 不能审核本单位的任务，由上一级督办单位审核');
        refused++;
      } else {
        expect(answer?.text, `${r.text} (${r.dutyId})`).toMatch(/^已受理：/);
      }
    }
    expect(refused).toBeLessThan(replies.length / 10);
    expect(result.events.filter((e) => e.text === '已受理：已办结').length).toBeGreaterThan(20);
  });

  it('reminds no duty after its completion, asks no acknowledged duty again, and takes a visit or progress report as acknowledgement', () => {
    const NAGS = new Set(['reminder', 'ack-request', 'status-check', 'escalation', 'supervision-notice', 'overdue-reminder']);
    const confirmations = result.events.filter((e) => e.kind === 'confirmation' && e.text?.startsWith('已受理') && e.dutyId);
    expect(confirmations.length).toBeGreaterThan(20);
    let checked = 0;
    for (const c of confirmations) {
      const at = Date.parse(c.at);
      const later = result.dutyMessages.filter((m) => m.dutyId === c.dutyId && m.at > at);
      // A rejection reopens the duty: what comes after it is a new round.
      const reopened = result.dutyMessages.find((m) => m.dutyId === c.dutyId && m.kind === 'rejection' && m.at >= at)?.at ?? Number.MAX_SAFE_INTEGER;
      if (c.text === '已受理：已办结') {
        expect(later.filter((m) => NAGS.has(m.kind) && m.at <= reopened).map((m) => m.kind), c.dutyId).toEqual([]);
        checked++;
      }
      if (c.text !== '已受理：待确认') expect(later.filter((m) => m.kind === 'ack-request' && m.at < reopened), c.dutyId).toEqual([]);
    }
    expect(checked).toBeGreaterThan(5);
    const reports = result.events.filter((e) => e.kind === 'reply' && /^(走访|进度)/.test(e.text ?? ''));
    expect(reports.length).toBeGreaterThan(0);
    for (const r of reports) {
      // The confirmation that answers this reply is the event right after it.
      const answer = result.events[result.events.indexOf(r) + 1];
      expect(answer?.kind).toBe('confirmation');
      expect(answer?.dutyId).toBe(r.dutyId);
      expect(answer?.text, r.text).toMatch(/^已受理：(已确认，办理中|已办结)$/);
    }
  });

  it('marks duties already past at the notice date (end of March) with a status check first', () => {
    const pastDue = result.ledger.filter((e) => e.deadline === '2022-03-31');
    expect(pastDue.map((e) => e.taskNumber).sort((a, b) => a - b)).toEqual([4, 5, 19]);
    for (const e of pastDue) {
      const first = result.dutyMessages.find((m) => m.dutyId === e.dutyId);
      expect(first?.kind).toBe('status-check');
    }
  });
});

describe('a silent year of the seed plan (2022, nobody replies)', () => {
  let result: SimulationResult;

  it('runs, and sends at most 490 messages, each unit at most two a day besides formal notices', async () => {
    // A server of its own: the duty ids are the mixed year's.
    result = await simulateYear({ year: 2022, replies: 'none', workflowBundle: workflowBundle() });
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
