/**
 * Reminder, escalation and level policy: pure functions of a duty's input, its state and the time.
 * Kept apart from workflow code so they can be tested alone and reused by the simulator and the dashboard.
 */
import {
  dateOfDayNumber,
  dayNumber,
  nextOfficeInstant,
  shanghaiDate,
  shanghaiInstant,
  shiftWorkingDayNumber,
  shiftWorkingDays,
  weekdayOfDayNumber,
  workingDayOnOrBefore,
  workingDaysBetween,
  type WorkCalendar,
} from '../calendar/working-days';
import type { DutyInput, DutyState, EscalationStep, Level, MessageKind } from './types';

export const DEFAULT_REMINDER_OFFSETS = [10, 5, 3, 1, 0];

/** +1 leader and supervisor, +3 county rural work office, +5 discipline inspection office with a 督办 notice. */
export const DEFAULT_ESCALATION: EscalationStep[] = [
  { afterWorkingDays: 1, to: ['leader', 'supervisor'] },
  { afterWorkingDays: 3, to: ['leader', 'supervisor', 'rural-work-office'] },
  { afterWorkingDays: 5, to: ['leader', 'supervisor', 'rural-work-office', 'discipline'], formal: true },
];
/**
 * The ladder for a deadline the notice never named (an implied year-end deadline, `implied: true`): the unit's
 * leader and the supervising offices are told, but no formal 督办通知书 and nothing to the discipline inspection
 * office — they act on time limits a notice set, not on one duban presumed. Measured: with the full ladder the
 * seed's 15 implied duties put 15 more formal notices on each of the three offices on 9 January 2023.
 */
export const IMPLIED_ESCALATION: EscalationStep[] = [
  { afterWorkingDays: 1, to: ['leader', 'supervisor'] },
  { afterWorkingDays: 3, to: ['leader', 'supervisor', 'rural-work-office'] },
];
/**
 * The ladder for a co-unit's part (`accountable: lead+co`): one step, the unit's leader and the lead unit (its
 * supervising office for the part), then the weekly overdue reminders. The task itself is escalated, formally, on
 * the lead's own duty if it is late as a whole.
 */
export const PART_ESCALATION: EscalationStep[] = [{ afterWorkingDays: 1, to: ['leader', 'supervisor'] }];
/** A part is reminded three working days before its date and on it (it is due days before the lead's). */
export const PART_REMINDER_OFFSETS = [3, 0];
export const DEFAULT_PART_WORKING_DAYS_BEFORE = 3;
/**
 * A part still open this many working days after the lead's deadline is closed, unresolved: from the lead's date
 * the lead reports the task as a whole (and is escalated formally if it is late), so the part's nagging stops.
 * Measured on the silent seed year: 485 messages closing the day after, 529 ten working days after, 763 when
 * parts ran to the campaign's end.
 */
export const PART_CLOSE_WORKING_DAYS_AFTER_LEAD = 1;
/** Once the ladder is exhausted, repeat the last step weekly (five working days). */
export const DEFAULT_REPEAT_WORKING_DAYS = 5;
export const DEFAULT_GRACE_WORKING_DAYS = 3;
export const DEFAULT_ACK_NAG_WORKING_DAYS = 2;
/** The first request plus two follow-ups; after that the duty shows yellow and the reminders carry the ask. */
export const MAX_ACK_REQUESTS = 3;
/** A completed duty stays open this long for a supervisor to reject the completion. */
export const REVIEW_WORKING_DAYS = 10;
/** Due soon (blue) within this many working days of the deadline. */
export const DUE_SOON_WORKING_DAYS = 10;

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

/** The n-th escalation (0-based) after `base`, following the ladder and then repeats. */
export function escalationAt(
  cal: WorkCalendar,
  base: string,
  ladder: EscalationStep[],
  repeatEvery: number,
  n: number,
): PlannedEscalation {
  const last = ladder.length - 1;
  const step = Math.min(n, last);
  const repeat = Math.max(0, n - last);
  const lastDays = ladder[last]?.afterWorkingDays ?? 1;
  const days = n <= last ? (ladder[n]?.afterWorkingDays ?? 1) : lastDays + repeat * repeatEvery;
  const date = shiftWorkingDays(cal, base, days);
  return { at: shanghaiInstant(date), date, step, repeat };
}

