/** The Chinese texts of every message duban sends about a duty. Pure: used by the workflow and tests. */
import { formatShanghai } from '../calendar/working-days';
import type { DutyInput, DutyState } from './types';

/** The duty's reply code: what the unit types to name it. */
export const codeOf = (input: DutyInput): string => input.duty.code ?? String(input.duty.taskNumber);

/** The exact replies to send, for this kind of duty. */
function REPLY_HINT(input: DutyInput): string {
  const c = codeOf(input);
  if (input.duty.kind === 'progress') return `报本期进度回复「进度 ${c} 60%」（可加「全省55%」）；需延期回复「延期 ${c} 7月15日 原因：……」。`;
  if (input.duty.kind === 'quota') return `每完成一次回复「走访 ${c} +1」（第2项写「走访 ${c} 第2项 +1」）；回复「收到 ${c}」确认。`;
  return `回复「收到 ${c}」确认；办结后回复「完成 ${c} 情况说明」；需延期回复「延期 ${c} 7月15日 原因：……」。`;
}

export function monthDay(date: string): string {
  return `${Number(date.slice(5, 7))}月${Number(date.slice(8, 10))}日`;
}

export function subjectOf(input: DutyInput, state: DutyState, prefix = '【督办】'): string {
  const period = input.duty.period ? `（${input.duty.period}）` : '';
  return `${prefix}[任务${input.duty.taskNumber}] ${input.duty.taskTitle}${period} · ${monthDay(state.deadline)}截止`;
}

/** What a unit is told of a deadline the notice never named (plan `implied`): why it is the year's end. */
export const IMPLIED_NOTE = '通知未列明时限，按年度任务于年底前办结';

/**
 * The note, for an implied duty whose deadline is still a year's end: once an extension is approved, or a person
 * has written another date into the plan, the date is no longer a presumption. Empty for every other duty.
 */
function impliedNote(input: DutyInput, state: DutyState): string {
  return input.duty.implied && state.deadline.endsWith('-12-31') ? `（${IMPLIED_NOTE}）` : '';
}

/** A co-unit's part (`lead+co`): to whom it reports, and the lead's own date. Empty for every other duty. */
function partNote(input: DutyInput): string {
  const p = input.duty.partOf;
  return p ? `\n报送：本单位承担的部分办结后回复「完成 ${codeOf(input)} 情况说明」，报牵头单位${p.lead}（其截止 ${p.leadDeadline}），由${p.lead}审核` : '';
}

function head(input: DutyInput, state: DutyState): string {
  return (
    `任务${input.duty.taskNumber}「${input.duty.taskTitle}」${input.duty.period ? `（${input.duty.period}）` : ''} · 回复编号：${codeOf(input)}\n` +
    `事项：${input.duty.what}\n截止：${state.deadline}${impliedNote(input, state)}${partNote(input)}\n原文：${input.duty.sentence}`
  );
}

export function ackRequestText(input: DutyInput, state: DutyState, first: boolean): string {
  const lead = first ? `${state.unit}：请查收以下督办事项并确认。` : `${state.unit}：以下督办事项尚未确认，请尽快回复。`;
  const inform = first && input.informUnits.length ? `\n配合单位（知悉）：${input.informUnits.join('、')}` : '';
  return `${lead}\n${head(input, state)}${inform}\n${REPLY_HINT(input)}`;
}

export function reminderText(input: DutyInput, state: DutyState, offset: number): string {
  const when = offset === 0 ? '今天截止' : `还有 ${offset} 个工作日截止`;
  const ack = state.status === 'open' ? '（尚未确认，请一并回复）' : '';
  return `${state.unit}：督办提醒，${when}${ack}。\n${head(input, state)}\n${REPLY_HINT(input)}`;
}

