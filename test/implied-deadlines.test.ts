/**
 * Every task tracked (issue #15): a task the notice gives no time limit, with a lead unit, is due by the year's
 * end in the plan, marked `implied`; its duty's messages say why, and people may edit or delete the date.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shanghaiDate, shanghaiInstant } from '../calendar/working-days';
import { loadCampaign, planForYear } from '../cli/campaign-input';
import { planTable } from '../cli/plan';
import { parseNotice } from '../notice/parse';
import { writePlan } from '../plan/files';
import { planSchema } from '../plan/schema';
import { expandCampaign } from '../workflows/expand';
import { initialDutyState, plannedActions } from '../workflows/policy';
import { ackRequestText, escalationText, IMPLIED_NOTE, reminderText } from '../workflows/texts';
import type { DutyInput } from '../workflows/types';

const seedFile = join(__dirname, '..', 'seeds', 'dazhu-2022-28.txt');
const seedText = readFileSync(seedFile, 'utf8');
/** The tasks of the seed notice with no date of any kind (no deadline, cadence or quota). */
const UNDATED = [2, 3, 6, 7, 8, 9, 10, 11, 13, 14, 16, 17, 18, 22, 23];
const START = '2022-04-29';
const startedAt = shanghaiInstant(START, 10 * 60);

const seed = loadCampaign({ year: 2022 });
const duties = expandCampaign(seed.input, START);
const dutyOf = (task: number) => duties.find((d) => d.duty.taskNumber === task && d.duty.kind === 'deadline')!;
const reminderDates = (d: DutyInput) => plannedActions(d, initialDutyState(d, startedAt)).filter((a) => a.kind === 'reminder').map((a) => shanghaiDate(a.at));

