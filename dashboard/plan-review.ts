/**
 * The review of a proposed plan, pure: what each task's row must flag (the parser's `review` entries, and what
 * the page checks itself: no lead, a unit the directory does not know, a presumed year-end date), the source
 * sentences with the phrases that gave each field marked, and a row's form read back into the task with the
 * changes in words for the audit log. No I/O here: dashboard/new-campaign.ts reads and writes the files.
 */
import { z } from 'zod';
import { escapeHtml as h } from '../channels/render';
import { isValidDate } from '../calendar/working-days';
import { isKnownUnitOrGroup, type Directory } from '../plan/directory';
import type { Plan, PlanTask } from '../plan/schema';

export interface Flag {
  field: string;
  reason: string;
  /** The campaign cannot start while it stands (no lead, a unit the directory does not know). */
  blocking: boolean;
}

export const CADENCES = ['monthly', 'quarterly', 'half-yearly', 'yearly'] as const;
export const CADENCE_CN: Record<(typeof CADENCES)[number], string> = { monthly: '每月', quarterly: '每季度', 'half-yearly': '每半年', yearly: '每年' };
export const ACCOUNTABLE_CN = { lead: '仅牵头单位', all: '所列单位各自负责', 'lead+co': '牵头单位 + 配合单位各报承担部分' } as const;
/** Quotas offered in the list: 1–20 times. */
export const QUOTA_CHOICES = Array.from({ length: 20 }, (_, i) => i + 1);
/** What a deadline, cadence or quota added on the page keeps as its source (the schema wants one). */
export const ADDED_TEXT = '（办公室核对时添加）';

export const leadsOf = (t: PlanTask): string[] => (t.leads?.length ? t.leads : t.lead ? [t.lead] : []);

/** A year-end date the notice never named, still as presumed. */
const presumed = (d: PlanTask['deadlines'] extends (infer D)[] | undefined ? D : never) => d.implied === true && d.date.endsWith('-12-31');

/** Everything a task's row must flag; the blocking ones first. */
export function flagsOf(task: PlanTask, dir: Directory): Flag[] {
  const flags: Flag[] = [];
  const leads = leadsOf(task);
  if (!leads.length) flags.push({ field: 'lead', reason: '未找到牵头单位：请填写牵头单位，填好前不能启动督办', blocking: true });
  for (const u of [...leads, ...(task.coUnits ?? [])]) {
    if (!isKnownUnitOrGroup(dir, u)) flags.push({ field: leads.includes(u) ? 'lead' : 'coUnits', reason: `通讯录中没有「${u}」：请改为通讯录中的单位，或先在通讯录中登记`, blocking: true });
  }
  for (const d of task.deadlines ?? []) if (presumed(d)) flags.push({ field: 'deadlines', reason: `通知未写时限，推定为年底（${d.date}）：请核对`, blocking: false });
  for (const r of task.review ?? []) {
    // The page's own checks above say these already, and keep saying them only while they hold.
    if (/^未找到牵头单位|^通讯录中没有/.test(r.reason)) continue;
    flags.push({ field: r.field, reason: r.reason.replace(/\s*\([^()]*\)\s*$/, ''), blocking: false });
  }
  return flags;
}

/** The tasks that cannot start, each with its blocking reasons (the server's refusal and the page's list). */
export function blockingOf(plan: Plan, dir: Directory): { task: number; title: string; reasons: string[] }[] {
  return plan.tasks.flatMap((t) => {
    const reasons = flagsOf(t, dir)
      .filter((f) => f.blocking)
      .map((f) => f.reason);
    return reasons.length ? [{ task: t.number, title: t.title, reasons }] : [];
  });
}

/** The sentences of the notice a task's fields came from, each once. */
export function sourceSentences(task: PlanTask): string[] {
  const texts = [...(task.deadlines ?? []), ...(task.recurring ?? []), ...(task.quotas ?? []), ...(task.targets ?? [])].map((x) => x.text).filter((t) => t && t !== ADDED_TEXT);
  // The phrase the lead was read from, when the parser quoted it (「（县发展改革局、县经信局分工负责；各乡镇）」).
  const quoted = (task.review ?? []).flatMap((r) => (r.field === 'lead' ? [/由(?:句中)?「([^」]+)」推断/.exec(r.reason)?.[1]] : [])).filter((x): x is string => !!x);
  return [...new Set([...texts, ...quoted.filter((q) => !texts.some((t) => t.includes(q)))])];
}

export type MarkKind = 'lead' | 'co' | 'deadline' | 'cadence' | 'quota';
const MARK_TITLE: Record<MarkKind, string> = { lead: '牵头单位', co: '配合单位', deadline: '截止日期', cadence: '周期', quota: '次数' };

