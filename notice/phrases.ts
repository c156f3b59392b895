/**
 * Time phrases, cadences, quotas and numeric targets found in one sentence of a notice.
 * Matching runs on a width-normalized copy of the text (same length), so every hit maps back to the
 * original characters and the exact sentence can be kept.
 */
import { endOfMonth, isValidDate } from '../calendar/working-days';

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
}
export interface QuotaHit extends Hit {
  min: number;
}
export type TargetHit = Hit;

export class PhraseError extends Error {
  readonly code = 'NO_SUCH_DATE';
  constructor(readonly phrase: string, message: string) {
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

export function findDeadlines(sentence: string, year: number): DeadlineHit[] {
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

  // X月Y日前 / X月Y日之前 / 于X月Y日前
  for (const m of s.matchAll(new RegExp(`${NUM}月${NUM}日(之前|前|以前)`, 'g'))) {
    const month = parseCount(m[1] ?? '');
    const day = parseCount(m[2] ?? '');
    const date = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    if (!month || !day || month > 12 || !isValidDate(date)) {
      throw new PhraseError(phraseAt(m as RegExpExecArray), `「${phraseAt(m as RegExpExecArray)}」不是存在的日期 (no such date in ${year})`);
    }
    add(m.index ?? 0, m[0].length, { date, phrase: phraseAt(m as RegExpExecArray), index: m.index ?? 0 });
  }
  // X月底前 / X月末前 / X月底
  for (const m of s.matchAll(new RegExp(`${NUM}月(底|末)(之前|前)?`, 'g'))) {
    const month = parseCount(m[1] ?? '');
    if (!month || month > 12) {
      throw new PhraseError(phraseAt(m as RegExpExecArray), `「${phraseAt(m as RegExpExecArray)}」中的月份不存在 (no such month)`);
    }
    add(m.index ?? 0, m[0].length, { date: endOfMonth(year, month), phrase: phraseAt(m as RegExpExecArray), index: m.index ?? 0 });
  }
  // 年底前 / 年末前 / 年内
  for (const m of s.matchAll(/(年底|年末)(之前|前)|年内完成/g)) {
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

export function findRecurring(sentence: string): RecurringHit[] {
  const s = normalizeWidth(sentence);
  const hits: { at: number; hit: RecurringHit }[] = [];
  for (const [re, cadence] of CADENCES) {
    for (const m of s.matchAll(re)) {
      hits.push({ at: m.index ?? 0, hit: { cadence, phrase: sentence.slice(m.index, (m.index ?? 0) + m[0].length), index: m.index ?? 0 } });
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