describe('the seed plan (2022)', () => {
  const plan = parseNotice(seedText, { file: seedFile, year: 2022 });
  const task = (n: number) => plan.tasks.find((t) => t.number === n)!;

  it('has a duty for every one of its 23 tasks', () => {
    expect(plan.tasks).toHaveLength(23);
    expect([...new Set(duties.map((d) => d.duty.taskNumber))].sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
  });

  it('gives each task without a time limit an implied year-end deadline, its first sentence as the source', () => {
    expect(plan.tasks.filter((t) => t.deadlines?.some((d) => d.implied)).map((t) => t.number)).toEqual(UNDATED);
    expect(task(8).deadlines).toEqual([{ date: '2022-12-31', text: '抓实规划引领。', implied: true, reminderOffsets: [10, 0] }]);
    for (const n of UNDATED) {
      const [d, ...more] = task(n).deadlines!;
      expect(more).toEqual([]);
      expect(d).toMatchObject({ date: '2022-12-31', implied: true });
      expect(seedText).toContain(d!.text);
    }
    // Targets alone (「达到3.32万人以上」) make no duty: task 6 is due by the year's end too.
    expect(task(6).targets).not.toEqual([]);
  });

  it('leaves a task with a date of its own as it was', () => {
    expect(task(1).deadlines).toEqual([{ date: '2022-05-31', text: '严格执行年度防止返贫监测标准,对监测对象不设置规模限制,5月底前完成全县年度集中排查。', clause: '5月底前完成全县年度集中排查' }]);
    expect(task(12).deadlines?.map((d) => [d.date, d.implied])).toEqual([['2022-12-31', undefined]]);
    expect(task(20).deadlines).toEqual([]);
    // The dated tasks' duties are exactly those of the plan without the implied deadlines: same ids, codes, texts.
    const dated = { ...seed.input.plan, tasks: seed.input.plan.tasks.map((t) => ({ ...t, deadlines: t.deadlines.filter((d) => !d.implied) })) };
    const before = expandCampaign({ ...seed.input, plan: dated }, START);
    // 32 dated duties and task 1's 22 co-units' parts (lead+co).
    expect(before).toHaveLength(54);
    expect(duties.filter((d) => !d.duty.implied)).toEqual(before);
  });

  it('prints an implied deadline as presumed in `duban plan`', () => {
    const table = planTable(seed.input.plan);
    expect(table).toContain('任务8 抓实规划引领');
    expect(table).toContain('  截止 deadline: 2022-12-31 年底前（通知未列明时限，推定 implied） — 抓实规划引领。');
    expect(table).toContain('  截止 deadline: 2022-05-31 — 5月底前完成全县年度集中排查');
    expect(table).toContain('22 个截止日期（其中 15 个为推定的年底期限，请核对）');
  });
});

describe('an implied duty’s messages', () => {
  const implied = dutyOf(8);
  // Computed when a test runs, so that a plan without the duty fails its tests rather than their collection.
  const stateOf = () => initialDutyState(implied, startedAt);

  it('tell the unit the notice named no time limit, in the acknowledgement request, reminders and escalations', () => {
    expect(implied?.duty.implied).toBe(true);
    const state = stateOf();
    expect(ackRequestText(implied, state, true)).toContain(`截止：2022-12-31（${IMPLIED_NOTE}）`);
    expect(reminderText(implied, state, 10)).toContain(`截止：2022-12-31（${IMPLIED_NOTE}）`);
    expect(escalationText(implied, state, 5, true)).toContain(IMPLIED_NOTE);
    expect(IMPLIED_NOTE).toBe('通知未列明时限，按年度任务于年底前办结');
  });

  it('do not say so for a dated duty, even one due on 31 December', () => {
    for (const dated of [dutyOf(1), dutyOf(12)]) {
      const s = initialDutyState(dated, startedAt);
      expect(reminderText(dated, s, 0)).not.toContain('通知未列明时限');
      expect(ackRequestText(dated, s, true)).not.toContain('通知未列明时限');
    }
  });

  it('stop saying so once an extension moves the date', () => {
    expect(reminderText(implied, { ...stateOf(), deadline: '2023-01-15' }, 0)).not.toContain(IMPLIED_NOTE);
  });

  it('follow the working-day calendar like any 31 December deadline: reminded 16 and 30 December, escalated from 3 January', () => {
    // 31 December 2022 is a Saturday; 1–2 January 2023 are the New Year holiday.
    expect(reminderDates(implied)).toEqual(['2022-12-16', '2022-12-30']);
    const onTheDay = (d: DutyInput) => reminderDates(d).at(-1);
    expect(onTheDay(implied)).toBe(onTheDay(dutyOf(12)));
    const firstEscalation = plannedActions(implied, stateOf()).find((a) => a.kind === 'escalation');
    expect(shanghaiDate(firstEscalation!.at)).toBe('2023-01-03');
  });
});

describe('a plan with an implied deadline', () => {
  it('runs another date a person wrote into plan.yaml, without calling it presumed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'duban-implied-'));
    const file = join(dir, 'dazhu-2022-28.yaml');
    writePlan(file, seed.input.plan);
    const yaml = readFileSync(file, 'utf8');
    // The coordinator changes task 8's year end to 30 September and leaves the rest of the entry as it was.
    const edited = yaml.replace(/date: 2022-12-31(\s+text: 抓实规划引领。)/, 'date: 2022-09-30$1');
    expect(edited).not.toBe(yaml);
    writeFileSync(file, edited);
    const loaded = loadCampaign({ year: 2022, plan: file });
    const duty = expandCampaign(loaded.input, START).find((d) => d.duty.taskNumber === 8)!;
    expect(duty.deadline).toBe('2022-09-30');
    expect(reminderDates(duty)).toEqual(['2022-09-16', '2022-09-30']);
    expect(reminderText(duty, initialDutyState(duty, startedAt), 0)).toContain('截止：2022-09-30\n');
    expect(reminderText(duty, initialDutyState(duty, startedAt), 0)).not.toContain('通知未列明时限');
    expect(planTable(loaded.input.plan)).toContain('  截止 deadline: 2022-09-30 — 抓实规划引领。');
    expect(planTable(loaded.input.plan)).toContain('22 个截止日期（其中 14 个为推定的年底期限，请核对）');
  });

  it('has no duty for a task whose implied deadline was deleted', () => {
    const plan = { ...seed.input.plan, tasks: seed.input.plan.tasks.map((t) => (t.number === 8 ? { ...t, deadlines: [] } : t)) };
    expect(expandCampaign({ ...seed.input, plan }, START).filter((d) => d.duty.taskNumber === 8)).toEqual([]);
  });

  it('keeps 31 December when run for another year', () => {
    const p2024 = planForYear(seed.input.plan, 2024);
    expect(p2024.tasks.find((t) => t.number === 8)?.deadlines).toEqual([{ date: '2024-12-31', text: '抓实规划引领。', implied: true, reminderOffsets: [10, 0] }]);
    const loaded = loadCampaign({ year: 2024 });
    const duty = expandCampaign(loaded.input, '2024-04-29').find((d) => d.duty.taskNumber === 8)!;
    expect(reminderText(duty, initialDutyState(duty, shanghaiInstant('2024-04-29', 600)), 0)).toContain(`截止：2024-12-31（${IMPLIED_NOTE}）`);
  });

  it('refuses `implied` that is not true or false, saying where', () => {
    const bad = { ...seed.input.plan, tasks: [{ ...seed.input.plan.tasks[7]!, deadlines: [{ date: '2022-12-31', text: '抓实规划引领。', implied: 'yes' }] }] };
    const parsed = planSchema.safeParse(bad);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['tasks', 0, 'deadlines', 0, 'implied']);
  });
});
