/**
 * Reads what the 台账 needs from Temporal: the campaign's ledger lines, then each duty's own state (who
 * acknowledged and completed, notes, extensions), a few queries at a time. A duty whose state cannot be read
 * (its history already deleted by retention) keeps its row from the ledger line alone.
 */
import type { Client } from '@temporalio/client';
import { statusQuery } from '../workflows/messages';
import type { DutyState, LedgerEntry } from '../workflows/types';
import { readCampaignLedger } from '../campaigns/ledger-read';

export interface LedgerData {
  entries: LedgerEntry[];
  states: Map<string, DutyState>;
  /** Duties whose state could not be read. */
  unread: string[];
}

export async function readLedger(client: Client, campaignWorkflowId: string, concurrency = 8): Promise<LedgerData> {
  const entries = await readCampaignLedger(client.workflow.getHandle(campaignWorkflowId));
  const states = new Map<string, DutyState>();
  const unread: string[] = [];
  const queue = entries.map((e) => e.dutyId);
  const next = async (): Promise<void> => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        states.set(id, await client.workflow.getHandle(id).query(statusQuery));
      } catch {
        unread.push(id);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, next));
  return { entries, states, unread };
}
