/**
 * The chat command grammar: what coordinators and supervisors type in WeChat, as they type it. Pure: never
 * throws, and answers every text with a command, a short reason in Chinese, or "not a command" (chatter,
 * which a group gets no answer to).
 *
 *   收到 12b / 收到 任务1 / 1 收到 / 已收到，任务1马上落实 / 全部收到      acknowledge
 *   完成 1 已报送县局 / 任务1已完成，排查台账已报县局                       complete, with a note
 *   进度 19 60% [全省 55%] / 19号任务进度60%                               progress against a bar
 *   走访 12 +1 / 走访 12 第2项 +1 / 12号任务走访2次                         quota actions
 *   延期 15 2022-07-15 理由 / 申请延期 任务15 至7月15日 原因：等待编办批复   ask for an extension
 *   同意延期 15 / 不同意延期 15 理由 / 驳回 1 材料不全                      supervisors decide
 *   我的任务 / 帮助
 *
 * A duty is named by its reply code (the task number, with a letter when the unit holds several duties of
 * that task: 19a, 19b) or by the task number written as 任务19, 19号任务, 第19项, or next to the verb. A
 * number that is a date, a percentage or a count is never taken for a task. Which duty a command acts on is
 * decided later (bot/resolve.ts), never guessed here.
 */
import { CODE_PREFIXES } from '../workflows/codes';
import { z } from 'zod';
import { withoutWeChatQuote } from './quoted';

interface Ref {
  /** The task number, when the text names one. */
  task?: number;
  /** The reply code as written (lower case), e.g. '19b' or '12'; absent when the text names no duty. */
  code?: string;
}

export type Command =
  | ({ kind: 'acknowledge'; all?: boolean } & Ref)
  | ({ kind: 'complete'; note: string } & Ref)
  | ({ kind: 'progress'; percent: number; bar?: number } & Ref)
  | ({ kind: 'actions'; count: number; item?: number } & Ref)
  | ({ kind: 'extension'; date: string; reason: string } & Ref)
  | ({ kind: 'decide'; approve: boolean; reason?: string } & Ref)
  | ({ kind: 'reject'; reason: string } & Ref)
  | ({ kind: 'undo'; what?: 'acknowledged' | 'completed' | 'progress' | 'actions' } & Ref)
  | { kind: 'mine' }
  | { kind: 'help' };

/** ok: a command; refused: looks like a command but is incomplete (the reason says the exact form); ignore: chatter. */
export type ParseResult = { ok: true; command: Command } | { ok: false; reason: string; ignore?: boolean; kind?: Command['kind'] };

/** Longest accepted message; WeChat allows more, a command never needs it. */
export const MAX_COMMAND_LENGTH = 500;

export const HELP_TEXT = [
  '督办助手可识别的回复（编号见每条提醒，如 12、19b）：',
  '收到 12 —— 确认（只有一项待办时回复「收到」即可）',
  '完成 12 情况说明 —— 报办结',
  '进度 19 60% 全省55% —— 报本月进度',
  '走访 12 +1 —— 报走访次数',
  '延期 15 7月15日 原因：…… —— 申请延期',
  '撤回 12 —— 撤回本人当天的确认、办结、进度或次数（督办单位审核前）',
  '我的任务 —— 查看本单位待办及编号',
  '督办单位：同意延期 15 / 不同意延期 15 理由 / 驳回 1 理由',
].join('\n');

const NOT_UNDERSTOOD = '没有看懂这条回复。回复「帮助」查看可用指令。';

/** Full-width digits, letters, punctuation and spaces become half-width; runs of spaces collapse. */
export function normalizeChat(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0xff01 && code <= 0xff5e) out += String.fromCodePoint(code - 0xfee0);
    else if (code === 0x3000 || ch === '\u00a0') out += ' ';
    else out += ch;
  }
  // Drop @mentions of the bot and WeChat's invisible separator.
  return out.replace(/@\S+[\u2005\s]/g, ' ').replace(/[\u2005\u200b]/g, ' ').replace(/\s+/g, ' ').trim();
}

type Verb = 'undo' | 'decide-no' | 'decide-yes' | 'reject' | 'extension' | 'progress' | 'actions' | 'complete' | 'acknowledge' | 'mine' | 'help';

