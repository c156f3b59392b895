/**
 * Chat replies → Temporal Updates. Identifies the person from the directory, finds the duty from the
 * campaign's ledger, runs the update and words the answer. No WeChat here: the bot's handlers call it.
 */
import type { Client } from '@temporalio/client';
import { shanghaiDate } from '../calendar/working-days';
import type { Directory } from '../plan/directory';
import type { Actor, ReplyChannel } from '../workflows/messages';
import {
  acknowledgeUpdate,
  attemptRefusedSignal,
  completeUpdate,
  decideExtensionUpdate,
  rejectUpdate,
  reportActionsUpdate,
  reportProgressUpdate,
  requestExtensionUpdate,
  statusQuery,
  undoUpdate,
} from '../workflows/messages';
import { assignCodes } from '../workflows/codes';
import { MESSAGES_TO_UNIT, type DutyState } from '../workflows/types';

/** What the undo just recorded took back, as its history entry says it (撤回办结 → 办结). */
function lastUndone(s: DutyState): string {
  return [...s.history].reverse().find((h) => h.event === 'undone')?.detail?.replace(/^撤回/, '') ?? '回复';
}
import { extensionDate, HELP_TEXT, parseCommand, replyForm, type Command } from './commands';
import { personActor } from './people';
import { withoutWeChatQuote } from './quoted';
import { resolveReply, type DutyView } from './resolve';
import type { DubanMetrics } from '../ops/metrics';
import { readCampaignLedger } from '../campaigns/ledger-read';

export interface Speaker {
  /** The platform's id of the person (WeChat contact id, WeCom userid, DingTalk userid, email address). */
  id: string;
  /** WeChat: the remark the bot's account set. DingTalk: the unionId beside the userid. */
  alias?: string;
  name: string;
  /** Entered by an administrator (`duban reply --from`): `name` is looked up in the directory. */
  enteredBy?: 'cli';
  /** Which platform heard it; absent = WeChat (the directory's `wechat` ids). */
  channel?: ReplyChannel;
}

/** The directory field each platform's ids are kept in. */
const ID_FIELD: Record<Exclude<ReplyChannel, 'cli' | 'page'>, 'wechat' | 'wecom' | 'dingtalk' | 'email'> = {
  wechat: 'wechat',
  wecom: 'wecom',
  dingtalk: 'dingtalk',
  email: 'email',
};

/**
 * The person in the directory behind a WeChat contact, and the role they act in: for their own unit's
 * duties a coordinator or leader; for a supervisor's decision (extension, rejection) a supervisor, if their
 * unit is a supervising office.
 */
export function identify(dir: Directory, who: Speaker, supervising = false): Actor | undefined {
  const channel = who.channel ?? 'wechat';
  if (channel === 'cli' || channel === 'page') return undefined;
  const field = ID_FIELD[channel];
  // Email addresses are case-insensitive; platform ids are compared as given.
  const same = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && (field === 'email' ? a.toLowerCase() === b.toLowerCase() : a === b);
  for (const [unit, u] of Object.entries(dir.units)) {
    for (const role of ['coordinators', 'leaders'] as const) {
      // Only the platform's own id (or the remark the bot's own account set): display names and group nicknames
      // are chosen by their owners and could be anyone's.
      const p = u[role].find((x) => same(x[field], who.id) || same(x[field], who.alias));
      if (!p) continue;
      const via = who.channel ? { channel: who.channel } : {};
      if (supervising && dir.supervisors.includes(unit)) return { person: p.name, unit, role: 'supervisor', ...via };
      return { person: p.name, unit, role: role === 'leaders' ? 'leader' : 'coordinator', ...via };
    }
  }
  return undefined;
}

const STATUS_CN: Record<string, string> = { open: '待确认', acknowledged: '办理中', completed: '已办结', closed: '已关闭' };

export interface ReplyContext {
  client: Client;
  directory: Directory;
  campaignWorkflowId: string;
  /**
   * Every running campaign, when the deployment runs several (campaigns/registry.ts): a unit's duties from all
   * of them are one list, their codes unique per unit (each later campaign's carry its letter). Omitted = the
   * one campaign above.
   */
  campaigns?: () => Promise<string[]>;
  /** The campaign's clock (a simulated year runs on an offset); default the real one. */
  now?: () => number;
  /** Counts replies by intent (duban_replies on the bot's /metrics); group chatter the bot ignores is not counted. */
  metrics?: Pick<DubanMetrics, 'reply'>;
}

