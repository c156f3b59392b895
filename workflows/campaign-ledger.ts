/**
 * The campaign's ledger across its runs: what the expansion says of each duty before anything happened to it (the
 * first line of every duty), and the ledger a previous run carried, whole or packed (ledger-pack.ts).
 */
import { shanghaiDate } from '../calendar/working-days';
import { expandCampaign, type CampaignInput } from './expand';
import { baseEntryOf, unpackLedger, type BaseEntry } from './ledger-pack';
import type { LedgerEntry } from './types';

/**
 * What the expansion says of each duty before anything happened to it, as the start loop records it. A ledger is
 * packed and unpacked against the same expansion: 0.6.0's when the campaign carries `partsAtEveryDate`.
 */
export function baseEntries(input: CampaignInput, startedAt: number, partsAtEveryDate = false): BaseEntry[] {
  return expandCampaign(input, shanghaiDate(startedAt), { partsAtEveryDate }).map(baseEntryOf);
}

/** The ledger the previous run carried, in either form. */
export function carriedLedger(input: CampaignInput, startedAt: number): LedgerEntry[] {
  const c = input.carried;
  if (!c) return [];
  return c.ledgerPacked
    ? [...c.ledger, ...unpackLedger(c.ledgerPacked, baseEntries(input, startedAt, c.partsAtEveryDate === true))]
    : c.ledger;
}
