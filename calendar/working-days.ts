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

/**
 * A calendar with `update`'s years laid over `base`: for every year `update` knows, its holidays and make-up
 * days replace `base`'s; other years stay as they were. A new object (calendars are indexed by identity).
 */
export function mergeCalendars(base: WorkCalendar, update: WorkCalendar): WorkCalendar {
  const years = new Set(update.knownYears);
  const keep = (d: string) => !years.has(Number(d.slice(0, 4)));
  return {
    knownYears: [...new Set([...base.knownYears, ...update.knownYears])].sort((a, b) => a - b),
    holidays: [...base.holidays.filter(keep), ...update.holidays].sort(),
    makeupWorkdays: [...base.makeupWorkdays.filter(keep), ...update.makeupWorkdays].sort(),
  };
}

export const SHANGHAI_OFFSET_MS = 8 * 3600_000;
/** Office hours in minutes after local midnight: 08:30–18:00. */
export const OFFICE_OPEN_MIN = 8 * 60 + 30;
export const OFFICE_CLOSE_MIN = 18 * 60;
/** The default reminder hour, 09:00 local. */
export const REMINDER_MIN = 9 * 60;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

// Day arithmetic is on integers (days since 1970-01-01), with date strings parsed once and remembered: the
// duty workflow plans a year of reminders and escalations on every turn of its loop, and parsing date
// strings through Date objects day by day was most of a worker's CPU time. The caches hold pure
// functions' results, so sharing them between workflows is deterministic.
const dayOfDate = new Map<string, number>();
const dateOfDay = new Map<number, string>();
const CACHE_LIMIT = 200_000;

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): string {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

function remember<K, V>(cache: Map<K, V>, key: K, value: V): V {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

/** Days since 1970-01-01 for a YYYY-MM-DD date; throws on a date that does not exist. */
export function dayNumber(date: string): number {
  const known = dayOfDate.get(date);
  if (known !== undefined) return known;
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${date}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) throw new RangeError(`no such date: ${date}`);
  return remember(dayOfDate, date, daysFromCivil(y, mo, d));
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
  return dateOfDay.get(day) ?? remember(dateOfDay, day, civilFromDays(day));
}

export function addDays(date: string, n: number): string {
  return dateOfDayNumber(dayNumber(date) + n);
}

/** 0 = Sunday … 6 = Saturday; 1970-01-01 was a Thursday. */
export function weekdayOfDayNumber(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** The Shanghai calendar date of an instant (ms since epoch). */
export function shanghaiDate(ms: number): string {
  return dateOfDayNumber(Math.floor((ms + SHANGHAI_OFFSET_MS) / 86_400_000));
}

/** Minutes after Shanghai midnight of an instant. */
export function shanghaiMinutes(ms: number): number {
  const local = (((ms + SHANGHAI_OFFSET_MS) % 86_400_000) + 86_400_000) % 86_400_000;
  return Math.floor(local / 60_000);
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

/** A calendar's days off and make-up days as day-number sets, built once per calendar object. */
interface CalendarIndex {
  holidays: Set<number>;
  makeup: Set<number>;
}
const indexes = new WeakMap<WorkCalendar, CalendarIndex>();

function indexOf(cal: WorkCalendar): CalendarIndex {
  let index = indexes.get(cal);
  if (!index) {
    index = { holidays: new Set(cal.holidays.map(dayNumber)), makeup: new Set(cal.makeupWorkdays.map(dayNumber)) };
    indexes.set(cal, index);
  }
  return index;
}

function isWorkingDayNumber(index: CalendarIndex, day: number): boolean {
  if (index.makeup.has(day)) return true;
  if (index.holidays.has(day)) return false;
  const weekday = weekdayOfDayNumber(day);
  return weekday >= 1 && weekday <= 5;
}

export function isWorkingDay(cal: WorkCalendar, date: string): boolean {
  return isWorkingDayNumber(indexOf(cal), dayNumber(date));
}

/** Day-number form of `shiftWorkingDays`. */
export function shiftWorkingDayNumber(cal: WorkCalendar, day: number, n: number): number {
  const index = indexOf(cal);
  let d = day;
  if (n === 0) {
    while (!isWorkingDayNumber(index, d)) d++;
    return d;
  }
  const step = n > 0 ? 1 : -1;
  let left = Math.abs(n);
  while (left > 0) {
    d += step;
    if (isWorkingDayNumber(index, d)) left--;
  }
  return d;
}

/** The n-th working day after (n > 0) or before (n < 0) `date`; n = 0 is `date` itself if working, else the next. */
export function shiftWorkingDays(cal: WorkCalendar, date: string, n: number): string {
  return dateOfDayNumber(shiftWorkingDayNumber(cal, dayNumber(date), n));
}

/** The last working day on or before `date` (a deadline falling on a holiday is reminded the day before). */
export function workingDayOnOrBefore(cal: WorkCalendar, date: string): string {
  const index = indexOf(cal);
  let d = dayNumber(date);
  while (!isWorkingDayNumber(index, d)) d--;
  return dateOfDayNumber(d);
}

/** Working days strictly after `from` up to and including `to` (0 when `to` <= `from`). */
export function workingDaysBetween(cal: WorkCalendar, from: string, to: string): number {
  const index = indexOf(cal);
  let count = 0;
  const last = dayNumber(to);
  for (let d = dayNumber(from) + 1; d <= last; d++) if (isWorkingDayNumber(index, d)) count++;
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
  return dateOfDayNumber(daysFromCivil(year, month, daysInMonth(year, month)));
}