/** In priority order: a text with several verbs means the first found here (完成 implies 收到). */
const VERBS: [Verb, RegExp][] = [
  // Taking a reply back names what it takes back (撤回刚才的完成): the other verb is its object, never a report.
  ['undo', /撤回|撤销|撤消|收回刚才|取消刚才/],
  // 同意 alone only opens a reply: 「经局领导同意，任务1已完成」 is a completion.
  ['decide-no', /不同意延期|不批准延期|不予延期|驳回延期|^不同意(?!见)/],
  ['decide-yes', /同意延期|批准延期|准予延期|^同意(?!见)/],
  ['reject', /驳回|退回/],
  ['extension', /申请延期|延期|推迟|延后|缓办/],
  ['progress', /进度|进展|完成率/],
  ['actions', /走访|到村|入户|帮扶|慰问|送温暖/],
  ['complete', /已办结|办结|已完成|完成|做完|办完|搞定/],
  ['acknowledge', /收到|确认|已阅|知悉|明白|照办|马上落实|立即落实|抓紧落实|(?<![a-z])ok(?![a-z])/i],
  ['mine', /我的任务|我的待办|待办事项|有哪些任务|查看任务|^待办$/],
  ['help', /^(帮助|help|\?|怎么回复|怎么用|使用说明)$/i],
];

/** Words before a verb that turn it around: 没收到, 尚未完成, 还没有全部完成, 不明白. */
const NEGATION = /(没有|没|未|尚未|还没|还未|不能|无法|未能|没能|不)\s*(全部|都|按时|如期|及时)?\s*$/;
/** …or after it: 完成不了, 办不完. */
const NEGATION_AFTER = /^\s*(不了|不完|不成)/;
/** A promise is not a report: 会按时完成, 5月底前完成, 争取本周办结. */
const PROMISE = /(将|会|要|争取|预计|尽快|计划|准备|力争|保证|确保|前|以前|之前|内|以内)\s*(全部|按时|如期|及时)?\s*$/;

function findVerb(text: string): { verb: Verb; index: number; length: number } | undefined {
  // The verb a reply opens with is what it says (完成 12a 送温暖已开展, 收到了，会按时完成); otherwise the
  // first by priority.
  for (const [verb, re] of VERBS) {
    const m = new RegExp(`^(?:${re.source})`, re.flags.replace('g', '')).exec(text);
    if (m && !NEGATION_AFTER.test(text.slice(m[0].length))) return { verb, index: 0, length: m[0].length };
  }
  for (const [verb, re] of VERBS) {
    const global = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
    for (const m of text.matchAll(global)) {
      const before = text.slice(0, m.index);
      const after = text.slice(m.index + m[0].length);
      // A negated verb says nothing of that kind: try the next kind.
      if (verb !== 'decide-no' && (NEGATION.test(before) || NEGATION_AFTER.test(after))) break;
      if (verb === 'complete' && PROMISE.test(before)) continue;
      return { verb, index: m.index, length: m[0].length };
    }
  }
  return undefined;
}

const taskNo = z.coerce.number().int().min(1).max(999);
/** The letters later campaigns' codes start with (workflows/codes.ts). */
const CODE_PREFIX = `[${CODE_PREFIXES.join('')}]`;
const percentNo = z.coerce.number().min(0).max(100);

/** What follows a number that makes it anything but a task: a date, a percentage, a count, a year. */
const NOT_A_TASK_AFTER = /^\s*(?:[%月日年次天个人户周点时分万元岁份项条家所名场批篇期套村组级批台辆亩]|号(?!\s*任务)|\.\d|[-/]\d)/;

interface Found {
  task: number;
  code: string;
  start: number;
  end: number;
}

