/**
 * Deadlines counted from a holiday: 「春节后一周内」 is a week after the last day of that year's official break
 * (moved to the next working day when it falls on a day off), 「国庆节后5个工作日内」 counts working days, make-up
 * Saturdays included; an unnamed 「节后一周内」 takes the holiday named before it in the sentence, or is an error
 * saying to name it; 「环节后」 or 「学校放假后」 are no holiday at all. A holiday already over on the notice's date
 * is next year's. The official breaks are the calendar package's (State Council notices).
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
    // Why, and the way round it: the holiday data comes from a package that has not caught up with that year.
    expect(err?.message).toContain('节假日数据来自 chinese-days 包，它还没有收录 2031 年的放假安排');
    expect(err?.message).toContain('也可以直接在计划文件（plan.yaml）中把该任务的截止日期写成日期');
  });
});

/** A notice with its tasks' sentences, signed and dated `date`; its title names no year. */
function notice(date: string, ...tasks: string[]): string {
  const body = tasks.map((t, i) => `${i + 1}．${t}（牵头单位：县应急局）`).join('\n\n');
  return `某某县人民政府办公室关于做好节日期间安全工作的通知\n\n一、重点任务\n\n${body}\n\n                                        某某县人民政府办公室\n                                        ${date}\n`;
}

describe('words that only contain 节后 or 放假后', () => {
  it('reads 「环节后」 and 「学校放假后」 as no holiday, so the notice is not refused', () => {
    const plan = parseNotice(notice('2024年1月10日', '做好隐患排查。每个环节后一周内报送排查情况。', '做好校舍检查。学校放假后一周内完成校舍检查。'), { file: 'n.txt' });
    // No date from the phrase: each task has only the year-end the plan presumes for an undated task (issue #15).
    expect(plan.tasks.map((t) => (t.deadlines ?? []).map((d) => [d.date, d.implied]))).toEqual([[['2024-12-31', true]], [['2024-12-31', true]]]);
  });

  it('does not tie 「环节后」 to a holiday named earlier in the sentence', () => {
    const plan = parseNotice(notice('2024年1月10日', '做好春节值守。春节期间加强检查，每个环节后一周内报送检查情况。'), { file: 'n.txt' });
    expect(plan.tasks[0]?.deadlines?.map((d) => [d.date, d.implied])).toEqual([['2024-12-31', true]]);
  });

  it('still reads 「节假日后」 and 「假期结束后」 as after the holiday named before them', () => {
    const plan = parseNotice(notice('2024年1月10日', '做好春节值守。春节期间加强值守，假期结束后一周内报送值守情况。', '做好清明祭扫安全。清明期间加强巡查，节假日后3个工作日内报送巡查情况。'), { file: 'n.txt' });
    // 春节 break to Saturday 17 February 2024: Monday 26 February; 清明 4–6 April: 7 (make-up Sunday), 8, 9 April.
    expect(plan.tasks.map((t) => (t.deadlines ?? []).map((d) => d.date))).toEqual([['2024-02-26'], ['2024-04-09']]);
  });
});

describe('a holiday whose break is already over when the notice is dated', () => {
  it('takes the next year’s break when the phrase writes no year', () => {
    const plan = parseNotice(notice('2024年12月25日', '做好春节值班。春节后一周内报送值班情况。', '做好元旦值班。元旦后一周内报送值班情况。'), { file: 'n.txt' });
    // 2025: 春节 break 28 January – 4 February, so Tuesday 11 February; 元旦 1 January, so Wednesday 8 January.
    expect(plan.tasks.map((t) => t.deadlines)).toEqual([
      [{ date: '2025-02-11', text: '春节后一周内报送值班情况。', clause: '春节后一周内报送值班情况' }],
      [{ date: '2025-01-08', text: '元旦后一周内报送值班情况。', clause: '元旦后一周内报送值班情况' }],
    ]);
  });

  it('keeps a year written with the phrase', () => {
    const plan = parseNotice(notice('2024年12月25日', '做好春节值班总结。2024年春节后一周内的值班情况已报送的，补充报送。'), { file: 'n.txt' });
    expect(plan.tasks[0]?.deadlines?.map((d) => [d.date, d.pastAtNotice])).toEqual([['2024-02-26', true]]);
  });

  it('refuses when the calendar does not know the next year’s break, naming that year', () => {
    const err = refusal(notice('2026年12月20日', '做好春节值班。春节后一周内报送值班情况。'));
    expect(err?.code).toBe('NO_HOLIDAY_DATES');
    expect(err?.message).toContain('日历中没有 2027 年春节的放假安排');
  });
});
