/**
 * The morning desk: one workflow per deployment that sends every campaign's morning messages, so a unit with
 * duties in several notices (the seed's task 1 and a flood-prevention notice's inspection, say) still gets one
 * message per send instant, and supervisors one digest per slot. Campaigns started with `options.morningDesk`
 * start it (once: its id is fixed) and have their duties hand it their items, as a campaign of 0.4.0 has them
 * hand items to itself; the desk settles each instant by arrivals, groups per (instant, unit) and sends.
 *
 * It keeps no ledger: a duty in desk mode tells it when its status changes (acknowledged, completed, closed), and
 * an item whose duty was settled while it waited is dropped — nothing to a unit about work it has done.
 * It runs until terminated, idle between instants, continuing as new when its history grows.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import { allHandlersFinished, condition, continueAsNew, log, ParentClosePolicy, patched, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import { mergeCalendars, shanghaiDate, type WorkCalendar } from '../calendar/working-days';
import { makeDeliverer } from './deliver';
import { isWeeklyDigestDay } from './digest-slots';
import { collectParcels, cutParcels, CARRY_INLINE_BYTES, DESK_PARCELS_PATCH, leaveParcels, utf8Bytes } from './desk-parcels';
import { makeRelay, type Moved } from './desk-relay';
import { DESK_SHARDS_MAX, DESK_SHARDS_PATCH, deskShardIds } from './desk-shards';
import {
  calendarUpdateSignal,
  deskDigestSignal,
  deskDropSignal,
  deskJoinSignal,
  deskQuery,
  deskRetractSignal,
  deskSyncSignal,
  dutyStatusSignal,
  morningItemSignal,
  morningItemsSignal,
  type DeskSync,
} from './messages';
import { combinedDigest, morningGroups, morningMessage, sendGroups, settledAt, stillAsked, SETTLE_MAX_MS } from './morning';
import { makeWaker } from './wake';
import { deliverTelling } from './undelivered';
import { DESK_WAVES_PATCH, sendInWaves } from './desk-waves';
import type { DeliveryTimings, DutyStatus, OutgoingMessage } from './types';
import { DESK_SIGNALS_BEFORE_CONTINUE, HISTORY_BYTES_HARD, HISTORY_EVENTS_BEFORE_CONTINUE, HISTORY_EVENTS_HARD } from './history-limits';

export interface DeskInput {
  /** The desk's workflow id; prefixes its message keys. */
  deskId: string;
  calendar: WorkCalendar;
  /**
   * Its campaigns, each with the units that read its weekly digest (supervising offices, 县纪委监委): their own
   * overdue reminders from that campaign wait for its digest on digest day.
   */
  campaigns: { campaignId: string; digestUnits: string[] }[];
  wechatTaskQueue?: string;
  delivery?: DeliveryTimings;
  clockOffsetMs?: number;
  /** History events before continuing as new (default 8,000; lowered only to record replay histories). */
  continueAsNewAfterEvents?: number;
  /**
   * Lowered only to record replay histories (0.9.1), so that a small desk takes the city's paths: signals before
   * continuing (DESK_SIGNALS_BEFORE_CONTINUE), bytes carried inline (CARRY_INLINE_BYTES), bytes per parcel.
   */
  signalsBeforeContinue?: number;
  carryInlineBytes?: number;
  parcelBytes?: number;
  /**
   * The desk runs in this many shards (workflows/desk-shards.ts). Shard 0 (this id, `shardIndex` omitted) is the home
   * shard: it starts the others and passes campaigns, calendars and drops on to them. Omitted or 1: one desk.
   */
  shards?: number;
  /** This shard's index (1 and up; omitted on the home shard). */
  shardIndex?: number;
  /** The home shard's id, on the other shards. */
  home?: string;
  carried?: {
    pending: OutgoingMessage[];
    arrivals: [number, number][];
    sent: string[];
    status: [string, DutyStatus][];
    digests: OutgoingMessage[];
    /** What did not fit in the input: parcel workflows holding the rest (workflows/desk-parcels.ts). */
    parcels?: string[];
    /** Keys taken back while the parcels were being left: dropped from what the parcels bring. */
    parcelDropped?: string[];
    /** Item keys this shard passed on to other shards, for their take-backs and statuses. */
    moved?: [string, Moved][];
    /** Campaigns stopped (0.9.1): an item of theirs that comes after the drop is refused. */
    stopped?: string[];
  };
}

