/**
 * Chinese government work notice → duty plan. Reads sections (一、 / (一)), numbered tasks (1. 2． 3、),
 * responsibility clauses in either form — (责任单位:A,B、C), lead before the first comma, or
 * (牵头单位:A;配合单位:B、C) — with full- or half-width punctuation and 〔〕/()/（）/【】 brackets, and the
 * time phrases, cadences, quotas and targets inside each task, each kept with its exact source sentence.
 */
import { officialCalendar } from '../calendar/official';
import { dayNumber, shiftWorkingDays } from '../calendar/working-days';
import type { Plan, PlanTask } from '../plan/schema';
import { SECTION_RE, SUBSECTION_RE, TASK_RE } from './headings';
import { holidayBreakEnd } from './holidays';
import { impliedDeadline } from './implied';
import { bracketResponsibility, isVagueUnit, looksLikeUnit, subjectResponsibility, type UnitTest } from './units';
import { findDeadlines, findQuotas, findRecurring, findTargets, normalizeWidth, parseCount, PhraseError, type DeadlineContext, type PhraseErrorCode } from './phrases';

export class NoticeError extends Error {
  constructor(
    readonly code: 'NOT_A_NOTICE' | 'NO_YEAR' | PhraseErrorCode,
    readonly file: string,
    readonly line: number | undefined,
    message: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${message}`);
    this.name = 'NoticeError';
  }
}

const OPEN = '〔(【[';
const CLOSE = '〕)】]';
const UNIT_SPLIT_RE = /[、,;]/;

interface Responsibility {
  /** The principal first; several when the notice names joint leads. */
  leads: string[];
  coUnits: string[];
  /** Start and end (exclusive) of the whole bracketed clause in the task text; none when said in a sentence. */
  start: number;
  end: number;
  /** How it was said: a 「责任单位：」 clause, a bracket without that keyword, or a sentence's subject. */
  form: 'clause' | 'bracket' | 'subject';
  phrase?: string;
}

/** The bracketed groups of a text, outermost, balanced over nested ones such as 各乡镇(街道). */
function bracketed(n: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let depth = 0;
  let start = -1;
  for (let i = 0; i < n.length; i++) {
    const ch = n[i] ?? '';
    if (OPEN.includes(ch)) {
      if (depth === 0) start = i;
      depth++;
    } else if (CLOSE.includes(ch) && depth > 0) {
      depth--;
      if (depth === 0) out.push({ start, end: i + 1 });
    }
  }
  if (depth > 0 && start >= 0) out.push({ start, end: n.length });
  return out;
}

const splitUnits = (s: string) =>
  s
    .split(UNIT_SPLIT_RE)
    .map((u) => u.trim())
    .filter((u) => u !== '' && u !== '等');

/**
 * Finds the responsibility: a bracketed 「责任单位：」/「牵头单位：」 clause first, else a bracket that says it in words
 * (「（A、B分工负责；C）」), else the subject of one of the task's sentences (「县林业局负责……」, 「由X牵头」).
 * `isUnit` tells units from other nouns for the sentence forms (the directory, or a name's form).
 */
export function findResponsibility(text: string, isUnit: UnitTest = looksLikeUnit): Responsibility | undefined {
  const n = normalizeWidth(text);
  const groups = bracketed(n);
  const keyed = groups.find((g) => /^[〔(【[]\s*(责任单位|牵头单位)\s*:/.test(n.slice(g.start, g.end)));
  if (keyed) {
    const { start, end } = keyed;
    // The clause without its outer brackets and without notes such as (逗号前为牵头单位,下同).
    let body = n.slice(start + 1, end - (CLOSE.includes(n[end - 1] ?? '') ? 1 : 0)).replace(/[([【〔][^()[\]【】〔〕]*(牵头|下同)[^()[\]【】〔〕]*[)\]】〕]/g, '');
    if (/^\s*牵头单位/.test(body)) {
      body = body.replace(/^\s*牵头单位\s*:/, '');
      const [leadPart = '', ...rest] = body.split(/;|(?=配合单位|协办单位|参与单位|责任单位)/);
      const coPart = rest.join(';').replace(/(配合单位|协办单位|参与单位|责任单位)\s*:/g, '');
      // 「牵头单位：A、B、C」: all three lead (each gets the duty); the co-units are only those named after.
      return { leads: splitUnits(leadPart), coUnits: splitUnits(coPart), start, end, form: 'clause' };
    }
    body = body.replace(/^\s*责任单位\s*:/, '');
    const comma = body.indexOf(',');
    // 「责任单位：A，B、C」: the lead before the first comma (「A、B，C」: A and B lead jointly).
    const leads = comma < 0 ? splitUnits(body).slice(0, 1) : splitUnits(body.slice(0, comma));
    const coUnits = comma < 0 ? splitUnits(body).slice(1) : splitUnits(body.slice(comma + 1));
    return { leads, coUnits, start, end, form: 'clause' };
  }
  const explicit = (u: string) => looksLikeUnit(u) || isUnit(u);
  for (const g of groups) {
    const said = bracketResponsibility(n.slice(g.start + 1, g.end - 1), explicit);
    if (said) return { leads: said.leads, coUnits: said.coUnits, start: g.start, end: g.end, form: 'bracket', phrase: text.slice(g.start, g.end) };
  }
  const subjects = sentences(n).map((s) => subjectResponsibility(s, isUnit)).filter((r) => r !== undefined);
  if (subjects.length === 0) return undefined;
  // 「县发改局负责……。县财政局负责……。」: each sentence's subject leads its part of the task.
  const leads = [...new Set(subjects.flatMap((r) => r.leads))];
  const coUnits = [...new Set(subjects.flatMap((r) => r.coUnits))].filter((u) => !leads.includes(u));
  return { leads, coUnits, start: 0, end: 0, form: 'subject', phrase: subjects.map((r) => r.phrase).join('；') };
}

/** Sentences of a text, each with its exact characters; 。！？ and line ends close a sentence. */
export function sentences(text: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const ch of text) {
    if (ch === '\n') {
      if (current.trim()) out.push(current.trim());
      current = '';
      continue;
    }
    // An ASCII full stop followed by a space also ends a sentence (3.32 does not).
    if (ch === ' ' && current.endsWith('.')) {
      if (current.trim()) out.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
    if ('。！？!?'.includes(ch)) {
      if (current.trim()) out.push(current.trim());
      current = '';
    }
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

const CLAUSE_BREAK = /[,，;；:：、\s“”"]/;

/**
 * The clause of `sentence` around the phrase at `index`: bounded by commas, semicolons, spaces or quotes,
 * and extended to the next clause when the phrase stands alone (“6月底前,出台……”).
 */
export function clauseOf(sentence: string, index: number, phrase: string, extend = false): string {
  const isBreak = (i: number) => CLAUSE_BREAK.test(sentence[i] ?? ',');
  const isComma = (i: number) => /[,，;；]/.test(sentence[i] ?? ',');
  let start = index;
  while (start > 0 && !isBreak(start - 1)) start--;
  let end = index + phrase.length;
  while (end < sentence.length && !isBreak(end)) end++;
  if (extend && sentence.slice(start, end).trim() === phrase.trim() && end < sentence.length) {
    end++;
    while (end < sentence.length && !isComma(end)) end++;
  }
  return sentence.slice(start, end).replace(/[,，;；:：\s“”"。]+$/, '').replace(/^[“"\s]+/, '').trim();
}

export interface ParseOptions {
  /** Plan year; defaults to the year in the title or the notice date. */
  year?: number;
  /** File name for error messages. */
  file?: string;
  /**
   * Whether a name is a unit of the directory (or one of its groups). Given, it decides which subjects of a
   * sentence are units (「县林业局负责……」 against 「专项资金要……」) and flags names it does not know.
   */
  isUnit?: UnitTest;
}

/** What a person must check on a task before the plan runs, each with the reason, in Chinese. */
export type Review = NonNullable<PlanTask['review']>[number];

/** A phrase found in width-normalized text, with Chinese punctuation again for the person reading it. */
const shown = (phrase: string | undefined) => (phrase ?? '').replace(/,/g, '，').replace(/;/g, '；').replace(/:/g, '：');

function reviewOf(resp: Responsibility | undefined, deadlines: NonNullable<PlanTask['deadlines']>, isUnit: UnitTest | undefined): Review[] {
  const out: Review[] = [];
  if (!resp || resp.leads.length === 0) {
    out.push({ field: 'lead', reason: '未找到牵头单位：请在本任务中填写牵头单位 (no lead found)' });
  } else {
    if (resp.form === 'subject') out.push({ field: 'lead', reason: `牵头单位由句中「${shown(resp.phrase)}」推断，请核对 (lead read from the sentence's subject)` });
    if (resp.form === 'bracket') out.push({ field: 'lead', reason: `牵头单位由「${resp.phrase ?? ''}」推断，请核对 (lead read from a bracket without 牵头单位)` });
    if (resp.leads.length > 1) out.push({ field: 'leads', reason: `多个牵头单位（${resp.leads.join('、')}），每个单位各有一项督办任务，请核对 (several leads: each gets the duty)` });
  }
  for (const [field, names] of [['lead', resp?.leads ?? []], ['coUnits', resp?.coUnits ?? []]] as const) {
    for (const name of names) {
      if (isVagueUnit(name)) out.push({ field, reason: `「${name}」不是具体单位，请改为通讯录中的单位 (a vague unit: name the units)` });
      else if (isUnit && !isUnit(name)) out.push({ field, reason: `通讯录中没有「${name}」：请改正名称或在通讯录中登记 (not in the directory)` });
    }
  }
  if (deadlines.some((d) => d.implied)) out.push({ field: 'deadlines', reason: '通知未列明时限，推定年底前（12月31日）办结，请核对 (implied year-end deadline)' });
  return out;
}

function findNoticeDate(lines: string[]): string | undefined {
  for (const raw of lines) {
    const line = normalizeWidth(raw);
    const iso = /发布日期\s*:?\s*(\d{4})-(\d{1,2})-(\d{1,2})/.exec(line);
    const cn = /^\s*(\d{4})年(\d{1,2})月(\d{1,2})日\s*$/.exec(line);
    const m = iso ?? cn;
    if (m) return `${m[1]}-${(m[2] ?? '').padStart(2, '0')}-${(m[3] ?? '').padStart(2, '0')}`;
  }
  return undefined;
}

export function parseNotice(text: string, options: ParseOptions = {}): Plan {
  const file = options.file ?? 'notice';
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const title = lines.find((l) => l.trim() !== '')?.trim() ?? '';
  const noticeDate = findNoticeDate(lines);
  const titleYear = /((?:19|20)\d{2})年/.exec(normalizeWidth(title))?.[1];
  // Group lines into tasks, remembering the section each task sits in and the line it starts on.
  let section = '';
  let subsection = '';
  const drafts: { number: number; line: number; section: string; text: string }[] = [];
  let current: (typeof drafts)[number] | undefined;
  lines.forEach((raw, i) => {
    const line = normalizeWidth(raw);
    const sec = SECTION_RE.exec(line);
    const sub = SUBSECTION_RE.exec(line);
    const task = TASK_RE.exec(line);
    if (sec && !task) {
      section = raw.trim().slice(raw.trim().indexOf('、') + 1).trim();
      subsection = '';
      current = undefined;
    } else if (sub && !task && line.trim().length <= 40) {
      subsection = raw.trim().replace(/^[(（][一二三四五六七八九十]+[)）]\s*/, '');
      current = undefined;
    } else if (task) {
      const offset = raw.length - (task[2] ?? '').length;
      current = { number: Number(task[1]), line: i + 1, section: subsection || section, text: raw.slice(offset).trim() };
      drafts.push(current);
    } else if (current && raw.trim() !== '' && !/^\s*(分享到|附件)/.test(raw)) {
      // A task continues over following paragraphs until the next heading or task.
      const looksLikeSignature = /^\s{8,}\S/.test(raw) || /^\s*\d{4}年\d{1,2}月\d{1,2}日\s*$/.test(line);
      if (!looksLikeSignature) current.text += `\n${raw.trim()}`;
      else current = undefined;
    }
  });

  // A short notice may have no 「1.」 items at all: its 「一、」「二、」 items are then its tasks, each running to the
  // next (its (一) paragraphs included). Only then: where 「1.」 items exist, 「一、」 lines are their sections.
  if (drafts.length === 0) {
    lines.forEach((raw, i) => {
      const line = normalizeWidth(raw);
      const sec = SECTION_RE.exec(line);
      const number = sec ? parseCount(sec[1] ?? '') : undefined;
      if (sec && number !== undefined) {
        current = { number, line: i + 1, section: '', text: raw.trim().slice(raw.trim().indexOf('、') + 1).trim() };
        drafts.push(current);
      } else if (current && raw.trim() !== '' && !/^\s*(分享到|附件)/.test(raw)) {
        const looksLikeSignature = /^\s{8,}\S/.test(raw) || /^\s*\d{4}年\d{1,2}月\d{1,2}日\s*$/.test(line);
        if (!looksLikeSignature) current.text += `\n${raw.trim()}`;
        else current = undefined;
      }
    });
  }

  if (drafts.length === 0) {
    throw new NoticeError(
      'NOT_A_NOTICE',
      file,
      undefined,
      '没有找到编号任务（形如“1.任务名称。……”或“一、任务名称。……”），这不像一份工作通知 (no numbered tasks found: not a work notice)',
    );
  }

  const year = options.year ?? (titleYear ? Number(titleYear) : noticeDate ? Number(noticeDate.slice(0, 4)) : undefined);
  if (year === undefined) {
    throw new NoticeError('NO_YEAR', file, undefined, '无法判断计划年度，请用 --year 指定 (cannot tell the plan year; pass --year)');
  }

  // 「收到通知后15个工作日内」 counts working days on the official calendar from the notice's date, and
  // 「春节后一周内」 from the end of the holiday's break in the plan's year.
  const calendar = officialCalendar([year, year + 1]).calendar;
  const context: DeadlineContext = {
    ...(noticeDate ? { noticeDate } : {}),
    workingDaysAfter: (date, n) => shiftWorkingDays(calendar, date, n),
    nextWorkingDay: (date) => shiftWorkingDays(calendar, date, 0),
    holidayBreakEnd: (holiday, y) => holidayBreakEnd(holiday, y, calendar),
  };
  const tasks: PlanTask[] = drafts.map((draft) => {
    const resp = findResponsibility(draft.text, options.isUnit ?? looksLikeUnit);
    const lead = resp?.leads[0] ?? '';
    const body = resp ? draft.text.slice(0, resp.start) + draft.text.slice(resp.end) : draft.text;
    const firstStop = body.search(/[。！？\n]|\.\s/);
    const taskTitle = (firstStop < 0 ? body : body.slice(0, firstStop)).trim();
    const deadlines: NonNullable<PlanTask['deadlines']> = [];
    const recurring: NonNullable<PlanTask['recurring']> = [];
    const quotas: NonNullable<PlanTask['quotas']> = [];
    const targets: NonNullable<PlanTask['targets']> = [];
    for (const sentence of sentences(body)) {
      let found;
      try {
        found = findDeadlines(sentence, year, context);
      } catch (err) {
        if (err instanceof PhraseError) throw new NoticeError(err.code, file, draft.line, `任务${draft.number}：${err.message}`);
        throw err;
      }
      for (const d of found) {
        deadlines.push({
          date: d.date,
          text: sentence,
          clause: clauseOf(sentence, d.index, d.phrase, true),
          ...(noticeDate && dayNumber(d.date) < dayNumber(noticeDate) ? { pastAtNotice: true } : {}),
        });
      }
      for (const r of findRecurring(sentence)) {
        recurring.push({
          cadence: r.cadence,
          text: sentence,
          clause: clauseOf(sentence, r.index, r.phrase),
          ...(r.dueDay !== undefined ? { dueDay: r.dueDay, phrase: r.phrase } : {}),
          ...(r.forPreviousPeriod ? { forPreviousPeriod: true } : {}),
          ...(r.fromMonth !== undefined ? { fromMonth: r.fromMonth } : {}),
        });
      }
      for (const q of findQuotas(sentence)) quotas.push({ min: q.min, text: sentence, clause: clauseOf(sentence, q.index, q.phrase) });
      for (const t of findTargets(sentence)) targets.push({ text: sentence, phrase: t.phrase });
    }
    // 「建立月报制度。每月10日前报送上月…」 is one monthly report: the mention without a day goes to the one with it.
    // Likewise 「开展季度调度……完成时限：每季度末」: one report per cadence in a task, the first mention kept.
    const dated = new Set(recurring.filter((r) => r.dueDay !== undefined).map((r) => r.cadence));
    const seen = new Set<string>();
    const reports = recurring.filter((r) => {
      if (r.dueDay === undefined && dated.has(r.cadence)) return false;
      const key = `${r.cadence}/${r.dueDay ?? ''}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const implied = impliedDeadline({ lead, deadlines, recurring: reports, quotas }, year, sentences(body)[0] ?? taskTitle);
    const review = reviewOf(resp, implied ? [implied] : deadlines, options.isUnit);
    return {
      number: draft.number,
      title: taskTitle,
      section: draft.section,
      lead,
      // Only joint leads add the field: a one-lead plan reads as before.
      ...(resp && resp.leads.length > 1 ? { leads: resp.leads } : {}),
      coUnits: (resp?.coUnits ?? []).filter((u) => !resp?.leads.includes(u)),
      accountable: 'lead',
      deadlines: implied ? [implied] : deadlines,
      recurring: reports,
      quotas,
      targets,
      line: draft.line,
      ...(review.length ? { review } : {}),
    };
  });

  return { year, title, ...(noticeDate ? { noticeDate } : {}), source: file, tasks };
}
