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
import { allHandlersFinished, condition, continueAsNew, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { dayNumber, dateOfDayNumber, mergeCalendars, shanghaiDate, shiftWorkingDays, weekdayOfDayNumber, type WorkCalendar } from '../calendar/working-days';
import { makeDeliverer } from './deliver';
import { calendarUpdateSignal, deskDigestSignal, deskDropSignal, deskJoinSignal, deskQuery, deskRetractSignal, dutyStatusSignal, morningItemSignal } from './messages';
import { combinedDigest, morningGroups, morningMessage, sendGroups, settledAt, stillAsked, SETTLE_MAX_MS } from './morning';
import { makeWaker } from './wake';
import { deliverTelling } from './undelivered';
import type { DeliveryTimings, DutyStatus, OutgoingMessage } from './types';
import { HISTORY_BYTES_HARD, HISTORY_EVENTS_BEFORE_CONTINUE, HISTORY_EVENTS_HARD } from './history-limits';

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
  carried?: {
    pending: OutgoingMessage[];
    arrivals: [number, number][];
    sent: string[];
    status: [string, DutyStatus][];
    digests: OutgoingMessage[];
  };
}

export interface DeskState {
  pending: number;
  digests: number;
}

/**
 * The desk keeps a duty's latest status while it has anything of that duty, and forgets it when the duty took its
 * items back: a status from before the take-back must not drop what the duty hands again (completed at night, sent
 * back by a supervisor, handed again: the reminder goes). Decided once per run.
 */
export const DESK_FRESH_STATUS_PATCH = 'desk-fresh-status';


/** The first working day of the week `date` is in (Monday, or later when Monday is a holiday): weekly digest day. */
export function isWeeklyDigestDay(cal: WorkCalendar, date: string): boolean {
  const day = dayNumber(date);
  const monday = day - ((weekdayOfDayNumber(day) + 6) % 7);
  return shiftWorkingDays(cal, dateOfDayNumber(monday), 0) === date;
}

export async function deskWorkflow(input: DeskInput): Promise<never> {
  const now = () => Date.now() + (input.clockOffsetMs ?? 0);
  let cal = input.calendar;
  let pending: OutgoingMessage[] = input.carried?.pending ?? [];
  let digests: OutgoingMessage[] = input.carried?.digests ?? [];
  const arrivals = new Map<number, number>(input.carried?.arrivals ?? []);
  const sentGroups = new Set<string>(input.carried?.sent ?? []);
  // Statuses of duties with an item waiting, as their duties reported them after handing it over.
  const status = new Map<string, DutyStatus>(input.carried?.status ?? []);
  const freshStatus = patched(DESK_FRESH_STATUS_PATCH);
  setHandler(morningItemSignal, (item) => {
    pending.push(item);
    arrivals.set(item.at, now());
  });
  setHandler(deskDigestSignal, (digest) => {
    digests.push(digest);
    arrivals.set(digest.at, now());
  });
  setHandler(dutyStatusSignal, ({ dutyId, status: s }) => {
    if (pending.some((i) => i.dutyId === dutyId) || (freshStatus && status.has(dutyId))) status.set(dutyId, s);
  });
  setHandler(calendarUpdateSignal, (update) => {
    cal = mergeCalendars(cal, update);
  });
  const campaigns = new Map(input.campaigns.map((c) => [c.campaignId, c.digestUnits]));
  let wechatTaskQueue = input.wechatTaskQueue;
  let delivery = input.delivery;
  setHandler(deskJoinSignal, (join) => {
    campaigns.set(join.campaignId, join.digestUnits);
    cal = mergeCalendars(cal, join.calendar);
    wechatTaskQueue = join.wechatTaskQueue;
    delivery = join.delivery;
  });
  // A duty whose state changed before the instant of what it handed ahead takes it back (and hands it again).
  setHandler(deskRetractSignal, ({ keys }) => {
    const taken = new Set(keys);
    const duties = new Set(pending.filter((m) => taken.has(m.key)).map((m) => m.dutyId));
    pending = pending.filter((m) => !taken.has(m.key));
    if (freshStatus) for (const id of duties) if (id && !pending.some((m) => m.dutyId === id)) status.delete(id);
  });
  // Items of a stopped campaign's duties are dropped: nothing more is sent about them.
  setHandler(deskDropSignal, ({ campaignId }) => {
    const theirs = (m: OutgoingMessage) => m.key.startsWith(`${campaignId}/`);
    pending = pending.filter((m) => !theirs(m));
    digests = digests.filter((m) => !theirs(m));
    campaigns.delete(campaignId);
  });
  /** The units that read the digest of the campaign an item comes from (its duty id starts with the campaign id). */
  const digestUnitsOf = (item: OutgoingMessage): string[] => {
    for (const [id, units] of campaigns) if (item.key.startsWith(`${id}/`)) return units;
    return [];
  };
  setHandler(deskQuery, (): DeskState => ({ pending: pending.length, digests: digests.length }));

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
    await sendGroups(groups, (g) => deliverTelling(deliver, morningMessage(input.deskId, g)), true);
    // Digests of one slot from several campaigns: one message to each supervisor.
    const slots = new Map<number, OutgoingMessage[]>();
    for (const d of dueDigests) slots.set(d.at, [...(slots.get(d.at) ?? []), d]);
    for (const [, slot] of [...slots].sort((a, b) => a[0] - b[0])) await deliver(combinedDigest(input.deskId, slot));
  };

  const waker = makeWaker(now);
  for (;;) {
    const seen = pending.length + digests.length;
    const full = () => workflowInfo().historyLength > historyLimit || workflowInfo().continueAsNewSuggested;
    await waker.until(() => pending.length + digests.length !== seen || (full() && !pending.length && !digests.length), nextDue());
    if ([...pending, ...digests].some((m) => dueAt(m) <= now())) await sendDue();
    const busy = pending.length > 0 || digests.length > 0;
    if (full() && (!busy || workflowInfo().historyLength >= HISTORY_EVENTS_HARD || workflowInfo().historySize >= HISTORY_BYTES_HARD)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof deskWorkflow>({
        ...input,
        calendar: cal,
        campaigns: [...campaigns].map(([campaignId, digestUnits]) => ({ campaignId, digestUnits })),
        ...(wechatTaskQueue ? { wechatTaskQueue } : {}),
        ...(delivery ? { delivery } : {}),
        carried: { pending, arrivals: [...arrivals], sent: [...sentGroups].filter((k) => Number(k.split('|')[0]) >= now() - SETTLE_MAX_MS - 7 * 86_400_000), status: [...status], digests },
      });
    }
  }
}
