/**
 * The 台账: one row per duty, as a supervising office records it — task, unit, reply code, what is due, the
 * deadline, status, level, who acknowledged and completed it and when, extensions, escalations. Pure: from the
 * campaign's ledger lines and, where read, each duty's own state (who, notes, extensions live only there).
 */
import { formatShanghai } from '../calendar/working-days';
import type { ValidPlan } from '../plan/schema';
import type { DutyKind, DutyState, LedgerEntry, Level } from '../workflows/types';

export interface LedgerRow {
  /** 1-based, in the order of the sheet. */
  index: number;
  /** The duty's workflow id (not a column): which rows a failed read left without details. */
  dutyId: string;
  taskNumber: number;
  /** 「1 完善防返贫动态监测帮扶机制」 */
  task: string;
  unit: string;
  code: string;
  /** What is due: 限时办结, 定期报送（2022年5月）, 次数要求, 进度报送（2022年5月）. */
  item: string;
  /** YYYY-MM-DD, the current deadline (after any approved extension). */
  deadline: string;
  status: string;
  level: string;
  /** The level as the ledger has it, for colouring. */
  levelKey: Level;
  acknowledgedBy: string;
  /** 'YYYY-MM-DD HH:mm' in Beijing time, or ''. */
  acknowledgedAt: string;
  completedBy: string;
  completedAt: string;
  completionNote: string;
  extensions: string;
  remindersSent: number;
  escalationsSent: number;
  /** Messages that reached the unit by no channel (「未送达」). */
  undelivered: number;
}

export const LEVEL_CN: Record<Level, string> = { none: '正常', blue: '蓝（临近）', yellow: '黄（滞后）', red: '红（逾期）', green: '绿（办结）' };

const NUMERALS = ['', '一', '二', '三', '四'];

/** 2022-05 → 2022年5月, 2022-Q2 → 2022年第二季度, 2022-H1 → 2022年上半年, 2022 → 2022年度. */
export function periodText(period: string): string {
  const [year, part = ''] = period.split('-');
  if (/^\d{2}$/.test(part)) return `${year}年${Number(part)}月`;
  if (/^Q\d$/.test(part)) return `${year}年第${NUMERALS[Number(part.slice(1))] ?? part.slice(1)}季度`;
  if (part === 'H1') return `${year}年上半年`;
  if (part === 'H2') return `${year}年下半年`;
  return `${year}年度`;
}

function itemText(kind: DutyKind, period: string | undefined): string {
  const when = period ? `（${periodText(period)}）` : '';
  switch (kind) {
    case 'recurring':
      return `定期报送${when}`;
    case 'progress':
      return `进度报送${when}`;
    case 'quota':
      return `次数要求${when}`;
    default:
      return `限时办结${when}`;
  }
}

function statusText(entry: LedgerEntry, state: DutyState | undefined): string {
  switch (entry.status) {
    case 'completed':
      return entry.unverified ? '已办结（进度待核实）' : '已办结';
    case 'closed':
      return '未办结（已关闭）';
    case 'acknowledged':
      return state?.pendingExtension ? '办理中（延期待审批）' : '已确认，办理中';
    default:
      return '待确认';
  }
}

/** Beijing wall time, minutes: what a clerk writes in a ledger. */
export function beijingMinute(ms: number | undefined): string {
  return ms === undefined ? '' : formatShanghai(ms).slice(0, 16).replace('T', ' ');
}

/** Who completed it: the reply that did (办结, or the progress report or visit count that met the bar). */
function completedBy(state: DutyState | undefined): string {
  if (!state?.completedAt) return '';
  const events = new Set(['completed', 'progress', 'actions']);
  const at = state.history.filter((h) => events.has(h.event) && h.at === state.completedAt).pop();
  return at?.by ?? state.history.filter((h) => h.event === 'completed').pop()?.by ?? '';
}

/** Each extension asked for, one per line: the date and reason, and what was decided. */
function extensionsText(state: DutyState | undefined): string {
  if (!state) return '';
  const lines: string[] = [];
  for (const h of state.history) {
    if (h.event === 'extension-requested') lines.push(`申请延至 ${h.detail ?? ''}（${h.by ?? ''}）`);
    else if (h.event === 'extension-approved' && lines.length) lines[lines.length - 1] += ` → 已同意（${h.by ?? ''}）`;
    else if (h.event === 'extension-refused' && lines.length) lines[lines.length - 1] += ` → 未同意（${h.by ?? ''}${h.detail ? `：${h.detail}` : ''}）`;
  }
  if (state.pendingExtension && lines.length) lines[lines.length - 1] += ' → 待审批';
  if (state.originalDeadline !== state.deadline) lines.push(`原截止日期 ${state.originalDeadline}`);
  return lines.join('\n');
}

/**
 * One row per duty, by task, then deadline, then unit. `states` holds what each duty's status query answered;
 * a duty missing from it (not read) still gets its row, without the who and the notes.
 */
export function ledgerRows(plan: Pick<ValidPlan, 'tasks'>, ledger: LedgerEntry[], states: ReadonlyMap<string, DutyState> = new Map()): LedgerRow[] {
  const titles = new Map(plan.tasks.map((t) => [t.number, t.title]));
  const sorted = [...ledger].sort(
    (a, b) => a.taskNumber - b.taskNumber || a.deadline.localeCompare(b.deadline) || a.unit.localeCompare(b.unit, 'zh-CN') || a.dutyId.localeCompare(b.dutyId),
  );
  return sorted.map((e, i) => {
    const state = states.get(e.dutyId);
    return {
      index: i + 1,
      dutyId: e.dutyId,
      taskNumber: e.taskNumber,
      task: `${e.taskNumber} ${titles.get(e.taskNumber) ?? ''}`.trim(),
      unit: e.unit,
      code: e.code ?? String(e.taskNumber),
      // A co-unit's part (lead+co) says so, and to whom it reports: the task's own row is the lead's.
      item: `${itemText(e.kind, e.period)}${e.lead ? `（承担部分，报${e.lead}）` : ''}`,
      deadline: e.deadline,
      status: statusText(e, state),
      level: LEVEL_CN[e.level],
      levelKey: e.level,
      acknowledgedBy: state?.acknowledgedBy ?? '',
      acknowledgedAt: beijingMinute(e.acknowledgedAt),
      completedBy: completedBy(state),
      completedAt: beijingMinute(e.completedAt),
      // A note stays in the state after a rejection reopens the duty: shown only while it stands.
      completionNote: e.status === 'completed' ? (state?.completionNote ?? e.unverified ?? '') : '',
      extensions: extensionsText(state),
      remindersSent: e.remindersSent,
      escalationsSent: e.escalationsSent,
      undelivered: e.undelivered ?? 0,
    };
  });
}
