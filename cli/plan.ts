/** `duban plan NOTICE --year YYYY [--json] [--out plan.yaml] [--directory units.yaml]` */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readNoticeFile } from '../notice/read';
import { parseNotice } from '../notice/parse';
import { LEAD_TO_FILL, loadDirectory, writePlan } from '../plan/files';
import { isKnownUnitOrGroup } from '../plan/directory';
import { planSchema, type Plan, type ValidPlan } from '../plan/schema';

const CADENCE_CN = { monthly: '每月', quarterly: '每季度', 'half-yearly': '每半年', yearly: '每年' } as const;

/** A year-end date the notice never named, still as presumed: once a person writes another date, it is theirs. */
const presumed = (d: ValidPlan['tasks'][number]['deadlines'][number]) => d.implied === true && d.date.endsWith('-12-31');

export function planTable(plan: ValidPlan): string {
  const out: string[] = [`${plan.title}`, `计划年度 plan year: ${plan.year}${plan.noticeDate ? ` · 发文日期 notice date: ${plan.noticeDate}` : ''}`, ''];
  for (const t of plan.tasks) {
    out.push(`任务${t.number} ${t.title}${t.section ? `  〔${t.section}〕` : ''}`);
    out.push(`  牵头 lead: ${(t.leads ?? [t.lead]).join('、')}${t.leads && t.leads.length > 1 ? '（各为牵头单位 joint leads）' : ''}`);
    if (t.coUnits.length) out.push(`  配合 co-units: ${t.coUnits.join('、')}`);
    for (const d of t.deadlines) {
      // Shown as presumed, for people to check before the plan runs.
      const implied = presumed(d) ? ' 年底前（通知未列明时限，推定 implied）' : '';
      out.push(`  截止 deadline: ${d.date}${implied}${d.pastAtNotice ? '（发文时已过 past at notice）' : ''} — ${d.clause ?? d.text}`);
    }
    for (const r of t.recurring) {
      const due = r.dueDay !== undefined ? `（${r.forPreviousPeriod ? '次期' : '当期'}${r.dueDay}日前${r.forPreviousPeriod ? '，报上期' : ''}）` : r.forPreviousPeriod ? '（次期，报上期）' : '';
      out.push(`  周期 cadence: ${CADENCE_CN[r.cadence]}${due} ${r.cadence} — ${r.clause ?? r.text}`);
    }
    for (const q of t.quotas) out.push(`  次数 quota: ≥${q.min} — ${q.clause ?? q.text}`);
    for (const g of t.targets) out.push(`  目标 target: ${g.phrase ?? g.text}`);
    for (const r of t.review ?? []) out.push(`  ⚠ 请核对 check (${r.field}): ${r.reason}`);
    out.push('');
  }
  const counts = plan.tasks.reduce(
    (acc, t) => ({ d: acc.d + t.deadlines.length, i: acc.i + t.deadlines.filter(presumed).length, r: acc.r + t.recurring.length, q: acc.q + t.quotas.length }),
    { d: 0, i: 0, r: 0, q: 0 },
  );
  const implied = counts.i ? `（其中 ${counts.i} 个为推定的年底期限，请核对）` : '';
  out.push(`共 ${plan.tasks.length} 项任务，${counts.d} 个截止日期${implied}，${counts.r} 项周期任务，${counts.q} 项次数要求。`);
  const flagged = plan.tasks.filter((t) => t.review?.length).length;
  if (flagged) out.push(`其中 ${flagged} 项任务有待核对之处（⚠）。`);
  return out.join('\n');
}

export async function planCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      year: { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      directory: { type: 'string' },
    },
  });
  const file = positionals[0];
  if (!file) throw new Error('用法 usage: duban plan NOTICE --year YYYY [--json] [--out plan.yaml] [--directory units.yaml]');
  if (!existsSync(file)) throw new Error(`${file}: 文件不存在 (no such file)`);
  let year: number | undefined;
  if (values.year !== undefined) {
    if (!/^\d{4}$/.test(values.year)) throw new Error(`--year ${values.year}: 须为四位年份，如 2022 (a four-digit year)`);
    year = Number(values.year);
  }
  const directory = values.directory ? loadDirectory(values.directory) : undefined;
  const { text } = await readNoticeFile(file);
  const proposed = parseNotice(text, { file, ...(year ? { year } : {}), ...(directory ? { isUnit: (n: string) => isKnownUnitOrGroup(directory, n) } : {}) });
  // A task without a lead still comes out, flagged: the plan is the clerk's to complete, not a reason to refuse.
  const shown = planSchema.safeParse({ ...proposed, tasks: proposed.tasks.map((t) => (t.lead ? t : { ...t, lead: LEAD_TO_FILL })) });
  if (values.out) writePlan(values.out, proposed, { draft: true });
  if (values.json) process.stdout.write(`${JSON.stringify(proposed, null, 2)}\n`);
  else if (shown.success) process.stdout.write(`${planTable(shown.data)}\n`);
  else process.stdout.write(`${JSON.stringify(proposed, null, 2)}\n`);
  for (const line of missingLines(proposed)) process.stderr.write(`${line}\n`);
  if (values.out) process.stderr.write(`已写入计划文件 plan written: ${values.out}\n`);
  return 0;
}

/** One line per task that cannot run as proposed: no lead, or (with a directory) a unit it does not know. */
export function missingLines(plan: Plan): string[] {
  return plan.tasks.flatMap((t) => {
    const blocking = (t.review ?? []).filter((r) => (r.field === 'lead' && !t.lead) || r.reason.startsWith('通讯录中没有'));
    if (!blocking.length) return [];
    const where = `${plan.source ?? ''}${t.line ? `:${t.line}` : ''}`;
    return [`任务${t.number}「${t.title}」（${where}）：${blocking.map((r) => r.reason).join('；')}`];
  });
}
