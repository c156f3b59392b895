/**
 * Who may do what to a duty, and what each reply changes. Validators return a Chinese reason for a refusal
 * (the caller sees it; nothing changes); appliers change the state. Pure, so they can be tested alone.
 */
import { dayNumber, isValidDate, shanghaiDate } from '../calendar/working-days';
import type {
  ActionsReport,
  Actor,
  CompleteRequest,
  ExtensionDecision,
  ExtensionRequestInput,
  ProgressReport,
  RejectRequest,
} from './messages';
import type { DutyInput, DutyState, UndoableReply } from './types';

/** Only a coordinator or leader of the accountable unit acts for it. */
export function actsForUnit(actor: Actor, unit: string): boolean {
  return actor.unit === unit && (actor.role === 'coordinator' || actor.role === 'leader');
}

function notForUnit(actor: Actor, state: DutyState, what: string): string | undefined {
  if (!actsForUnit(actor, state.unit)) return `${actor.person}（${actor.unit}）不是${state.unit}的联络员或分管领导，不能${what}`;
  return undefined;
}

function closed(state: DutyState): string | undefined {
  if (state.status === 'closed') return '该任务所在督办批次已结束，不再受理';
  return undefined;
}

export function refuseAcknowledge(state: DutyState, { actor }: { actor: Actor }): string | undefined {
  return notForUnit(actor, state, '确认此任务') ?? closed(state) ?? (state.status === 'completed' ? '该任务已办结，无需再确认' : undefined);
}

export function refuseComplete(state: DutyState, { actor, note }: CompleteRequest): string | undefined {
  if (note.length > 2000) return '办结说明过长（最多 2000 字）';
  const who = notForUnit(actor, state, '报办结') ?? closed(state) ?? (state.status === 'completed' ? '该任务已办结' : undefined);
  if (who) return who;
  // These end by what they count, not by a word.
  if (state.kind === 'quota') return '次数要求全部达到后自动办结，请按次报送，例如「走访 任务编号 +1」';
  if (state.kind === 'progress') return '报送本期进度即可（达到比较基准即办结），例如「进度 任务编号 60%」';
  return undefined;
}

/** The lead unit of a co-unit's part (`lead+co`) reviews it as a supervising office would. */
function leadOfPart(actor: Actor, input: Pick<DutyInput, 'duty'> | undefined): boolean {
  const lead = input?.duty.partOf?.lead;
  return lead !== undefined && actsForUnit(actor, lead);
}

export function refuseReject(state: DutyState, { actor, reason }: RejectRequest, input?: Pick<DutyInput, 'duty'>): string | undefined {
  if (actor.role !== 'supervisor' && !leadOfPart(actor, input)) return `${actor.person} 不是督办单位人员，不能驳回办结`;
  if (actor.unit === state.unit) return `${actor.unit} 不能审核本单位的任务，由上一级督办单位审核`;
  if (state.status !== 'completed') return '该任务尚未报办结，无可驳回';
  if (!reason.trim()) return '请写明驳回理由';
  return undefined;
}

export function refuseExtension(state: DutyState, input: DutyInput, req: ExtensionRequestInput): string | undefined {
  const who = notForUnit(req.actor, state, '申请延期') ?? closed(state);
  if (who) return who;
  if (state.status === 'completed') return '该任务已办结，无需延期';
  if (state.pendingExtension) return `已有待审批的延期申请（至 ${state.pendingExtension.date}），请等待督办单位答复`;
  if (!isValidDate(req.date)) return `日期「${req.date}」不存在，请写成 YYYY-MM-DD，例如 2022-07-15`;
  if (dayNumber(req.date) <= dayNumber(state.deadline)) return `新日期须晚于当前截止日期 ${state.deadline}`;
  // A co-unit's part reports to the lead in time for the lead's own date: never later than that.
  const part = input.duty.partOf;
  if (part && dayNumber(req.date) > dayNumber(part.leadDeadline)) return `新日期不得晚于牵头单位${part.lead}原定的截止日期 ${part.leadDeadline}（承担部分的报送期到此为止）`;
  if (input.closeAt && dayNumber(req.date) >= dayNumber(input.closeAt)) return `新日期须早于督办批次结束日 ${input.closeAt}`;
  if (!req.reason.trim()) return '请写明延期理由';
  return undefined;
}