/**
 * duban_replies counts what was said to the bot. A group's chatter (every line of it) would swamp the replies
 * and says nothing about them, so 'ignore' is not counted.
 */
function counted(ctx: ReplyContext, intent: string): void {
  if (intent !== 'ignore') ctx.metrics?.reply(intent);
}

/** What the bot answers; `undefined` means stay silent (group chatter that is not a command). */
export interface HeardAs {
  /**
   * The platform's id of the message (`dingtalk:<msgId>`, `wecom:<msgid>`, `email:<Message-ID>`): each Update it
   * makes carries it as its update id, so a message delivered again after a restart acts once (Temporal dedupes by
   * update id), not again as a refused repeat.
   */
  messageId?: string;
}

export async function answer(ctx: ReplyContext, who: Speaker, heard: string, inGroup: boolean, as: HeardAs = {}): Promise<string | undefined> {
  // A quote-reply's quote is our own message, not what the person said (bot/quoted.ts).
  const text = withoutWeChatQuote(heard);
  const parsed = parseCommand(text);
  // Nothing that is not a command reaches Temporal (its intent needs no duties: chatter, or an incomplete command).
  if (!parsed.ok) {
    counted(ctx, resolveReply(parsed, { duties: [], today: '', inGroup }).intent);
    return inGroup && parsed.ignore ? undefined : parsed.reason;
  }
  const command = parsed.command;
  if (command.kind === 'help') {
    ctx.metrics?.reply('help');
    return HELP_TEXT;
  }
  const supervisingCommand = command.kind === 'decide' || command.kind === 'reject';
  const found = who.enteredBy === 'cli' ? personActor(ctx.directory, who.name, supervisingCommand) : identify(ctx.directory, who, supervisingCommand);
  const actor = found && who.enteredBy === 'cli' ? { ...found, person: `${found.person}（管理员代录）` } : found;
  const campaignIds = ctx.campaigns ? await ctx.campaigns() : [ctx.campaignWorkflowId];
  if (!campaignIds.length) return '目前没有运行中的督办批次。';
  // One campaign that does not answer (its worker busy) leaves the others' duties answerable; none answering is an error.
  const settled = await Promise.allSettled(campaignIds.map(async (id) => ({ id, ledger: await readCampaignLedger(ctx.client.workflow.getHandle(id)) })));
  const ledgers = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!ledgers.length && failed) throw failed.reason;
  const views: DutyView[] = ledgers.flatMap(({ id, ledger }) => {
    const codes = assignCodes(ledger);
    return ledger.map((e) => ({ e, id, codes }));
  }).map(({ e, id, codes }) => ({
    dutyId: e.dutyId,
    task: e.taskNumber,
    kind: e.kind,
    ...(campaignIds.length > 1 ? { campaign: id } : {}),
    ...(e.lead ? { lead: e.lead } : {}),
    // The code fixed at the campaign's start; computed again only for 0.1.0 duties, which carry none.
    code: e.code ?? codes.get(e.dutyId) ?? String(e.taskNumber),
    unit: e.unit,
    ...(e.period ? { period: e.period } : {}),
    deadline: e.deadline,
    status: e.status,
    ended: e.ended,
  }));
  const status = (dutyId: string) => ctx.client.workflow.getHandle(dutyId).query(statusQuery);
  if (actor && command.kind === 'decide' && command.code) {
    // Only the candidates (the duties of the task named) are asked whether an extension waits for a decision.
    for (const v of views) {
      if (v.ended || v.unit === actor.unit || v.task !== command.task) continue;
      v.pendingExtension = (await status(v.dutyId)).pendingExtension !== undefined;
    }
  }
  if (actor && command.kind === 'undo') {
    // Only the writer's own unit's duties are asked which of their replies of today can still be taken back.
    const today = shanghaiDate((ctx.now ?? Date.now)());
    for (const v of views) {
      if (v.ended || v.unit !== actor.unit) continue;
      const last = (await status(v.dutyId)).lastReply;
      if (last && last.by === actor.person && shanghaiDate(last.at) === today) v.undoable = last.event;
    }
  }
  const lastMessage = actor && command.kind === 'acknowledge' && !command.code ? await lastMessageOf(views.filter((v) => v.unit === actor.unit && !v.ended && v.status !== 'completed'), status, (ctx.now ?? Date.now)()) : [];
  const today = shanghaiDate((ctx.now ?? Date.now)());
  const res = resolveReply(parsed, { ...(actor ? { actor } : {}), duties: views, lastMessage, today, inGroup, text });
  counted(ctx, res.intent);
  const onRecord = async (dutyId: string | undefined, reason: string) => {
    if (dutyId) await ctx.client.workflow.getHandle(dutyId).signal(attemptRefusedSignal, { who: `${who.name}（${who.id}）`, text, reason });
  };
  if (res.intent === 'ignore') return undefined;
  if (!actor) {
    const reason = `${who.name}：您不在督办通讯录中，无法受理。如需登记请联系县乡村振兴局。`;
    // Recorded on the duty the attempt names, when it names exactly one (several units' duties share a task
    // number: the attempt belongs to none of them in particular, and is only answered).
    const named = 'task' in command && command.task ? views.filter((v) => v.task === command.task && !v.ended) : [];
    if (named.length === 1) await onRecord(named[0]?.dutyId, reason);
    return reason;
  }
  if (res.intent === 'list') return mine(actor, res.duties, views.filter((v) => v.lead === actor.unit));
  if (res.answer) {
    if (res.intent === 'refused') await onRecord(res.duties[0]?.dutyId, res.answer);
    return res.answer;
  }
  const answers: string[] = [];
  for (const duty of res.duties) {
    try {
      const state = await run(ctx.client.workflow.getHandle(duty.dutyId), actor, command, duty.deadline, as.messageId);
      answers.push(confirmation(command, state, duty.code));
    } catch (err) {
      const reason = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      await onRecord(duty.dutyId, reason);
      answers.push(`未受理 ${duty.code}：${reason}`);
    }
  }
  return answers.join('\n');
}