/** The duty the text names, if any, and where. */
function findRef(text: string, verb: { index: number; length: number }, allowItemForm: boolean, allowDayForm: boolean): Found | 'invalid' | undefined {
  const make = (m: RegExpExecArray, num: string | undefined, letter: string | undefined, prefix = ''): Found | 'invalid' => {
    const task = taskNo.safeParse(num);
    if (!task.success) return 'invalid';
    return { task: task.data, code: `${prefix.toLowerCase()}${task.data}${(letter ?? '').toLowerCase()}`, start: m.index, end: m.index + m[0].length };
  };
  // A code of a deployment's later campaign carries its letter first (b5, B19a). Read only where a code stands —
  // right after the verb, right before it, or after 任务 — and only with a letter campaigns are given: 「完成任务3，
  // 材料见附件B2」 is task 3, 「完成 3，见附件A1」 is 3.
  const prefixedAt = (m: RegExpExecArray | null, offset: number, lead = 0): Found | 'invalid' | undefined => {
    if (!m) return undefined;
    const task = taskNo.safeParse(m[lead + 2]);
    if (!task.success) return 'invalid';
    const start = offset + m.index + (lead ? (m[1]?.length ?? 0) : 0);
    return { task: task.data, code: `${(m[lead + 1] ?? '').toLowerCase()}${task.data}${(m[lead + 3] ?? '').toLowerCase()}`, start, end: offset + m.index + m[0].length };
  };
  const afterVerb = verb.index + verb.length;
  const prefixed =
    prefixedAt(new RegExp(`^(\\s*[:：,，]?\\s*)(${CODE_PREFIX})(\\d{1,3})([a-z])?(?![a-z\\d])`, 'i').exec(text.slice(afterVerb)), afterVerb, 1) ??
    prefixedAt(new RegExp(`(?<![\\da-z.])(${CODE_PREFIX})(\\d{1,3})([a-z])?(?=\\s*[,，:：]?\\s*$)`, 'i').exec(text.slice(0, verb.index)), 0) ??
    prefixedAt(new RegExp(`任务\\s*(${CODE_PREFIX})(\\d{1,3})([a-z])?(?![a-z\\d])`, 'i').exec(text), 0);
  if (prefixed) return prefixed;
  const patterns: RegExp[] = [
    /任务\s*(\d{1,4})([a-z](?![a-z\d]))?(?!\d)/i,
    /(\d{1,4})([a-z])?\s*号\s*任务/i,
    /(?<![\d.a-z])(\d{1,3})([a-z])(?![a-z\d])/i,
  ];
  if (allowItemForm) patterns.push(/第\s*(\d{1,3})\s*(?:项|条)()/);
  for (const re of patterns) {
    const m = re.exec(text);
    if (m) return make(m, m[1], m[2]);
  }
  // 「收到1号」「1号收到」: N号 next to the verb names task N (a date's 号 follows 月: 7月1号); an extension's N号 is a day.
  if (allowDayForm) {
    const numberedAfter = /^\s*[:：,，]?\s*(\d{1,3})\s*号(?![文楼院\d])/.exec(text.slice(verb.index + verb.length));
    if (numberedAfter) {
      const start = verb.index + verb.length + numberedAfter[0].indexOf(numberedAfter[1] ?? '');
      const task = taskNo.safeParse(numberedAfter[1]);
      if (!task.success) return 'invalid';
      return { task: task.data, code: String(task.data), start, end: verb.index + verb.length + numberedAfter[0].length };
    }
    const numberedBefore = /(?<![\d.\-/年月])(\d{1,3})\s*号\s*[,，:：]?\s*$/.exec(text.slice(0, verb.index));
    if (numberedBefore) {
      const task = taskNo.safeParse(numberedBefore[1]);
      if (task.success) return { task: task.data, code: String(task.data), start: numberedBefore.index, end: numberedBefore.index + numberedBefore[0].length };
    }
  }
  // A bare number right after the verb (完成 1, 收到1) or right before it (1 收到).
  const after = /^\s*[:：,，]?\s*(\d{1,4})(?!\d)/.exec(text.slice(verb.index + verb.length));
  if (after && !NOT_A_TASK_AFTER.test(text.slice(verb.index + verb.length + after[0].length))) {
    const start = verb.index + verb.length + after[0].length - (after[1]?.length ?? 0);
    const task = taskNo.safeParse(after[1]);
    if (!task.success) return 'invalid';
    return { task: task.data, code: String(task.data), start, end: start + (after[1]?.length ?? 0) };
  }
  const before = /(?<![\d.\-/年月])(\d{1,3})\s*[,，:：]?\s*$/.exec(text.slice(0, verb.index));
  if (before) {
    const task = taskNo.safeParse(before[1]);
    if (task.success) return { task: task.data, code: String(task.data), start: before.index, end: before.index + before[0].length };
  }
  return undefined;
}

