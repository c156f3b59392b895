/**
 * Builds a WorkCalendar from the maintained `chinese-days` package (State Council holiday notices), or from a
 * calendar file for a year the package does not know yet. Runs outside workflows.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { isValidDate, type WorkCalendar } from './working-days';

// The package's raw data: date → holiday name, for every year it knows.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const data = require('chinese-days/dist/chinese-days.json') as {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
};

const packageYears = new Set(Object.keys(data.holidays).map((d) => Number(d.slice(0, 4))));

const dateString = z.string().refine(isValidDate, { message: 'must be an existing date written YYYY-MM-DD' });
export const calendarFileSchema = z.object({
  years: z.record(
    z.string().regex(/^\d{4}$/, 'year keys are four digits'),
    z.object({ holidays: z.array(dateString).default([]), makeupWorkdays: z.array(dateString).default([]) }),
  ),
});
export type CalendarFile = z.infer<typeof calendarFileSchema>;

export interface CalendarResult {
  calendar: WorkCalendar;
  /** Chinese warnings for years that fall back to Monday–Friday. */
  warnings: string[];
}

/** The calendar for the given years (a campaign's plan year and the next, for late escalations). */
export function officialCalendar(years: number[], extra?: CalendarFile): CalendarResult {
  const holidays: string[] = [];
  const makeupWorkdays: string[] = [];
  const knownYears: number[] = [];
  const warnings: string[] = [];
  for (const year of years) {
    const fromFile = extra?.years[String(year)];
    if (fromFile) {
      holidays.push(...fromFile.holidays);
      makeupWorkdays.push(...fromFile.makeupWorkdays);
      knownYears.push(year);
    } else if (packageYears.has(year)) {
      const prefix = `${year}-`;
      holidays.push(...Object.keys(data.holidays).filter((d) => d.startsWith(prefix)));
      makeupWorkdays.push(...Object.keys(data.workdays).filter((d) => d.startsWith(prefix)));
      knownYears.push(year);
    } else {
      warnings.push(
        `⚠ 日历包尚无 ${year} 年的法定节假日和调休安排：${year} 年暂按周一至周五工作日计算。` +
          `国务院办公厅公布安排后，请在配置的日历文件中补充（calendarFile）。`,
      );
    }
  }
  return { calendar: { knownYears, holidays: holidays.sort(), makeupWorkdays: makeupWorkdays.sort() }, warnings };
}

export function loadCalendarFile(path: string): CalendarFile {
  const parsed = calendarFileSchema.safeParse(parseYaml(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid calendar file'}`);
  }
  return parsed.data;
}
