/**
 * Chart option builders: plain data in, an ECharts option out, nothing rendered here. Every chart carries a
 * Chinese summary of its figures, which becomes the SVG's aria-label (ECharts' own aria labels need a DOM,
 * so server-side rendering leaves them out).
 *
 * Days are 'YYYY-MM-DD' strings on category axes, never timestamps on a time axis: a time axis formats its
 * labels in the process's time zone, and the same campaign must draw the same chart on any server.
 */
import type { EChartsOption, SeriesOption } from 'echarts';
import type { Level } from '../workflows/types';
import { LEVEL_CN, LEVEL_COLOR, LEVEL_ORDER, PAGE_FONT } from './levels';

/** One chart ready to render: its option, its size in pixels and what it shows, in words. */
export interface ChartSpec {
  /** Unique within a page: the SVG's id, and the prefix of its inner ids (clip paths), so two charts never share one. */
  id: string;
  width: number;
  height: number;
  /** The figures in Chinese, for screen readers (the SVG's aria-label). */
  summary: string;
  option: EChartsOption;
}

const INK = '#0f172a';
const MUTED = '#64748b';
const RULE = '#e2e8f0';

/** What every chart shares: no animation (a static SVG), the pages' CJK font, a title and a legend. */
function frame(title: string, subtitle: string | undefined): EChartsOption {
  return {
    animation: false,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: PAGE_FONT, fontSize: 12, color: INK },
    title: {
      text: title,
      left: 12,
      top: 8,
      textStyle: { fontFamily: PAGE_FONT, fontSize: 16, fontWeight: 'bold', color: INK },
      ...(subtitle ? { subtext: subtitle, subtextStyle: { fontFamily: PAGE_FONT, fontSize: 12, color: MUTED } } : {}),
    },
    // Static pages: a legend that cannot be clicked, and no hover styles.
    legend: { top: subtitle ? 52 : 36, left: 12, selectedMode: false, itemGap: 16, textStyle: { fontFamily: PAGE_FONT, fontSize: 12, color: INK } },
  };
}

/**
 * Below the title and legend; axis labels and names are kept inside a margin of the picture (ECharts 6 shrinks
 * the plot to fit them), so a long unit name is never cut at the edge.
 */
function plotArea(top: number) {
  return { left: 16, right: 40, top, bottom: 48, outerBounds: { left: 12, right: 16, top: 0, bottom: 4 } };
}

/** Every day from the first of `from`'s month to the last of `to`'s month, inclusive. */
/** A value axis counting duties, named along its middle. */
function countAxis(nameGap: number) {
  return {
    type: 'value' as const,
    minInterval: 1,
    name: '时限任务数（项）',
    nameLocation: 'middle' as const,
    nameGap,
    nameTextStyle: { fontFamily: PAGE_FONT, color: MUTED },
    axisLabel: { fontFamily: PAGE_FONT, color: INK },
    splitLine: { lineStyle: { color: RULE } },
  };
}

