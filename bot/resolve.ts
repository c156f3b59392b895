/**
 * Which duty a reply acts on. Pure: the bot (live duties from the ledger) and `duban reply --dry-run` (duties
 * from the plan) call the same rules. A reply never guesses: one that could mean two duties gets a question
 * listing their codes.
 */
import type { Actor } from '../workflows/messages';
import type { DutyKind } from '../workflows/types';
import { replyForm, type Command, type ParseResult } from './commands';

export type Intent =
  | 'acknowledge'
  | 'complete'
  | 'progress'
  | 'quota'
  | 'extension'
  | 'approve-extension'
  | 'refuse-extension'
  | 'reject-completion'
  | 'undo'
  | 'list'
  | 'help'
  | 'ask'
  | 'refused'
  | 'ignore';

/** A duty as the rules need it. */
export interface DutyView {
  dutyId: string;
  task: number;
  kind: DutyKind;
  code: string;
  unit: string;
  /** The campaign's workflow id, when the duties come from several. */
  campaign?: string;
  /** A co-unit's part (`lead+co`): the lead unit, which reviews it as a supervising office would. */
  lead?: string;
  period?: string;
  deadline: string;
  status: 'open' | 'acknowledged' | 'completed' | 'closed';
  ended: boolean;
  /** For supervisors' decisions; the bot fills it in for the candidates only. */
  pendingExtension?: boolean;
  /** For 「撤回」: the writer's own reply of today that can still be taken back (the bot fills it in). */
  undoable?: 'acknowledged' | 'completed' | 'progress' | 'actions';
}

export interface ResolveContext {
  /** The person, as the directory knows them; absent = not in the directory. */
  actor?: Actor;
  /** Every duty of the campaign(s). */
  duties: DutyView[];
  /** Duties listed in the last message the actor's unit received, for a bare 「收到」. */
  lastMessage?: string[];
  /** Today, YYYY-MM-DD (Shanghai), for "this month's" progress duty. */
  today: string;
  /** Whether the text came from a group (chatter there gets no answer). */
  inGroup: boolean;
  /** The reply as written, for unit names in supervisors' decisions. */
  text?: string;
}

export interface Resolution {
  intent: Intent;
  command?: Command;
  /** The duties the reply acts on (several for 「全部收到」). */
  duties: DutyView[];
  /** An answer decided here (ask, refused, help, an incomplete command); absent when the action's result decides it. */
  answer?: string;
}

const INTENT_OF: Record<string, Intent> = {
  acknowledge: 'acknowledge',
  complete: 'complete',
  progress: 'progress',
  actions: 'quota',
  extension: 'extension',
  reject: 'reject-completion',
  undo: 'undo',
  mine: 'list',
  help: 'help',
};

export function intentOf(c: Command): Intent {
  if (c.kind === 'decide') return c.approve ? 'approve-extension' : 'refuse-extension';
  return INTENT_OF[c.kind] ?? 'help';
}

const describe = (d: DutyView) => `${d.code}（任务${d.task}${d.period ? ` ${d.period}` : ''}，截止 ${d.deadline}）`;

function ask(command: Command, intent: Intent, candidates: DutyView[], form: Parameters<typeof replyForm>[0]): Resolution {
  const list = candidates.slice(0, 12).map(describe).join('；');
  const example = candidates[0] ? replyForm(form, candidates[0].code) : '';
  return { intent: 'ask', command, duties: candidates, answer: `请注明是哪一项（${INTENT_CN[intent] ?? ''}）：${list}。例如「${example}」。` };
}

/** A bare 「收到」 to a message that listed several duties: which one, or all of them in so many words. */
function askAll(command: Command, intent: Intent, candidates: DutyView[]): Resolution {
  const asked = ask(command, intent, candidates, 'acknowledge');
  return { ...asked, answer: `${asked.answer?.replace(/。$/, '')}；全部确认请回复「全部收到」。` };
}

/**
 * 「撤回」 takes back one reply: the one the code names, or the writer's own reply of today when only one can be
 * taken back (of the kind the text names: 「撤回刚才的完成」). Never several, never a guess.
 */
