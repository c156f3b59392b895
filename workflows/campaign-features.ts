/**
 * What a campaign's run does differently from the releases before it, in one place (as duty-features.ts does for a
 * duty). Four decisions are taken when the run starts; `digestSlots` is asked after the start loop, where 0.2.0
 * recorded its marker (a replayed history shows a marker only in the workflow task that recorded it).
 */
import { patched } from '@temporalio/workflow';
import type { CampaignInput } from './expand';

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

export interface CampaignFeatures {
  /** Duties hand their scheduled messages to the campaign (or the desk): one message per unit and instant. */
  readonly morning: boolean;
  /** An instant's morning messages go in waves, and the run does not continue as new while items wait. */
  readonly waves: boolean;
  /** The desk's workflow id, when the campaign's messages and digests go through the deployment's desk. */
  readonly desk: string | undefined;
  /** The ledger is carried packed when the run continues as new. */
  readonly packLedgerOnContinue: boolean;
  /** Digests at the 09:30 slot; asked once the duties are started. */
  digestSlots(): boolean;
}

/** Called once, before any duty starts; `morning` is carried, so every duty of a campaign is batched or none is. */
export function campaignFeatures(input: CampaignInput): CampaignFeatures {
  const morning = input.carried ? input.carried.morning === true : patched(MORNING_PATCH);
  const waves = morning && patched(MORNING_WAVES_PATCH);
  const desk = morning && input.options?.morningDesk && patched(MORNING_DESK_PATCH) ? input.options.morningDesk : undefined;
  const packLedgerOnContinue = patched(PACKED_LEDGER_PATCH);
  return { morning, waves, desk, packLedgerOnContinue, digestSlots: () => patched(DIGEST_SLOTS_PATCH) };
}
