/**
 * Time phrases, cadences, quotas and numeric targets found in one sentence of a notice.
 * Matching runs on a width-normalized copy of the text (same length), so every hit maps back to the
 * original characters and the exact sentence can be kept.
 */
import { addDays, endOfMonth, isValidDate } from '../calendar/working-days';

export type Cadence = 'monthly' | 'quarterly' | 'half-yearly' | 'yearly';

interface Hit {
  phrase: string;
  /** Where the phrase starts in the sentence. */
  index: number;
}
export interface DeadlineHit extends Hit {
  date: string;
}
export interface RecurringHit extends Hit {
  cadence: Cadence;
  /** Day of the month an instance is due (「每月10日前」); omitted = the period's end. */
  dueDay?: number;
  /** Each instance reports on the period before (「报送上月」, 「次月10日前」, 「每季度首月15日前」). */
  forPreviousPeriod?: boolean;
  /** 「自3月起，每月20日前……」: instances due before this month of the plan year do not exist. */
  fromMonth?: number;
}

/** Official holidays by the names the calendar package gives them. */
export type HolidayName = '元旦' | '春节' | '清明' | '劳动节' | '端午' | '中秋' | '国庆节';

/** What relative deadlines count from: the notice's date, and the official calendar for 工作日. */
export interface DeadlineContext {
  noticeDate?: string;
  /** The n-th working day after a date (the official calendar); needed for 「N个工作日内」. */
  workingDaysAfter?: (date: string, n: number) => string;
  /** The date itself when a working day, else the next one (the official calendar). */
  nextWorkingDay?: (date: string) => string;
  /** The last day off of a holiday's official break in a year; undefined when the calendar does not know it. */
  holidayBreakEnd?: (holiday: HolidayName, year: number) => string | undefined;
}
export interface QuotaHit extends Hit {
  min: number;
}
export type TargetHit = Hit;

export type PhraseErrorCode = 'NO_SUCH_DATE' | 'UNNAMED_HOLIDAY' | 'NO_HOLIDAY_DATES';

export class PhraseError extends Error {
  constructor(
    readonly phrase: string,
    message: string,
    readonly code: PhraseErrorCode = 'NO_SUCH_DATE',
  ) {
    super(message);
    this.name = 'PhraseError';
  }
}

/** Full-width ASCII and the ideographic space become ASCII; one character stays one character. */
export function normalizeWidth(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0xff01 && code <= 0xff5e) out += String.fromCodePoint(code - 0xfee0);
    else if (code === 0x3000) out += ' ';
    else out += ch;
  }
  return out;
}

