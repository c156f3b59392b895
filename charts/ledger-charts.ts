/**
 * The dashboard's charts, from the campaign's ledger as it stands today: levels per unit, deadlines over the
 * year, and completed against due.
 */
import { shanghaiDate } from '../calendar/working-days';
import type { LedgerEntry, Level } from '../workflows/types';
import { LEVEL_CN, LEVEL_COLOR, LEVEL_ORDER } from './levels';
import { completionTrendChart, levelsByUnitChart, monthSpan, timelineChart, type ChartSpec, type UnitLevels } from './options';

/** Duties per unit by their current level, units in the order given (the matrix's columns). */
export function unitLevels(ledger: LedgerEntry[], units: string[]): UnitLevels[] {
  return units.map((unit) => {
    const counts: Partial<Record<Level, number>> = {};
    for (const e of ledger) if (e.unit === unit) counts[e.level] = (counts[e.level] ?? 0) + 1;
    return { unit, counts };
  });
}

/** `today` is the dashboard's Shanghai date (the digest's date): the rule on the time charts. */
export function ledgerCharts(ledger: LedgerEntry[], units: string[], today: string): ChartSpec[] {
  if (!ledger.length) return [];
  const deadlines = ledger.map((e) => e.deadline).sort();
  const days = monthSpan([deadlines[0] ?? today, today].sort()[0] ?? today, [deadlines.at(-1) ?? today, today].sort()[1] ?? today);
  const row = new Map(units.map((u, i) => [u, i]));
  const levels = LEVEL_ORDER.filter((l) => ledger.some((e) => e.level === l));
  return [
    levelsByUnitChart({ id: 'chart-levels', title: '各单位时限任务等级', subtitle: `截至 ${today}，每项任务按当前等级计入`, units: unitLevels(ledger, units) }),
    timelineChart({
      id: 'chart-deadlines',
      title: '全年截止日期',
      subtitle: '每个点是一项时限任务的截止日期，颜色为当前等级，点内数字为同日截止的项数；虚线为今天',
      days,
      today,
      rows: units.map((u) => ({ label: u })),
      series: levels.map((l) => ({
        name: LEVEL_CN[l],
        color: LEVEL_COLOR[l],
        symbol: 'circle' as const,
        size: 10,
        points: ledger.filter((e) => e.level === l).map((e) => ({ row: row.get(e.unit) ?? -1, day: e.deadline })),
      })),
    }),
    completionTrendChart({
      id: 'chart-trend',
      title: '办结进度',
      subtitle: '累计到期（按截止日期，含延期后的日期）与累计已办结',
      days,
      today,
      due: deadlines,
      completed: ledger.flatMap((e) => (e.status === 'completed' && e.completedAt !== undefined ? [shanghaiDate(e.completedAt)] : [])),
    }),
  ];
}
