/**
 * Deadlines counted from a holiday: 「春节后一周内」 is a week after the last day of that year's official break
 * (moved to the next working day when it falls on a day off), 「国庆节后5个工作日内」 counts working days, make-up
 * Saturdays included; an unnamed 「节后一周内」 takes the holiday named before it in the sentence, or is an error
 * saying to name it. The official breaks are the calendar package's (State Council notices).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NoticeError, parseNotice } from '../notice/parse';

const fixture = join(__dirname, 'fixtures', 'notices', 'holidays-2024.txt');
const text = readFileSync(fixture, 'utf8');

function refusal(notice: string): NoticeError | undefined {
  try {
    parseNotice(notice, { file: 'n.txt' });
  } catch (err) {
    if (err instanceof NoticeError) return err;
    throw err;
  }
  return undefined;
}

describe('deadlines after a named holiday', () => {
  const plan = parseNotice(text, { file: 'holidays-2024.txt' });
  const deadlines = plan.tasks.map((t) => (t.deadlines ?? []).map((d) => [d.date, d.clause]));

  it('counts a week from the end of the holiday’s break, moved off a weekend', () => {
    // 2024's Spring Festival break ended Saturday 17 February: a week later is Saturday 24, so Monday 26.
    expect(deadlines[0]).toEqual([['2024-02-26', '春节后一周内报送值班情况']]);
    // 劳动节 1–5 May: Sunday 12 May, so Monday 13.
    expect(deadlines[1]).toEqual([['2024-05-13', '五一节后一周内完成复工复产安全检查']]);
  });

  it('counts working days after the break, the make-up Saturday among them', () => {
    // 国庆 1–7 October; 8, 9, 10, 11 October and the make-up Saturday 12 October.
    expect(deadlines[2]).toEqual([['2024-10-12', '国庆节后5个工作日内报送假期安全生产情况']]);
  });

  it('reads an unnamed 「节后」 as the holiday named before it in the sentence', () => {
    // 中秋 15–17 September: Tuesday 24 September.
    expect(deadlines[3]).toEqual([['2024-09-24', '节后一周内报送值守情况']]);
  });

  it('leaves 「完成后一周内」 alone and takes a year written before a date', () => {
    expect(deadlines[4]).toEqual([['2025-03-31', '2025年3月底前全部整改到位']]);
  });

  it('refuses an unnamed 「节后一周内」 with no holiday in its sentence, saying to name it', () => {
    const err = refusal(text.replace('中秋节期间加强值守，节后一周内', '加强值守。节后一周内'));
    expect(err?.code).toBe('UNNAMED_HOLIDAY');
    expect(err?.message).toBe('n.txt:15: 任务4：「节后一周内」没有写明是哪个节日：请写明，如「春节后一周内」「国庆节后一周内」(which holiday? name it)');
  });

  it('refuses a holiday in a year whose official break the calendar does not know', () => {
    const err = refusal(text.replace(/2024年/g, '2031年'));
    expect(err?.code).toBe('NO_HOLIDAY_DATES');
    expect(err?.message).toMatch(/^n\.txt:9: 任务1：「春节后一周内」：日历中没有 2031 年春节的放假安排，无法推算截止日期，请改写为具体日期/);
  });
});