const TO_UNIT = new Set<string>(MESSAGES_TO_UNIT);

/**
 * The duties listed in the last message the unit received: those whose latest message is the latest of all. A
 * message handed to the desk for a later instant (hand-ahead: recorded at its instant) has not been received yet.
 */
async function lastMessageOf(open: DutyView[], status: (dutyId: string) => Promise<DutyState>, now: number): Promise<string[]> {
  let latest = -1;
  let duties: string[] = [];
  for (const v of open) {
    const history = (await status(v.dutyId)).history;
    // The latest by its instant (a handed-ahead entry was recorded before messages sent at earlier instants).
    const last = history.filter((h) => TO_UNIT.has(h.event) && h.at <= now).reduce<(typeof history)[number] | undefined>((l, h) => (!l || h.at >= l.at ? h : l), undefined);
    // One send instant: the same minute.
    const minute = last ? Math.floor(last.at / 60_000) : -1;
    if (minute > latest) {
      latest = minute;
      duties = [v.dutyId];
    } else if (minute === latest && minute >= 0) {
      duties.push(v.dutyId);
    }
  }
  return duties;
}

export async function run(handle: ReturnType<Client['workflow']['getHandle']>, actor: Actor, c: Command, deadline: string, updateId?: string): Promise<DutyState> {
  const id = updateId ? { updateId: updateId.slice(0, 200) } : {};
  switch (c.kind) {
    case 'acknowledge':
      return handle.executeUpdate(acknowledgeUpdate, { args: [{ actor }], ...id });
    case 'complete':
      return handle.executeUpdate(completeUpdate, { args: [{ actor, note: c.note }], ...id });
    case 'progress':
      return handle.executeUpdate(reportProgressUpdate, { args: [{ actor, percent: c.percent, ...(c.bar !== undefined ? { bar: c.bar } : {}) }], ...id });
    case 'actions':
      return handle.executeUpdate(reportActionsUpdate, { args: [{ actor, count: c.count, ...(c.item ? { item: c.item } : {}) }], ...id });
    case 'extension': {
      // 7月15日 means the next 15 July after the deadline: this year's, or next year's for a December deadline.
      const date = extensionDate(c.date, deadline);
      if (!date) throw new Error(`日期 ${c.date} 不存在`);
      return handle.executeUpdate(requestExtensionUpdate, { args: [{ actor, date, reason: c.reason }], ...id });
    }
    case 'decide':
      return handle.executeUpdate(decideExtensionUpdate, { args: [{ actor, approve: c.approve, ...(c.reason ? { reason: c.reason } : {}) }], ...id });
    case 'reject':
      return handle.executeUpdate(rejectUpdate, { args: [{ actor, reason: c.reason }], ...id });
    case 'undo':
      return handle.executeUpdate(undoUpdate, { args: [{ actor }], ...id });
    default:
      throw new Error('不支持的指令');
  }
}

