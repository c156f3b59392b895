/**
 * When the supervisors' digests go: the daily slot for red news and the weekly digest on the week's first working
 * day. Pure (calendar arithmetic only), so the campaign, the desk and tests share it.
 */
import { addDays, dateOfDayNumber, dayNumber, shanghaiDate, shanghaiInstant, shiftWorkingDays, weekdayOfDayNumber, type WorkCalendar } from '../calendar/working-days';

/**
 * Digests go out at 09:30 on working days, half an hour after the 09:00 morning run: by then every duty woken
 * at 09:00 has reported its new level and every reply to the morning's messages has landed, so a digest shows
 * the same figures however the duties' reports and the campaign's own timer happen to be ordered at 09:00.
 */
export const DIGEST_MIN = 9 * 60 + 30;

/** The first digest slot (a working day at 09:30) at or after `now`. */
export function nextDigestSlot(cal: WorkCalendar, now: number): number {
  const today = shanghaiDate(now);
  const slot = shanghaiInstant(shiftWorkingDays(cal, today, 0), DIGEST_MIN);
  return slot >= now ? slot : shanghaiInstant(shiftWorkingDays(cal, today, 1), DIGEST_MIN);
}

/** Monday 09:30 of the week after `now`'s date, moved to the next working day when Monday is a holiday. */
export function nextWeeklyDigest(cal: WorkCalendar, now: number, minutes = DIGEST_MIN): number {
  const today = shanghaiDate(now);
  const weekday = new Date(dayNumber(today) * 86_400_000).getUTCDay();
  let monday = addDays(today, ((8 - weekday) % 7) || 7);
  if (weekday === 1 && now < shanghaiInstant(today, minutes)) monday = today;
  return shanghaiInstant(shiftWorkingDays(cal, monday, 0), minutes);
}

/** The first working day of the week `date` is in (Monday, or later when Monday is a holiday): weekly digest day. */
export function isWeeklyDigestDay(cal: WorkCalendar, date: string): boolean {
  const day = dayNumber(date);
  const monday = day - ((weekdayOfDayNumber(day) + 6) % 7);
  return shiftWorkingDays(cal, dateOfDayNumber(monday), 0) === date;
}
