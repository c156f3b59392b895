/**
 * The desk in shards (0.9.0): one desk workflow took a city's hand-over at a few hundred signals a second at best
 * (Temporal's guidance is a few a second sustained per workflow), and held every item of the evening in one history.
 * A deployment may run its desk as `shards` workflows instead. Each recipient unit belongs to exactly one shard, by
 * a stable hash of its name, and a duty hands each shard only the recipients that belong to it: a supervisor copied
 * on escalations from units all over the county still gets its one message per instant, from its own shard.
 *
 * Shard 0 is the desk's own id, so a deployment of one shard is the desk as it was; it is also the home shard that
 * campaigns join, hand digests to and tell of calendars, and it passes those on to the others.
 *
 * Pure and deterministic: used by workflow code (duties, shards) and by the CLI alike.
 */
import type { OutgoingMessage } from './types';

/**
 * Asked by a duty whose input names more than one shard, and by a desk the first time it sees such a count: no run
 * before 0.9.0 had one, and with one shard both issue the commands they always did.
 */
export const DESK_SHARDS_PATCH = 'desk-shards';

/** The most shards a deployment may run: more only spreads a morning's sends thinner than the worker's slots. */
export const DESK_SHARDS_MAX = 64;

/** The workflow id of shard `index` of the desk `deskId` (shard 0 is the desk itself). */
export function deskShardId(deskId: string, index: number): string {
  return index === 0 ? deskId : `${deskId}/shard-${index}`;
}

/** Every shard's workflow id, shard 0 first. */
export function deskShardIds(deskId: string, shards: number): string[] {
  return Array.from({ length: Math.max(1, shards) }, (_, i) => deskShardId(deskId, i));
}

/**
 * The shard a unit's messages go through: FNV-1a over the name's UTF-16 code units, modulo the count. Stable
 * across processes, releases and replays (no locale, no encoding library), and spread evenly enough for unit names.
 */
export function shardOfUnit(unit: string, shards: number): number {
  if (shards <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < unit.length; i++) {
    h ^= unit.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}

/** The workflow id of the shard that sends to `unit`. */
export function deskShardOf(deskId: string, unit: string, shards: number): string {
  return deskShardId(deskId, shardOfUnit(unit, shards));
}

/**
 * An item as each shard gets it: the same key, instant and words, with only the recipients (and addressed units)
 * that belong to that shard. One shard's part is the item itself.
 */
export function splitByShard(item: OutgoingMessage, deskId: string, shards: number): Map<string, OutgoingMessage> {
  const parts = new Map<string, OutgoingMessage>();
  if (shards <= 1) return parts.set(deskId, item);
  const byShard = new Map<string, OutgoingMessage['recipients']>();
  for (const r of item.recipients) {
    const id = deskShardOf(deskId, r.unit, shards);
    byShard.set(id, [...(byShard.get(id) ?? []), r]);
  }
  if (byShard.size === 1) return parts.set([...byShard.keys()][0]!, item);
  for (const [id, recipients] of byShard) {
    const units = new Set(recipients.map((r) => r.unit));
    parts.set(id, { ...item, recipients, toUnits: item.toUnits.filter((u) => units.has(u)) });
  }
  return parts;
}

/** Whether every recipient of `item` belongs to the shard `index` of `shards`. */
export function belongsToShard(item: OutgoingMessage, index: number, shards: number): boolean {
  return item.recipients.every((r) => shardOfUnit(r.unit, shards) === index);
}
