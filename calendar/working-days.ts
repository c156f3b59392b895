/**
 * China's working-day calendar as plain data plus pure functions, so workflows can use it deterministically.
 * The calendar travels in workflow input: a running workflow keeps the official days it started with even
 * if the calendar package is later updated, which keeps its history replayable.
 * Asia/Shanghai has had no daylight saving since 1991: local time is always UTC+8.
 */

export interface WorkCalendar {
  /** Years whose official holidays and make-up days (调休) are known. */
  knownYears: number[];
  /** Official days off that fall on Monday–Friday (and weekend holidays, harmlessly). */
  holidays: string[];
  /** Make-up working days (调休) that fall on a weekend. */
  makeupWorkdays: string[];
}

export const SHANGHAI_OFFSET_MS = 8 * 3600_000;
/** Office hours in minutes after local midnight: 08:30–18:00. */
export const OFFICE_OPEN_MIN = 8 * 60 + 30;
export const OFFICE_CLOSE_MIN = 18 * 60;
/** The default reminder hour, 09:00 local. */
export const REMINDER_MIN = 9 * 60;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 for a YYYY-MM-DD date; throws on a date that does not exist. */
export function dayNumber(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${date}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new RangeError(`no such date: ${date}`);
  }
  return ms / 86_400_000;
}

export function isValidDate(date: string): boolean {
  try {
    dayNumber(date);
    return true;
  } catch {
    return false;
  }
}

export function dateOfDayNumber(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

export function addDays(date: string, n: number): string {
  return dateOfDayNumber(dayNumber(date) + n);
}

/** The Shanghai calendar date of an instant (ms since epoch). */
export function shanghaiDate(ms: number): string {
  return new Date(ms + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** Minutes after Shanghai midnight of an instant. */
export function shanghaiMinutes(ms: number): number {
  const local = new Date(ms + SHANGHAI_OFFSET_MS);
  return local.getUTCHours() * 60 + local.getUTCMinutes();
}

/** The instant of a Shanghai local date and time (minutes after midnight). */
export function shanghaiInstant(date: string, minutes: number = REMINDER_MIN): number {
  return dayNumber(date) * 86_400_000 + minutes * 60_000 - SHANGHAI_OFFSET_MS;
}

/** ISO 8601 text with the +08:00 offset, as coordinators read times. */
export function formatShanghai(ms: number): string {
  return new Date(ms + SHANGHAI_OFFSET_MS).toISOString().slice(0, 19) + '+08:00';
}

export function isKnownYear(cal: WorkCalendar, year: number): boolean {
  return cal.knownYears.includes(year);
}

export function isWorkingDay(cal: WorkCalendar, date: string): boolean {
  if (cal.makeupWorkdays.includes(date)) return true;
  if (cal.holidays.includes(date)) return false;
  const weekday = new Date(dayNumber(date) * 86_400_000).getUTCDay();
  return weekday >= 1 && weekday <= 5;
}

/** The n-th working day after (n > 0) or before (n < 0) `date`; n = 0 is `date` itself if working, else the next. */
export function shiftWorkingDays(cal: WorkCalendar, date: string, n: number): string {
  let d = date;
  if (n === 0) {
    while (!isWorkingDay(cal, d)) d = addDays(d, 1);
    return d;
  }
  const step = n > 0 ? 1 : -1;
  let left = Math.abs(n);
  while (left > 0) {
    d = addDays(d, step);
    if (isWorkingDay(cal, d)) left--;
  }
  return d;
}

/** The last working day on or before `date` (a deadline falling on a holiday is reminded the day before). */
export function workingDayOnOrBefore(cal: WorkCalendar, date: string): string {
  let d = date;
  while (!isWorkingDay(cal, d)) d = addDays(d, -1);
  return d;
}

/** Working days strictly after `from` up to and including `to` (0 when `to` <= `from`). */
export function workingDaysBetween(cal: WorkCalendar, from: string, to: string): number {
  let count = 0;
  for (let d = dayNumber(from) + 1; d <= dayNumber(to); d++) {
    if (isWorkingDay(cal, dateOfDayNumber(d))) count++;
  }
  return count;
}

/** Whether a message may go out at this instant: a working day, 08:30–18:00 Shanghai. */
export function isOfficeHours(cal: WorkCalendar, ms: number): boolean {
  const minutes = shanghaiMinutes(ms);
  return isWorkingDay(cal, shanghaiDate(ms)) && minutes >= OFFICE_OPEN_MIN && minutes < OFFICE_CLOSE_MIN;
}

/** The instant itself when within office hours, else the next working day at 09:00. */
export function nextOfficeInstant(cal: WorkCalendar, ms: number): number {
  if (isOfficeHours(cal, ms)) return ms;
  const date = shanghaiDate(ms);
  if (isWorkingDay(cal, date) && shanghaiMinutes(ms) < OFFICE_OPEN_MIN) return shanghaiInstant(date);
  return shanghaiInstant(shiftWorkingDays(cal, date, 1));
}

/** Last day of a month, 1-based month. */
export function endOfMonth(year: number, month: number): string {
  return dateOfDayNumber(Date.UTC(year, month, 0) / 86_400_000);
}
