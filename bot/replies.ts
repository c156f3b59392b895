/**
 * Chat replies → Temporal Updates. Identifies the person from the directory, finds the duty from the
 * campaign's ledger, runs the update and words the answer. No WeChat here: the bot's handlers call it.
 */
import type { Client } from '@temporalio/client';
import type { Directory } from '../plan/directory';
import type { Actor } from '../workflows/messages';
import {
  acknowledgeUpdate,
  attemptRefusedSignal,
  completeUpdate,
  decideExtensionUpdate,
  ledgerQuery,
  rejectUpdate,
  reportActionsUpdate,
  reportProgressUpdate,
  requestExtensionUpdate,
  statusQuery,
} from '../workflows/messages';
import type { DutyState, LedgerEntry } from '../workflows/types';
import { HELP_TEXT, parseCommand, type Command } from './commands';

export interface Speaker {
  /** WeChat contact id, alias and display name, as the puppet reports them. */
  id: string;
  alias?: string;
  name: string;
}

/**
 * The person in the directory behind a WeChat contact, and the role they act in: for their own unit's
 * duties a coordinator or leader; for a supervisor's decision (extension, rejection) a supervisor, if their
 * unit is a supervising office.
 */
export function identify(dir: Directory, who: Speaker, supervising = false): Actor | undefined {
  for (const [unit, u] of Object.entries(dir.units)) {
    for (const role of ['coordinators', 'leaders'] as const) {
      // Only the contact id or the remark the bot's own account set: display names and group nicknames are
      // chosen by their owners and could be anyone's.
      const p = u[role].find((x) => x.wechat !== undefined && (x.wechat === who.id || x.wechat === who.alias));
      if (!p) continue;
      if (supervising && dir.supervisors.includes(unit)) return { person: p.name, unit, role: 'supervisor' };
      return { person: p.name, unit, role: role === 'leaders' ? 'leader' : 'coordinator' };
    }
  }
  return undefined;
}

const STATUS_CN: Record<string, string> = { open: '待确认', acknowledged: '办理中', completed: '已办结', closed: '已关闭' };
const LEVEL_CN: Record<string, string> = { none: '', blue: '（蓝）', yellow: '（黄）', red: '（红）', green: '（绿）' };

export interface ReplyContext {
  client: Client;
  directory: Directory;
  campaignWorkflowId: string;
}

/** What the bot answers; `undefined` means stay silent (group chatter that is not a command). */
export async function answer(ctx: ReplyContext, who: Speaker, text: string, inGroup: boolean): Promise<string | undefined> {
  const parsed = parseCommand(text);
  if (!parsed.ok) return inGroup && parsed.reason.startsWith('没有看懂') ? undefined : parsed.reason;
  const command = parsed.command;
  if (command.kind === 'help') return HELP_TEXT;
  const actor = identify(ctx.directory, who, supervising(command));
  const ledger = await ctx.client.workflow.getHandle(ctx.campaignWorkflowId).query(ledgerQuery);
  const onRecord = async (dutyId: string | undefined, reason: string) => {
    if (dutyId) await ctx.client.workflow.getHandle(dutyId).signal(attemptRefusedSignal, { who: `${who.name}（${who.id}）`, text, reason });
  };
  if (!actor) {
    const reason = `${who.name}：您不在督办通讯录中，无法受理。如需登记请联系县乡村振兴局。`;
    if (command.kind !== 'mine') await onRecord(ledger.find((e) => e.taskNumber === command.task && !e.ended)?.dutyId, reason);
    return reason;
  }
  if (command.kind === 'mine') return mine(actor, ledger);
  const picked = await pickDuty(ctx, actor, command, ledger, text);
  if (Array.isArray(picked)) {
    return `任务${command.task}有 ${picked.length} 个单位待处理：${picked.join('、')}。请在指令中写明单位，例如「${text.trim().split(/\s+/).slice(0, 2).join(' ')} ${picked[0]}」。`;
  }
  const dutyId = picked;
  if (!dutyId) return `没有找到${supervising(command) ? '' : ` ${actor.unit} 的`}任务${command.task}待办事项，请核对任务编号。`;
  const handle = ctx.client.workflow.getHandle(dutyId);
  try {
    const state = await run(handle, actor, command);
    return confirmation(command, state);
  } catch (err) {
    const reason = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    await onRecord(dutyId, reason);
    return `未受理：${reason}`;
  }
}

function supervising(c: Command): c is Extract<Command, { kind: 'decide' | 'reject' }> {
  return c.kind === 'decide' || c.kind === 'reject';
}