function resolveUndo(c: Extract<Command, { kind: 'undo' }>, intent: Intent, own: DutyView[], actor: Actor): Resolution {
  const ofKind = (list: DutyView[]) => (c.what ? list.filter((d) => d.undoable === c.what) : list.filter((d) => d.undoable));
  if (c.code) {
    const hits = own.filter((d) => d.code === c.code || (/^\d+$/.test(c.code ?? '') && d.task === c.task));
    if (hits.length === 1) return { intent, command: c, duties: hits };
    const undoable = ofKind(hits);
    if (undoable.length === 1) return { intent, command: c, duties: undoable };
    if (hits.length > 1) return ask(c, intent, undoable.length ? undoable : hits, 'undo');
    return { intent: 'refused', command: c, duties: [], answer: `没有找到${actor.unit}编号为 ${c.code} 的督办事项，回复「我的任务」查看编号。` };
  }
  const undoable = ofKind(own);
  if (undoable.length === 1) return { intent, command: c, duties: undoable };
  if (undoable.length > 1) return ask(c, intent, undoable, 'undo');
  return { intent: 'refused', command: c, duties: [], answer: `没有可撤回的回复：只能撤回本人当天的确认、办结、进度或次数，且督办单位尚未审核。如需更正，请联系督办单位。` };
}

const INTENT_CN: Record<string, string> = { acknowledge: '确认', complete: '办结', progress: '报进度', quota: '报次数', extension: '延期', undo: '撤回' };

const FORM_OF: Record<string, Parameters<typeof replyForm>[0]> = {
  acknowledge: 'acknowledge',
  complete: 'complete',
  progress: 'progress',
  actions: 'actions',
  extension: 'extension',
  reject: 'reject',
  undo: 'undo',
};

/** The periods (monthly, quarterly, half-yearly, yearly) that contain a date. */
export function currentPeriods(today: string): string[] {
  const year = today.slice(0, 4);
  const month = Number(today.slice(5, 7));
  return [today.slice(0, 7), `${year}-Q${Math.ceil(month / 3)}`, `${year}-H${month <= 6 ? 1 : 2}`, year];
}

/** The duties of the actor's unit a code or task number names; by kind for visits and progress. */
function named(c: Command & { code?: string; task?: number }, own: DutyView[], today: string): DutyView[] {
  let hits = own;
  if (c.code) {
    // A bare number names the unit's duty with that code and any duty of that task number: within one campaign
    // that is one duty (a code is lettered when a unit holds several duties of a task), but with several
    // campaigns 「完成 5」 may mean task 5 of either notice (codes 5 and b5), and is asked about, never guessed.
    hits = /^\d+$/.test(c.code) ? own.filter((d) => d.code === c.code || d.task === c.task) : own.filter((d) => d.code === c.code);
  }
  if (c.kind === 'actions') return hits.filter((d) => d.kind === 'quota');
  // Quota and progress duties complete by their counts and reports, not by 「完成」 on a bare task number.
  if (c.kind === 'complete' && !(c.code && own.some((d) => d.code === c.code && /[a-z]$/.test(c.code ?? '')))) {
    return hits.filter((d) => d.kind !== 'quota' && d.kind !== 'progress');
  }
  if (c.kind === 'progress') {
    // This period's report; another period only when it is the one progress duty still open.
    const progress = hits.filter((d) => d.kind === 'progress');
    const periods = currentPeriods(today);
    const current = progress.filter((d) => d.period !== undefined && periods.includes(d.period));
    if (current.length) return current;
    // Several open from other periods: the caller asks which.
    return progress.filter((d) => d.status !== 'completed');
  }
  return hits;
}

