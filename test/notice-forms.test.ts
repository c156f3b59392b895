/**
 * Forms real notices use to say who is responsible and when, which the parser did not read before 0.8.0
 * (issue #24): joint leads, 「A、B分工负责」, the unit as the sentence's subject, 「一、」 items as tasks,
 * 「自3月起，每月20日前」, 「年内」, and vague units flagged for review. The fixtures are our own, written in the
 * forms other governments' notices use (reworded; those notices stay held out).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNotice } from '../notice/parse';
import { isVagueUnit, looksLikeUnit } from '../notice/units';
import { loadDirectory, loadPlan } from '../plan/files';
import { isKnownUnitOrGroup } from '../plan/directory';
import { planSchema, type Plan } from '../plan/schema';
import { expandCampaign } from '../workflows/expand';
import { calendar2022 } from './duty-fixtures';

const fixture = (name: string) => join(__dirname, 'fixtures', 'notices', name);
const duban = join(__dirname, '..', 'bin', 'duban.js');
const parse = (name: string) => parseNotice(readFileSync(fixture(name), 'utf8'), { file: name });
const row = (plan: Plan, n: number) => {
  const t = plan.tasks.find((x) => x.number === n)!;
  return { lead: t.lead, leads: t.leads, coUnits: t.coUnits, dates: (t.deadlines ?? []).map((d) => d.date) };
};
const flags = (plan: Plan, n: number) => (plan.tasks.find((x) => x.number === n)!.review ?? []).map((r) => `${r.field}: ${r.reason.split(' (')[0]}`);

describe('who is responsible, in the forms real notices write it', () => {
  const plan = parse('forms-joint-2024.txt');

  it('「（A、B分工负责；各乡镇）」: both lead, the townships are co-units, and the person is asked to check', () => {
    expect(row(plan, 1)).toEqual({ lead: '县发展改革局', leads: ['县发展改革局', '县经信局'], coUnits: ['各乡镇'], dates: ['2024-08-31'] });
    expect(flags(plan, 1)).toEqual([
      'lead: 牵头单位由「（县发展改革局、县经信局分工负责；各乡镇）」推断，请核对',
      'leads: 多个牵头单位（县发展改革局、县经信局），每个单位各有一项督办任务，请核对',
    ]);
  });

  it('「县林业局负责督导……」, 「由X牵头，Y、Z配合」 and 「X要……」: the subject of the sentence leads', () => {
    expect(row(plan, 2)).toEqual({ lead: '县林业局', leads: undefined, coUnits: [], dates: ['2024-06-30'] });
    expect(row(plan, 4)).toEqual({ lead: '县交通运输局', leads: undefined, coUnits: ['县公安局', '县应急局'], dates: ['2024-09-30'] });
    expect(row(plan, 5)).toMatchObject({ lead: '县农业农村局', coUnits: [] });
    expect(flags(plan, 4)).toEqual(['lead: 牵头单位由句中「由县交通运输局牵头，县公安局、县应急局配合」推断，请核对']);
  });

  it('「牵头单位：A、B、C；责任单位：……」: three joint leads, none of them made a co-unit', () => {
    expect(row(plan, 3)).toEqual({
      lead: '县政府办公室',
      leads: ['县政府办公室', '县司法局', '县财政局'],
      coUnits: ['各乡镇', '县政府有关部门'],
      dates: ['2024-11-30'],
    });
  });

  it('keeps vague units as written and flags each: 县政府有关部门, 县财政局等有关部门, 各主管部门, 项目所在乡镇', () => {
    expect(flags(plan, 3)).toContain('coUnits: 「县政府有关部门」不是具体单位，请改为通讯录中的单位');
    expect(row(plan, 6).lead).toBe('县财政局等有关部门');
    expect(flags(plan, 6)).toContain('lead: 「县财政局等有关部门」不是具体单位，请改为通讯录中的单位');
    expect(row(plan, 7).lead).toBe('各主管部门');
    expect(flags(plan, 7)).toContain('lead: 「各主管部门」不是具体单位，请改为通讯录中的单位');
    expect(row(plan, 9).lead).toBe('项目所在乡镇');
    expect(flags(plan, 9)).toContain('lead: 「项目所在乡镇」不是具体单位，请改为通讯录中的单位');
    // A group the directory expands is a unit's name, not a vague one.
    expect(isVagueUnit('各乡镇')).toBe(false);
    expect(isVagueUnit('各乡镇(街道)')).toBe(false);
  });

  it('a task that names nobody still comes out, with its lead empty and flagged', () => {
    expect(row(plan, 8)).toEqual({ lead: '', leads: undefined, coUnits: [], dates: ['2024-10-31'] });
    expect(flags(plan, 8)).toEqual(['lead: 未找到牵头单位：请在本任务中填写牵头单位']);
  });

  it('「年内」 and 「年底前」 are the year end the notice set, not a presumed one', () => {
    const t5 = plan.tasks.find((t) => t.number === 5)!;
    const t6 = plan.tasks.find((t) => t.number === 6)!;
    expect(t5.deadlines?.map((d) => [d.date, d.implied])).toEqual([['2024-12-31', undefined]]);
    expect(t6.deadlines?.map((d) => [d.date, d.implied])).toEqual([['2024-12-31', undefined]]);
    expect(flags(plan, 5).some((f) => f.startsWith('deadlines'))).toBe(false);
    // 三年内 is three years, not this one.
    const three = parseNotice('测试通知\n2024年1月1日\n1.推进改造。三年内完成改造。(责任单位:县住建局)', { file: 't' });
    expect(three.tasks[0]!.deadlines?.[0]?.implied).toBe(true);
  });

  it('tells units from other nouns by the directory when given: 「各级党委要……」 and 「专项资金要……」 lead nothing', () => {
    const text = '测试通知\n2024年1月1日\n1.加强领导。各级党委要高度重视，6月底前完成部署。\n2.管好资金。专项资金要专款专用，6月底前完成拨付。\n3.抓好落实。县林业局负责，9月底前完成。';
    const directory = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
    const withDirectory = parseNotice(text, { file: 't', isUnit: (n) => isKnownUnitOrGroup(directory, n) });
    expect(withDirectory.tasks.map((t) => t.lead)).toEqual(['', '', '县林业局']);
    // Without one, a name's form decides: 专项资金 is no unit's name.
    expect(looksLikeUnit('专项资金')).toBe(false);
    expect(parseNotice(text, { file: 't' }).tasks[1]!.lead).toBe('');
  });

  it('with a directory, a name it does not know is flagged on its task', () => {
    const directory = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
    const withDirectory = parseNotice(readFileSync(fixture('forms-joint-2024.txt'), 'utf8'), { file: 'f', isUnit: (n) => isKnownUnitOrGroup(directory, n) });
    expect(flags(withDirectory, 3)).toContain('lead: 通讯录中没有「县政府办公室」：请改正名称或在通讯录中登记');
  });
});

describe('a notice whose items are 「一、」「二、」', () => {
  const plan = parse('forms-items-2025.txt');

  it('reads its items as tasks, with leads and dates, instead of refusing it', () => {
    expect(plan.tasks.map((t) => [t.number, t.title, t.lead])).toEqual([
      [1, '开展隐患排查', '县水务局'],
      [2, '完善应急预案', '县应急局'],
      [3, '加强值班值守', '县应急局'],
      [4, '做好物资储备', '县发展改革局'],
    ]);
    expect(row(plan, 1).dates).toEqual(['2025-04-30']);
    expect(row(plan, 2).dates).toEqual(['2025-05-15']);
    expect(row(plan, 4).dates).toEqual(['2025-12-31']);
  });

  it('「自3月起，每月20日前……报县政府督查室」 is a monthly report due on the 20th from March, for both joint leads', () => {
    const t3 = plan.tasks.find((t) => t.number === 3)!;
    expect(t3.leads).toEqual(['县应急局', '县水务局']);
    expect(t3.recurring?.map((r) => ({ cadence: r.cadence, dueDay: r.dueDay, fromMonth: r.fromMonth }))).toEqual([{ cadence: 'monthly', dueDay: 20, fromMonth: 3 }]);
  });
});

describe('duties of joint leads and of a cadence from a month on', () => {
  // The forms above in a 2022 notice, so the seed's 2022 calendar serves.
  const text =
    '测试通知\n2022年1月4日\n1.加强值班。自3月起，每月20日前报送值班情况。(县应急局、县水务局分工负责;县公安局)\n2.做好储备。9月底前完成储备。(牵头单位:县发展改革局、县财政局;配合单位:县商务局)';
  const plan = planSchema.parse(parseNotice(text, { file: 't' }));
  const duties = expandCampaign(
    { campaignId: 'joint', plan, groups: {}, supervisors: ['县乡村振兴局', '县委农办'], ruralWorkOffice: '县委农办', disciplineOffice: '县纪委监委', calendar: calendar2022 },
    '2022-01-04',
  );

  it('every joint lead holds the duty; co-units are only informed', () => {
    const of = (n: number) => duties.filter((d) => d.duty.taskNumber === n);
    expect([...new Set(of(2).map((d) => d.duty.unit))]).toEqual(['县发展改革局', '县财政局']);
    for (const d of of(2)) expect(d.informUnits).toEqual(['县商务局']);
    expect([...new Set(of(1).map((d) => d.duty.unit))]).toEqual(['县应急局', '县水务局']);
  });

  it('no monthly report is due before March: ten a lead, the first on 20 March', () => {
    const water = duties.filter((d) => d.duty.taskNumber === 1 && d.duty.unit === '县水务局').map((d) => d.deadline);
    expect(water).toHaveLength(10);
    expect(water[0]).toBe('2022-03-20');
  });

  it('the schema keeps the principal first and refuses a lead that is also a co-unit', () => {
    const task = { number: 1, title: 't', lead: '县财政局', coUnits: [] as string[] };
    expect(planSchema.safeParse({ year: 2022, title: 't', tasks: [{ ...task, leads: ['县商务局', '县财政局'] }] }).error?.issues[0]?.message).toContain('leads 的第一个须是 lead');
    expect(planSchema.safeParse({ year: 2022, title: 't', tasks: [{ ...task, leads: ['县财政局', '县商务局'], coUnits: ['县商务局'] }] }).error?.issues[0]?.message).toContain('既是牵头单位又是配合单位');
  });
});

describe('duban plan and duban import on a notice with a task that names nobody', () => {
  it('duban plan writes the plan, says in one line per task what is missing, and exits 0', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'duban-forms-')), 'plan.yaml');
    const run = spawnSync('node', [duban, 'plan', fixture('forms-joint-2024.txt'), '--out', out], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('任务'));
    expect(lines).toEqual([expect.stringMatching(/^任务8「改善人居环境」（.*forms-joint-2024\.txt:25）：未找到牵头单位/)]);
    expect(run.stdout).toContain('牵头 lead: 县发展改革局、县经信局（各为牵头单位 joint leads）');
    expect(run.stdout).toContain('⚠ 请核对 check (lead): 未找到牵头单位');
    // The file keeps the empty lead for the clerk, and cannot be run until it is filled in.
    expect(readFileSync(out, 'utf8')).toMatch(/lead: ""/);
    expect(() => loadPlan(out)).toThrow(/tasks\[7\]\.lead/);
  });

  it('duban plan --json prints the leads and review fields', () => {
    const run = spawnSync('node', [duban, 'plan', fixture('forms-items-2025.txt'), '--json'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    const plan = JSON.parse(run.stdout) as Plan;
    expect(plan.tasks[2]).toMatchObject({ lead: '县应急局', leads: ['县应急局', '县水务局'] });
    expect(plan.tasks[0]!.review?.[0]).toMatchObject({ field: 'lead' });
  });

  it('duban import writes the plan for review and exits 1 naming the task, so campaign start is not tried on it', () => {
    const data = mkdtempSync(join(tmpdir(), 'duban-forms-import-'));
    const run = spawnSync('node', [duban, 'import', fixture('forms-joint-2024.txt')], { encoding: 'utf8', env: { ...process.env, DUBAN_DATA_DIR: data } });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/任务8「改善人居环境」.*未找到牵头单位/);
    expect(existsSync(join(data, 'plans', 'forms-joint-2024.yaml'))).toBe(true);
  });
});
