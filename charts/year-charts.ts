/**
 * The demo report's charts, from a simulated year: the highest warning each unit's duties reached, every
 * duty's messages and replies across the year, and completed against due.
 */
import { shanghaiDate } from '../calendar/working-days';
import { KIND_CN } from '../channels/render';
import type { SimulationResult } from '../cli/simulation-result';
import type { LedgerEntry, Level } from '../workflows/types';
import { LEVEL_COLOR } from './levels';
import { completionTrendChart, levelsByUnitChart, monthSpan, timelineChart, type ChartSpec, type TimelineSeries, type UnitLevels } from './options';

export type YearData = Pick<SimulationResult, 'ledger' | 'dutyMessages' | 'events'>;

/** The marks of the timeline, in legend order; colours follow the level each kind of message belongs to. */
const MARKS: { kind: string; color: string; symbol: TimelineSeries['symbol'] }[] = [
  { kind: 'ack-request', color: LEVEL_COLOR.none, symbol: 'circle' },
  { kind: 'reminder', color: LEVEL_COLOR.blue, symbol: 'circle' },
  { kind: 'status-check', color: LEVEL_COLOR.yellow, symbol: 'circle' },
  { kind: 'quota-warning', color: LEVEL_COLOR.yellow, symbol: 'rect' },
  { kind: 'progress-warning', color: LEVEL_COLOR.yellow, symbol: 'diamond' },
  { kind: 'overdue-reminder', color: '#ea580c', symbol: 'circle' },
  { kind: 'escalation', color: '#ea580c', symbol: 'rect' },
  { kind: 'supervision-notice', color: LEVEL_COLOR.red, symbol: 'rect' },
  { kind: 'extension-request', color: '#0891b2', symbol: 'diamond' },
  { kind: 'rejection', color: '#7c3aed', symbol: 'rect' },
  { kind: 'reply', color: LEVEL_COLOR.green, symbol: 'triangle' },
];

const RANK: Record<Level, number> = { green: -1, none: 0, blue: 1, yellow: 2, red: 3 };

/**
 * Each duty's highest level over the year, from the messages it was sent (items of a morning message count
 * for their own duty, at their own level); a duty never warned stays 'none'. Completion turns every duty
 * green in the end, so the final level would say nothing about how the year went.
 */
export function peakLevels(data: Pick<YearData, 'ledger' | 'dutyMessages'>): Map<string, Level> {
  const peak = new Map<string, Level>(data.ledger.map((e) => [e.dutyId, 'none']));
  for (const m of data.dutyMessages) {
    const was = m.dutyId ? peak.get(m.dutyId) : undefined;
    if (m.dutyId && was !== undefined && RANK[m.level] > RANK[was]) peak.set(m.dutyId, m.level);
  }
  return peak;
}

/** One row label per duty, unique: a second duty of the same task and unit adds its reply code. */
export function dutyLabels(duties: LedgerEntry[]): string[] {
  const base = duties.map((d) => `任务${d.taskNumber}${d.period ? `·${d.period}` : ''} ${d.unit}`);
  return base.map((b, i) => (base.indexOf(b) !== base.lastIndexOf(b) ? `${b}（${duties[i]?.code ?? i + 1}）` : b));
}

export function yearCharts(data: YearData): ChartSpec[] {
  const duties = [...data.ledger].sort((a, b) => a.taskNumber - b.taskNumber || a.deadline.localeCompare(b.deadline) || a.dutyId.localeCompare(b.dutyId));
  if (!duties.length) return [];
  const row = new Map(duties.map((d, i) => [d.dutyId, i]));
  const msgDays = data.dutyMessages.map((m) => shanghaiDate(m.at));
  const eventDays = data.events.map((e) => e.at.slice(0, 10));
  const completedDays = duties.flatMap((d) => (d.status === 'completed' && d.completedAt !== undefined ? [shanghaiDate(d.completedAt)] : []));
  const all = [...duties.map((d) => d.deadline), ...msgDays, ...eventDays, ...completedDays].sort();
  const days = monthSpan(all[0] ?? '', all.at(-1) ?? '');

  // Units in the campaign's own order (the plan's), not the rows' task order.
  const units = [...new Set(data.ledger.map((d) => d.unit))];
  const peak = peakLevels(data);
  const unitCounts: UnitLevels[] = units.map((unit) => {
    const counts: Partial<Record<Level, number>> = {};
    for (const d of duties) {
      if (d.unit !== unit) continue;
      const l = peak.get(d.dutyId) ?? 'none';
      counts[l] = (counts[l] ?? 0) + 1;
    }
    return { unit, counts };
  });

  const points = new Map<string, { row: number; day: string }[]>();
  const add = (kind: string, dutyId: string | undefined, day: string) => {
    const r = dutyId === undefined ? undefined : row.get(dutyId);
    if (r !== undefined) points.set(kind, [...(points.get(kind) ?? []), { row: r, day }]);
  };
  data.dutyMessages.forEach((m, i) => add(m.kind, m.dutyId, msgDays[i] ?? ''));
  for (const e of data.events) if (e.kind === 'reply') add('reply', e.dutyId, e.at.slice(0, 10));
  const labels = dutyLabels(duties);

  return [
    levelsByUnitChart({
      id: 'chart-peak-levels',
      title: '各单位时限任务：全年最高预警等级',
      subtitle: '每项任务按全年收到的最高等级提醒计入；“未预警”为从未收到预警',
      units: unitCounts,
      names: { none: '未预警' },
    }),
    timelineChart({
      id: 'chart-year-timeline',
      title: '全年督办时间线',
      subtitle: '每行一项时限任务；竖线为截止日期，各符号为发出的消息与单位的回复，符号内数字为同日同类条数',
      days,
      rows: duties.map((d, i) => ({ label: labels[i] ?? '', note: d.status === 'completed' ? '办结' : '未办结', tone: d.status === 'completed' ? 'good' : 'bad' })),
      series: [
        { name: '截止日期', color: '#0f172a', symbol: 'rect', size: [2, 16], points: duties.map((d, i) => ({ row: i, day: d.deadline })) },
        ...MARKS.filter((m) => points.has(m.kind)).map((m) => ({ name: m.kind === 'reply' ? '单位回复' : (KIND_CN[m.kind] ?? m.kind), color: m.color, symbol: m.symbol, points: points.get(m.kind) ?? [] })),
      ],
    }),
    completionTrendChart({
      id: 'chart-year-trend',
      title: '全年办结进度',
      subtitle: '累计到期（按截止日期，含延期后的日期）与累计已办结',
      days,
      due: duties.map((d) => d.deadline),
      completed: completedDays,
    }),
  ];
}
