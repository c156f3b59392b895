/**
 * The duty plan: what `duban plan` proposes from a notice and what people check, correct and run.
 * Field names of the JSON form are a contract (year, title, tasks[].number/title/section/lead/coUnits/
 * deadlines/recurring/quotas/targets); the rest are additions.
 */
import { z } from 'zod';
import { isValidDate } from '../calendar/working-days';

const date = z
  .string()
  .refine(isValidDate, { message: '日期须为存在的日期，格式 YYYY-MM-DD (must be an existing date written YYYY-MM-DD)' });

const sourceText = z.string().min(1, '须保留通知原句 (keep the source sentence)');

export const deadlineSchema = z.object({
  date,
  text: sourceText,
  clause: z.string().optional(),
  /** Already past at the notice's date: the unit is asked to confirm its status first. */
  pastAtNotice: z.boolean().optional(),
  /** Working days before the deadline to remind; default 10, 5, 3, 1, 0. */
  reminderOffsets: z.array(z.number().int().min(0).max(60)).optional(),
  /**
   * The notice names no time limit: a year's task is due by year end; edit or delete it in the plan. Its
   * messages say so while the date is still the year's end.
   */
  implied: z.boolean().optional(),
});

export const recurringSchema = z.object({
  cadence: z.enum(['monthly', 'quarterly', 'half-yearly', 'yearly']),
  text: sourceText,
  clause: z.string().optional(),
  /** Day of the month each instance is due (for quarterly and longer, of the month it falls in); omitted = the period's end. */
  dueDay: z.number().int().min(1, '日期须在 1–31 之间 (dueDay is 1–31)').max(31, '日期须在 1–31 之间 (dueDay is 1–31)').optional(),
  /** Each instance reports on the period before it (「每月10日前报送上月」: May's report is due 10 June). */
  forPreviousPeriod: z.boolean().optional(),
  /** The phrase the rule came from (「每月10日前」). */
  phrase: z.string().optional(),
  /** 「自3月起」: no instance is due before this month of the plan year. */
  fromMonth: z.number().int().min(1, '月份须为 1–12 (fromMonth is 1–12)').max(12, '月份须为 1–12 (fromMonth is 1–12)').optional(),
});

export const quotaSchema = z.object({
  min: z.number().int().min(1, '次数至少为 1 (a quota is at least 1)'),
  text: sourceText,
  clause: z.string().optional(),
});

export const targetSchema = z.object({
  text: sourceText,
  phrase: z.string().optional(),
  /** Optional bar for progress reports, in percent (e.g. task 19's monthly progress). */
  bar: z.number().min(0).max(100).optional(),
});

export const taskSchema = z.object({
  number: z.number().int().positive(),
  title: z.string().min(1, '任务名称不能为空 (title is required)'),
  section: z.string().default(''),
  lead: z.string().min(1, '缺少牵头单位，请填写 (lead unit is missing: fill it in)'),
  /**
   * Joint leads (「牵头单位：A、B」, 「A、B分工负责」), the principal first and equal to `lead`: each gets the duty,
   * not a copy. Absent for a task with one lead.
   */
  leads: z.array(z.string().min(1, '牵头单位名称不能为空 (a lead is empty)')).min(1).optional(),
  coUnits: z.array(z.string().min(1)).default([]),
  /**
   * Who is accountable: the lead unit only; every listed unit (each its own duty, as if each led); or the lead
   * for the task and each co-unit for its part (`lead+co`: each co-unit, groups expanded, reports its part to the
   * lead `partWorkingDaysBefore` working days before each of the lead's deadlines).
   */
  accountable: z.enum(['lead', 'all', 'lead+co']).default('lead'),
  /** For `lead+co`: working days before the lead's deadline a co-unit's part is due (default 3). */
  partWorkingDaysBefore: z.number().int().min(0, '须为 0–30 个工作日 (0–30 working days)').max(30, '须为 0–30 个工作日 (0–30 working days)').optional(),
  deadlines: z.array(deadlineSchema).default([]),
  recurring: z.array(recurringSchema).default([]),
  quotas: z.array(quotaSchema).default([]),
  targets: z.array(targetSchema).default([]),
  /** Line of the notice the task starts on. */
  line: z.number().int().positive().optional(),
  /** What the parser could not settle, for a person to check: the field and why (no lead, a vague unit…). */
  review: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
});

export const planSchema = z
  .object({
    year: z.number().int().min(2000).max(2100),
    title: z.string().min(1),
    noticeDate: date.optional(),
    source: z.string().optional(),
    tasks: z.array(taskSchema).min(1, '计划中没有任务 (the plan has no tasks)'),
  })
  .superRefine((plan, ctx) => {
    const seen = new Map<number, number>();
    plan.tasks.forEach((task, i) => {
      const first = seen.get(task.number);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['tasks', i, 'number'], message: `任务编号 ${task.number} 重复（另见 tasks[${first}]）(duplicate task number)` });
      }
      seen.set(task.number, i);
      // lead+co asks something of the co-units: without any, or with the option on another task, it is a slip.
      if (task.leads) {
        if (task.leads[0] !== task.lead) {
          ctx.addIssue({ code: 'custom', path: ['tasks', i, 'leads', 0], message: `leads 的第一个须是 lead（${task.lead}）：主牵头单位写在最前 (leads[0] must equal lead)` });
        }
        const twice = task.leads.find((u, j) => task.leads!.indexOf(u) !== j);
        if (twice) ctx.addIssue({ code: 'custom', path: ['tasks', i, 'leads'], message: `「${twice}」在 leads 中重复 (a lead listed twice)` });
        task.leads.forEach((u, j) => {
          if (task.coUnits.includes(u)) ctx.addIssue({ code: 'custom', path: ['tasks', i, 'leads', j], message: `「${u}」既是牵头单位又是配合单位：请只保留一处 (both a lead and a co-unit)` });
        });
      }
      if (task.accountable === 'lead+co' && task.coUnits.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['tasks', i, 'accountable'], message: 'lead+co 需要配合单位：请填写 coUnits，或改为 lead (lead+co needs co-units)' });
      }
      if (task.partWorkingDaysBefore !== undefined && task.accountable !== 'lead+co') {
        ctx.addIssue({ code: 'custom', path: ['tasks', i, 'partWorkingDaysBefore'], message: '只用于 accountable: lead+co：请删除，或把 accountable 改为 lead+co (only for lead+co)' });
      }
      task.deadlines.forEach((d, j) => {
        if (!d.date.startsWith(String(plan.year)) && !d.date.startsWith(String(plan.year + 1))) {
          ctx.addIssue({ code: 'custom', path: ['tasks', i, 'deadlines', j, 'date'], message: `日期 ${d.date} 不在计划年度 ${plan.year} (date outside the plan year)` });
        }
      });
    });
  });

export type Plan = z.input<typeof planSchema>;
export type PlanTask = z.input<typeof taskSchema>;
export type ValidPlan = z.output<typeof planSchema>;