/** The duty a command is about; for a supervisor's decision with several candidates, their units. */
async function pickDuty(ctx: ReplyContext, actor: Actor, c: Command & { task: number }, ledger: LedgerEntry[], text: string): Promise<string | string[] | undefined> {
  const live = ledger.filter((e) => e.taskNumber === c.task && !e.ended);
  if (!supervising(c)) {
    const mineFirst = live
      .filter((e) => e.unit === actor.unit)
      .sort((a, b) => Number(a.status === 'completed') - Number(b.status === 'completed') || a.deadline.localeCompare(b.deadline));
    // Someone from another unit: pick that task's duty anyway, so the refusal says why.
    return (mineFirst[0] ?? live[0])?.dutyId;
  }
  // A supervisor's decision applies to a duty awaiting it (a pending extension, or a completion), never to
  // the supervisor's own unit; with several, the unit named in the text.
  const awaiting: LedgerEntry[] = [];
  for (const e of live.filter((x) => x.unit !== actor.unit)) {
    const state = await ctx.client.workflow.getHandle(e.dutyId).query(statusQuery);
    if (c.kind === 'decide' ? state.pendingExtension : state.status === 'completed') awaiting.push(e);
  }
  const named = awaiting.filter((e) => text.includes(e.unit));
  if (named.length === 1) return named[0]?.dutyId;
  if (awaiting.length === 1) return awaiting[0]?.dutyId;
  if (awaiting.length > 1) return [...new Set(awaiting.map((e) => e.unit))];
  return live[0]?.dutyId;
}

async function run(handle: ReturnType<Client['workflow']['getHandle']>, actor: Actor, c: Command): Promise<DutyState> {
  switch (c.kind) {
    case 'acknowledge':
      return handle.executeUpdate(acknowledgeUpdate, { args: [{ actor }] });
    case 'complete':
      return handle.executeUpdate(completeUpdate, { args: [{ actor, note: c.note }] });
    case 'progress':
      return handle.executeUpdate(reportProgressUpdate, { args: [{ actor, percent: c.percent, ...(c.bar !== undefined ? { bar: c.bar } : {}) }] });
    case 'actions':
      return handle.executeUpdate(reportActionsUpdate, { args: [{ actor, count: c.count, ...(c.item ? { item: c.item } : {}) }] });
    case 'extension':
      return handle.executeUpdate(requestExtensionUpdate, { args: [{ actor, date: c.date, reason: c.reason }] });
    case 'decide':
      return handle.executeUpdate(decideExtensionUpdate, { args: [{ actor, approve: c.approve, ...(c.reason ? { reason: c.reason } : {}) }] });
    case 'reject':
      return handle.executeUpdate(rejectUpdate, { args: [{ actor, reason: c.reason }] });
    default:
      throw new Error('不支持的指令');
  }
}

function confirmation(c: Command, s: DutyState): string {
  const which = `任务${s.taskNumber}${s.period ? `（${s.period}）` : ''} · ${s.unit}`;
  switch (c.kind) {
    case 'acknowledge':
      return `已确认 ${which}，截止 ${s.deadline}。办结后请回复「完成 ${s.taskNumber} 情况说明」。`;
    case 'complete':
      return `已登记办结 ${which}。督办单位审核期间如有问题会再联系。`;
    case 'progress':
      return s.behind ? `已登记进度 ${s.progress?.percent}%（低于基准 ${s.progress?.bar}%），${which} 标记为进度滞后。` : `已登记进度 ${s.progress?.percent}%，${which} 本期已完成。`;
    case 'actions':
      return `已登记 ${which} 次数：${(s.quotaCounts ?? []).join(' / ')}${s.status === 'completed' ? '，全部达标' : ''}。`;
    case 'extension':
      return `已提交 ${which} 延期申请（至 ${s.pendingExtension?.date}），等待督办单位审批。`;
    case 'decide':
      return `已处理 ${which} 的延期申请，当前截止日期 ${s.deadline}。`;
    case 'reject':
      return `已驳回 ${which} 的办结报告，任务重新打开。`;
    default:
      return `已受理 ${which}。`;
  }
}

function mine(actor: Actor, ledger: LedgerEntry[]): string {
  const open = ledger.filter((e) => e.unit === actor.unit && !e.ended && e.status !== 'completed').sort((a, b) => a.deadline.localeCompare(b.deadline));
  if (!open.length) return `${actor.unit} 目前没有待办的督办事项。`;
  return [`${actor.unit} 待办 ${open.length} 项：`, ...open.slice(0, 15).map((e) => `任务${e.taskNumber}${e.period ? `（${e.period}）` : ''} 截止 ${e.deadline} ${STATUS_CN[e.status]}${LEVEL_CN[e.level] ?? ''}`)].join('\n');
}
