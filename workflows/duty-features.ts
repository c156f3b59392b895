/**
 * What a duty's run does differently from the releases before it, in one place: every `patched()` decision of a
 * duty is made here, so a reader sees at the top of a run which behaviours it has.
 *
 * Most are taken when the run starts. Three are taken at their first use, where the releases that introduced them
 * recorded their markers: a replayed history reveals a marker only in the workflow task that recorded it, so asking
 * at the start of the run would answer "no" for a duty that said "yes" later, and its replay would fail. They are
 * still named here, and asked nowhere else.
 */
import { patched } from '@temporalio/workflow';
import { UNDELIVERED_PATCH } from './undelivered';
import type { PlanOptions } from './policy';
import type { DutyInput } from './types';
import { DESK_SHARDS_PATCH } from './desk-shards';

/**
 * A progress or visit report acknowledges an open duty. Replaying a history recorded before it keeps 0.1.0's
 * behaviour (the report left the duty open); new reports to any running duty acknowledge.
 */
export const REPORT_ACKNOWLEDGES_PATCH = 'report-acknowledges';

/** Duties started before it send 0.1.0's weekly formal notices after the ladder. */
export const FORMAL_ONCE_PATCH = 'formal-once';

/**
 * A duty past due at start is escalated from the working day after its last grace day, not at 09:00 of it; its
 * status check no longer suggests that 「收到」 stops escalation.
 */
export const GRACE_WHOLE_PATCH = 'grace-whole';

/** A visit report that catches up with the quota's pace clears the "behind" flag. */
export const QUOTA_BEHIND_CLEARS_PATCH = 'quota-behind-clears';

/** Duties set search attributes (campaign, unit, task, level, deadline) when their input asks for them. */
export const SEARCH_ATTRIBUTES_PATCH = 'search-attributes';

/** Duties of a campaign with a morning desk tell the desk their status changes (input-gated, and marked). */
export const DESK_STATUS_PATCH = 'desk-status';

/**
 * Duties given the desk hand it a reminder or a request to acknowledge up to HAND_AHEAD_MS before its instant and
 * do not wake at the instant for it: at 09:00 the desk has every unit's items and sends at once, instead of waiting
 * while thousands of duties wake to hand theirs over (the typical case of #16: 10,000 duties over 500 units took
 * 208 s only to hand over). What changes the duty before the instant takes the item back and hands it again.
 */
export const HAND_AHEAD_PATCH = 'hand-ahead';


/**
 * A signal to the desk or the campaign that is refused is tried again after a few seconds before the duty takes the
 * workflow for gone. A workflow that continues as new can refuse a signal for a moment (the Java test server's
 * continue-as-new is not atomic, sdk-java #1538): without a second try a duty handing its reminder ahead then sent it
 * alone at 09:00, beside its unit's morning message, and a retraction or a status change was lost.
 */
export const SIGNAL_RETRY_PATCH = 'signal-retry';

/**
 * Items whose hand-over time has come are handed together, before the ledger line goes to the campaign (0.9.2): a
 * duty started inside the hand-ahead window hands its request to acknowledge and its reminder in one workflow task
 * and reports once, where it took five signal round trips, three of them to the campaign (#27's city benchmark).
 */
export const HAND_TOGETHER_PATCH = 'hand-together';

export interface DutyFeatures {
  /** Options of the schedule itself (policy.ts), decided once per run: handlers re-plan with the same ones. */
  readonly plan: Required<Pick<PlanOptions, 'formalOnce' | 'weeklyOverdue' | 'graceWhole'>>;
  /** Reminders and requests to acknowledge are handed to the desk ahead of their instant (0.7.0). */
  readonly handAhead: boolean;
  /** The desk runs in shards (0.9.0, only with `deskShards` over 1 in the input, which no earlier run had). */
  readonly deskShards: boolean;
  /** Level and deadline are published as search attributes (0.4.0). Decided once the handlers are set (below). */
  searchAttributes: boolean;
  /** Refused signals to the desk or the campaign are tried again (0.8.0). Decided once the handlers are set. */
  signalRetry: boolean;
  /** Items due to be handed go together, ahead of the turn's ledger line (0.9.2). Decided once the handlers are set. */
  handTogether: boolean;
  /** Asked at the first progress or visit report of an open duty. */
  reportAcknowledges(): boolean;
  /** Asked when a visit report comes while the duty is behind. */
  quotaBehindClears(): boolean;
  /** Asked when the duty's status first differs from what the desk heard. */
  deskStatus(): boolean;
  /** Asked when a message the duty sent itself reached its unit by no channel (0.8.1). */
  undelivered(): boolean;
}

/**
 * Called first thing in the run; the order of the calls is the order the markers were recorded in. Two are decided
 * by `decideAfterHandlers`, once the handlers are set: an Update buffered before the run's first task is accepted
 * (and may record `report-acknowledges`) when its handler is set, and before 0.8.0 that came before the
 * search-attributes marker. Asking earlier put the marker first, and such a history failed to replay.
 */
export function dutyFeatures(input: DutyInput): DutyFeatures {
  const plan = {
    formalOnce: patched(FORMAL_ONCE_PATCH),
    weeklyOverdue: input.morningWorkflowId !== undefined,
    graceWhole: patched(GRACE_WHOLE_PATCH),
  };
  // A duty of 0.6.0 or before (its history has no marker) sends at the instant as it did.
  const handAhead = input.morningDesk === true && input.morningWorkflowId !== undefined && patched(HAND_AHEAD_PATCH);
  const deskShards = input.morningDesk === true && (input.deskShards ?? 1) > 1 && patched(DESK_SHARDS_PATCH);
  return {
    plan,
    handAhead,
    deskShards,
    searchAttributes: false,
    signalRetry: false,
    handTogether: false,
    reportAcknowledges: () => patched(REPORT_ACKNOWLEDGES_PATCH),
    quotaBehindClears: () => patched(QUOTA_BEHIND_CLEARS_PATCH),
    deskStatus: () => patched(DESK_STATUS_PATCH),
    undelivered: () => patched(UNDELIVERED_PATCH),
  };
}

/** The decisions taken right after the handlers are set, before the main loop (see dutyFeatures). */
export function decideAfterHandlers(features: DutyFeatures, input: DutyInput): void {
  features.searchAttributes = input.searchAttributes !== undefined && patched(SEARCH_ATTRIBUTES_PATCH);
  features.signalRetry = (input.morningWorkflowId !== undefined || input.campaignWorkflowId !== undefined) && patched(SIGNAL_RETRY_PATCH);
  features.handTogether = features.handAhead && patched(HAND_TOGETHER_PATCH);
}