export function statusCheckText(input: DutyInput, state: DutyState, graceDays: number, accurate = true): string {
  if (!accurate) {
    // 0.1.0's wording, kept for duties started before the grace-whole patch.
    return (
      `${state.unit}：以下事项的截止日期（${state.deadline}）在督办启动前已过，请在 ${graceDays} 个工作日内确认办理情况：` +
      `已办结请回复「完成 ${codeOf(input)} 情况说明」，仍在办理请回复「收到 ${codeOf(input)}」或申请延期。逾期未确认将逐级督办。\n${head(input, state)}`
    );
  }
  // Only a completion, or an extension a supervising office approves, stops escalation: 「收到」 does not.
  return (
    `${state.unit}：以下事项的截止日期（${state.deadline}）在督办启动前已过，请在 ${graceDays} 个工作日内报告办理情况：` +
    `已办结请回复「完成 ${codeOf(input)} 情况说明」；仍在办理的请回复「延期 ${codeOf(input)} 7月15日 原因：……」申请延期，经督办单位同意后按新日期督办。` +
    `${graceDays} 个工作日内既未报办结、也未获准延期的，从第 ${graceDays + 1} 个工作日起逐级督办（回复「收到」只表示已收到，不停止督办）。\n${head(input, state)}`
  );
}

export function overdueReminderText(input: DutyInput, state: DutyState, lateWorkingDays: number): string {
  return (
    `${state.unit}：任务${input.duty.taskNumber}「${input.duty.taskTitle}」已逾期 ${lateWorkingDays} 个工作日，已逐级督办，仍未办结。` +
    `请抓紧办理，办结后回复「完成 ${codeOf(input)} 情况说明」；确有困难回复「延期 ${codeOf(input)} 日期 原因：……」。\n${head(input, state)}`
  );
}

export function escalationText(input: DutyInput, state: DutyState, lateWorkingDays: number, formal: boolean): string {
  if (formal) {
    return (
      `督办通知书\n${state.unit}：任务${input.duty.taskNumber}「${input.duty.taskTitle}」已逾期 ${lateWorkingDays} 个工作日仍未办结。` +
      `现予以督办，请于收到后 3 个工作日内书面报告未按期完成的原因及整改措施，抄报${input.offices.discipline}。\n${head(input, state)}`
    );
  }
  return `${state.unit}：任务${input.duty.taskNumber}「${input.duty.taskTitle}」已逾期 ${lateWorkingDays} 个工作日，尚未办结，请分管领导督促办理。\n${head(input, state)}`;
}

export function quotaWarningText(input: DutyInput, state: DutyState, checkpoint: string, short: string[]): string {
  return `${state.unit}：截至 ${checkpoint}，任务${input.duty.taskNumber}的次数要求进度不足：\n${short.join('\n')}\n请加快进度，回复「走访 ${codeOf(input)} +次数」报送。`;
}

export function progressWarningText(input: DutyInput, state: DutyState, percent: number, bar: number): string {
  return `${state.unit}：任务${input.duty.taskNumber}（${input.duty.period ?? ''}）报送进度 ${percent}%，低于比较基准 ${bar}%，已标记为进度滞后（黄色）。\n${head(input, state)}`;
}

export function extensionRequestText(input: DutyInput, state: DutyState): string {
  const p = state.pendingExtension;
  return `${state.unit} 申请将任务${input.duty.taskNumber}截止日期由 ${state.deadline} 延至 ${p?.date ?? ''}，理由：${p?.reason ?? ''}（${p?.by ?? ''}，${p ? formatShanghai(p.at).slice(0, 16).replace('T', ' ') : ''}）。\n同意请回复「同意延期 ${codeOf(input)} ${state.unit}」，不同意请回复「不同意延期 ${codeOf(input)} ${state.unit} 理由」。`;
}

export function extensionDecisionText(input: DutyInput, state: DutyState, approved: boolean, date: string, reason?: string): string {
  return approved
    ? `${state.unit}：任务${input.duty.taskNumber}延期申请已同意，新截止日期 ${date}，提醒已按新日期重新安排。`
    : `${state.unit}：任务${input.duty.taskNumber}延期申请未获同意${reason ? `（${reason}）` : ''}，截止日期仍为 ${state.deadline}。`;
}

export function rejectionText(input: DutyInput, state: DutyState, reason: string): string {
  return `${state.unit}：任务${input.duty.taskNumber}的办结报告被驳回，理由：${reason}。任务已重新打开，请补充后再报办结。\n${head(input, state)}`;
}
