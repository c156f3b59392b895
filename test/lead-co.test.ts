/**
 * Co-units' parts (`accountable: lead+co`, issue #15): the seed's task 1 as a county office runs it — each
 * co-unit and township reports its part of the screening to 县乡村振兴局 three working days before 31 May. What
 * the plan makes of it, who may send a part back, what the lead unit sees, and the replies on a real campaign.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, type ReplyContext } from '../bot/replies';
import { parseCommand } from '../bot/commands';
import { resolveReply, type DutyView } from '../bot/resolve';
import { loadCampaign, SEED_NOTICE } from '../cli/campaign-input';
import { unitDutiesPage } from '../dashboard/pages';
import { ledgerRows } from '../ledger/rows';
import { planSchema } from '../plan/schema';
import { expandCampaign } from '../workflows/expand';
import { ledgerQuery, type Actor } from '../workflows/messages';
import { initialDutyState } from '../workflows/policy';
import { refuseDecision, refuseExtension, refuseReject } from '../workflows/rules';
import { ackRequestText } from '../workflows/texts';
import { checkPlanUnits } from '../plan/files';
import type { DutyInput, LedgerEntry } from '../workflows/types';
import { startBotCampaign, type BotCampaign } from './bot-campaign';
import { dutyInput } from './duty-fixtures';
import { devServerEnv } from './env';
import { until } from './until';

const seed = loadCampaign({ year: 2022 });
const duties = expandCampaign(seed.input, seed.nominalStart.slice(0, 10));
const parts = duties.filter((d) => d.duty.partOf);

describe('the seed plan (seeds/dazhu-2022-28.yaml)', () => {
  it('is what `duban import` proposes for the notice, with task 1 run as lead+co', () => {
    const proposed = loadCampaign({ notice: SEED_NOTICE, year: 2022 }).input.plan;
    const reviewed = seed.input.plan;
    expect(reviewed.tasks[0]).toMatchObject({ number: 1, accountable: 'lead+co' });
    const asProposed = reviewed.tasks.map((t) => (t.number === 1 ? { ...t, accountable: 'lead' } : t));
    // What the parser asked a person to check (the implied year ends) was checked: a reviewed plan keeps no flags.
    expect(asProposed).toEqual(proposed.tasks.map(({ review: _checked, ...t }) => t));
    expect(proposed.tasks.filter((t) => t.review).map((t) => t.review!.map((r) => r.field))).toEqual(proposed.tasks.filter((t) => t.deadlines.some((d) => d.implied)).map(() => ['deadlines']));
    expect(reviewed.tasks.filter((t) => t.accountable === 'lead+co').map((t) => t.number)).toEqual([1]);
  });

  it('gives each co-unit of task 1, townships expanded, a part due three working days before the lead’s 31 May', () => {
    expect(duties).toHaveLength(69);
    expect(parts).toHaveLength(22);
    const units = parts.map((p) => p.duty.unit);
    expect(units).toContain('县教科局');
    expect(units).toContain('竹阳街道');
    expect(units).not.toContain('县乡村振兴局');
    for (const p of parts) {
      expect(p).toMatchObject({
        deadline: '2022-05-26',
        closeAt: '2022-06-01',
        reminderOffsets: [3, 0],
        informUnits: [],
        offices: { supervisor: '县乡村振兴局' },
        duty: { taskNumber: 1, code: '1', partOf: { lead: '县乡村振兴局', leadDeadline: '2022-05-31' } },
      });
      expect(p.escalation.flatMap((s) => s.to)).not.toContain('discipline');
    }
    // The lead's own duty is no longer copied to them: each has its own part.
    const lead = duties.find((d) => d.duty.taskNumber === 1 && !d.duty.partOf)!;
    expect(lead).toMatchObject({ deadline: '2022-05-31', informUnits: [] });
  });

  it('tells a co-unit what its part is, to whom it reports and by when', () => {
    const part = parts.find((p) => p.duty.unit === '县教科局')!;
    const text = ackRequestText(part, initialDutyState(part, Date.parse('2022-04-29T10:00:00+08:00')), true);
    expect(text).toContain('事项：5月底前完成全县年度集中排查（本单位承担部分，报县乡村振兴局）');
    expect(text).toContain('截止：2022-05-26');
    expect(text).toContain('报送：本单位承担的部分办结后回复「完成 1 情况说明」，报牵头单位县乡村振兴局（其截止 2022-05-31），由县乡村振兴局审核');
  });

  it('gives no parts for a date already past at the start or a presumed year end: the co-units stay informed', () => {
    const tasks = seed.input.plan.tasks.map((t) => (t.number === 4 || t.number === 2 ? { ...t, accountable: 'lead+co' as const } : t));
    const all = expandCampaign({ ...seed.input, plan: { ...seed.input.plan, tasks } }, seed.nominalStart.slice(0, 10));
    for (const n of [2, 4]) {
      expect(all.filter((d) => d.duty.taskNumber === n && d.duty.partOf)).toEqual([]);
      const lead = all.find((d) => d.duty.taskNumber === n)!;
      expect(lead.informUnits).toEqual(seed.input.plan.tasks.find((t) => t.number === n)!.coUnits);
    }
  });

  it('refuses a lead+co plan that cannot work, saying where', () => {
    const task1 = seed.input.plan.tasks[0]!;
    const noCo = planSchema.safeParse({ ...seed.input.plan, tasks: [{ ...task1, coUnits: [] }] });
    expect(noCo.error?.issues[0]).toMatchObject({ path: ['tasks', 0, 'accountable'], message: expect.stringContaining('lead+co 需要配合单位') });
    const stray = planSchema.safeParse({ ...seed.input.plan, tasks: [{ ...task1, accountable: 'lead', partWorkingDaysBefore: 3 }] });
    expect(stray.error?.issues[0]).toMatchObject({ path: ['tasks', 0, 'partWorkingDaysBefore'], message: expect.stringContaining('只用于 accountable: lead+co') });
    const groupLead = { ...seed.input.plan, tasks: [{ ...task1, lead: '各乡镇(街道)', coUnits: ['县民政局'] }] };
    expect(() => checkPlanUnits(groupLead, seed.directory, 'plan.yaml')).toThrow(/tasks\[0\]\.lead（任务1）.*lead\+co 的牵头单位须是一个单位/);
  });

  it('takes partWorkingDaysBefore from the plan, and refuses one out of range saying where', () => {
    const tasks = seed.input.plan.tasks.map((t) => (t.number === 1 ? { ...t, partWorkingDaysBefore: 5 } : t));
    const five = expandCampaign({ ...seed.input, plan: { ...seed.input.plan, tasks } }, seed.nominalStart.slice(0, 10)).filter((d) => d.duty.partOf);
    expect(new Set(five.map((p) => p.deadline))).toEqual(new Set(['2022-05-24']));
    const bad = planSchema.safeParse({ ...seed.input.plan, tasks: seed.input.plan.tasks.map((t) => (t.number === 1 ? { ...t, partWorkingDaysBefore: 40 } : t)) });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues[0])).toMatch(/partWorkingDaysBefore.*0–30 个工作日|0–30 个工作日.*partWorkingDaysBefore/);
  });
});

describe('who reviews a part', () => {
  const start = Date.parse('2022-05-05T10:00:00+08:00');
  const part: DutyInput = dutyInput('t/t1/d1-part/县教科局', '2022-05-26', {
    duty: { ...dutyInput('x', '2022-05-26').duty, dutyId: 't/t1/d1-part/县教科局', unit: '县教科局', partOf: { lead: '县农业农村局', leadDeadline: '2022-05-31' } },
  });
  const completed = { ...initialDutyState(part, start), unit: '县教科局', status: 'completed' as const };
  const leadCoordinator: Actor = { person: '某某', unit: '县农业农村局', role: 'coordinator' };
  const otherCoordinator: Actor = { person: '某某', unit: '县民政局', role: 'coordinator' };

  it('lets the lead unit send a part back, and no other unit that does not supervise', () => {
    expect(refuseReject(completed, { actor: leadCoordinator, reason: '材料不全' }, part)).toBeUndefined();
    expect(refuseReject(completed, { actor: otherCoordinator, reason: '材料不全' }, part)).toMatch(/不是督办单位/);
    // The same coordinator reviews nothing that is not a part it leads.
    const own = dutyInput('t/t5/d1/县教科局', '2022-05-26');
    expect(refuseReject(completed, { actor: leadCoordinator, reason: '材料不全' }, own)).toMatch(/不是督办单位/);
  });

  it('lets a part be put off only as far as the lead’s own date', () => {
    const open = { ...completed, status: 'acknowledged' as const };
    const coordinator: Actor = { person: '陈建华', unit: '县教科局', role: 'coordinator' };
    expect(refuseExtension(open, part, { actor: coordinator, date: '2022-06-10', reason: '乡镇数据未齐' })).toMatch(/不得晚于牵头单位县农业农村局原定的截止日期 2022-05-31/);
    expect(refuseExtension(open, part, { actor: coordinator, date: '2022-05-31', reason: '乡镇数据未齐' })).toBeUndefined();
  });

  it('lets the lead unit decide a part’s extension', () => {
    const asked = { ...completed, status: 'acknowledged' as const, pendingExtension: { date: '2022-05-30', reason: '乡镇数据未齐', by: '陈建华', at: start } };
    expect(refuseDecision(asked, { actor: leadCoordinator, approve: true }, '2022-05-20', part)).toBeUndefined();
    expect(refuseDecision(asked, { actor: otherCoordinator, approve: true }, '2022-05-20', part)).toMatch(/不是督办单位/);
  });

  it('resolves the lead’s 「驳回 1 县教科局 …」 to that part only, and asks which unit when none is named', () => {
    const view = (unit: string, over: Partial<DutyView> = {}): DutyView => ({
      dutyId: `c/t1/d1-part/${unit}`,
      task: 1,
      kind: 'deadline',
      code: '1',
      unit,
      lead: '县农业农村局',
      deadline: '2022-05-26',
      status: 'completed',
      ended: false,
      ...over,
    });
    const views = [view('县教科局'), view('县民政局'), view('县农业农村局', { dutyId: 'c/t1/d1/县农业农村局', lead: undefined, status: 'acknowledged' })];
    const text = '驳回 1 县教科局 材料不全';
    const named = resolveReply(parseCommand(text), { actor: leadCoordinator, duties: views, today: '2022-05-27', inGroup: true, text });
    expect(named.duties.map((d) => d.dutyId)).toEqual(['c/t1/d1-part/县教科局']);
    const bare = '驳回 1 材料不全';
    const asked = resolveReply(parseCommand(bare), { actor: leadCoordinator, duties: views, today: '2022-05-27', inGroup: true, text: bare });
    expect(asked.intent).toBe('ask');
    expect(asked.answer).toContain('县教科局');
    expect(asked.answer).toContain('县民政局');
    // A unit that leads no part is refused, never routed to someone else's.
    const refused = resolveReply(parseCommand(text), { actor: otherCoordinator, duties: views, today: '2022-05-27', inGroup: false, text });
    expect(refused.intent).toBe('refused');
    // The lead reviews its parts only, and says so.
    const notMine = '驳回 5 县教科局 材料不全';
    const five = resolveReply(parseCommand(notMine), { actor: leadCoordinator, duties: [...views, view('县教科局', { dutyId: 'c/t5/d1/县教科局', code: '5', task: 5, lead: undefined })], today: '2022-05-27', inGroup: false, text: notMine });
    expect(five).toMatchObject({ intent: 'refused', answer: expect.stringContaining('只能审核本单位牵头任务的配合单位报送（编号 1）') });
  });

  it('tells a co-unit whose part has closed to report to the lead, not that the task is not its own', () => {
    const closed: DutyView = { dutyId: 'c/t1/d1-part/县教科局', task: 1, kind: 'deadline', code: '1', unit: '县教科局', lead: '县乡村振兴局', deadline: '2022-05-26', status: 'closed', ended: true };
    const lead: DutyView = { ...closed, dutyId: 'c/t1/d1/县乡村振兴局', unit: '县乡村振兴局', lead: undefined, deadline: '2022-05-31', status: 'acknowledged', ended: false };
    const text = '完成 1 排查已完成';
    const res = resolveReply(parseCommand(text), { actor: { person: '陈建华', unit: '县教科局', role: 'coordinator' }, duties: [closed, lead], today: '2022-06-02', inGroup: true, text });
    expect(res.intent).toBe('refused');
    expect(res.answer).toContain('请直接报牵头单位县乡村振兴局');
    expect(res.answer).not.toContain('不是县教科局的督办事项');
  });
});

describe('what the lead unit and the 台账 show', () => {
  const entry = (unit: string, status: LedgerEntry['status']): LedgerEntry =>
    ({
      dutyId: `c/t1/d1-part/${unit}`,
      kind: 'deadline',
      taskNumber: 1,
      unit,
      lead: '县乡村振兴局',
      code: '1',
      deadline: '2022-05-26',
      status,
      level: 'none',
      ended: false,
      updatedAt: 1,
      remindersSent: 0,
      escalationsSent: 0,
    }) as LedgerEntry;

  it('lists who has reported on the lead’s 「我的任务」 page', () => {
    const rows = [entry('县教科局', 'completed'), entry('县民政局', 'acknowledged')].map((e) => ({ entry: e, campaignTitle: '通知', taskTitle: '监测' }));
    const page = unitDutiesPage('县乡村振兴局', [], rows);
    expect(page).toContain('配合单位报送');
    expect(page).toContain('已报 1/2');
    expect(page).toMatch(/data-unit="县民政局" data-status="acknowledged"/);
    expect(unitDutiesPage('县民政局', [], [])).not.toContain('配合单位报送');
  });

  it('says in the 台账 that a row is a part and to whom it reports', () => {
    const [row] = ledgerRows(seed.input.plan, [entry('县教科局', 'completed')]);
    expect(row!.item).toContain('承担部分，报县乡村振兴局');
  });
});

describe('parts on a real campaign, by reply (dev server)', () => {
  let campaign: BotCampaign;
  let ctx: ReplyContext;
  let cleanup: () => Promise<void> = async () => undefined;
  const say = (wechat: string, name: string, text: string) => answer(ctx, { id: wechat, name }, text, true);
  const partOf = async (unit: string) =>
    (await ctx.client.workflow.getHandle(campaign.campaignWorkflowId).query(ledgerQuery)).find((e) => e.lead && e.unit === unit)!;

  beforeAll(async () => {
    const env = await devServerEnv();
    const clockOffsetMs = Date.parse('2022-05-10T10:00:00+08:00') - Date.now();
    const startAt = Date.parse(`${seed.nominalStart}:00+08:00`);
    const id = `duban/lead-co-${randomUUID()}`;
    campaign = await startBotCampaign(env, { ...seed.input, clockOffsetMs, startAt }, (entries) => entries.length === 69, id);
    ctx = { client: env.client, directory: seed.directory, campaignWorkflowId: id, now: () => Date.now() + clockOffsetMs };
    cleanup = async () => {
      await campaign.stop();
      await env.teardown();
    };
  }, 120_000);
  afterAll(async () => cleanup());

  it('takes a co-unit’s 「完成 1」 as its part, shows it to the lead, and lets the lead send it back', async () => {
    const done = await say('demo-u02-coordinator', '陈建华（虚构）', '完成 1 本系统排查已完成，名单已报县乡村振兴局');
    expect(done).toContain('1');
    await until('the part completed', async () => ((await partOf('县教科局')).status === 'completed' ? true : undefined));

    const mine = await say('demo-u01-coordinator', '张海燕（虚构）', '我的任务');
    expect(mine).toMatch(/任务1 配合单位报送：已报 1\/22（县教科局）/);
    expect(mine).toContain('未报：');

    const stranger = await say('demo-u04-coordinator', '周志强（虚构）', '驳回 1 县教科局 材料不全');
    expect(stranger ?? '').not.toMatch(/已受理/);
    expect((await partOf('县教科局')).status).toBe('completed');

    const back = await say('demo-u01-coordinator', '张海燕（虚构）', '驳回 1 县教科局 缺少乡镇汇总表');
    expect(back).toBeTruthy();
    await until('the part reopened', async () => ((await partOf('县教科局')).status !== 'completed' ? true : undefined));
  }, 60_000);
});
