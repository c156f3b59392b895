/** Builds a campaign's input from a plan (or a notice) file, the unit directory and the calendar. */
import { endOfMonth } from '../calendar/working-days';
import { readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { loadCalendarFile, officialCalendar } from '../calendar/official';
import { decodeNotice } from '../notice/decode';
import { parseNotice } from '../notice/parse';
import { checkPlanUnits, loadDirectory, loadPlan } from '../plan/files';
import { planSchema, type ValidPlan } from '../plan/schema';
import type { Directory } from '../plan/directory';
import type { CampaignInput, CampaignOptions } from '../workflows/expand';

export const REPO_ROOT = join(__dirname, '..');
export const SEED_NOTICE = join(REPO_ROOT, 'seeds', 'dazhu-2022-28.txt');
export const SEED_DIRECTORY = join(REPO_ROOT, 'seeds', 'dazhu-units.yaml');
/**
 * The seed notice's plan as a county office would run it: what `duban import` proposes, reviewed (task 1 is
 * `accountable: lead+co`). Its name gives the same campaign id as the notice's, so a running seed campaign
 * started from the notice simply continues. test/lead-co.test.ts keeps it equal to the parser's proposal.
 */
export const SEED_PLAN = join(REPO_ROOT, 'seeds', 'dazhu-2022-28.yaml');

export interface CampaignSource {
  /** A plan file (YAML); takes precedence over the notice. */
  plan?: string;
  /** A notice to parse when no plan file is given; default the seed notice. */
  notice?: string;
  /** The directory file, or the directory already loaded (an .xlsx takes half a second to read, blocking). */
  directory?: string | Directory;
  year: number;
  calendarFile?: string;
  options?: CampaignOptions;
}

export interface LoadedCampaign {
  input: CampaignInput;
  directory: Directory;
  /** Where the notice's dated duties move when the plan is run for another year. */
  yearNote?: string;
  warnings: string[];
  /** The instant (Shanghai) the campaign nominally starts: the notice's month and day in the plan year. */
  nominalStart: string;
}

/**
 * The plan for `year`: a plan written for another year keeps its months and days, and a month's last day stays
 * its last day (2月底 is 28 February in 2022 and 29 February in 2024).
 */
export function planForYear(plan: ValidPlan, year: number): ValidPlan {
  if (plan.year === year) return plan;
  const move = (d: string) => {
    const y = year + (Number(d.slice(0, 4)) - plan.year);
    const month = Number(d.slice(5, 7));
    return d === endOfMonth(Number(d.slice(0, 4)), month) ? endOfMonth(y, month) : `${y}${d.slice(4)}`;
  };
  return planSchema.parse({
    ...plan,
    year,
    ...(plan.noticeDate ? { noticeDate: move(plan.noticeDate) } : {}),
    tasks: plan.tasks.map((t) => ({ ...t, deadlines: t.deadlines.map((d) => ({ ...d, date: move(d.date) })) })),
  });
}

export function loadCampaign(source: CampaignSource): LoadedCampaign {
  const directory = typeof source.directory === 'object' ? source.directory : loadDirectory(source.directory ?? SEED_DIRECTORY);
  const planFile = source.plan ?? (source.notice ? undefined : SEED_PLAN);
  const file = planFile ?? source.notice ?? SEED_NOTICE;
  let plan: ValidPlan;
  if (planFile) {
    plan = loadPlan(planFile, directory);
  } else {
    const bytes = readFileSync(file);
    // A .docx or PDF is read by `duban plan` (asynchronously, and worth a look before it runs): not here.
    if ((bytes[0] === 0x50 && bytes[1] === 0x4b) || (bytes[0] === 0x25 && bytes[1] === 0x50)) {
      throw new Error(`${file}: .docx/.xlsx/PDF 通知请先用 \`npx duban plan ${file} --out plan.yaml\` 生成计划并核对，再用 DUBAN_PLAN=plan.yaml 启动 (make a plan from it first)`);
    }
    plan = planSchema.parse(parseNotice(decodeNotice(bytes).text, { file }));
    checkPlanUnits(plan, directory, file);
  }
  let yearNote: string | undefined;
  if (plan.year !== source.year) {
    yearNote = `通知为 ${plan.year} 年，按 ${source.year} 年同月同日执行 (the ${plan.year} notice's month/day duties are applied to ${source.year})`;
    plan = planForYear(plan, source.year);
  }
  const extra = source.calendarFile ? loadCalendarFile(source.calendarFile) : undefined;
  const { calendar, warnings } = officialCalendar([source.year, source.year + 1], extra);
  const campaignId = `${basename(file, extname(file))}/${source.year}`;
  return {
    input: {
      campaignId,
      plan,
      groups: directory.groups,
      supervisors: directory.supervisors,
      ruralWorkOffice: directory.ruralWorkOffice,
      disciplineOffice: directory.disciplineOffice,
      calendar,
      ...(source.options ? { options: source.options } : {}),
    },
    directory,
    ...(yearNote ? { yearNote } : {}),
    warnings,
    nominalStart: `${plan.noticeDate ?? `${source.year}-01-04`}T10:00`,
  };
}

export function campaignWorkflowId(campaignId: string): string {
  return `duban/${campaignId}`;
}
