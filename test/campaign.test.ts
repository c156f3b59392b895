/**
 * A whole year of the seed plan on the time-skipping server: the campaign starts every duty, simulated
 * coordinators reply, and every message lands on a working day in office hours, with escalations reaching
 * the discipline inspection office on the right day.
 */
import { describe, expect, it } from 'vitest';
import { addDays, dayNumber, formatShanghai, isWorkingDay, shanghaiDate, shanghaiInstant, shiftWorkingDays } from '../calendar/working-days';
import { personaOf } from '../cli/simulated-people';
import type { SimulationResult } from '../cli/simulate';
import { describeClosingLedger } from './closing-ledger';
import { describeSameEveryRun, seedYear, UNDATED } from './seed-year';


describe('a year of the seed plan (2022, mixed replies)', () => {
  let result: SimulationResult;

  it('runs every duty to its end', async () => {
    result = await seedYear('mixed');
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

describeClosingLedger();
describeSameEveryRun('mixed');