export interface DeskState {
  pending: number;
  digests: number;
  /** The shard count this shard sends with (1: one desk). */
  shards?: number;
}

/**
 * The desk keeps a duty's latest status while it has anything of that duty, and forgets it when the duty took its
 * items back: a status from before the take-back must not drop what the duty hands again (completed at night, sent
 * back by a supervisor, handed again: the reminder goes). Decided once per run.
 */
/** Kept here too: the desk's tests and older imports find it with the desk. */
export { isWeeklyDigestDay };

export const DESK_FRESH_STATUS_PATCH = 'desk-fresh-status';

/** A desk continues as new once a run took DESK_SIGNALS_BEFORE_CONTINUE signals, holding items or not (0.9.0). */
export const DESK_SIGNAL_CAP_PATCH = 'desk-signal-cap';

/**
 * 0.9.1: a shard forgets a key it passed on once that key's instant has settled (an hour past the longest settling),
 * not a week after: a take-back or status for it can change nothing then, and a raise on a city's desk moves tens of
 * thousands of keys, which a continuing run carries.
 */
export const DESK_MOVED_PRUNE_PATCH = 'desk-moved-prune';
const MOVED_KEEP_MS = SETTLE_MAX_MS + 3_600_000;

/** 0.9.1: items and digests of a stopped campaign that arrive after its drop are refused (asked at the first one). */
export const DESK_STOPPED_PATCH = 'desk-stopped-refused';

/** 0.9.1: digests due in an instant whose waves found the WeChat bot down go by email. */
export const DESK_DIGESTS_AFTER_DOWN_PATCH = 'desk-digests-after-down';

/**
 * 0.9.1: what a continuing desk carries is bounded whole. The moved keys count towards CARRY_INLINE_BYTES and go to
 * parcels with the rest; the sent keys stay in the input (a parcel that never comes back then loses items, which
 * duties hand again on `desk ensure`, but not the record of what was sent, which would give a second message).
 */
export const DESK_CARRY_BOUNDED_PATCH = 'desk-carry-bounded';
/** Sent keys stay inline up to this size (a county's week is a few KB; past it they go to parcels, as in 0.9.0). */
const SENT_INLINE_BYTES = 256 * 1024;

