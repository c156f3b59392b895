/**
 * A desk shard's relay (0.9.0): what a shard passes on to the other shards. Handlers only note it (signals to other
 * workflows are commands, which handlers do not issue); the desk's loop sends it with `flush`.
 *
 * - An item whose recipients belong to other shards (its duty counted shards before the count was raised, or the
 *   count was raised while the shard held it) is split, and each other part goes to its shard: a shard drains what
 *   no longer maps to it, and nothing is lost or sent twice by a raise.
 * - A take-back or a status for an item it passed on follows the item (`moved`).
 * - The home shard passes campaigns' joins, calendars and drops on to the others as one `deskSync` (and drops).
 */
import { getExternalWorkflowHandle, sleep, type SignalDefinition } from '@temporalio/workflow';
import { belongsToShard, splitByShard } from './desk-shards';
import { deskDropSignal, deskRetractSignal, deskSyncSignal, dutyStatusSignal, morningItemsSignal, type DeskSync } from './messages';
import type { DutyStatus, OutgoingMessage } from './types';

/** Items passed on per signal: a drain of thousands goes in a few dozen signals, each far under the payload limit. */
const RELAY_BATCH = 200;

/** An item key this shard passed on: when and to which shards, for its duty's take-back and status. */
export interface Moved {
  at: number;
  dutyId?: string;
  to: string[];
}

export interface Relay {
  /** The part of `item` this shard keeps (undefined when none), the rest queued for their shards. */
  route(item: OutgoingMessage, shards: number): OutgoingMessage | undefined;
  /** A take-back: the keys passed on are queued for the shards they went to. */
  retract(keys: string[]): void;
  /** A duty's status: queued for the shards its items were passed on to. */
  status(dutyId: string, status: DutyStatus): void;
  /** A stopped campaign: the drop passed on to `to`, and this shard forgets what it moved or queued of it. */
  drop(campaignId: string, to: string[]): void;
  /** The same, without passing the drop on (a shard that got it from the home shard). */
  forget(campaignId: string): void;
  sync(s: DeskSync, to: string[]): void;
  /** Whether anything waits to be sent. */
  readonly busy: boolean;
  /** Sends what waits, all at once. */
  flush(): Promise<void>;
  /** Forgets keys whose instant is long past. */
  prune(before: number): void;
  moved(): [string, Moved][];
  /** Moved keys a parcel brought back (a continued run whose moved keys did not fit in its input). */
  adopt(entries: [string, Moved][]): void;
  /** Parts queued for other shards and not yet sent: carried by a desk continuing as new, routed again there. */
  heldItems(): OutgoingMessage[];
}

export function makeRelay(selfId: string, base: string, index: number, carried: [string, Moved][] = []): Relay {
  const moved = new Map<string, Moved>();
  // Keys moved per duty: a duty's status finds the shards its items went to without a scan of every moved key.
  const byDuty = new Map<string, Set<string>>();
  const remember = (k: string, m: Moved) => {
    moved.set(k, m);
    if (!m.dutyId) return;
    const keys = byDuty.get(m.dutyId);
    if (keys) keys.add(k);
    else byDuty.set(m.dutyId, new Set([k]));
  };
  const forgetKey = (k: string) => {
    const m = moved.get(k);
    if (!m) return;
    moved.delete(k);
    const keys = m.dutyId ? byDuty.get(m.dutyId) : undefined;
    keys?.delete(k);
    if (keys?.size === 0) byDuty.delete(m.dutyId!);
  };
  for (const [k, m] of carried) remember(k, m);
  // A part of a stopped campaign queued here still goes: the shard it goes to refuses it (the desk's `stopped`).
  const forget = (campaignId: string) => {
    for (const [k] of moved) if (k.startsWith(`${campaignId}/`)) forgetKey(k);
  };
  let items = new Map<string, OutgoingMessage[]>();
  let retracts = new Map<string, string[]>();
  let statuses: { to: string; dutyId: string; status: DutyStatus }[] = [];
  let drops: { to: string; campaignId: string }[] = [];
  let syncs = new Map<string, DeskSync>();
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  return {
    route(item, shards) {
      if (belongsToShard(item, index, shards)) return item;
      let own: OutgoingMessage | undefined;
      const to: string[] = [];
      for (const [id, part] of splitByShard(item, base, shards)) {
        if (id === selfId) own = part;
        else {
          push(items, id, part);
          to.push(id);
        }
      }
      const before = moved.get(item.key);
      remember(item.key, { at: item.at, ...(item.dutyId ? { dutyId: item.dutyId } : {}), to: [...new Set([...(before?.to ?? []), ...to])] });
      return own;
    },
    retract(keys) {
      const taken = new Set(keys);
      // A part queued and not yet sent is simply not sent; a part handed again after this take-back comes later.
      for (const [id, list] of items) {
        const left = list.filter((m) => !taken.has(m.key));
        if (left.length) items.set(id, left);
        else items.delete(id);
      }
      for (const k of keys) {
        const m = moved.get(k);
        if (!m) continue;
        for (const id of m.to) push(retracts, id, k);
        forgetKey(k);
      }
    },
    status(dutyId, status) {
      const to = new Set<string>();
      for (const k of byDuty.get(dutyId) ?? []) for (const id of moved.get(k)?.to ?? []) to.add(id);
      for (const id of to) statuses.push({ to: id, dutyId, status });
    },
    drop(campaignId, to) {
      for (const id of to) drops.push({ to: id, campaignId });
      forget(campaignId);
    },
    forget,
    sync(s, to) {
      for (const id of to) syncs.set(id, s);
    },
    get busy() {
      return items.size > 0 || retracts.size > 0 || statuses.length > 0 || drops.length > 0 || syncs.size > 0;
    },
    async flush() {
      const [i, r, st, d, sy] = [items, retracts, statuses, drops, syncs];
      items = new Map();
      retracts = new Map();
      statuses = [];
      drops = [];
      syncs = new Map();
      const sends: Promise<void>[] = [];
      // A shard between two runs refuses a signal for a moment: tried again after 2 s and 10 s, as duties do.
      const send = <T extends unknown[]>(to: string, def: SignalDefinition<T>, ...args: T) =>
        sends.push(
          (async () => {
            for (const wait of [2_000, 10_000, undefined]) {
              try {
                await getExternalWorkflowHandle(to).signal(def, ...args);
                return;
              } catch {
                if (wait === undefined) return;
                await sleep(wait);
              }
            }
          })(),
        );
      // Configuration first: a shard knows the campaigns and the count before what the change moves reaches it.
      for (const [to, s] of sy) send(to, deskSyncSignal, s);
      await Promise.all(sends.splice(0));
      // Take-backs and drops before items: an item handed again after its take-back must arrive after it.
      for (const { to, campaignId } of d) send(to, deskDropSignal, { campaignId });
      for (const [to, keys] of r) send(to, deskRetractSignal, { keys });
      await Promise.all(sends.splice(0));
      for (const [to, list] of i) for (let k = 0; k < list.length; k += RELAY_BATCH) send(to, morningItemsSignal, list.slice(k, k + RELAY_BATCH));
      for (const { to, dutyId, status } of st) send(to, dutyStatusSignal, { dutyId, status });
      await Promise.all(sends);
    },
    prune(before) {
      for (const [k, m] of moved) if (m.at < before) forgetKey(k);
    },
    moved: () => [...moved],
    adopt(entries) {
      for (const [k, m] of entries) if (!moved.has(k)) remember(k, m);
    },
    heldItems: () => [...items.values()].flat(),
  };
}
