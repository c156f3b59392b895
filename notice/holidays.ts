/**
 * When an official holiday's break ends, for 「春节后一周内」: the days the `chinese-days` package (State
 * Council holiday notices) names after the holiday, extended over the days off that follow them — 2023's 中秋
 * (29 September) ran into 国庆 (to 6 October), and 「中秋节后」 means after the whole break.
 */
import { addDays, isWorkingDay, type WorkCalendar } from '../calendar/working-days';
import type { HolidayName } from './phrases';

// The package's raw data: date → "English name,中文名,days".
// eslint-disable-next-line @typescript-eslint/no-require-imports
const data = require('chinese-days/dist/chinese-days.json') as { holidays: Record<string, string> };

/** The last day off of `holiday`'s break in `year`, or undefined when the package does not know that year's. */
export function holidayBreakEnd(holiday: HolidayName, year: number, calendar: WorkCalendar): string | undefined {
  const named = new Set(Object.keys(data.holidays).filter((d) => d.startsWith(`${year}-`) && data.holidays[d]?.split(',')[1] === holiday));
  // The first run in the year: 元旦's list also holds 31 December, which opens the next year's break.
  const first = [...named].sort()[0];
  if (!first) return undefined;
  let end = first;
  while (named.has(addDays(end, 1))) end = addDays(end, 1);
  while (!isWorkingDay(calendar, addDays(end, 1))) end = addDays(end, 1);
  return end;
}
