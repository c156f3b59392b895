/** The notice parser on the seed notice and on notices of other shapes it was not written against. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeNotice } from '../notice/decode';
import { NoticeError, parseNotice } from '../notice/parse';
import { planSchema, type ValidPlan } from '../plan/schema';
import { expandCampaign, periodsOf } from '../workflows/expand';
import { calendar2022 } from './duty-fixtures';

const fixture = (name: string) => join(__dirname, 'fixtures', 'notices', name);
const seedText = readFileSync(join(__dirname, '..', 'seeds', 'dazhu-2022-28.txt'), 'utf8');

function parseFile(path: string, year?: number): ValidPlan {
  const { text } = decodeNotice(readFileSync(path));
  return planSchema.parse(parseNotice(text, { file: path, ...(year ? { year } : {}) }));
}

describe('the seed notice (Dazhu 2022 No. 28)', () => {
  const plan = planSchema.parse(parseNotice(seedText, { year: 2022, file: 'seed' }));
  const task = (n: number) => {
    const t = plan.tasks.find((x) => x.number === n);
    if (!t) throw new Error(`task ${n} missing`);
    return t;
  };

  it('finds all 23 numbered tasks with title, section and notice date', () => {
    expect(plan.tasks.map((t) => t.number)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    expect(plan.title).toBe('大竹县人民政府办公室关于做好2022年巩固拓展脱贫攻坚成果同乡村振兴有效衔接工作的通知');
    expect(plan.noticeDate).toBe('2022-04-29');
    expect(task(1)).toMatchObject({ title: '完善防返贫动态监测帮扶机制', section: '实施巩固拓展行动' });
    expect(task(20)).toMatchObject({ title: '抓实督导调度', section: '强化纪律作风保障' });
  });

  it('takes the unit before the first comma as lead and the rest as co-units', () => {
    const leads = plan.tasks.map((t) => t.lead);
    expect(leads).toEqual([
      '县乡村振兴局', '县乡村振兴局', '县乡村振兴局', '县以工代赈中心', '县农业农村局', '县人力资源社会保障局',
      '县农业农村局', '县农业农村局', '县农业农村局', '县农业农村局', '县委组织部', '县委组织部', '县委农办',
      '县乡村振兴局', '县委组织部', '县委组织部', '县乡村振兴局', '县财政局', '县乡村振兴局', '县纪委监委',
      '县委农办', '县委宣传部', '县乡村振兴局',
    ]);
    expect(task(1).coUnits).toHaveLength(15);
    expect(task(1).coUnits.at(-1)).toBe('各乡镇(街道)');
    expect(task(4).coUnits).toEqual(['县乡村振兴局', '县委组织部', '县人力资源社会保障局', '县农业农村局']);
    expect(task(17).coUnits).toEqual([]);
    expect(task(20).coUnits).toEqual(['县乡村振兴局', '县委农办']);
  });

  it('resolves deadlines, marks those already past at the notice date, and keeps the exact sentence', () => {
    const dates = (n: number) => task(n).deadlines.map((d) => d.date);
    expect(dates(1)).toEqual(['2022-05-31']);
    expect(dates(4)).toEqual(['2022-03-31']);
    expect(dates(5)).toEqual(['2022-03-31']);
    expect(dates(15)).toEqual(['2022-06-30']);
    expect(dates(19)).toEqual(['2022-03-31', '2022-04-30']);
    expect(dates(12)).toEqual(['2022-12-31']);
    expect(task(4).deadlines[0]?.pastAtNotice).toBe(true);
    expect(task(1).deadlines[0]?.pastAtNotice).toBeUndefined();
    expect(task(1).deadlines[0]?.text).toBe('严格执行年度防止返贫监测标准,对监测对象不设置规模限制,5月底前完成全县年度集中排查。');
    expect(task(15).deadlines[0]?.clause).toBe('6月底前,出台落实乡村振兴局“三定”规定');
    for (const t of plan.tasks) for (const d of t.deadlines) expect(seedText).toContain(d.text);
  });

  it('finds cadences: task 19 monthly progress, task 20 monthly, quarterly and half-yearly, task 21 yearly', () => {
    const cadences = (n: number) => task(n).recurring.map((r) => r.cadence);
    expect(cadences(19)).toEqual(['monthly']);
    expect(cadences(20)).toEqual(['monthly', 'quarterly', 'half-yearly']);
    expect(task(20).recurring.map((r) => r.clause)).toEqual(['月督导通报', '季调度分析', '半年小结推进']);
    expect(cadences(21)).toEqual(['yearly']);
    expect(plan.tasks.filter((t) => t.recurring.length > 0).map((t) => t.number)).toEqual([19, 20, 21]);
  });

  it("counts task 12's visit quotas, each with its own clause", () => {
    expect(task(12).quotas.map((q) => [q.min, q.clause])).toEqual([
      [1, '主要负责同志到村指导工作不少于1次'],
      [3, '班子成员到村调研指导累计不少于3次'],
      [1, '与帮扶村党组织开展至少1次党建结对共建'],
      [1, '开展不少于1次消费帮扶活动'],
      [2, '帮扶责任人到联系结对帮扶对象家中开展帮扶工作不少于2次'],
      [4, '每年入户帮扶累计不少于4次'],
      [1, '12月底前开展一次送温暖'],
    ]);
    expect(plan.tasks.filter((t) => t.quotas.length > 0).map((t) => t.number)).toEqual([12]);
  });

  it('finds numeric targets with their text', () => {
    expect(task(10).targets.map((t) => t.phrase)).toEqual(['1万户']);
    expect(task(6).targets.map((t) => t.phrase)).toEqual(['达到3.32万人以上']);
    expect(task(5).targets.map((t) => t.phrase)).toEqual(['不低于55%', '增长不低于10%']);
    expect(task(7).targets.map((t) => t.phrase)).toContain('增长10%');
  });
});

describe('notices of other shapes', () => {
  it('reads 牵头单位/配合单位 clauses, full-width numbering, X月Y日前, 第N季度末, 年底前, 上半年 and 两次', () => {
    const plan = parseFile(fixture('county-b-2023.txt'));
    expect(plan.year).toBe(2023);
    expect(plan.noticeDate).toBe('2023-02-20');
    expect(plan.tasks.map((t) => [t.number, t.lead, t.section])).toEqual([
      [1, '县水务局', '夯实供水工程基础'],
      [2, '县水务局', '夯实供水工程基础'],
      [3, '县水务局', '强化运行管护'],
      [4, '县委目标绩效中心', '强化运行管护'],
    ]);
    expect(plan.tasks[0]?.coUnits).toEqual(['县卫生健康局', '县生态环境局']);
    // 「牵头单位：县水务局、县发展改革局」: both lead (each gets the duty), the principal first; co-units are the rest.
    expect(plan.tasks[1]).toMatchObject({ lead: '县水务局', leads: ['县水务局', '县发展改革局'], coUnits: ['县财政局', '各乡镇'] });
    expect(plan.tasks[0]?.leads).toBeUndefined();
    expect(plan.tasks.map((t) => t.deadlines.map((d) => d.date))).toEqual([
      ['2023-06-15'],
      ['2023-09-30', '2023-12-31'],
      ['2023-06-30'],
      [],
    ]);
    expect(plan.tasks[1]?.recurring.map((r) => r.cadence)).toEqual(['quarterly']);
    expect(plan.tasks[2]?.quotas.map((q) => q.min)).toEqual([2]);
    expect(plan.tasks[3]?.recurring.map((r) => r.cadence)).toEqual(['half-yearly', 'yearly']);
  });

  it('reads a GB18030 file identically to its UTF-8 original, with 【】/[] brackets and Chinese month numerals', () => {
    const raw = readFileSync(fixture('county-c-2024.gbk.txt'));
    expect(decodeNotice(raw).encoding).toBe('gb18030');
    const gbk = parseFile(fixture('county-c-2024.gbk.txt'));
    const utf8 = parseFile(fixture('county-c-2024.txt'));
    expect({ ...gbk, source: '' }).toEqual({ ...utf8, source: '' });
    expect(utf8.tasks.map((t) => t.lead)).toEqual(['县农业农村局', '县住建局', '县农业农村局']);
    expect(utf8.tasks[1]?.coUnits).toEqual(['县农业农村局', '各乡镇(街道)']);
    expect(utf8.tasks[0]?.deadlines.map((d) => d.date)).toEqual(['2024-03-31', '2024-12-31']);
    expect(utf8.tasks[0]?.quotas.map((q) => q.min)).toEqual([4]);
    expect(utf8.tasks[1]?.title).toBe('推进垃圾分类');
    expect(utf8.tasks[2]?.deadlines.map((d) => d.date)).toEqual(['2024-12-31']);
    expect(utf8.tasks[2]?.quotas.map((q) => q.min)).toEqual([1]);
  });

  it('uses the --year given over the year in the title', () => {
    expect(parseFile(fixture('county-b-2023.txt'), 2024).tasks[0]?.deadlines[0]?.date).toBe('2024-06-15');
  });
});

describe('relative deadlines (issue #15)', () => {
  const text = readFileSync(join(__dirname, 'fixtures', 'notices', 'relative-2024.txt'), 'utf8');
  const plan: ValidPlan = planSchema.parse(parseNotice(text, { file: 'relative-2024.txt' }));
  const task = (n: number) => plan.tasks.find((t) => t.number === n)!;

  it('counts 「收到通知后15个工作日内」 in working days and 「印发之日起30日内」 in days from the notice’s date', () => {
    expect(plan.noticeDate).toBe('2024-03-08');
    expect(task(1).deadlines.map((d) => [d.date, d.clause])).toEqual([['2024-03-29', '各责任单位收到通知后15个工作日内制定本单位实施方案并报县农业农村局']]);
    expect(task(6).deadlines.map((d) => d.date)).toEqual(['2024-04-07']);
    expect(task(7).deadlines.map((d) => d.date)).toEqual(['2024-06-30']);
  });

  it('puts 「次年1月15日前」 in the next year, not before the notice', () => {
    expect(task(4).deadlines.map((d) => d.date)).toEqual(['2025-01-15']);
    expect(task(4).deadlines[0]?.pastAtNotice).toBeUndefined();
  });

  it('keeps the day of 「每月10日前报送上月」, 「每季度首月15日前」 and 「每月5日前」, and expands them to their days', () => {
    expect(task(2).recurring).toMatchObject([{ cadence: 'monthly', dueDay: 10, forPreviousPeriod: true, phrase: '每月10日前' }]);
    expect(task(3).recurring).toMatchObject([{ cadence: 'quarterly', dueDay: 15, forPreviousPeriod: true }]);
    expect(task(5).recurring).toMatchObject([{ cadence: 'monthly', dueDay: 5 }]);
    expect(task(5).recurring[0]?.forPreviousPeriod).toBeUndefined();
    const dueOf = (n: number, id: string) => {
      const r = task(n).recurring[0]!;
      return periodsOf(r.cadence, 2024, '2024-03-08', { ...(r.dueDay ? { dueDay: r.dueDay } : {}), ...(r.forPreviousPeriod ? { forPreviousPeriod: true } : {}) }).find((p) => p.id === id)?.due;
    };
    // May's report is due 10 June; December's 10 January; Q1's 15 April, Q4's 15 January; May's 5-day report 5 May.
    expect(dueOf(2, '2024-05')).toBe('2024-06-10');
    expect(dueOf(2, '2024-12')).toBe('2025-01-10');
    expect(dueOf(3, '2024-Q1')).toBe('2024-04-15');
    expect(dueOf(3, '2024-Q4')).toBe('2025-01-15');
    expect(dueOf(5, '2024-05')).toBe('2024-05-05');
    // The campaign's duties follow them.
    const duties = expandCampaign(
      { campaignId: 'rel', plan, groups: {}, supervisors: ['县乡村振兴局', '县委农办'], ruralWorkOffice: '县委农办', disciplineOffice: '县纪委监委', calendar: calendar2022 },
      '2024-03-08',
    );
    expect(duties.find((d) => d.duty.taskNumber === 2 && d.duty.period === '2024-05')?.deadline).toBe('2024-06-10');
    expect(duties.find((d) => d.duty.taskNumber === 1)?.deadline).toBe('2024-03-29');
    // Without a rule, as before: the period's end.
    expect(periodsOf('monthly', 2024, '2024-01-01').find((p) => p.id === '2024-02')?.due).toBe('2024-02-29');
  });

  it('refuses a deadline counted from the notice when the notice has no date, saying what to fill in', () => {
    const undated = text.replace('2024年3月8日', '');
    expect(() => parseNotice(undated, { file: 'undated.txt' })).toThrow(/undated\.txt:\d+: 任务1：「收到通知后15个工作日内」从通知日期起算.*noticeDate/);
  });
});

describe('bad notices', () => {
  it('refuses a text with no numbered tasks, naming the file', () => {
    expect(() => parseNotice(readFileSync(fixture('not-a-notice.txt'), 'utf8'), { file: 'x.txt' })).toThrow(
      expect.objectContaining({ code: 'NOT_A_NOTICE', message: expect.stringContaining('x.txt') }),
    );
  });

  it('refuses a date that does not exist, naming the file, the line and the phrase', () => {
    const err = (() => {
      try {
        parseNotice(readFileSync(fixture('bad-date.txt'), 'utf8'), { file: 'bad-date.txt' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(NoticeError);
    expect((err as NoticeError).message).toBe('bad-date.txt:3: 任务1：「2月30日前」不是存在的日期 (no such date in 2022)');
  });

  it('decodes a truncated GB18030 file without throwing', () => {
    const raw = readFileSync(fixture('county-c-2024.gbk.txt'));
    expect(() => decodeNotice(raw.subarray(0, raw.length - 1))).not.toThrow();
  });
});
