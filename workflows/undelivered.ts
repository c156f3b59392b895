/**
 * A message given up on by every channel goes on the record of each duty it was about (「未送达」, 0.8.1): before, the
 * administrators were alerted but the duty's history, its ledger line and the 台账 said the reminder was sent.
 */
import { getExternalWorkflowHandle, patched } from '@temporalio/workflow';
import type { Undelivered } from './deliver';
import { deliveryFailedSignal, type DeliveryFailure } from './messages';
import { itemsOf } from './morning';
import type { DutyState, OutgoingMessage } from './types';

/** Desks, campaigns and duties tell or record an undelivered message only in runs that recorded this marker. */
export const UNDELIVERED_PATCH = 'undelivered';

/**
 * The desk or the campaign, after a morning message: each item whose own unit (the one that holds the duty) nothing
 * reached tells its duty. A copy for an informed unit or an office that did not arrive is the administrators' alert
 * only: 「未送达」 on a duty means that the unit responsible never heard. Best effort: a duty that is gone has nothing
 * more to record.
 */
export async function tellUndelivered(msg: OutgoingMessage, failed: Undelivered | undefined): Promise<void> {
  if (!failed) return;
  const units = new Set(failed.units);
  const items = itemsOf(msg).filter((i) => i.dutyId && i.unit !== undefined && units.has(i.unit));
  if (!items.length || !patched(UNDELIVERED_PATCH)) return;
  // One signal per duty, whatever number of its items the message carried (one lost message is one 未送达), and
  // all at once: a storm morning during an outage costs the sender one round, not one workflow task per item.
  const first = new Map<string, OutgoingMessage>();
  for (const item of items) if (!first.has(item.dutyId!)) first.set(item.dutyId!, item);
  await Promise.all(
    [...first].map(([dutyId, item]) => {
      const failure: DeliveryFailure = { key: item.key, kind: item.kind, at: msg.at, units: [item.unit!], reason: failed.reason.slice(0, 300) };
      return getExternalWorkflowHandle(dutyId)
        .signal(deliveryFailedSignal, failure)
        .catch(() => undefined);
    }),
  );
}

/** Sends a message, and tells the duties of what reached nobody. */
export async function deliverTelling(deliver: (msg: OutgoingMessage) => Promise<Undelivered | undefined>, msg: OutgoingMessage): Promise<void> {
  await tellUndelivered(msg, await deliver(msg));
}

/** The duty's record of it: one history line and the count its ledger line carries. */
export function recordUndelivered(state: DutyState, record: (event: string, by?: string, detail?: string, at?: number) => void, f: Omit<DeliveryFailure, 'key'>): void {
  state.undelivered = (state.undelivered ?? 0) + 1;
  record('undelivered', undefined, `${f.units.join('、')}：${f.reason}`.slice(0, 400), f.at);
}
