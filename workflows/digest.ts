/**
 * The supervisors' digest, computed from the campaign ledger: overdue duties with days late, duties due in
 * the next 10 working days, unacknowledged duties, and per-unit acknowledgement and completion rates with a
 * ranking. Pure, so the workflow, the dashboard and tests share it.
 */
import { dayNumber, shanghaiDate, workingDaysBetween, type WorkCalendar } from '../calendar/working-days';
import type { Digest, DigestLine, LedgerEntry, Level, UnitRate } from './types';

export type { Digest, DigestLine, UnitRate } from './digest-types';

export const UPCOMING_WORKING_DAYS = 10;

/** Completed, and not merely reported against the unit's own bar. */
const done = (e: LedgerEntry) => e.status === 'completed' && !e.unverified;

/**
 * Every list ends its ties in one fixed order. The ledger holds lines in the order they arrived, and that order
 * changes from run to run when duties start in parallel; without this, the same year's digest reads differently
 * each time.
 */
const inTaskOrder = (a: DigestLine, b: DigestLine) =>
  a.taskNumber - b.taskNumber || a.deadline.localeCompare(b.deadline) || a.unit.localeCompare(b.unit) || a.dutyId.localeCompare(b.dutyId);

export function buildDigest(ledger: LedgerEntry[], cal: WorkCalendar, now: number): Digest {
  const today = shanghaiDate(now);
  const line = (e: LedgerEntry, workingDays: number): DigestLine => ({
    dutyId: e.dutyId,
    ...(e.code ? { code: e.code } : {}),
    taskNumber: e.taskNumber,
    unit: e.unit,
    ...(e.period ? { period: e.period } : {}),
    deadline: e.deadline,
    level: e.level,
    workingDays,
  });
  const live = ledger.filter((e) => e.status !== 'completed' && e.status !== 'closed');
  const overdue = live
    .filter((e) => dayNumber(e.deadline) < dayNumber(today))
    // Past its deadline and not done is red, whatever the ledger last heard (a duty reports its level when it
    // wakes, so one due on Friday still says blue on Monday morning); yellow stays: a past-due duty's grace.
    .map((e) => line({ ...e, level: e.level === 'yellow' || e.level === 'red' ? e.level : 'red' }, workingDaysBetween(cal, e.deadline, today)))
    .sort((a, b) => b.workingDays - a.workingDays || inTaskOrder(a, b));
  const upcoming = live
    .filter((e) => dayNumber(e.deadline) >= dayNumber(today))
    .map((e) => line(e, workingDaysBetween(cal, today, e.deadline)))
    .filter((l) => l.workingDays <= UPCOMING_WORKING_DAYS)
    .sort((a, b) => a.workingDays - b.workingDays || inTaskOrder(a, b));
  const unacknowledged = live
    .filter((e) => e.status === 'open' && e.remindersSent + e.escalationsSent > 0)
    .map((e) => line(e, Math.max(0, workingDaysBetween(cal, today, e.deadline))))
    .sort(inTaskOrder);
  const unverified = ledger
    .filter((e) => e.status === 'completed' && e.unverified && !e.ended)
    .map((e) => ({ ...line(e, 0), ...(e.unverified ? { reported: e.unverified } : {}) }))
    .sort(inTaskOrder);
  const byUnit = new Map<string, LedgerEntry[]>();
  for (const e of ledger) byUnit.set(e.unit, [...(byUnit.get(e.unit) ?? []), e]);
  const units: UnitRate[] = [...byUnit].map(([unit, entries]) => {
    const acknowledged = entries.filter((e) => e.acknowledgedAt !== undefined || e.status === 'completed').length;
    // A month reported against a bar only the unit stated is not done until verified: not counted as completed.
    const completed = entries.filter(done).length;
    return {
      unit,
      duties: entries.length,
      acknowledged,
      completed,
      ackRate: acknowledged / entries.length,
      completionRate: completed / entries.length,
      overdue: overdue.filter((o) => o.unit === unit).length,
    };
  });
  // Ranking: completion first, then acknowledgement, then fewer overdue.
  units.sort((a, b) => b.completionRate - a.completionRate || b.ackRate - a.ackRate || a.overdue - b.overdue || a.unit.localeCompare(b.unit));
  return {
    date: today,
    overdue,
    upcoming,
    unacknowledged,
    unverified,
    units,
    totals: { duties: ledger.length, completed: ledger.filter(done).length, overdue: overdue.length, unacknowledged: unacknowledged.length },
  };
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

export function digestText(d: Digest, reason: 'weekly' | 'red'): string {
  const head = reason === 'weekly' ? `督办周报（${d.date}）` : `督办快报：出现新的红色逾期事项（${d.date}）`;
  const lines = [
    head,
    `共 ${d.totals.duties} 项，已办结 ${d.totals.completed}${d.unverified?.length ? `（另有 ${d.unverified.length} 项进度待核实）` : ''}，逾期 ${d.totals.overdue}，未确认 ${d.totals.unacknowledged}。`,
    '',
    `一、逾期事项（${d.overdue.length}）`,
    ...(d.overdue.length ? d.overdue.map((l) => `  任务${l.taskNumber}${l.period ? `（${l.period}）` : ''}${l.code ? `［编号 ${l.code}］` : ''} ${l.unit} 截止 ${l.deadline}，逾期 ${l.workingDays} 个工作日【${LEVEL_WORD[l.level]}】`) : ['  无']),
    '',
    `二、未来 ${UPCOMING_WORKING_DAYS} 个工作日内到期（${d.upcoming.length}）`,
    ...(d.upcoming.length ? d.upcoming.map((l) => `  任务${l.taskNumber}${l.period ? `（${l.period}）` : ''} ${l.unit} 截止 ${l.deadline}（还有 ${l.workingDays} 个工作日）`) : ['  无']),
    '',
    `三、已提醒仍未确认（${d.unacknowledged.length}）`,
    ...(d.unacknowledged.length ? d.unacknowledged.map((l) => `  任务${l.taskNumber}${l.period ? `（${l.period}）` : ''} ${l.unit}`) : ['  无']),
    '',
    // Only when there is something to verify: most digests have nothing here.
    ...(d.unverified.length
      ? [
          `待核实的进度（通知未设数值基准，比较基准为单位自报；不属实请回复「驳回 编号 理由」）（${d.unverified.length}）`,
          ...d.unverified.map((l) => `  任务${l.taskNumber}${l.period ? `（${l.period}）` : ''}${l.code ? `［编号 ${l.code}］` : ''} ${l.unit}：${l.reported ?? ''}`),
          '',
        ]
      : []),
    '四、各单位确认率、办结率排名',
    ...d.units.map((u, i) => `  ${i + 1}. ${u.unit}：确认 ${pct(u.ackRate)}，办结 ${pct(u.completionRate)}（${u.completed}/${u.duties}）${u.overdue ? `，逾期 ${u.overdue}` : ''}`),
  ];
  return lines.join('\n');
}

const LEVEL_WORD: Record<Level, string> = { none: '—', blue: '蓝', yellow: '黄', red: '红', green: '绿' };
