/**
 * The campaign's ledger read a page at a time. A query's answer is a payload like any other, and Temporal refuses
 * payloads over 2 MB: the whole ledger (about 313 bytes a duty) passed that near 6,400 duties, and the dashboard,
 * the bot and the 台账 stopped reading the campaign. A page of LEDGER_PAGE_MAX lines is under 1 MB whatever the
 * campaign's size. Pure: the campaign's query handler and the tests share it.
 */
import type { LedgerEntry } from './types';

/** Lines per page at most: 2,000 lines of the longest kind measured (a part with its lead) stay under 1 MB. */
export const LEDGER_PAGE_MAX = 2000;

export interface LedgerPageRequest {
  /** Lines to skip, in the campaign's own order (the order duties first reported, which never changes). */
  offset: number;
  /** Lines wanted; capped at LEDGER_PAGE_MAX. */
  limit?: number;
}

export interface LedgerPage {
  entries: LedgerEntry[];
  /** Lines in the whole ledger when the page was read. */
  total: number;
  /** The offset of the next page; absent on the last. */
  next?: number;
}

export function ledgerPage(all: readonly LedgerEntry[], req: LedgerPageRequest): LedgerPage {
  const offset = Math.max(0, Math.floor(req.offset));
  const limit = Math.min(LEDGER_PAGE_MAX, Math.max(1, Math.floor(req.limit ?? LEDGER_PAGE_MAX)));
  const entries = all.slice(offset, offset + limit);
  const end = offset + entries.length;
  return { entries, total: all.length, ...(end < all.length ? { next: end } : {}) };
}