export function resolveReply(parsed: ParseResult, ctx: ResolveContext): Resolution {
  // A code lettered after its number that no duty of the unit has (4A级, 5G) is a word, not a code: read the reply
  // without it. A campaign letter before the number (b5) is never dropped: an unknown one is answered as such, not
  // read as a bare 「完成」 that would act on whatever single duty is open.
  if (parsed.ok && 'code' in parsed.command && parsed.command.code && /^\d+[a-z]+$/.test(parsed.command.code) && ctx.actor) {
    const unit = ctx.actor.unit;
    const code = parsed.command.code;
    const supervisingCommand = parsed.command.kind === 'decide' || parsed.command.kind === 'reject';
    if (!ctx.duties.some((d) => d.code === code && (supervisingCommand || d.unit === unit))) {
      const { task: _task, code: _code, ...rest } = parsed.command as Command & { task?: number; code?: string };
      void _task;
      void _code;
      parsed = { ok: true, command: rest as Command };
    }
  }
  if (!parsed.ok) {
    if (parsed.ignore && ctx.inGroup) return { intent: 'ignore', duties: [] };
    // An incomplete command: what it asks for, and the exact form to send.
    const intent = parsed.kind === 'decide' ? (/不同意|不批准|不予/.test(parsed.reason) ? 'refuse-extension' : 'approve-extension') : parsed.kind ? (INTENT_OF[parsed.kind] ?? 'help') : 'help';
    return { intent, duties: [], answer: parsed.reason };
  }
  const c = parsed.command;
  const intent = intentOf(c);
  if (c.kind === 'help') return { intent, command: c, duties: [] };
  if (!ctx.actor) {
    // Chatter-like decisions from strangers stay unanswered in a group; anything else is told why.
    if ((c.kind === 'decide' || c.kind === 'reject') && !c.code && ctx.inGroup) return { intent: 'ignore', command: c, duties: [] };
    return { intent: 'refused', command: c, duties: [], answer: '您不在督办通讯录中，无法受理。如需登记请联系县乡村振兴局。' };
  }
  const actor = ctx.actor;
  if (c.kind === 'mine') return { intent, command: c, duties: ctx.duties.filter((d) => d.unit === actor.unit && !d.ended && d.status !== 'completed') };
  const live = ctx.duties.filter((d) => !d.ended);

  if (c.kind === 'decide' || c.kind === 'reject') {
    // A lead unit reviews its co-units' parts (lead+co) as a supervising office would: only those.
    const leadsParts = actor.role !== 'supervisor' && live.some((d) => d.lead === actor.unit);
    if (actor.role !== 'supervisor' && !leadsParts) {
      if (ctx.inGroup && !c.code) return { intent: 'ignore', command: c, duties: [] };
      return { intent: 'refused', command: c, duties: [], answer: `${actor.unit}不是督办单位，不能审批延期或驳回办结。` };
    }
    // Never a supervisor's own unit (县委农办 decides for 县乡村振兴局).
    const reviewable = leadsParts ? live.filter((d) => d.lead === actor.unit) : live;
    const others = reviewable.filter((d) => d.unit !== actor.unit && (c.code ? d.code === c.code || (/^\d+$/.test(c.code) && d.task === c.task) : true));
    if (c.kind === 'decide' && !c.code && others.every((d) => d.pendingExtension === undefined)) {
      return { intent, command: c, duties: [], answer: `请写明编号和单位，例如「${replyForm(c.approve ? 'decide-yes' : 'decide-no', '15')} 县委组织部」。` };
    }
    const named = others.filter((d) => ctx.text?.includes(d.unit));
    const pool = named.length ? named : others;
    const awaiting = pool.filter((d) => (c.kind === 'decide' ? d.pendingExtension : d.status === 'completed'));
    if (awaiting.length === 1) return { intent, command: c, duties: awaiting };
    if (awaiting.length > 1) {
      const units = [...new Set(awaiting.map((d) => d.unit))];
      return {
        intent: 'ask',
        command: c,
        duties: awaiting,
        answer: `有 ${awaiting.length} 项待处理：${awaiting.slice(0, 12).map((d) => `${d.unit} ${describe(d)}`).join('；')}。请在回复中写明单位和编号，例如「${c.kind === 'decide' ? replyForm(c.approve ? 'decide-yes' : 'decide-no', awaiting[0]?.code ?? '') : replyForm('reject', awaiting[0]?.code ?? '')} ${units[0]}」。`,
      };
    }
    if (!others.length && leadsParts && c.code) {
      const codes = [...new Set(reviewable.map((d) => d.code))].join('、');
      return { intent: 'refused', command: c, duties: [], answer: `${actor.unit}不是督办单位，只能审核本单位牵头任务的配合单位报送（编号 ${codes}），编号 ${c.code} 不在其中。` };
    }
    if (!others.length) return { intent: 'refused', command: c, duties: [], answer: c.code ? `没有编号为 ${c.code} 的督办事项。` : '没有待处理的事项。' };
    return { intent, command: c, duties: [], answer: c.kind === 'decide' ? '目前没有待审批的延期申请。' : '目前没有待审核的办结报告。' };
  }

  const own = live.filter((d) => d.unit === actor.unit);
  const open = own.filter((d) => d.status !== 'completed');
  const form = FORM_OF[c.kind] ?? 'acknowledge';
  if (c.kind === 'undo') return resolveUndo(c, intent, own, actor);
  if (c.code) {
    const hits = named(c, own, ctx.today);
    if (hits.length === 1) return { intent, command: c, duties: hits };
    if (hits.length > 1) {
      const stillOpen = hits.filter((d) => d.status !== 'completed');
      if (stillOpen.length === 1) return { intent, command: c, duties: stillOpen };
      if (!stillOpen.length) return { intent: 'refused', command: c, duties: hits, answer: `${hits.map((d) => d.code).join('、')} 均已办结。` };
      return ask(c, intent, stillOpen, form);
    }
    // A co-unit's part (lead+co) closed with the lead's date: the unit did hold it, and reports to the lead now.
    const closedPart = ctx.duties.find((d) => d.ended && d.unit === actor.unit && d.lead && d.code === c.code);
    if (closedPart && !own.some((d) => d.task === c.task)) {
      return {
        intent: 'refused',
        command: c,
        duties: [closedPart],
        answer: `未受理：${actor.unit}承担的任务${closedPart.task}部分已随牵头单位截止（${closedPart.deadline} 报送期）关闭，请直接报牵头单位${closedPart.lead}。`,
      };
    }
    const elsewhere = live.find((d) => d.code === c.code || d.task === c.task);
    if (elsewhere && !own.some((d) => d.task === c.task)) {
      return { intent: 'refused', command: c, duties: [elsewhere], answer: `未受理：任务${c.task}不是${actor.unit}的督办事项，无法代为办理。` };
    }
    if (c.kind === 'actions') return { intent: 'refused', command: c, duties: [], answer: `${actor.unit}的任务${c.task}没有次数要求。` };
    if (c.kind === 'progress') return { intent: 'refused', command: c, duties: [], answer: `${actor.unit}的任务${c.task}不需要报进度。` };
    return { intent: 'refused', command: c, duties: [], answer: `没有找到${actor.unit}编号为 ${c.code} 的待办事项，回复「我的任务」查看编号。` };
  }

  // No code: the duty of the command's kind, the last message's duties, or the single open one.
  if (c.kind === 'actions' || c.kind === 'progress') {
    const hits = named(c, own, ctx.today);
    if (hits.length === 1) return { intent, command: c, duties: hits };
    if (hits.length > 1) return ask(c, intent, hits, form);
    return { intent: 'refused', command: c, duties: [], answer: c.kind === 'actions' ? `${actor.unit}没有需要报次数的督办事项。` : `${actor.unit}本月没有需要报进度的督办事项。` };
  }
  if (c.kind === 'acknowledge') {
    const unacknowledgedAll = open.filter((d) => d.status === 'open');
    if (c.all && unacknowledgedAll.length) return { intent, command: c, duties: unacknowledgedAll };
    const last = open.filter((d) => ctx.lastMessage?.includes(d.dutyId));
    // The last message's duty; when it listed several, which one is asked (「全部收到」 acknowledges them all).
    const lastOpen = last.filter((d) => d.status === 'open').length ? last.filter((d) => d.status === 'open') : last;
    if (lastOpen.length === 1) return { intent, command: c, duties: lastOpen };
    if (lastOpen.length > 1) return askAll(c, intent, lastOpen);
    const unacknowledged = open.filter((d) => d.status === 'open');
    if (unacknowledged.length === 1) return { intent, command: c, duties: unacknowledged };
    if (open.length === 1) return { intent, command: c, duties: open };
  } else {
    // 完成 without a code: never a quota or progress duty (they complete by their counts and reports).
    const candidates = c.kind === 'complete' ? open.filter((d) => d.kind !== 'quota' && d.kind !== 'progress') : open;
    if (candidates.length === 1) return { intent, command: c, duties: candidates };
    if (candidates.length > 1) return ask(c, intent, candidates, form);
  }
  if (!open.length) return { intent, command: c, duties: [], answer: `${actor.unit}目前没有待办的督办事项。` };
  return ask(c, intent, open, form);
}