/** `today` is the Shanghai date the decision is taken on. */
export function refuseDecision(state: DutyState, { actor, approve }: ExtensionDecision, today?: string, input?: Pick<DutyInput, 'duty'>): string | undefined {
  if (actor.role !== 'supervisor' && !leadOfPart(actor, input)) return `${actor.person} 不是督办单位人员，不能审批延期`;
  if (actor.unit === state.unit) return `${actor.unit} 不能审批本单位的延期申请，由上一级督办单位审批`;
  if (!state.pendingExtension) return '该任务没有待审批的延期申请';
  if (approve && today && dayNumber(state.pendingExtension.date) <= dayNumber(today)) {
    return `申请延至的 ${state.pendingExtension.date} 已过，不能批准；可回复「不同意延期」并请单位重新申请`;
  }
  return undefined;
}

export function refuseProgress(state: DutyState, input: DutyInput, req: ProgressReport): string | undefined {
  const who = notForUnit(req.actor, state, '报进度') ?? closed(state);
  if (who) return who;
  if (!input.progress) return `任务${state.taskNumber}不需要报进度`;
  if (state.status === 'completed') return '本期进度已报且已办结';
  if (!Number.isFinite(req.percent) || req.percent < 0 || req.percent > 100) return '进度须为 0–100 之间的百分数';
  if (req.bar !== undefined && (!Number.isFinite(req.bar) || req.bar < 0 || req.bar > 100)) return '比较基准须为 0–100 之间的百分数';
  return undefined;
}

export function refuseActions(state: DutyState, input: DutyInput, req: ActionsReport): string | undefined {
  const who = notForUnit(req.actor, state, '报走访次数') ?? closed(state);
  if (who) return who;
  if (!input.quota) return `任务${state.taskNumber}没有次数要求`;
  if (state.status === 'completed') return '次数要求均已达到，无需再报';
  if (!Number.isInteger(req.count) || req.count < 1 || req.count > 100) return '次数须为 1–100 的整数';
  if (req.item !== undefined && (req.item < 1 || req.item > input.quota.items.length)) {
    return `任务${state.taskNumber}只有 ${input.quota.items.length} 项次数要求`;
  }
  return undefined;
}

/** The quota item a report counts toward: the one named, else the first not yet met. */
export function quotaItemFor(state: DutyState, input: DutyInput, item?: number): number {
  if (item !== undefined) return item - 1;
  const counts = state.quotaCounts ?? [];
  const items = input.quota?.items ?? [];
  const unmet = items.findIndex((q, i) => (counts[i] ?? 0) < q.min);
  return unmet < 0 ? 0 : unmet;
}

export function quotaMet(state: DutyState, input: DutyInput): boolean {
  const counts = state.quotaCounts ?? [];
  return (input.quota?.items ?? []).every((q, i) => (counts[i] ?? 0) >= q.min);
}

/** A progress report whose bar is the unit's own word, as supervisors read it. */
export function reportedProgress(p: { percent: number; unitBar?: number }): string {
  return `进度 ${p.percent}%，${p.unitBar !== undefined ? `单位自报比较基准 ${p.unitBar}%` : '未报比较基准'}`;
}

const UNDONE_CN: Record<UndoableReply['event'], string> = { acknowledged: '确认', completed: '办结', progress: '进度', actions: '次数' };

/** What a reply that is taken back was, in the words a coordinator uses (确认, 办结, 进度, 次数). */
export function undoneWord(event: UndoableReply['event']): string {
  return UNDONE_CN[event];
}

/**
 * 「撤回」: only the writer's own latest reply, the same day (Shanghai), while the duty runs and before a supervisor
 * has reviewed it (a decision or a rejection clears it). Later it is refused with who can correct it.
 */
export function refuseUndo(state: DutyState, { actor }: { actor: Actor }, now: number, input: Pick<DutyInput, 'offices' | 'duty'>): string | undefined {
  const who = notForUnit(actor, state, '撤回此任务的回复') ?? closed(state);
  if (who) return who;
  const reviewer = input.duty.partOf?.lead ?? input.offices.supervisor;
  const last = state.lastReply;
  if (!last) return `没有可撤回的回复。如需更正，请联系${reviewer}`;
  if (state.ended) return `该任务已关闭，无法撤回。如需更正，请联系${reviewer}`;
  // The same person by another way (a link, an administrator entering their reply): theirs to take back.
  const self = (name: string) => name.replace(/（(链接|管理员代录)）$/, '');
  if (self(last.by) !== self(actor.person)) return `最近一次回复（${undoneWord(last.event)}）是${last.by}所报，只能撤回本人的回复。如需更正，请联系${reviewer}`;
  if (shanghaiDate(last.at) !== shanghaiDate(now)) return `${undoneWord(last.event)}报于 ${shanghaiDate(last.at)}，只能在当天撤回。如需更正，请联系${reviewer}驳回`;
  return undefined;
}