export function confirmation(c: Command, s: DutyState, code: string): string {
  const which = `${code}（任务${s.taskNumber}${s.period ? ` ${s.period}` : ''}）· ${s.unit}`;
  switch (c.kind) {
    case 'acknowledge':
      return `已确认 ${which}，截止 ${s.deadline}。办结后请回复「${replyForm('complete', code)}」。`;
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
    case 'undo':
      return `已撤回 ${which} 的${lastUndone(s)}。当前：${STATUS_CN[s.status]}，截止 ${s.deadline}${s.status === 'completed' ? '' : `，${nextReply(s, code)}`}。`;
    default:
      return `已受理 ${which}。`;
  }
}

/**
 * What the unit sends next to end a duty that is open again: a progress or visit duty ends by what it reports
 * (「完成」 is refused there: workflows/rules.ts refuseComplete), any other by 「完成」.
 */
function nextReply(s: DutyState, code: string): string {
  if (s.kind === 'progress') return `报本期进度请回复「${replyForm('progress', code)}」`;
  if (s.kind === 'quota') return `每完成一次请回复「${replyForm('actions', code)}」`;
  return `办结后请回复「${replyForm('complete', code)}」`;
}

function mine(actor: Actor, open: DutyView[], parts: DutyView[] = []): string {
  const lines: string[] = [];
  if (!open.length) lines.push(`${actor.unit} 目前没有待办的督办事项。`);
  else {
    const sorted = [...open].sort((a, b) => a.deadline.localeCompare(b.deadline));
    lines.push(
      `${actor.unit} 待办 ${open.length} 项（回复时写编号）：`,
      ...sorted.slice(0, 15).map((e) => `${e.code}  任务${e.task}${e.period ? `（${e.period}）` : ''} 截止 ${e.deadline} ${STATUS_CN[e.status]}`),
    );
  }
  // A lead unit (lead+co) sees who has reported their part, per task of each campaign, and how to send one back
  // (only a part still open to review can be).
  const byTask = new Map<string, DutyView[]>();
  for (const p of parts) {
    const key = `${p.campaign ?? ''}\u0000${p.code}`;
    byTask.set(key, [...(byTask.get(key) ?? []), p]);
  }
  for (const list of [...byTask.values()].sort((a, b) => a[0]!.task - b[0]!.task)) {
    const done = list.filter((p) => p.status === 'completed');
    const closed = list.filter((p) => p.status !== 'completed' && p.ended);
    const missing = list.filter((p) => p.status !== 'completed' && !p.ended);
    const reviewable = done.find((p) => !p.ended);
    lines.push(
      `任务${list[0]!.code} 配合单位报送：已报 ${done.length}/${list.length}${done.length ? `（${done.map((p) => p.unit).join('、')}）` : ''}` +
        `${missing.length ? `；未报：${missing.map((p) => p.unit).join('、')}` : ''}` +
        `${closed.length ? `；逾期未报（已关闭）：${closed.map((p) => p.unit).join('、')}` : ''}` +
        `${reviewable ? `。退回请回复「驳回 ${reviewable.code} ${reviewable.unit} 理由」` : ''}`,
    );
  }
  return lines.join('\n');
}