/** The phrases that gave each field, for marking. */
export function phrasesOf(task: PlanTask): { text: string; kind: MarkKind }[] {
  const out: { text: string; kind: MarkKind }[] = [
    ...leadsOf(task).map((text) => ({ text, kind: 'lead' as const })),
    ...(task.coUnits ?? []).map((text) => ({ text, kind: 'co' as const })),
    ...(task.deadlines ?? []).flatMap((d) => (d.clause ? [{ text: d.clause, kind: 'deadline' as const }] : [])),
    ...(task.recurring ?? []).flatMap((r) => (r.phrase ?? r.clause ? [{ text: (r.phrase ?? r.clause)!, kind: 'cadence' as const }] : [])),
    ...(task.quotas ?? []).flatMap((q) => (q.clause ? [{ text: q.clause, kind: 'quota' as const }] : [])),
  ];
  return out.filter((p) => p.text.length > 0);
}

/** A sentence as HTML with each phrase marked (`<mark class="lead">`), longest phrases first, never overlapping. */
export function markSentence(sentence: string, phrases: { text: string; kind: MarkKind }[]): string {
  const taken: { from: number; to: number; kind: MarkKind }[] = [];
  for (const p of [...phrases].sort((a, b) => b.text.length - a.text.length)) {
    let from = sentence.indexOf(p.text);
    while (from >= 0) {
      const to = from + p.text.length;
      if (!taken.some((t) => from < t.to && to > t.from)) taken.push({ from, to, kind: p.kind });
      from = sentence.indexOf(p.text, to);
    }
  }
  taken.sort((a, b) => a.from - b.from);
  let html = '';
  let at = 0;
  for (const t of taken) {
    html += `${h(sentence.slice(at, t.from))}<mark class="${t.kind}" title="${MARK_TITLE[t.kind]}">${h(sentence.slice(t.from, t.to))}</mark>`;
    at = t.to;
  }
  return html + h(sentence.slice(at));
}

const names = (values: string[]) => [...new Set(values.map((v) => v.trim()).filter(Boolean))];
const blankOr = <T extends z.ZodType>(schema: T) => z.union([z.literal(''), schema]);

/** A row's form, as the page sends it: repeated fields in the order the row shows them, the last of each a blank to add. */
export const rowFormSchema = z.object({
  task: z.coerce.number().int().positive(),
  title: z.string().trim().min(1, '任务名称不能为空').max(200, '任务名称不超过 200 字'),
  lead: z.array(z.string().max(60, '单位名称不超过 60 字')).max(10),
  co: z.array(z.string().max(60, '单位名称不超过 60 字')).max(60),
  deadline: z.array(blankOr(z.string().refine(isValidDate, '日期须为存在的日期（年-月-日）'))).max(40),
  cadence: z.array(blankOr(z.enum(CADENCES))).max(12),
  dueDay: z.array(blankOr(z.coerce.number().int().min(1, '每期截止日须为 1–31').max(31, '每期截止日须为 1–31'))).max(12),
  quota: z.array(blankOr(z.coerce.number().int().min(1).max(QUOTA_CHOICES.length))).max(12),
  accountable: z.enum(['lead', 'all', 'lead+co']),
});
export type RowForm = z.output<typeof rowFormSchema>;

/** The row's fields out of a posted form (repeated names as arrays), validated. */
export function readRowForm(form: URLSearchParams): { ok: true; row: RowForm } | { ok: false; why: string } {
  const parsed = rowFormSchema.safeParse({
    task: form.get('task') ?? '',
    title: form.get('title') ?? '',
    lead: form.getAll('lead'),
    co: form.getAll('co'),
    deadline: form.getAll('deadline'),
    cadence: form.getAll('cadence'),
    dueDay: form.getAll('dueDay'),
    quota: form.getAll('quota'),
    accountable: form.get('accountable') ?? '',
  });
  if (parsed.success) return { ok: true, row: parsed.data };
  const issue = parsed.error.issues[0]!;
  const FIELD_CN: Record<string, string> = { task: '任务编号', title: '任务名称', lead: '牵头单位', co: '配合单位', deadline: '截止日期', cadence: '周期', dueDay: '每期截止日', quota: '次数要求', accountable: '负责方式' };
  return { ok: false, why: `${FIELD_CN[String(issue.path[0])] ?? String(issue.path[0])}${typeof issue.path[1] === 'number' ? `（第 ${issue.path[1] + 1} 个）` : ''}：${issue.message}` };
}

const list = (xs: string[]) => (xs.length ? xs.join('、') : '（空）');

/**
 * The task with the row's values, and what changed in words. Fields the row leaves as they were keep their source
 * sentences; a field the clerk adds carries ADDED_TEXT. Saving a row is the clerk's check of it: the parser's
 * review entries go (the page's own flags are computed again from the values and stay while they hold).
 */
