/**
 * Two more forms real notices use, beside those of test/notice-forms.test.ts: joint leads named as the subject of
 * the sentence, without a bracket (「县应急局、县水务局分工负责，9月底前完成……」), and a monthly report from a month
 * on said with 「从……起，务于每月N日前」. What a clerk sees of each: the plan's leads and dates, and the duties a
 * campaign of it gives each unit.
 */
import { describe, expect, it } from 'vitest';
import { parseNotice } from '../notice/parse';
import { planSchema } from '../plan/schema';
import { expandCampaign } from '../workflows/expand';
import { calendar2022 } from './duty-fixtures';

/** A 2022 notice, so the seed's 2022 calendar serves. Full-width punctuation, as notices are typed. */
const NOTICE = [
  '测试通知',
  '2022年1月4日',
  '1.做好防汛准备。县应急局、县水务局分工负责，9月底前完成防汛物资储备和隐患排查。',
  '2.报送防汛进展。从4月起，务于每月10日前报送防汛工作进展情况。（责任单位：县统计局）',
].join('\n');

const plan = planSchema.parse(parseNotice(NOTICE, { file: 'forms-more' }));
const task = (n: number) => plan.tasks.find((t) => t.number === n)!;
const duties = expandCampaign(
  {
    campaignId: 'forms-more',
    plan,
    groups: {},
    supervisors: ['县乡村振兴局', '县委农办'],
    ruralWorkOffice: '县委农办',
    disciplineOffice: '县纪委监委',
    calendar: calendar2022,
  },
  '2022-01-04',
);
const dutiesOf = (n: number) => duties.filter((d) => d.duty.taskNumber === n);

describe('「A、B分工负责，9月底前完成……」 without brackets', () => {
  it('makes both units leads, with the 30 September deadline, and asks the clerk to check', () => {
    const t1 = task(1);
    expect(t1.lead).toBe('县应急局');
    expect(t1.leads).toEqual(['县应急局', '县水务局']);
    expect(t1.coUnits).toEqual([]);
    expect((t1.deadlines ?? []).map((d) => d.date)).toEqual(['2022-09-30']);
    expect((t1.review ?? []).map((r) => `${r.field}: ${r.reason.split(' (')[0]}`)).toEqual([
      'lead: 牵头单位由句中「县应急局、县水务局分工负责」推断，请核对',
      'leads: 多个牵头单位（县应急局、县水务局），每个单位各有一项督办任务，请核对',
    ]);
  });

  it('gives each of the two leads its own duty due 30 September', () => {
    expect(dutiesOf(1).map((d) => [d.duty.unit, d.duty.kind, d.deadline])).toEqual([
      ['县应急局', 'deadline', '2022-09-30'],
      ['县水务局', 'deadline', '2022-09-30'],
    ]);
  });
});

describe('「从4月起，务于每月10日前报送……」', () => {
  it('is a monthly report due on the 10th from April, not a single date', () => {
    const t2 = task(2);
    expect(t2.lead).toBe('县统计局');
    expect(t2.deadlines).toEqual([]);
    expect((t2.recurring ?? []).map((r) => ({ cadence: r.cadence, dueDay: r.dueDay, fromMonth: r.fromMonth }))).toEqual([
      { cadence: 'monthly', dueDay: 10, fromMonth: 4 },
    ]);
  });

  it('gives the unit nine monthly duties, April to December, each due on the 10th: none before April', () => {
    expect(dutiesOf(2).map((d) => [d.duty.unit, d.duty.kind, d.duty.period, d.deadline])).toEqual(
      [4, 5, 6, 7, 8, 9, 10, 11, 12].map((m) => {
        const mm = String(m).padStart(2, '0');
        return ['县统计局', 'recurring', `2022-${mm}`, `2022-${mm}-10`];
      }),
    );
  });
});