export async function deskWorkflow(input: DeskInput): Promise<never> {
  const now = () => Date.now() + (input.clockOffsetMs ?? 0);
  const selfId = input.deskId;
  const base = input.home ?? input.deskId;
  const index = input.shardIndex ?? 0;
  const home = index === 0;
  let cal = input.calendar;
  let pending: OutgoingMessage[] = input.carried?.pending ?? [];
  let digests: OutgoingMessage[] = input.carried?.digests ?? [];
  const arrivals = new Map<number, number>(input.carried?.arrivals ?? []);
  const sentGroups = new Set<string>(input.carried?.sent ?? []);
  // Statuses of duties with an item waiting, as their duties reported them after handing it over.
  const status = new Map<string, DutyStatus>(input.carried?.status ?? []);
  const freshStatus = patched(DESK_FRESH_STATUS_PATCH);
  const waves = patched(DESK_WAVES_PATCH);
  // Signals this run took: Temporal refuses a run's signals past 10,000 (limit.maxSignalsPerExecution), and a desk
  // holding an evening's items used to wait for 40,000 events, which it could never reach.
  let signals = 0;
  const signalsFull = () => signals >= (input.signalsBeforeContinue ?? DESK_SIGNALS_BEFORE_CONTINUE);
  // Shards (0.9.0): asked the first time a count over one appears, which no desk before 0.9.0 ever saw.
  let shards = 1;
  let shardsOn = false;
  const relay = makeRelay(selfId, base, index, input.carried?.moved);
  /** Shards to start (the home shard, when the count is new to it) and to sync, and whether to drain. */
  let startFrom = 0;
  let syncNeeded = false;
  let drainNeeded = false;
  const setShards = (n: number) => {
    const count = Math.min(Math.max(1, Math.floor(n)), DESK_SHARDS_MAX);
    if (count === shards || (count > 1 && !(shardsOn ||= patched(DESK_SHARDS_PATCH)))) return;
    if (home && count > shards) startFrom = startFrom || shards;
    shards = count;
    drainNeeded = true;
    syncNeeded = home;
  };
  if ((input.shards ?? 1) > 1) {
    setShards(input.shards!);
    // A home shard continued as new tries every shard again: a raise that came just before it continued may have
    // left the new ones unstarted (a running shard is found, not doubled, and then synced).
    if (home && input.carried) startFrom = 1;
    // Carried items are routed again below (parts a last relay had not sent yet among them).
    drainNeeded = input.carried !== undefined;
  }
  const counted =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A) => {
      signals++;
      fn(...args);
    };
  /** While a continued run collects its parcels: what is taken back or dropped meanwhile, applied to what they bring. */
  let collecting: { keys: Set<string>; campaigns: Set<string> } | undefined;
  // A stopped campaign's duty may hand an item after the drop (it is terminated after the drop goes out), and a
  // shard may pass one on after it: refused, or it would be sent about work nobody asks for any more.
  const stopped = new Set(input.carried?.stopped ?? []);
  let refuseStopped: boolean | undefined;
  const ofStopped = (m: OutgoingMessage) => stopped.size > 0 && [...stopped].some((c) => m.key.startsWith(`${c}/`)) && (refuseStopped ??= patched(DESK_STOPPED_PATCH));
  const take = (item: OutgoingMessage) => {
    if (ofStopped(item)) return;
    const own = shards > 1 ? relay.route(item, shards) : item;
    if (!own) return;
    pending.push(own);
    arrivals.set(own.at, now());
  };
  setHandler(morningItemSignal, counted(take));
  setHandler(morningItemsSignal, counted((items) => items.forEach(take)));
  setHandler(deskDigestSignal, counted((digest) => {
    if (ofStopped(digest)) return;
    digests.push(digest);
    arrivals.set(digest.at, now());
  }));
  setHandler(dutyStatusSignal, counted(({ dutyId, status: s }) => {
    if (collecting || pending.some((i) => i.dutyId === dutyId) || (freshStatus && status.has(dutyId))) status.set(dutyId, s);
    if (shards > 1) relay.status(dutyId, s);
  }));
  setHandler(calendarUpdateSignal, counted((update) => {
    cal = mergeCalendars(cal, update);
    syncNeeded = home && shards > 1;
  }));
  const campaigns = new Map(input.campaigns.map((c) => [c.campaignId, c.digestUnits]));
  let wechatTaskQueue = input.wechatTaskQueue;
  let delivery = input.delivery;
  setHandler(deskJoinSignal, counted((join) => {
    // A campaign started again under its old id hands items again.
    stopped.delete(join.campaignId);
    campaigns.set(join.campaignId, join.digestUnits);
    cal = mergeCalendars(cal, join.calendar);
    wechatTaskQueue = join.wechatTaskQueue;
    delivery = join.delivery;
    // The count is raised, never lowered: a lower one would leave the shards above it holding what they hold.
    if (join.shards && join.shards > shards) setShards(join.shards);
    syncNeeded = home && shards > 1;
  }));
  // The home shard's configuration, on every other shard: replaced whole.
  setHandler(deskSyncSignal, counted((sync) => {
    campaigns.clear();
    for (const c of sync.campaigns) campaigns.set(c.campaignId, c.digestUnits);
    cal = sync.calendar;
    wechatTaskQueue = sync.wechatTaskQueue;
    delivery = sync.delivery;
    setShards(sync.shards);
  }));
  // A duty whose state changed before the instant of what it handed ahead takes it back (and hands it again).
  setHandler(deskRetractSignal, counted(({ keys }) => {
    const taken = new Set(keys);
    if (collecting) for (const k of keys) collecting.keys.add(k);
    const duties = new Set(pending.filter((m) => taken.has(m.key)).map((m) => m.dutyId));
    pending = pending.filter((m) => !taken.has(m.key));
    if (freshStatus) for (const id of duties) if (id && !pending.some((m) => m.dutyId === id)) status.delete(id);
    if (shards > 1) relay.retract(keys);
  }));
  // Items of a stopped campaign's duties are dropped: nothing more is sent about them.
  setHandler(deskDropSignal, counted(({ campaignId }) => {
    const theirs = (m: OutgoingMessage) => m.key.startsWith(`${campaignId}/`);
    collecting?.campaigns.add(campaignId);
    stopped.add(campaignId);
    pending = pending.filter((m) => !theirs(m));
    digests = digests.filter((m) => !theirs(m));
    campaigns.delete(campaignId);
    if (home && shards > 1) relay.drop(campaignId, deskShardIds(base, shards).slice(1));
    else if (shards > 1) relay.forget(campaignId);
  }));
  /** The units that read the digest of the campaign an item comes from (its duty id starts with the campaign id). */
  const digestUnitsOf = (item: OutgoingMessage): string[] => {
    for (const [id, units] of campaigns) if (item.key.startsWith(`${id}/`)) return units;
    return [];
  };
  setHandler(deskQuery, (): DeskState => ({ pending: pending.length, digests: digests.length, ...(shards > 1 ? { shards } : {}) }));

  const syncOf = (): DeskSync => ({
    campaigns: [...campaigns].map(([campaignId, digestUnits]) => ({ campaignId, digestUnits })),
    calendar: cal,
    ...(wechatTaskQueue ? { wechatTaskQueue } : {}),
    ...(delivery ? { delivery } : {}),
    shards,
  });
  // A recording's lowered limits hold on every shard it starts (no deployment sets them).
  const recordingLimits = Object.fromEntries(
    (['continueAsNewAfterEvents', 'signalsBeforeContinue', 'carryInlineBytes', 'parcelBytes'] as const).flatMap((k) => (input[k] !== undefined ? [[k, input[k]]] : [])),
  );
  /** The home shard starts the shards it has not started yet; each is then synced (a running one keeps its items). */
  const tendShards = async () => {
    if (home && startFrom > 0) {
      const from = startFrom;
      startFrom = 0;
      for (const [i, id] of deskShardIds(base, shards).entries()) {
        if (i < from) continue;
        try {
          await startChild(deskWorkflow, {
            workflowId: id,
            args: [{ ...syncOf(), deskId: id, shardIndex: i, home: base, ...(input.clockOffsetMs ? { clockOffsetMs: input.clockOffsetMs } : {}), ...recordingLimits }],
            parentClosePolicy: ParentClosePolicy.ABANDON,
            workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
      syncNeeded = true;
    }
    if (syncNeeded) {
      syncNeeded = false;
      relay.sync(syncOf(), deskShardIds(base, shards).slice(1));
    }
    if (drainNeeded) {
      drainNeeded = false;
      // What no longer maps to this shard goes to the shard it maps to now.
      const held = pending;
      pending = [];
      for (const item of held) {
        const own = relay.route(item, shards);
        if (own) pending.push(own);
      }
    }
    if (relay.busy) await relay.flush();
  };

  // A run continued with parcels takes in what they hold before anything else: all but what was taken back while
  // they were left, with the statuses carried inline (newer) over theirs.
  if (input.carried?.parcels?.length) {
    const dropped = new Set(input.carried.parcelDropped ?? []);
    collecting = { keys: dropped, campaigns: new Set() };
    const gone = (m: OutgoingMessage) => dropped.has(m.key) || [...collecting!.campaigns].some((c) => m.key.startsWith(`${c}/`));
    const missing = await collectParcels(input.carried.parcels, (p) => {
      pending.push(...p.pending.filter((m) => !gone(m)));
      digests.push(...p.digests.filter((m) => !gone(m)));
      for (const [id, st] of p.status) if (!status.has(id)) status.set(id, st);
      for (const k of p.sent) sentGroups.add(k);
      // Newer moves came inline; a key taken back meanwhile comes back stale, and is only forwarded to no effect.
      if (p.moved) relay.adopt(p.moved);
    });
    collecting = undefined;
    if (missing.length) log.error('desk parcels never came back; what they held is lost (duban desk ensure has the duties hand it again)', { missing });
  }

  // The channels as the latest campaign to join configured them.
  const deliver = (msg: OutgoingMessage) => makeDeliverer(wechatTaskQueue, undefined, delivery).deliver(msg);
  const dueAt = (m: OutgoingMessage) => settledAt(m.at, arrivals.get(m.at));
  const nextDue = () => [...pending, ...digests].reduce<number | undefined>((at, m) => (at === undefined ? dueAt(m) : Math.min(at, dueAt(m))), undefined);
  const historyLimit = input.continueAsNewAfterEvents ?? HISTORY_EVENTS_BEFORE_CONTINUE;

  const sendDue = async () => {
    const t = now();
    const due: OutgoingMessage[] = [];
    const waiting: OutgoingMessage[] = [];
    for (const i of pending) (dueAt(i) <= t ? due : waiting).push(i);
    pending = waiting;
    const dueDigests = digests.filter((d) => dueAt(d) <= t);
    digests = digests.filter((d) => dueAt(d) > t);
    const waitingAt = new Set([...pending, ...digests].map((i) => i.at));
    for (const at of arrivals.keys()) if (!waitingAt.has(at)) arrivals.delete(at);
    const asked = due.filter((i) => stillAsked(i, i.dutyId ? status.get(i.dutyId) : undefined));
    const stillWaiting = new Set(pending.map((i) => i.dutyId));
    for (const id of [...status.keys()]) if (!stillWaiting.has(id)) status.delete(id);
    // A supervising office reads its own overdue duties in Monday's digest, with their codes: not again at 09:00.
    const inDigest = (i: OutgoingMessage, unit: string) => i.kind === 'overdue-reminder' && i.unit === unit && digestUnitsOf(i).includes(unit) && isWeeklyDigestDay(cal, shanghaiDate(i.at));
    const groups = morningGroups(asked, { sent: sentGroups, now: t, skip: inDigest, lateByAge: true, mergeLate: true });
    let botDown = false;
    if (waves) botDown = (await sendInWaves(groups.map((g) => morningMessage(input.deskId, g)), { wechatTaskQueue, delivery, deskId: input.deskId, at: t, ...(shards > 1 ? { alertDesk: base } : {}) })).wechatDown;
    else await sendGroups(groups, (g) => deliverTelling(deliver, morningMessage(input.deskId, g)), true);
    // Digests of one slot from several campaigns: one message to each supervisor. By email when the bot was just
    // found down (0.9.1): each would otherwise wait its pick-up time again.
    const slots = new Map<number, OutgoingMessage[]>();
    for (const d of dueDigests) slots.set(d.at, [...(slots.get(d.at) ?? []), d]);
    const digestsByEmail = botDown && slots.size > 0 && patched(DESK_DIGESTS_AFTER_DOWN_PATCH);
    const sendDigest = digestsByEmail ? (msg: OutgoingMessage) => makeDeliverer(undefined, undefined, delivery).deliver(msg) : deliver;
    for (const [, slot] of [...slots].sort((a, b) => a[0] - b[0])) await sendDigest(combinedDigest(input.deskId, slot));
  };

  /**
   * The new run's input: what the desk holds inline, or in parcels past CARRY_INLINE_BYTES (a city's evening). While
   * the parcels are started, duties go on handing and taking back: what came meanwhile is carried inline, and the
   * keys taken back meanwhile are carried so that the new run drops them from the parcels.
   */
  const carry = async (): Promise<NonNullable<DeskInput['carried']>> => {
    const sent = [...sentGroups].filter((k) => Number(k.split('|')[0]) >= now() - SETTLE_MAX_MS - 7 * 86_400_000);
    const holding = { pending: [...pending], digests: [...digests], status: [...status], sent };
    const moved = shards > 1 ? relay.moved() : undefined;
    const inline = { arrivals: [...arrivals], ...(moved ? { moved } : {}), ...(stopped.size ? { stopped: [...stopped] } : {}) };
    const holdingBytes = utf8Bytes(JSON.stringify(holding));
    const movedBytes = moved?.length ? utf8Bytes(JSON.stringify(moved)) : 0;
    // 0.9.0 weighed what it holds without the moved keys; the order of the two questions keeps its runs replaying.
    const inlineMax = input.carryInlineBytes ?? CARRY_INLINE_BYTES;
    const over = holdingBytes > inlineMax;
    const parcelsOn = over ? patched(DESK_PARCELS_PATCH) : holdingBytes + movedBytes > inlineMax && patched(DESK_CARRY_BOUNDED_PATCH) && patched(DESK_PARCELS_PATCH);
    if (!parcelsOn) return { ...holding, ...inline, pending: [...holding.pending, ...relay.heldItems()] };
    const bounded = patched(DESK_CARRY_BOUNDED_PATCH);
    const sentInline = bounded && utf8Bytes(JSON.stringify(sent)) <= SENT_INLINE_BYTES;
    const parcels = await leaveParcels(selfId, cutParcels({ ...holding, ...(sentInline ? { sent: [] } : {}), ...(bounded && moved ? { moved } : {}) }, input.parcelBytes));
    const parcelled = new Set([...holding.pending, ...holding.digests]);
    const still = new Set([...pending, ...digests]);
    const before = new Map(holding.status);
    // Moved keys parcelled are brought back by the parcels; what moved while they were left rides inline.
    const movedBefore = new Map(bounded ? moved : []);
    return {
      pending: [...pending.filter((m) => !parcelled.has(m)), ...relay.heldItems()],
      digests: digests.filter((m) => !parcelled.has(m)),
      status: [...status].filter(([id, st]) => before.get(id) !== st),
      sent: sentInline ? sent : [],
      parcels,
      ...(moved ? { moved: relay.moved().filter(([k, m]) => movedBefore.get(k) !== m) } : {}),
      arrivals: [...arrivals],
      ...(stopped.size ? { stopped: [...stopped] } : {}),
      ...([...parcelled].some((m) => !still.has(m)) ? { parcelDropped: [...parcelled].filter((m) => !still.has(m)).map((m) => m.key) } : {}),
    };
  };

  let movedPrune: boolean | undefined;
  const waker = makeWaker(now);
  // Asked only once a run took DESK_SIGNALS_BEFORE_CONTINUE signals, which no recorded run before 0.9.0 did.
  let signalCap: boolean | undefined;
  const capReached = () => signalsFull() && (signalCap ??= patched(DESK_SIGNAL_CAP_PATCH));
  for (;;) {
    if (shardsOn) {
      await tendShards();
      movedPrune ??= patched(DESK_MOVED_PRUNE_PATCH);
      relay.prune(now() - (movedPrune ? MOVED_KEEP_MS : 7 * 86_400_000));
    }
    const seen = pending.length + digests.length;
    const full = () => workflowInfo().historyLength > historyLimit || workflowInfo().continueAsNewSuggested;
    const nearLimits = () => workflowInfo().historyLength >= HISTORY_EVENTS_HARD || workflowInfo().historySize >= HISTORY_BYTES_HARD;
    await waker.until(
      () => pending.length + digests.length !== seen || (full() && !pending.length && !digests.length) || (shardsOn && (relay.busy || syncNeeded || drainNeeded || startFrom > 0)) || (signalsFull() && signalCap !== false),
      nextDue(),
    );
    if ([...pending, ...digests].some((m) => dueAt(m) <= now())) await sendDue();
    const busy = pending.length > 0 || digests.length > 0;
    if ((full() && (!busy || nearLimits())) || capReached()) {
      if (shardsOn) await tendShards();
      await condition(allHandlersFinished);
      // Anything queued for other shards since is carried as held items, and routed again by the next run.
      // What it holds first (parcels take several workflow tasks), then the configuration as it stands after them.
      const carried = await carry();
      await continueAsNew<typeof deskWorkflow>({
        ...input,
        calendar: cal,
        campaigns: [...campaigns].map(([campaignId, digestUnits]) => ({ campaignId, digestUnits })),
        ...(wechatTaskQueue ? { wechatTaskQueue } : {}),
        ...(delivery ? { delivery } : {}),
        ...(shards > 1 ? { shards } : {}),
        carried,
      });
    }
  }
}
