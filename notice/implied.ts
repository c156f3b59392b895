/**
 * A year's task the notice gives no time limit: without a date no duty exists for it and nobody is ever asked
 * about it, so the plan proposes the year's end, marked `implied` for people to check, edit or delete.
 */
import type { PlanTask } from '../plan/schema';

type Deadline = NonNullable<PlanTask['deadlines']>[number];

/**
 * Reminded ten working days before and on the day, not at 10, 5, 3, 1, 0: the unit has had the task since the
 * notice (it was asked to acknowledge it then), and five reminders in the last two weeks of December for a date
 * the notice never named were 3 of the 16 messages a silent unit got for it in the simulated 2022 (README).
 */
export const IMPLIED_REMINDER_OFFSETS = [10, 0];

/**
 * The implied year-end deadline of a task, or undefined when the task already has a date of some kind (a
 * deadline, a cadence or a quota: each makes a duty, workflows/expand.ts) or no lead unit to hold to it.
 * Targets alone make no duty. `sentence` is the task's own first sentence, kept as the source text.
 */
export function impliedDeadline(task: Pick<PlanTask, 'lead' | 'deadlines' | 'recurring' | 'quotas'>, year: number, sentence: string): Deadline | undefined {
  if (!task.lead) return undefined;
  if (task.deadlines?.length || task.recurring?.length || task.quotas?.length) return undefined;
  // The calendar date, as 「12月底前」 gives: a year end on a holiday is reminded on the working day before it
  // and escalated from the working days after it (workflows/policy.ts), like any deadline.
  return { date: `${year}-12-31`, text: sentence, implied: true, reminderOffsets: [...IMPLIED_REMINDER_OFFSETS] };
}
