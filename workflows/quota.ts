/**
 * A quota duty's pace (「每月走访不少于…次」): how many reports are expected by a checkpoint, which items are short,
 * and whether the duty is behind. Pure, like policy.ts.
 */
import { dayNumber, shanghaiDate } from '../calendar/working-days';
import type { DutyInput, DutyState } from './types';

/** Quota pace at a checkpoint: the count expected by then, in proportion to the time elapsed. */
export function expectedByCheckpoint(min: number, start: string, checkpoint: string, deadline: string): number {
  const total = dayNumber(deadline) - dayNumber(start);
  if (total <= 0) return min;
  const elapsed = Math.min(total, Math.max(0, dayNumber(checkpoint) - dayNumber(start)));
  return Math.ceil((min * elapsed) / total);
}

export interface QuotaShortfall {
  /** 0-based quota item. */
  index: number;
  clause: string;
  min: number;
  expected: number;
  have: number;
}

/** The quota items short of the count expected by `checkpoint` (what a quota warning lists). */
export function quotaShortfalls(input: DutyInput, state: DutyState, checkpoint: string): QuotaShortfall[] {
  const start = shanghaiDate(state.startedAt);
  return (input.quota?.items ?? []).flatMap((q, index) => {
    const expected = expectedByCheckpoint(q.min, start, checkpoint, state.deadline);
    const have = state.quotaCounts?.[index] ?? 0;
    return have < expected ? [{ index, clause: q.clause, min: q.min, expected, have }] : [];
  });
}

/**
 * Is a quota duty behind its pace at `today`: short of the count expected by the last checkpoint passed
 * (none passed yet: not behind). What a quota warning said, and what a later report can make good.
 */
export function quotaBehind(input: DutyInput, state: DutyState, today: string): boolean {
  const start = dayNumber(shanghaiDate(state.startedAt));
  const passed = (input.quota?.checkpoints ?? []).filter((cp) => dayNumber(cp) > start && dayNumber(cp) <= dayNumber(today)).sort();
  const cp = passed.at(-1);
  return cp !== undefined && quotaShortfalls(input, state, cp).length > 0;
}
