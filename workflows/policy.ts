/**
 * Reminder and escalation policy: pure functions of a duty's input and the working-day calendar.
 * Kept apart from workflow code so it can be tested alone and reused by the simulator and the dashboard.
 */
import {
  shanghaiInstant,
  shiftWorkingDays,
  workingDayOnOrBefore,
  type WorkCalendar,
} from '../calendar/working-days';
import type { EscalationStep } from './types';

export const DEFAULT_REMINDER_OFFSETS = [10, 5, 3, 1, 0];

/** +1 leader and supervisor, +3 county rural work office, +5 discipline inspection office with a 督办 notice. */
export const DEFAULT_ESCALATION: EscalationStep[] = [
  { afterWorkingDays: 1, to: ['leader', 'supervisor'] },
  { afterWorkingDays: 3, to: ['leader', 'rural-work-office'] },
  { afterWorkingDays: 5, to: ['leader', 'rural-work-office', 'discipline'], formal: true },
];
/** Once the ladder is exhausted, repeat the last step weekly (five working days). */
export const DEFAULT_REPEAT_WORKING_DAYS = 5;

export interface PlannedReminder {
  at: number;
  /** Working days before the deadline. */
  offset: number;
  date: string;
}

/** Reminder instants, 09:00 Shanghai on working days, earliest first, one per distinct day. */
export function reminderPlan(cal: WorkCalendar, deadline: string, offsets: number[]): PlannedReminder[] {
  // A deadline on a holiday is reminded "on the day" on the last working day before it.
  const dueDay = workingDayOnOrBefore(cal, deadline);
  const byDate = new Map<string, PlannedReminder>();
  for (const offset of [...offsets].sort((a, b) => b - a)) {
    const date = offset === 0 ? dueDay : shiftWorkingDays(cal, dueDay, -offset);
    if (!byDate.has(date)) byDate.set(date, { at: shanghaiInstant(date), offset, date });
  }
  return [...byDate.values()].sort((a, b) => a.at - b.at);
}

export interface PlannedEscalation {
  at: number;
  date: string;
  /** Index into the ladder; repeats keep the last step's index. */
  step: number;
  /** 0 for the ladder itself, 1.. for weekly repeats after it. */
  repeat: number;
}

/** The n-th escalation (0-based) after the deadline, following the ladder and then weekly repeats. */
export function escalationAt(
  cal: WorkCalendar,
  deadline: string,
  ladder: EscalationStep[],
  repeatEvery: number,
  n: number,
): PlannedEscalation {
  const last = ladder.length - 1;
  const step = Math.min(n, last);
  const repeat = Math.max(0, n - last);
  const lastDays = ladder[last]?.afterWorkingDays ?? 1;
  const days = n <= last ? (ladder[n]?.afterWorkingDays ?? 1) : lastDays + repeat * repeatEvery;
  const date = shiftWorkingDays(cal, deadline, days);
  return { at: shanghaiInstant(date), date, step, repeat };
}
