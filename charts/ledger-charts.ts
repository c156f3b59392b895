/**
 * The dashboard's charts, from the campaign's ledger as it stands today: levels per unit, deadlines over the
 * year, and completed against due. A county may have hundreds of units: the per-unit charts show the units
 * with the most open duties (CHART_UNITS of them) and say so in their titles, so a page's charts stay the same
 * size however large the campaign.
 */
import { shanghaiDate } from '../calendar/working-days';
import type { LedgerEntry, Level } from '../workflows/types';
import { LEVEL_CN, LEVEL_COLOR, LEVEL_ORDER } from './levels';
import { completionTrendChart, levelsByUnitChart, monthSpan, timelineChart, type ChartSpec, type UnitLevels } from './options';

/** Units drawn on a per-unit chart: one bar or row each, about 32 px, so 40 make a chart of about 1,400 px. */
export const CHART_UNITS = 40;

/**
 * A chart not drawn yet: `input` is all it is drawn from (plain data), so equal inputs draw equal SVG and a
 * cache can key on it; `build` makes the option from it.
 */
export interface PendingChart {
  id: string;
  /** What a reader is told when the chart cannot be drawn. */
  title: string;
  input: unknown;
  build: () => ChartSpec;
}

/** Duties per unit by their current level, units in the order given (the matrix's columns). */
export function unitLevels(ledger: LedgerEntry[], units: string[]): UnitLevels[] {
  const byUnit = new Map<string, Partial<Record<Level, number>>>(units.map((u) => [u, {}]));
  for (const e of ledger) {
    const counts = byUnit.get(e.unit);
    if (counts) counts[e.level] = (counts[e.level] ?? 0) + 1;
  }
  return units.map((unit) => ({ unit, counts: byUnit.get(unit) ?? {} }));
}

/**
 * The units a per-unit chart shows: all of them up to `max`, else the `max` with the most open (not ended)
 * duties — more red, then more yellow, breaking ties — kept in the order given.
 */
export function chartUnits(ledger: LedgerEntry[], units: string[], max = CHART_UNITS): string[] {
  if (units.length <= max) return units;
  const weight = new Map(units.map((u, i) => [u, { open: 0, red: 0, yellow: 0, i }]));
  for (const e of ledger) {
    const w = weight.get(e.unit);
    if (!w || e.ended) continue;
    w.open += 1;
    if (e.level === 'red') w.red += 1;
    if (e.level === 'yellow') w.yellow += 1;
  }
  const ranked = [...weight.entries()].sort(([, a], [, b]) => b.open - a.open || b.red - a.red || b.yellow - a.yellow || a.i - b.i);
  const chosen = new Set(ranked.slice(0, max).map(([u]) => u));
  return units.filter((u) => chosen.has(u));
}

/** `today` is the dashboard's Shanghai date (the digest's date): the rule on the time charts. */
export function ledgerCharts(ledger: LedgerEntry[], units: string[], today: string, maxUnits = CHART_UNITS): PendingChart[] {
  if (!ledger.length) return [];
  const deadlines = ledger.map((e) => e.deadline).sort();
  // The months from the first deadline (or today) to the last: spelled out when a chart is drawn, so a date
  // that is not one fails that chart alone.
  const span = [[deadlines[0] ?? today, today].sort()[0] ?? today, [deadlines.at(-1) ?? today, today].sort()[1] ?? today] as const;
  const shown = chartUnits(ledger, units, maxUnits);
  const some = shown.length < units.length ? `（未结束任务最多的 ${shown.length} 个单位，共 ${units.length} 个）` : '';
  const row = new Map(shown.map((u, i) => [u, i]));
  const drawn = some ? ledger.filter((e) => row.has(e.unit)) : ledger;
  const levels = LEVEL_ORDER.filter((l) => drawn.some((e) => e.level === l));
  const levelsInput = { id: 'chart-levels', title: `各单位时限任务等级${some}`, subtitle: `截至 ${today}，每项任务按当前等级计入`, units: unitLevels(drawn, shown) };
  const deadlinesInput = {
    id: 'chart-deadlines',
    title: `全年截止日期${some}`,
    subtitle: '每个点是一项时限任务的截止日期，颜色为当前等级，点内数字为同日截止的项数；虚线为今天',
    span,
    today,
    rows: shown.map((u) => ({ label: u })),
    series: levels.map((l) => ({
      name: LEVEL_CN[l],
      color: LEVEL_COLOR[l],
      symbol: 'circle' as const,
      size: 10,
      points: drawn.filter((e) => e.level === l).map((e) => ({ row: row.get(e.unit) ?? -1, day: e.deadline })),
    })),
  };
  const trendInput = {
    id: 'chart-trend',
    title: '办结进度',
    subtitle: '累计到期（按截止日期，含延期后的日期）与累计已办结',
    span,
    today,
    due: deadlines,
    completed: ledger.flatMap((e) => (e.status === 'completed' && e.completedAt !== undefined ? [shanghaiDate(e.completedAt)] : [])).sort(),
  };
  return [
    { id: levelsInput.id, title: levelsInput.title, input: levelsInput, build: () => levelsByUnitChart(levelsInput) },
    { id: deadlinesInput.id, title: deadlinesInput.title, input: deadlinesInput, build: () => timelineChart({ ...deadlinesInput, days: monthSpan(...span) }) },
    { id: trendInput.id, title: trendInput.title, input: trendInput, build: () => completionTrendChart({ ...trendInput, days: monthSpan(...span) }) },
  ];
}