/** A date as people write it; the year is left out when they leave it out (the duty's year fills it in). */
const DATE_PATTERNS: RegExp[] = [
  /(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?/,
  /()(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?/,
  /()(?<![\d.])(\d{1,2})\s*[.\-/]\s*(\d{1,2})(?![\d.%])/,
];

function findDate(text: string): { date: string; start: number; end: number } | 'invalid' | undefined {
  for (const re of DATE_PATTERNS) {
    const m = re.exec(text);
    if (!m) continue;
    const [year, month, day] = [m[1] ? Number(m[1]) : undefined, Number(m[2]), Number(m[3])];
    if (!isRealMonthDay(year ?? 2024, month, day)) return 'invalid';
    const md = `${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    return { date: year ? `${year}-${md}` : md, start: m.index, end: m.index + m[0].length };
  }
  return undefined;
}

function isRealMonthDay(year: number, month: number, day: number): boolean {
  const d = new Date(Date.UTC(year, month - 1, day));
  return month >= 1 && month <= 12 && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/** "2022-07-15", or "07-15" completed with the duty's year; undefined when that date does not exist. */
export function resolveDate(date: string, year: number): string | undefined {
  const full = /^\d{4}-/.test(date) ? date : `${year}-${date}`;
  const [y, m, d] = full.split('-').map(Number);
  return isRealMonthDay(y ?? 0, m ?? 0, d ?? 0) ? full : undefined;
}

/** An extension's date: a date without a year is the first such date after the deadline. */
export function extensionDate(date: string, deadline: string): string | undefined {
  const year = Number(deadline.slice(0, 4));
  const first = resolveDate(date, year);
  if (!first || /^\d{4}-/.test(date) || first > deadline) return first;
  return resolveDate(date, year + 1);
}

const PUNCT = /^[\s,，.。!！?？;；:：、~～…—-]+|[\s,，.。!！?？;；:：、~～…—-]+$/g;

/** Text left once the verb, the duty and other pieces are cut out. */
function remainder(text: string, cuts: { start: number; end: number }[]): string {
  let out = '';
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a.start - b.start)) {
    if (c.start < at) continue;
    out += `${text.slice(at, c.start)} `;
    at = c.end;
  }
  out += text.slice(at);
  return out.replace(/\s+/g, ' ').replace(PUNCT, '').trim();
}

const CN_DIGIT: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
const CN_NUMERAL = '[零〇一二两三四五六七八九十百]+';

/** 一 → 1, 十二 → 12, 二十三 → 23, 一百零五 → 105; undefined for what is no number (一十百). */
export function numeralValue(cn: string): number | undefined {
  if (/^[零〇一二两三四五六七八九]{2,}$/.test(cn)) return Number([...cn].map((c) => CN_DIGIT[c]).join(''));
  let total = 0;
  let digit: number | undefined;
  for (const ch of cn) {
    if (ch === '百' || ch === '十') {
      const unit = ch === '百' ? 100 : 10;
      if (digit === undefined && (unit === 100 || total % 100 !== 0)) return undefined;
      total += (digit ?? 1) * unit;
      digit = undefined;
    } else if (ch in CN_DIGIT) {
      if (digit !== undefined && digit !== 0) return undefined;
      digit = CN_DIGIT[ch];
    } else return undefined;
  }
  return total + (digit ?? 0);
}

/**
 * Chinese numerals where a task stands become digits: 任务一, 第三项, 十二号任务, 收到十二, 十二号. Elsewhere they stay
 * words: 一半, 第一批, 五月一号 (a date), 三次 (a count).
 */
export function digitsForNumerals(text: string): string {
  const n = (cn: string) => {
    const v = numeralValue(cn);
    return v === undefined ? cn : String(v);
  };
  return text
    .replace(new RegExp(`任务\\s*(${CN_NUMERAL})(?![次个天月日年])`, 'g'), (_m, cn: string) => `任务${n(cn)}`)
    .replace(new RegExp(`第\\s*(${CN_NUMERAL})\\s*(项|条|号)`, 'g'), (_m, cn: string, w: string) => `第${n(cn)}${w}`)
    .replace(new RegExp(`(?<![月年\\d零〇一二两三四五六七八九十百])(${CN_NUMERAL})\\s*号(?![文楼院])`, 'g'), (_m, cn: string) => `${n(cn)}号`)
    .replace(new RegExp(`(收到|确认|完成|办结|撤回|撤销)\\s*(${CN_NUMERAL})(?=$|[\\s,，。.!！、])`, 'g'), (_m, verb: string, cn: string) => `${verb} ${n(cn)}`);
}

const REASON = /(?:原因|理由|因为|由于)\s*(?:是|为|:|：)?\s*/;
/** "理由：…" at the start of a decision's reason; "理由不充分" is itself the reason. */
const REASON_LABEL = /^(?:原因|理由)\s*(?:是|为|:|：)\s*/;

export function parseCommand(raw: string): ParseResult {
  if (typeof raw !== 'string') return { ok: false, reason: '只能识别文字消息。回复「帮助」查看用法。' };
  // A quote-reply's quote is our own message (or someone else's), never what this person said.
  raw = withoutWeChatQuote(raw);
  if (raw.length > MAX_COMMAND_LENGTH) return { ok: false, reason: `消息过长（超过 ${MAX_COMMAND_LENGTH} 字），请只回复指令。` };
  const text = digitsForNumerals(normalizeChat(raw));
  const found = findVerb(text);
  if (!found) return { ok: false, reason: NOT_UNDERSTOOD, ignore: true };
  // A question about a duty is not a report of it: 任务1完成了吗？
  if (/吗|么|[?？]\s*$/.test(text) && found.verb !== 'help') return { ok: false, reason: NOT_UNDERSTOOD, ignore: true };
  const result = parseWithVerb(text, found);
  if (!result.ok && !result.ignore) return { ...result, kind: KIND_OF_VERB[found.verb] };
  return result;
}

const KIND_OF_VERB: Record<Verb, Command['kind']> = {
  undo: 'undo',
  'decide-no': 'decide',
  'decide-yes': 'decide',
  reject: 'reject',
  extension: 'extension',
  progress: 'progress',
  actions: 'actions',
  complete: 'complete',
  acknowledge: 'acknowledge',
  mine: 'mine',
  help: 'help',
};

function parseWithVerb(text: string, verbFound: { verb: Verb; index: number; length: number }): ParseResult {
  let found = verbFound;
  const { verb } = found;
  if (verb === 'mine') return { ok: true, command: { kind: 'mine' } };
  if (verb === 'help') return { ok: true, command: { kind: 'help' } };
  // 「收到收到 1」: a verb said twice is said once.
  let verbEnd = found.index + found.length;
  const word = text.slice(found.index, verbEnd);
  while (word && text.startsWith(word, verbEnd)) verbEnd += word.length;
  const verbCut = { start: found.index, end: verbEnd };
  found = { ...found, length: verbEnd - found.index };
  const found2 = findRef(text, found, verb !== 'actions', verb !== 'extension');
  if (found2 === 'invalid') return { ok: false, reason: '任务编号不对，请按提醒中的编号回复，或回复「我的任务」查看。' };
  const ref = found2;
  // Several duties in one reply (收到1、2、3) is not guessed at: one reply names one duty.
  if (ref && verb !== 'progress' && verb !== 'actions' && verb !== 'extension' && namesAnother(text.slice(ref.end))) {
    return { ok: false, reason: `一条回复请只写一项编号，例如「${exampleOf(verb)}」。` };
  }
  const named = ref ? { task: ref.task, code: ref.code } : {};
  const cuts = [verbCut, ...(ref ? [ref] : [])];
  switch (verb) {
    case 'acknowledge': {
      const all = /全部|都|均|所有/.test(text);
      return { ok: true, command: { kind: 'acknowledge', ...named, ...(all && !ref ? { all: true } : {}) } };
    }
    case 'complete': {
      // 已完成80% is a progress report.
      const pct = /^\s*(\d{1,3}(?:\.\d+)?)\s*%/.exec(text.slice(verbCut.end));
      if (pct) {
        const value = percentNo.safeParse(pct[1]);
        if (!value.success) return { ok: false, reason: '进度请写成百分数，例如「进度 19 60%」。' };
        return { ok: true, command: { kind: 'progress', ...named, percent: value.data } };
      }
      const note = remainder(text, cuts).replace(/^了\s*/, '').replace(/^(收到|好的)\s*/, '');
      return { ok: true, command: { kind: 'complete', ...named, note: note.slice(0, 300) || '（未附说明）' } };
    }
    case 'progress': {
      const rest = remainder(text, cuts);
      const values = [...rest.matchAll(/(全省|全市|基准|平均|比较)?\s*(\d{1,3}(?:\.\d+)?)\s*%/g)];
      const own = values.find((v) => !v[1]) ?? values[0];
      const bar = values.find((v) => v !== own && v[1]);
      const value = percentNo.safeParse(own?.[2]);
      const barValue = bar ? percentNo.safeParse(bar[2]) : undefined;
      if (!own || !value.success || (barValue && !barValue.success)) return { ok: false, reason: '进度请写成百分数，例如「进度 19 60% 全省55%」。' };
      return { ok: true, command: { kind: 'progress', ...named, percent: value.data, ...(barValue?.success ? { bar: barValue.data } : {}) } };
    }
    case 'actions': {
      const rest = remainder(text, cuts);
      const item = /第\s*(\d{1,2})\s*[项条]/.exec(rest);
      const countText = /\+\s*(\d{1,4})|(\d{1,4})\s*次/.exec(rest);
      const count = z.coerce.number().int().min(1).max(100).safeParse(countText ? (countText[1] ?? countText[2]) : 1);
      if (!count.success) return { ok: false, reason: '次数请写成「走访 12 +1」（每次 1–100）。' };
      return { ok: true, command: { kind: 'actions', ...named, count: count.data, ...(item ? { item: Number(item[1]) } : {}) } };
    }
    case 'extension': {
      const date = findDate(text);
      if (date === 'invalid') return { ok: false, reason: '这个日期不存在，请核对，例如「延期 15 7月15日 原因：等待批复」。' };
      if (!date) return { ok: false, reason: '延期请写明日期和原因，例如「延期 15 7月15日 原因：等待编办批复」。' };
      const reasonMatch = REASON.exec(text);
      const reason = reasonMatch
        ? text.slice(reasonMatch.index + reasonMatch[0].length).replace(PUNCT, '').trim()
        : remainder(text, [...cuts, date]).replace(/^(至|到|延至|延到|推迟到)\s*/, '').replace(/(申请|请求)/g, '').replace(PUNCT, '').trim();
      if (!reason) return { ok: false, reason: '请写明延期原因，例如「延期 15 7月15日 原因：等待编办批复」。' };
      return { ok: true, command: { kind: 'extension', ...named, date: date.date, reason: reason.slice(0, 300) } };
    }
    case 'undo': {
      // 「撤回刚才的完成」: what is taken back, when the text says (only that kind is undone).
      const rest = text.slice(verbCut.end);
      const what = /完成|办结/.test(rest) ? 'completed' : /收到|确认/.test(rest) ? 'acknowledged' : /进度/.test(rest) ? 'progress' : /走访|次数|慰问/.test(rest) ? 'actions' : undefined;
      return { ok: true, command: { kind: 'undo', ...named, ...(what ? { what } : {}) } };
    }
    case 'decide-yes':
      return { ok: true, command: { kind: 'decide', ...named, approve: true } };
    case 'decide-no': {
      const reason = remainder(text, cuts).replace(REASON_LABEL, '').replace(PUNCT, '').trim();
      return { ok: true, command: { kind: 'decide', ...named, approve: false, ...(reason ? { reason: reason.slice(0, 300) } : {}) } };
    }
    case 'reject': {
      const reason = remainder(text, cuts).replace(REASON_LABEL, '').replace(PUNCT, '').trim();
      if (!reason) return { ok: false, reason: '请写明驳回理由，例如「驳回 1 材料不全」。' };
      return { ok: true, command: { kind: 'reject', ...named, reason: reason.slice(0, 300) } };
    }
  }
}

/** The exact reply to send for a kind of command and a duty's code, as messages and answers print it. */
export function replyForm(kind: 'acknowledge' | 'complete' | 'progress' | 'actions' | 'extension' | 'decide-yes' | 'decide-no' | 'reject' | 'undo', code: string): string {
  return {
    acknowledge: `收到 ${code}`,
    complete: `完成 ${code} 情况说明`,
    progress: `进度 ${code} 60%`,
    actions: `走访 ${code} +1`,
    extension: `延期 ${code} 7月15日 原因：……`,
    'decide-yes': `同意延期 ${code}`,
    'decide-no': `不同意延期 ${code} 理由`,
    reject: `驳回 ${code} 理由`,
    undo: `撤回 ${code}`,
  }[kind];
}

/** Right after a duty reference: another one (收到1、2、3 / 收到 19a 19b), not a count or a date. */
function namesAnother(rest: string): boolean {
  const m = /^\s*(?:[、,，和及与]\s*|\s+)(?:任务)?\s*(\d{1,3})([a-z])?(?![a-z\d])/i.exec(rest);
  if (!m) return false;
  return !NOT_A_TASK_AFTER.test(rest.slice(m[0].length)) && !/^\s*[+＋]/.test(rest);
}

function exampleOf(verb: Verb): string {
  const forms: Partial<Record<Verb, string>> = {
    acknowledge: '收到 12a',
    complete: '完成 12a 情况说明',
    'decide-yes': '同意延期 15 县委组织部',
    'decide-no': '不同意延期 15 县委组织部 理由',
    reject: '驳回 1 县民政局 理由',
  };
  return forms[verb] ?? '收到 12a';
}
