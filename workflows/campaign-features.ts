/**
 * What a campaign's run does differently from the releases before it, in one place (as duty-features.ts does for a
 * duty). Five decisions are taken when the run starts; `digestSlots` is asked after the start loop, where 0.2.0
 * recorded its marker (a replayed history shows a marker only in the workflow task that recorded it).
 */
import { patched } from '@temporalio/workflow';
import { partsLeftOut, type CampaignInput } from './expand';

/** Campaigns started before it keep 0.1.0's digest timing (09:00, red digests as signals arrive). */
export const DIGEST_SLOTS_PATCH = 'digest-slots';
/**
 * Campaigns started with it send their duties' scheduled messages as morning messages (workflows/morning.ts);
 * earlier ones leave each duty sending its own.
 */
export const MORNING_PATCH = 'morning-messages';
/**
 * Campaigns started with it send an instant's morning messages in waves of MORNING_WAVE at once when more than
 * MORNING_WAVE units are due (one after another below that, so a county's simulated year keeps its order), and
 * do not continue as new while morning items wait (they would be carried, thousands of them in a storm).
 */
export const MORNING_WAVES_PATCH = 'morning-waves';
/**
 * Campaigns started with it and with `options.morningDesk` hand their morning messages and digests to the
 * deployment's desk (workflows/desk.ts), which sends one message per unit and instant across campaigns.
 */
export const MORNING_DESK_PATCH = 'morning-desk';
/**
 * Runs that take it carry their ledger packed (workflows/ledger-pack.ts: only what differs from the expansion)
 * when they continue as new; before it the whole ledger rode in the input and passed 2 MB near 6,400 duties.
 * Each run decides for itself (the next run reads either form), so a running campaign switches at its next
 * continue-as-new.
 */
export const PACKED_LEDGER_PATCH = 'packed-ledger';
/**
 * 0.7.0 stopped giving a lead+co task's co-units a part of a presumed year end or of a date past at the start, without
 * a patch (issue #27): a 0.6.0 campaign that started such parts no longer replayed. Runs that take this marker
 * decided with today's code; it is asked only when the plan has such a deadline (partsLeftOut).
 */
export const PARTS_WHERE_DUE_PATCH = 'parts-where-due';

/**
 * Runs that take it start their duties by an activity, a batch at a time (activities/start-duties.ts), not as child
 * workflows: each child start wrote twice to the campaign, which made it a hot workflow starting 10–20 duties a
 * second, with three events per duty to replay (#27's city benchmark). Each run decides for itself.
 */
export const START_BY_ACTIVITY_PATCH = 'duties-started-by-activity';

export interface CampaignFeatures {
  /** Duties hand their scheduled messages to the campaign (or the desk): one message per unit and instant. */
  readonly morning: boolean;
  /** An instant's morning messages go in waves, and the run does not continue as new while items wait. */
  readonly waves: boolean;
  /** The desk's workflow id, when the campaign's messages and digests go through the deployment's desk. */
  readonly desk: string | undefined;
  /** The ledger is carried packed when the run continues as new. */
  readonly packLedgerOnContinue: boolean;
  /** The duties are 0.6.0's expansion: co-units hold a part of every deadline (expandCampaign's partsAtEveryDate). */
  readonly partsAtEveryDate: boolean;
  /** Duties are started by the startDuties activity, not as children (0.9.2). */
  readonly startByActivity: boolean;
  /** Digests at the 09:30 slot; asked once the duties are started. */
  digestSlots(): boolean;
}

/**
 * Called once, before any duty starts; `morning` is carried, so every duty of a campaign is batched or none is.
 * `startDate` is the campaign's first day (Shanghai), as the expansion takes it.
 */
export function campaignFeatures(input: CampaignInput, startDate: string): CampaignFeatures {
  const morning = input.carried ? input.carried.morning === true : patched(MORNING_PATCH);
  const waves = morning && patched(MORNING_WAVES_PATCH);
  const desk = morning && input.options?.morningDesk && patched(MORNING_DESK_PATCH) ? input.options.morningDesk : undefined;
  const packLedgerOnContinue = patched(PACKED_LEDGER_PATCH);
  const partsAtEveryDate = partsAtEveryDateOf(input, startDate, packLedgerOnContinue);
  const startByActivity = patched(START_BY_ACTIVITY_PATCH);
  return { morning, waves, desk, packLedgerOnContinue, partsAtEveryDate, startByActivity, digestSlots: () => patched(DIGEST_SLOTS_PATCH) };
}

/**
 * Which expansion the run's start loop walks: `carried.started` counts duties of that list, so a campaign keeps the
 * one it started from for its whole life, and a replayed run must take the one its release took.
 * - A run of today's code (the marker): 0.7.0's, unless the campaign already started 0.6.0's (the flag it carries,
 *   or a part 0.7.0 leaves out in the ledger a 0.6.0 run carried).
 * - A run of 0.8.0 or 0.8.1 (the packed-ledger marker and not this one): 0.7.0's, as they ran.
 * - A run with neither marker: 0.6.0's. 0.7.0 and 0.7.1 changed no marker or input of a campaign, so their runs look
 *   the same as 0.6.0's; such a run of theirs whose plan has a deadline partsLeftOut names does not replay
 *   (docs/design.md, How a command-changing edit is caught before release).
 */
function partsAtEveryDateOf(input: CampaignInput, startDate: string, packedLedgerRun: boolean): boolean {
  const leftOut = partsLeftOut(input.plan, startDate);
  // Both expansions are the same list: nothing to decide, no marker.
  if (leftOut.length === 0) return false;
  const c = input.carried;
  if (c?.partsAtEveryDate) return true;
  if (patched(PARTS_WHERE_DUE_PATCH)) {
    const carriedWhole = [...(c?.ledger ?? []), ...(c?.ledgerPacked?.other ?? [])];
    return carriedWhole.some((e) => e.lead !== undefined && leftOut.some((m) => e.dutyId.startsWith(`${input.campaignId}/${m}/`)));
  }
  return !packedLedgerRun;
}