export type ActionKind = MessageKind | 'quota-check' | 'close' | 'end';

export interface PlannedAction {
  at: number;
  key: string;
  kind: ActionKind;
  reminderOffset?: number;
  escalation?: PlannedEscalation;
  checkpoint?: string;
}

/** A duty's state when it starts: nothing sent, nothing answered. */
export function initialDutyState(input: DutyInput, startedAt: number): DutyState {
  const { duty } = input;
  return {
    dutyId: duty.dutyId,
    kind: duty.kind,
    unit: duty.unit,
    taskNumber: duty.taskNumber,
    ...(duty.period ? { period: duty.period } : {}),
    deadline: input.deadline,
    originalDeadline: input.deadline,
    status: 'open',
    level: 'none',
    startedAt,
    pastAtStart: isPastAtStart({ startedAt, originalDeadline: input.deadline }),
    behind: false,
    remindersSent: 0,
    escalationsSent: 0,
    handledKeys: [],
    queued: [],
    ended: false,
    history: [{ at: startedAt, event: 'started' }],
    ...(input.quota ? { quotaCounts: input.quota.items.map(() => 0) } : {}),
  };
}

/** Was the deadline already past when the duty started (the notice came late, or the campaign did)? */
export function isPastAtStart(state: Pick<DutyState, 'startedAt' | 'originalDeadline'>): boolean {
  return dayNumber(state.originalDeadline) < dayNumber(shanghaiDate(state.startedAt));
}

/**
 * The date escalations count from: the deadline, or for a duty already past at start (and not extended
 * since), the end of the grace period the unit has to confirm its status.
 */
export function escalationBase(input: DutyInput, state: DutyState, options: PlanOptions = {}): string {
  if (state.pastAtStart && state.deadline === state.originalDeadline) {
    const first = input.escalation[0]?.afterWorkingDays ?? 1;
    // "Within 3 working days": the first escalation comes the working day after the third (0.1.0: on it).
    const grace = input.graceWorkingDays + (options.graceWhole ? 1 : 0);
    return shiftWorkingDays(input.calendar, shanghaiDate(state.startedAt), grace - first);
  }
  return state.deadline;
}

const ESCALATIONS_PLANNED = 60;

export interface PlanOptions {
  /**
   * The formal notice goes once per duty; after the ladder a late duty is reminded weekly to its own unit
   * (and listed in the supervisors' weekly digest). False: 0.1.0's weekly formal notices to everyone.
   */
  formalOnce?: boolean;
  /**
   * With `formalOnce`: after the ladder a late duty is reminded on the first working day of each week (its
   * unit's Monday morning message, whatever weekday its deadline fell on) rather than every five working days
   * counted from the deadline. Set for duties whose campaign sends morning messages.
   */
  weeklyOverdue?: boolean;
  /**
   * A duty past due at start has its whole grace period: escalation (and red) from the working day after the
   * last grace day. False: 0.1.0's escalation at 09:00 of the last grace day itself.
   */
  graceWhole?: boolean;
}

/**
 * A duty still late after its formal notice is reminded every week for this many weeks, then every this
 * many weeks: by then the discipline inspection office holds the notice and the weekly digest lists the duty
 * every Monday, and a unit silent for a month is not moved by a thirteenth weekly reminder (what it does is
 * mute the bot).
 */
export const WEEKLY_OVERDUE_WEEKS = 4;

/** Weeks of Monday reminders planned ahead; the campaign's close ends a duty long before. */
const WEEKS_PLANNED = 60;

