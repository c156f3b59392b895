/**
 * Reading a campaign's whole ledger from outside the workflow, a page at a time (workflows/ledger-page.ts), so a
 * campaign of any size can be read: every reader (dashboard, bot, 台账, CLI, metrics) comes through here.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { ledgerPageQuery, ledgerQuery } from '../workflows/messages';
import type { LedgerEntry } from '../workflows/types';

type Queryable = Pick<WorkflowHandle, 'query'>;

/** A worker older than 0.8.0 has no page query: its campaigns are read whole, as before. */
function unknownQuery(err: unknown): boolean {
  return /ledgerPage/.test(String((err as Error)?.message ?? err));
}

/** Reads are tried again from the start this often when the ledger moved under them (below). */
const READS = 3;

/**
 * Every line once. Pages are offsets into the campaign's order, which a continue-as-new may change between two
 * pages: the lines are kept by duty, and a read that does not end with as many duties as the ledger says it holds
 * starts again.
 */
export async function readCampaignLedger(handle: Queryable, pageSize?: number): Promise<LedgerEntry[]> {
  for (let read = 1; ; read++) {
    const byDuty = new Map<string, LedgerEntry>();
    let offset: number | undefined = 0;
    let total = 0;
    while (offset !== undefined) {
      let page;
      try {
        page = await handle.query(ledgerPageQuery, { offset, ...(pageSize ? { limit: pageSize } : {}) });
      } catch (err) {
        if (offset === 0 && unknownQuery(err)) return handle.query(ledgerQuery);
        throw err;
      }
      for (const e of page.entries) byDuty.set(e.dutyId, e);
      total = page.total;
      offset = page.next;
    }
    if (byDuty.size === total || read >= READS) return [...byDuty.values()];
  }
}