const CN_DIGITS: Record<string, number> = { 〇: 0, 零: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/** 1–99 in Arabic or Chinese numerals (一, 十, 十二, 二十三). */
export function parseCount(token: string): number | undefined {
  if (/^\d+$/.test(token)) return Number(token);
  const m = /^([一二两三四五六七八九])?(十)?([一二三四五六七八九])?$/.exec(token);
  if (!m || token === '') return undefined;
  const [, tens, ten, ones] = m;
  if (!ten) return tens ? CN_DIGITS[tens] : undefined;
  return (tens ? (CN_DIGITS[tens] ?? 0) : 1) * 10 + (ones ? (CN_DIGITS[ones] ?? 0) : 0);
}

const NUM = '(\\d{1,2}|[一二两三四五六七八九十]{1,3})';

/** 次年 / 明年 / 翌年 just before a date: the date is in the year after the plan's. */
const NEXT_YEAR_RE = /(次年|明年|翌年|下一年度?)\s*$/;

/** The words notices use for each official holiday (五一劳动节 before 五一, so the longest wins). */
const HOLIDAY_NAMES: Record<string, HolidayName> = {
  元旦: '元旦',
  春节: '春节',
  清明节: '清明',
  清明: '清明',
  五一劳动节: '劳动节',
  五一节: '劳动节',
  五一: '劳动节',
  劳动节: '劳动节',
  端午节: '端午',
  端午: '端午',
  中秋节: '中秋',
  中秋: '中秋',
  国庆节: '国庆节',
  国庆: '国庆节',
};
const HOLIDAY = `(${Object.keys(HOLIDAY_NAMES).join('|')})`;
/**
 * 「春节后」「国庆假期后」, or unnamed 「节假日后」「假期结束后」「放假结束后」, or a bare 「节后」「放假后」 that is not the
 * end of a longer word: 「每个环节后」 and 「学校放假后」 are no holiday.
 */
const HOLIDAY_AFTER = `(?:${HOLIDAY}(?:假期|长假|放假)?(?:结束|收假)?|节假日(?:结束|收假)?|(?:假期|放假)结束|(?<![\u4e00-\u9fff])(?:节日|假期|长假|放假|节)(?:结束|收假)?)后`;
/** 一周 / 一个星期 / 7天 / 5个工作日. */
const SPAN = `(?:(一周|一个?星期)|${NUM}个?(工作日|天|日))`;

export function findDeadlines(sentence: string, year: number, context: DeadlineContext = {}): DeadlineHit[] {
  const s = normalizeWidth(sentence);
  const hits: { at: number; hit: DeadlineHit }[] = [];
  const taken: [number, number][] = [];
  const overlaps = (a: number, b: number) => taken.some(([x, y]) => a < y && x < b);
  const add = (at: number, len: number, hit: DeadlineHit) => {
    if (overlaps(at, at + len)) return;
    taken.push([at, at + len]);
    hits.push({ at, hit });
  };
  const phraseAt = (m: RegExpExecArray) => sentence.slice(m.index, m.index + m[0].length);

  // 「2025年3月底前」 says its year; 「次年1月15日前」 is the year after the plan's; otherwise the plan's year.
  const writtenYear = (index: number) => {
    const explicit = /((?:19|20)\d{2})年\s*$/.exec(s.slice(Math.max(0, index - 6), index));
    if (explicit) return Number(explicit[1]);
    return NEXT_YEAR_RE.test(s.slice(Math.max(0, index - 4), index)) ? year + 1 : undefined;
  };
  const yearAt = (index: number) => writtenYear(index) ?? year;
  // 收到通知后N个工作日内 / 印发之日起N日内: counted from the notice's date (working days on the official calendar).
  for (const m of s.matchAll(new RegExp(`(?:收到|接到)(?:本)?通知(?:后|之日起)${NUM}个?(工作日|天|日)内|(?:印发|下发|发布)之日起${NUM}个?(工作日|天|日)内`, 'g'))) {
    const n = parseCount(m[1] ?? m[3] ?? '');
    const unit = m[2] ?? m[4];
    const phrase = phraseAt(m as RegExpExecArray);
    if (!n) continue;
    if (!context.noticeDate) throw new PhraseError(phrase, `「${phrase}」从通知日期起算，但没有找到通知日期：请在计划中填写 noticeDate (a deadline counted from the notice needs its date)`);
    const date =
      unit === '工作日'
        ? (context.workingDaysAfter ?? ((d: string, k: number) => addDays(d, k)))(context.noticeDate, n)
        : addDays(context.noticeDate, n);
    add(m.index ?? 0, m[0].length, { date, phrase, index: m.index ?? 0 });
  }
  // 春节后一周内 / 国庆节后5个工作日内 / 节后一周内 (the holiday named earlier in the sentence).
  for (const m of s.matchAll(new RegExp(`${HOLIDAY_AFTER}${SPAN}内`, 'g'))) {
    const at = m.index ?? 0;
    if (overlaps(at, at + m[0].length)) continue;
    const n = m[2] ? 7 : (parseCount(m[3] ?? '') ?? 0);
    if (!n) continue;
    const phrase = phraseAt(m as RegExpExecArray);
    const named = m[1] ?? [...s.slice(0, at).matchAll(new RegExp(HOLIDAY, 'g'))].at(-1)?.[1];
    if (!named) {
      throw new PhraseError(phrase, `「${phrase}」没有写明是哪个节日：请写明，如「春节后一周内」「国庆节后一周内」(which holiday? name it)`, 'UNNAMED_HOLIDAY');
    }
    const holiday = HOLIDAY_NAMES[named];
    if (!holiday) continue;
    const breakEnd = (y: number) => {
      const last = context.holidayBreakEnd?.(holiday, y);
      if (last) return last;
      throw new PhraseError(
        phrase,
        `「${phrase}」：日历中没有 ${y} 年${holiday}的放假安排，无法推算截止日期，请改写为具体日期。节假日数据来自 chinese-days 包，它还没有收录 ${y} 年的放假安排（国务院公布后随包更新）；也可以直接在计划文件（plan.yaml）中把该任务的截止日期写成日期 (the chinese-days package has no ${y} holiday dates for ${holiday} yet; write the deadline as a date)`,
        'NO_HOLIDAY_DATES',
      );
    };
    const written = writtenYear(at);
    let end = breakEnd(written ?? year);
    // 「春节后一周内」 in a notice of 20 December means the coming Spring Festival, not the one gone by.
    if (written === undefined && context.noticeDate && end < context.noticeDate) end = breakEnd(year + 1);
    // A deadline that falls on a day off moves to the next working day (民法典第二百零三条).
    const date = m[4] === '工作日' ? (context.workingDaysAfter ?? ((d: string, k: number) => addDays(d, k)))(end, n) : (context.nextWorkingDay ?? ((d: string) => d))(addDays(end, n));
    add(at, m[0].length, { date, phrase, index: at });
  }
  // X月Y日前 / X月Y日之前 / 于X月Y日前 (次年X月Y日前: the next year)
  for (const m of s.matchAll(new RegExp(`${NUM}月${NUM}日(之前|前|以前)`, 'g'))) {
    const month = parseCount(m[1] ?? '');
    const day = parseCount(m[2] ?? '');
    // 每月N日前 / 次月N日前 / 每季度首月N日前 are cadences (findRecurring), not one date.
    if (/(每|次|首)$/.test(s.slice(Math.max(0, (m.index ?? 0) - 1), m.index ?? 0))) continue;
    const date = `${yearAt(m.index ?? 0)}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    if (!month || !day || month > 12 || !isValidDate(date)) {
      throw new PhraseError(phraseAt(m as RegExpExecArray), `「${phraseAt(m as RegExpExecArray)}」不是存在的日期 (no such date in ${yearAt(m.index ?? 0)})`);
    }
    add(m.index ?? 0, m[0].length, { date, phrase: phraseAt(m as RegExpExecArray), index: m.index ?? 0 });
  }
  // X月底前 / X月末前 / X月底
  for (const m of s.matchAll(new RegExp(`${NUM}月(底|末)(之前|前)?`, 'g'))) {
    const month = parseCount(m[1] ?? '');
    if (!month || month > 12) {
      throw new PhraseError(phraseAt(m as RegExpExecArray), `「${phraseAt(m as RegExpExecArray)}」中的月份不存在 (no such month)`);
    }
    add(m.index ?? 0, m[0].length, { date: endOfMonth(yearAt(m.index ?? 0), month), phrase: phraseAt(m as RegExpExecArray), index: m.index ?? 0 });
  }
  // 年底前 / 年末前 / 年内 (not 三年内, three years)
  for (const m of s.matchAll(/(年底|年末)(之前|前)|(?<![一二两三四五六七八九十\d])年内/g)) {
    add(m.index ?? 0, m[0].length, { date: `${year}-12-31`, phrase: phraseAt(m as RegExpExecArray), index: m.index ?? 0 });
  }
  // 上半年 (but not 半年小结, a cadence)
  for (const m of s.matchAll(/上半年/g)) {
    add(m.index ?? 0, m[0].length, { date: `${year}-06-30`, phrase: phraseAt(m as RegExpExecArray), index: m.index ?? 0 });
  }
  // 第N季度末 / N季度末 / 第N季度前
  for (const m of s.matchAll(/第?([一二三四1-4])季度(末|底)(之前|前)?/g)) {
    const q = parseCount(m[1] ?? '') ?? 1;
    add(m.index ?? 0, m[0].length, { date: endOfMonth(year, q * 3), phrase: phraseAt(m as RegExpExecArray), index: m.index ?? 0 });
  }
  return hits.sort((a, b) => a.at - b.at).map((h) => h.hit);
}

const CADENCES: [RegExp, Cadence][] = [
  [/每月|按月|月督导|月通报|月调度|月报/g, 'monthly'],
  [/每季度?|按季|季调度|季度分析|季度调度|季报/g, 'quarterly'],
  [/每半年|半年小结|半年总结/g, 'half-yearly'],
  [/年终考核|年度考核|每年度|年终总结/g, 'yearly'],
];

/** Cadences with the day their instances fall due. */
const DUE_RULES: [RegExp, Cadence, boolean][] = [
  // 每季度首月15日前: in the first month of the next quarter, on the quarter before.
  [new RegExp(`每季度?首月${NUM}日(?:之前|前|以前)?`, 'g'), 'quarterly', true],
  // 次月10日前: next month, on the month before.
  [new RegExp(`次月${NUM}日(?:之前|前|以前)?`, 'g'), 'monthly', true],
  // 每月5日前 (with 上月 in the sentence: on the month before).
  [new RegExp(`每月${NUM}日(?:之前|前|以前)?`, 'g'), 'monthly', false],
];

export function findRecurring(sentence: string): RecurringHit[] {
  const s = normalizeWidth(sentence);
  const hits: { at: number; end: number; hit: RecurringHit }[] = [];
  const reportsOnPrevious = /上月|上一月|上个月|上季度|上一季度/.test(s);
  // 「自3月起」「从4月份开始」 before the cadence: the first instance is due in that month or later.
  const from = new RegExp(`(?:自|从)${NUM}月份?(?:起|开始)`).exec(s);
  const fromMonth = from ? parseCount(from[1] ?? '') : undefined;
  const since = (at: number) => (from && fromMonth && fromMonth <= 12 && from.index < at ? { fromMonth } : {});
  for (const [re, cadence, previous] of DUE_RULES) {
    for (const m of s.matchAll(re)) {
      const at = m.index ?? 0;
      if (hits.some((h) => at < h.end && h.at < at + m[0].length)) continue;
      const dueDay = parseCount(m[1] ?? '');
      if (!dueDay || dueDay > 31) continue;
      const forPreviousPeriod = previous || reportsOnPrevious;
      hits.push({ at, end: at + m[0].length, hit: { cadence, dueDay, ...(forPreviousPeriod ? { forPreviousPeriod } : {}), ...since(at), phrase: sentence.slice(at, at + m[0].length), index: at } });
    }
  }
  for (const [re, cadence] of CADENCES) {
    for (const m of s.matchAll(re)) {
      const at = m.index ?? 0;
      // 每月 inside 每月10日前 is that rule's, not a second cadence.
      if (hits.some((h) => at < h.end && h.at < at + m[0].length)) continue;
      hits.push({ at, end: at + m[0].length, hit: { cadence, ...since(at), phrase: sentence.slice(at, at + m[0].length), index: at } });
    }
  }
  return hits.sort((a, b) => a.at - b.at).map((h) => h.hit);
}

export function findQuotas(sentence: string): QuotaHit[] {
  const s = normalizeWidth(sentence);
  const hits: { at: number; hit: QuotaHit }[] = [];
  const re = new RegExp(`(累计)?(不少于|至少|不低于)${NUM}次|(?<![进第])一次(?!性)`, 'g');
  for (const m of s.matchAll(re)) {
    const min = m[3] !== undefined ? parseCount(m[3]) : 1;
    if (min === undefined) continue;
    hits.push({ at: m.index ?? 0, hit: { min, phrase: sentence.slice(m.index, (m.index ?? 0) + m[0].length), index: m.index ?? 0 } });
  }
  return hits.map((h) => h.hit);
}

export function findTargets(sentence: string): TargetHit[] {
  const s = normalizeWidth(sentence);
  const re =
    /(增长|提高|达到|超过|不低于|不少于|高于)?(不低于|不少于)?\d+(\.\d+)?(%|万(户|人|元|亩|吨|个))(以上)?/g;
  const hits: TargetHit[] = [];
  for (const m of s.matchAll(re)) {
    hits.push({ phrase: sentence.slice(m.index, (m.index ?? 0) + m[0].length), index: m.index ?? 0 });
  }
  return hits;
}