/** Every action still to come for this duty in its current state, earliest first. */
export function plannedActions(input: DutyInput, state: DutyState, options: PlanOptions = { formalOnce: true }): PlannedAction[] {
  const cal = input.calendar;
  const handled = new Set(state.handledKeys);
  const out: PlannedAction[] = [];
  const add = (a: PlannedAction) => {
    if (!handled.has(a.key)) out.push(a);
  };
  if (input.closeAt) add({ at: shanghaiInstant(input.closeAt), key: 'close', kind: 'close' });

  if (state.status === 'closed') return [];
  if (state.status === 'completed') {
    const done = shanghaiDate(state.completedAt ?? state.startedAt);
    add({
      at: shanghaiInstant(shiftWorkingDays(cal, done, REVIEW_WORKING_DAYS), 18 * 60),
      key: `end/${done}`,
      kind: 'end',
    });
    return out.sort((a, b) => a.at - b.at);
  }

  const firstContact = nextOfficeInstant(cal, state.startedAt);
  // A one-off duty is announced at once and acknowledged; a recurring instance (this month's circular) is
  // announced by its reminders, which carry the ask while it is unacknowledged.
  const asksAck = input.duty.kind === 'deadline' || input.duty.kind === 'quota';
  if (state.pastAtStart && state.deadline === state.originalDeadline) {
    add({ at: firstContact, key: 'status-check', kind: 'status-check' });
  } else {
    const planned = reminderPlan(cal, state.deadline, input.reminderOffsets);
    let reminders = planned.filter((r) => r.at > state.startedAt);
    if (reminders.length === 0 && planned.length > 0) {
      // Due sooner than the first reminder would have been: remind once, at first contact.
      const date = shanghaiDate(firstContact);
      const offset = workingDaysBetween(cal, date, workingDayOnOrBefore(cal, state.deadline));
      reminders = [{ at: firstContact, offset, date }];
    }
    const reminderDates = new Set(reminders.map((r) => r.date));
    for (const r of reminders) add({ at: r.at, key: `reminder/${r.date}`, kind: 'reminder', reminderOffset: r.offset });
    if (state.status === 'open' && asksAck) {
      // "Please acknowledge" on first contact, then every few working days, until acknowledged or due.
      add({ at: firstContact, key: 'ack-request/first', kind: 'ack-request' });
      let date = shanghaiDate(firstContact);
      for (let n = 1; n < MAX_ACK_REQUESTS; n++) {
        date = shiftWorkingDays(cal, date, input.ackNagEveryWorkingDays);
        if (dayNumber(date) >= dayNumber(state.deadline)) break;
        if (!reminderDates.has(date))
          add({ at: shanghaiInstant(date), key: `ack-request/${date}`, kind: 'ack-request' });
      }
    }
  }
  for (const cp of input.quota?.checkpoints ?? []) {
    const day = workingDayOnOrBefore(cal, cp);
    if (dayNumber(day) > dayNumber(shanghaiDate(state.startedAt)) && dayNumber(cp) < dayNumber(state.deadline)) {
      add({ at: shanghaiInstant(day), key: `quota-check/${cp}`, kind: 'quota-check', checkpoint: cp });
    }
  }
  const base = escalationBase(input, state, options);
  // Each escalation is counted on from the one before: the same dates as escalationAt(n), without walking
  // the calendar from the base again for each of them.
  const baseDay = dayNumber(base);
  let day = baseDay;
  let daysSoFar = 0;
  const last = input.escalation.length - 1;
  const lastDays = input.escalation[last]?.afterWorkingDays ?? 1;
  for (let n = 0; n < ESCALATIONS_PLANNED; n++) {
    // Weekly Monday reminders replace the repeats (below): `day` stays the ladder's last date.
    if (options.formalOnce && options.weeklyOverdue && n > last) break;
    const step = Math.min(n, last);
    const repeat = Math.max(0, n - last);
    const days =
      n <= last ? (input.escalation[n]?.afterWorkingDays ?? 1) : lastDays + repeat * input.repeatEveryWorkingDays;
    // Counting on is exact only from a working day reached by a positive count; otherwise count from the base.
    day = daysSoFar > 0 && days > daysSoFar ? shiftWorkingDayNumber(cal, day, days - daysSoFar) : shiftWorkingDayNumber(cal, baseDay, days);
    daysSoFar = days;
    const date = dateOfDayNumber(day);
    const esc: PlannedEscalation = { at: shanghaiInstant(date), date, step, repeat };
    const formal = input.escalation[step]?.formal;
    if (repeat > 0 && options.formalOnce) {
      add({ at: esc.at, key: `escalation/${state.deadline}/${n}`, kind: 'overdue-reminder', escalation: esc });
      continue;
    }
    add({
      at: esc.at,
      key: `escalation/${state.deadline}/${n}`,
      kind: formal ? 'supervision-notice' : 'escalation',
      escalation: esc,
    });
  }
  if (options.formalOnce && options.weeklyOverdue) {
    // From the week after the ladder's last step (the formal notice), one reminder a week, on the week's first
    // working day. `day` is that step's date; a week without a working day has no reminder.
    const monday = day - ((weekdayOfDayNumber(day) + 6) % 7);
    for (let w = 1; w <= WEEKS_PLANNED; w++) {
      if (w > WEEKLY_OVERDUE_WEEKS && w % WEEKLY_OVERDUE_WEEKS !== 0) continue;
      const weekStart = monday + 7 * w;
      const first = shiftWorkingDayNumber(cal, weekStart, 0);
      if (first >= weekStart + 7) continue;
      const date = dateOfDayNumber(first);
      add({ at: shanghaiInstant(date), key: `overdue/${date}`, kind: 'overdue-reminder' });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

/**
 * Of the actions already due at `now`, which to carry out: the latest reminder or acknowledgement request
 * supersedes earlier ones missed (a worker was down), escalation steps are all kept so none is skipped.
 */
export function dueActions(actions: PlannedAction[], now: number): { perform: PlannedAction[]; skip: PlannedAction[] } {
  const due = actions.filter((a) => a.at <= now);
  const perform: PlannedAction[] = [];
  const skip: PlannedAction[] = [];
  for (const [i, a] of due.entries()) {
    const superseded =
      (a.kind === 'reminder' || a.kind === 'ack-request' || a.kind === 'quota-check' || a.kind === 'overdue-reminder') &&
      due.slice(i + 1).some((b) => b.kind === a.kind || (a.kind === 'ack-request' && b.kind === 'reminder'));
    (superseded ? skip : perform).push(a);
  }
  return { perform, skip };
}

/** Blue due soon, yellow behind or unacknowledged, red overdue, green done. */
export function levelOf(input: DutyInput, state: DutyState, now: number, options: PlanOptions = {}): Level {
  if (state.status === 'completed') return 'green';
  const cal = input.calendar;
  const today = shanghaiDate(now);
  const overdue = dayNumber(today) > dayNumber(state.deadline);
  const inGrace = state.pastAtStart && (options.graceWhole ? dayNumber(today) <= dayNumber(graceEnd(input, state)) : dayNumber(today) < dayNumber(graceEnd(input, state)));
  if (overdue && !inGrace) return 'red';
  if (overdue || state.behind) return 'yellow';
  if (state.status === 'open' && workingDaysBetween(cal, firstContactDate(input, state), today) >= 2) return 'yellow';
  if (workingDaysBetween(cal, today, state.deadline) <= DUE_SOON_WORKING_DAYS) return 'blue';
  return 'none';
}

/** The day the unit first hears of the duty: at start, or for a recurring instance at its first reminder. */
export function firstContactDate(input: DutyInput, state: DutyState): string {
  const start = shanghaiDate(nextOfficeInstant(input.calendar, state.startedAt));
  if (input.duty.kind === 'deadline' || input.duty.kind === 'quota' || state.pastAtStart) return start;
  const first = reminderPlan(input.calendar, state.deadline, input.reminderOffsets).find((r) => r.at > state.startedAt);
  return first && dayNumber(first.date) > dayNumber(start) ? first.date : start;
}

function graceEnd(input: DutyInput, state: DutyState): string {
  return shiftWorkingDays(input.calendar, shanghaiDate(state.startedAt), input.graceWorkingDays);
}