export function applyRow(task: PlanTask, row: RowForm, year: number): { task: PlanTask; changes: string[] } | { why: string } {
  const changes: string[] = [];
  const leads = names(row.lead);
  const co = names(row.co).filter((u) => !leads.includes(u));
  const before = leadsOf(task);
  if (row.title !== task.title) changes.push(`任务名称：${task.title} → ${row.title}`);
  if (list(before) !== list(leads)) changes.push(`牵头单位：${list(before)} → ${list(leads)}`);
  if (list(task.coUnits ?? []) !== list(co)) changes.push(`配合单位：${list(task.coUnits ?? [])} → ${list(co)}`);
  if (row.accountable !== (task.accountable ?? 'lead')) changes.push(`负责方式：${ACCOUNTABLE_CN[task.accountable ?? 'lead']} → ${ACCOUNTABLE_CN[row.accountable]}`);
  if (row.accountable === 'lead+co' && !co.length) return { why: '「牵头单位 + 配合单位各报承担部分」需要至少一个配合单位：请填写配合单位，或改为「仅牵头单位」' };

  const old = task.deadlines ?? [];
  const deadlines: NonNullable<PlanTask['deadlines']> = [];
  row.deadline.forEach((date, i) => {
    const was = old[i];
    if (!date) {
      if (was) changes.push(`删除截止日期 ${was.date}`);
      return;
    }
    if (!date.startsWith(String(year)) && !date.startsWith(String(year + 1))) return;
    if (was) {
      if (was.date !== date) changes.push(`截止日期：${was.date} → ${date}`);
      // A date the clerk wrote is theirs: no longer presumed.
      const rest = { ...was };
      delete rest.implied;
      deadlines.push(was.date === date ? was : { ...rest, date });
    } else {
      changes.push(`新增截止日期 ${date}`);
      deadlines.push({ date, text: ADDED_TEXT });
    }
  });
  const outside = row.deadline.find((d) => d && !d.startsWith(String(year)) && !d.startsWith(String(year + 1)));
  if (outside) return { why: `截止日期 ${outside} 不在计划年度 ${year} 或次年：请改正` };

  const oldRec = task.recurring ?? [];
  const recurring: NonNullable<PlanTask['recurring']> = [];
  row.cadence.forEach((cadence, i) => {
    const was = oldRec[i];
    const day = row.dueDay[i];
    if (!cadence) {
      if (was) changes.push(`删除周期 ${CADENCE_CN[was.cadence]}`);
      return;
    }
    const dueDay = typeof day === 'number' ? day : undefined;
    if (was) {
      if (was.cadence !== cadence || was.dueDay !== dueDay) changes.push(`周期：${CADENCE_CN[was.cadence]}${was.dueDay ? `${was.dueDay}日前` : ''} → ${CADENCE_CN[cadence]}${dueDay ? `${dueDay}日前` : ''}`);
      const rest = { ...was };
      delete rest.dueDay;
      recurring.push({ ...rest, cadence, ...(dueDay ? { dueDay } : {}) });
    } else {
      changes.push(`新增周期 ${CADENCE_CN[cadence]}${dueDay ? `${dueDay}日前` : ''}`);
      recurring.push({ cadence, text: ADDED_TEXT, ...(dueDay ? { dueDay } : {}) });
    }
  });

  const oldQuota = task.quotas ?? [];
  const quotas: NonNullable<PlanTask['quotas']> = [];
  row.quota.forEach((min, i) => {
    const was = oldQuota[i];
    if (min === '') {
      if (was) changes.push(`删除次数要求 ≥${was.min}`);
      return;
    }
    if (was) {
      if (was.min !== min) changes.push(`次数要求：≥${was.min} → ≥${min}`);
      quotas.push({ ...was, min });
    } else {
      changes.push(`新增次数要求 ≥${min}`);
      quotas.push({ min, text: ADDED_TEXT });
    }
  });

  const rest = { ...task };
  delete rest.leads;
  delete rest.review;
  delete rest.partWorkingDaysBefore;
  const partWorkingDaysBefore = task.partWorkingDaysBefore;
  const next: PlanTask = {
    ...rest,
    title: row.title,
    lead: leads[0] ?? '',
    ...(leads.length > 1 ? { leads } : {}),
    coUnits: co,
    accountable: row.accountable,
    ...(row.accountable === 'lead+co' && partWorkingDaysBefore !== undefined ? { partWorkingDaysBefore } : {}),
    deadlines,
    recurring,
    quotas,
  };
  if (task.review?.length) changes.push(`已核对（清除解析提示 ${task.review.length} 条）`);
  return { task: next, changes };
}