export function monthSpan(from: string, to: string): string[] {
  const start = Date.parse(`${from.slice(0, 7)}-01T00:00:00Z`);
  const [y, m] = to.slice(0, 7).split('-').map(Number) as [number, number];
  const end = Date.UTC(y, m, 0);
  if (!(start <= end)) throw new RangeError(`monthSpan: ${from} is after ${to}`);
  const days: string[] = [];
  for (let t = start; t <= end; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/** For each day, how many of `dates` fall on or before it. */
export function cumulative(days: string[], dates: string[]): number[] {
  const sorted = [...dates].sort();
  let i = 0;
  return days.map((day) => {
    while (i < sorted.length && (sorted[i] ?? '') <= day) i++;
    return i;
  });
}

const isMonthStart = (_: number, day: string) => day.endsWith('-01');

function monthLabel(day: string, index: number): string {
  const month = Number(day.slice(5, 7));
  return index === 0 || month === 1 ? `${day.slice(0, 4)}年${month}月` : `${month}月`;
}

/** A day-by-day x axis labelled and ruled at each month's first day. */
function monthAxis(days: string[], name: string) {
  return {
    type: 'category' as const,
    data: days,
    boundaryGap: false,
    name,
    nameLocation: 'middle' as const,
    nameGap: 30,
    nameTextStyle: { fontFamily: PAGE_FONT, color: MUTED },
    axisLabel: { interval: isMonthStart, formatter: monthLabel, fontFamily: PAGE_FONT, color: INK },
    axisTick: { interval: isMonthStart },
    splitLine: { show: true, interval: isMonthStart, lineStyle: { color: RULE } },
  };
}

/**
 * A dashed rule at `today`, labelled 今天, for charts on a running campaign. The label goes at the top of the
 * rule: `end` on an upward value axis, `start` on a category axis drawn top-down (inverse).
 */
function todayLine(days: string[], today: string | undefined, labelAt: 'start' | 'end') {
  if (!today || !days.includes(today)) return {};
  return {
    markLine: {
      silent: true,
      symbol: 'none',
      lineStyle: { color: INK, type: 'dashed' as const, width: 1 },
      label: { formatter: `今天 ${today.slice(5)}`, position: labelAt, fontFamily: PAGE_FONT, color: INK },
      data: [{ xAxis: today }],
    },
  };
}

export interface UnitLevels {
  unit: string;
  counts: Partial<Record<Level, number>>;
}

/**
 * Duties per unit, stacked by warning level, as horizontal bars: unit names read across on the left and never
 * overlap, however many units there are. Only the levels that occur get a series (and a legend entry).
 */
export function levelsByUnitChart(p: { id: string; title: string; subtitle?: string; units: UnitLevels[]; names?: Partial<Record<Level, string>>; width?: number }): ChartSpec {
  const name = (l: Level) => p.names?.[l] ?? LEVEL_CN[l];
  const levels = LEVEL_ORDER.filter((l) => p.units.some((u) => (u.counts[l] ?? 0) > 0));
  const top = p.subtitle ? 84 : 68;
  const series: SeriesOption[] = levels.map((l) => ({
    type: 'bar',
    name: name(l),
    stack: 'duties',
    barMaxWidth: 22,
    itemStyle: { color: LEVEL_COLOR[l] },
    emphasis: { disabled: true },
    label: { show: true, position: 'inside', color: '#ffffff', fontFamily: PAGE_FONT, fontSize: 11 },
    // A unit without duties at this level gets no bar piece and no "0" label.
    data: p.units.map((u) => u.counts[l] || null),
  }));
  const summary = `${p.title}：${p.units.map((u) => `${u.unit} ${levels.filter((l) => u.counts[l]).map((l) => `${name(l)} ${u.counts[l]} 项`).join('，') || '无'}`).join('；')}`;
  return {
    id: p.id,
    width: p.width ?? 900,
    height: top + 60 + Math.max(2, p.units.length) * 32,
    summary,
    option: {
      ...frame(p.title, p.subtitle),
      grid: plotArea(top),
      xAxis: countAxis(28),
      yAxis: { type: 'category', data: p.units.map((u) => u.unit), inverse: true, axisLabel: { fontFamily: PAGE_FONT, fontSize: 13, color: INK }, axisTick: { show: false } },
      series,
    },
  };
}

export interface TimelineRow {
  label: string;
  /** A short word after the label (办结 / 未办结), coloured by `tone`. */
  note?: string;
  tone?: 'good' | 'bad';
}

export interface TimelineSeries {
  name: string;
  color: string;
  symbol: 'circle' | 'rect' | 'triangle' | 'diamond';
  /** Pixels, or [width, height] (a thin tall rect draws a deadline's tick). */
  size?: number | [number, number];
  points: { row: number; day: string }[];
}

/**
 * Rows (duties or units) against the days of the year, one mark per event. Marks outside the days are left
 * out rather than drawn at an edge.
 */
export function timelineChart(p: { id: string; title: string; subtitle?: string; days: string[]; rows: TimelineRow[]; series: TimelineSeries[]; today?: string; width?: number }): ChartSpec {
  const dayIndex = new Map(p.days.map((d, i) => [d, i]));
  // Room above the plot for the 今天 label, clear of the legend.
  const top = (p.subtitle ? 84 : 68) + (p.today && p.days.includes(p.today) ? 18 : 0);
  const series: SeriesOption[] = p.series.map((s, i) => {
    // Marks of one kind on the same row and day become one mark, larger and numbered, instead of hiding
    // each other.
    const same = new Map<string, [number, number, number]>();
    for (const pt of s.points) {
      const x = dayIndex.get(pt.day);
      if (x === undefined || pt.row < 0 || pt.row >= p.rows.length) continue;
      const at = same.get(`${x}/${pt.row}`);
      if (at) at[2]++;
      else same.set(`${x}/${pt.row}`, [x, pt.row, 1]);
    }
    const size = s.size ?? 7;
    return {
      type: 'scatter',
      name: s.name,
      symbol: s.symbol,
      symbolSize: Array.isArray(size) ? size : (value: number[]) => size + Math.min(8, 3 * ((value[2] ?? 1) - 1)),
      itemStyle: { color: s.color, opacity: 0.9 },
      emphasis: { disabled: true },
      label: {
        show: true,
        position: 'inside',
        color: '#ffffff',
        fontSize: 9,
        fontWeight: 'bold',
        fontFamily: PAGE_FONT,
        formatter: (item: { value: unknown }) => {
          const n = Array.isArray(item.value) ? Number(item.value[2]) : 1;
          return n > 1 ? String(n) : '';
        },
      },
      data: [...same.values()],
      ...(i === 0 ? todayLine(p.days, p.today, 'start') : {}),
    };
  });
  const counts = p.series.map((s) => `${s.name} ${s.points.length}`).join('，');
  const labels = p.rows.map((r) => `${r.label}${r.note ? `（${r.note}）` : ''}`).join('；');
  return {
    id: p.id,
    width: p.width ?? 1100,
    height: top + 64 + Math.max(3, p.rows.length) * 20,
    summary: `${p.title}：${p.days[0]} 至 ${p.days[p.days.length - 1]}，${counts}。${labels}`,
    option: {
      ...frame(p.title, p.subtitle),
      grid: plotArea(top),
      xAxis: monthAxis(p.days, '日期'),
      yAxis: {
        type: 'category',
        data: p.rows.map((r) => r.label),
        inverse: true,
        axisTick: { show: false },
        splitLine: { show: true, lineStyle: { color: '#f1f5f9' } },
        axisLabel: {
          fontFamily: PAGE_FONT,
          color: INK,
          formatter: (value: string, index: number) => {
            const row = p.rows[index];
            return row?.note ? `${value} {${row.tone ?? 'plain'}|${row.note}}` : value;
          },
          rich: {
            good: { color: LEVEL_COLOR.green, fontFamily: PAGE_FONT },
            bad: { color: LEVEL_COLOR.red, fontFamily: PAGE_FONT, fontWeight: 'bold' },
            plain: { color: MUTED, fontFamily: PAGE_FONT },
          },
        },
      },
      series,
    },
  };
}

/**
 * Completed against due, cumulated day by day: where the due line runs above the completed one, work is late. With
 * `today`, the completed line stops there (the future is not known yet); the due line runs on.
 */
export function completionTrendChart(p: { id: string; title: string; subtitle?: string; days: string[]; due: string[]; completed: string[]; today?: string; width?: number }): ChartSpec {
  const due = cumulative(p.days, p.due);
  const done = cumulative(p.days, p.completed);
  const shown = p.today ? done.map((n, i) => ((p.days[i] ?? '') <= (p.today ?? '') ? n : null)) : done;
  // Room above the plot for the 今天 label, clear of the legend.
  const top = (p.subtitle ? 84 : 68) + (p.today && p.days.includes(p.today) ? 18 : 0);
  const last = p.today && p.days.includes(p.today) ? p.days.indexOf(p.today) : p.days.length - 1;
  const lastDay = p.days[last] ?? '';
  return {
    id: p.id,
    width: p.width ?? 900,
    height: top + 300,
    summary: `${p.title}：截至 ${lastDay}，累计到期 ${due[last] ?? 0} 项，累计已办结 ${done[last] ?? 0} 项；全部 ${p.due.length} 项的最后截止日期 ${[...p.due].sort().at(-1) ?? '无'}`,
    option: {
      ...frame(p.title, p.subtitle),
      grid: plotArea(top),
      xAxis: monthAxis(p.days, '日期'),
      // Named along the axis, not above it, where the legend is.
      yAxis: countAxis(36),
      series: [
        {
          type: 'line',
          name: '累计到期',
          step: 'end',
          showSymbol: false,
          emphasis: { disabled: true },
          lineStyle: { color: LEVEL_COLOR.red, width: 2, type: 'dashed' },
          itemStyle: { color: LEVEL_COLOR.red },
          data: due,
          ...todayLine(p.days, p.today, 'end'),
        },
        {
          type: 'line',
          name: '累计已办结',
          step: 'end',
          showSymbol: false,
          emphasis: { disabled: true },
          lineStyle: { color: LEVEL_COLOR.green, width: 2.5 },
          itemStyle: { color: LEVEL_COLOR.green },
          areaStyle: { color: LEVEL_COLOR.green, opacity: 0.12 },
          data: shown,
        },
      ],
    },
  };
}
