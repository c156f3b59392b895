/**
 * A campaign per (plan, year): starts one duty workflow per accountable (duty, unit) with deterministic ids
 * (starting twice starts nothing new), keeps the ledger of all duties from their signals, and ends when
 * every duty has ended. Needs no Schedules and no visibility queries, so a whole year also runs on the
 * time-skipping test server.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import {
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import {
  addDays,
  dateOfDayNumber,
  dayNumber,
  isOfficeHours,
  mergeCalendars,
  nextOfficeInstant,
  shanghaiDate,
  shanghaiInstant,
  shiftWorkingDays,
  weekdayOfDayNumber,
  REMINDER_MIN,
  type WorkCalendar,
} from '../calendar/working-days';
import { makeDeliverer } from './deliver';
import { makeWaker } from './wake';
import { buildDigest, digestText } from './digest';
import { dutyWorkflow } from './duty';
import { expandCampaign, type CampaignInput } from './expand';
import {
  calendarQuery,
  calendarUpdateSignal,
  deskJoinQuery,
  deskRehandSignal,
  type DeskJoin,
  campaignInfoQuery,
  deskDigestSignal,
  deskJoinSignal,
  dutyChangedSignal,
  ledgerQuery,
  morningItemSignal,
  planQuery,
  reportRequestSignal,
} from './messages';
import { MORNING_WAVE, SETTLE_MS, morningGroups, morningMessage, sendGroups, settledAt, stillAsked as stillAskedBy } from './morning';
import { deskWorkflow } from './desk';
import { baseEntryOf, packLedger, unpackLedger, type BaseEntry } from './ledger-pack';
import type { LedgerEntry, OutgoingMessage, Recipient } from './types';

/**
 * Digests go out at 09:30 on working days, half an hour after the 09:00 morning run: by then every duty woken
 * at 09:00 has reported its new level and every reply to the morning's messages has landed, so a digest shows
 * the same figures however the duties' reports and the campaign's own timer happen to be ordered at 09:00.
 */
export const DIGEST_MIN = 9 * 60 + 30;

/** The first digest slot (a working day at 09:30) at or after `now`. */
export function nextDigestSlot(cal: WorkCalendar, now: number): number {
  const today = shanghaiDate(now);
  const slot = shanghaiInstant(shiftWorkingDays(cal, today, 0), DIGEST_MIN);
  return slot >= now ? slot : shanghaiInstant(shiftWorkingDays(cal, today, 1), DIGEST_MIN);
}

/** Monday 09:30 of the week after `now`'s date, moved to the next working day when Monday is a holiday. */
export function nextWeeklyDigest(cal: WorkCalendar, now: number, minutes = DIGEST_MIN): number {
  const today = shanghaiDate(now);
  const weekday = new Date(dayNumber(today) * 86_400_000).getUTCDay();
  let monday = addDays(today, ((8 - weekday) % 7) || 7);
  if (weekday === 1 && now < shanghaiInstant(today, minutes)) monday = today;
  return shanghaiInstant(shiftWorkingDays(cal, monday, 0), minutes);
}

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
export { MORNING_WAVE };
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
/**
 * Past this many events or bytes the campaign continues as new even with morning items waiting (Temporal ends a
 * workflow at 50,000 events or 50 MB; each item is a message of a few KB).
 */
const HISTORY_EVENTS_HARD = 40_000;
const HISTORY_BYTES_HARD = 30 * 1024 * 1024;

const START_BATCH = 50;
const HISTORY_EVENTS_BEFORE_CONTINUE = 8000;

/** What the expansion says of each duty before anything happened to it, as the start loop records it. */
function baseEntries(input: CampaignInput, startedAt: number): BaseEntry[] {
  return expandCampaign(input, shanghaiDate(startedAt)).map(baseEntryOf);
}

/** The ledger the previous run carried, in either form. */
function carriedLedger(input: CampaignInput, startedAt: number): LedgerEntry[] {
  const c = input.carried;
  if (!c) return [];
  return c.ledgerPacked ? [...c.ledger, ...unpackLedger(c.ledgerPacked, baseEntries(input, startedAt))] : c.ledger;
}

export interface CampaignSummary {
  campaignId: string;
  duties: number;
  completed: number;
  closedUnresolved: number;
  escalated: number;
}

export async function campaignWorkflow(input: CampaignInput): Promise<CampaignSummary> {
  const now = () => Date.now() + (input.clockOffsetMs ?? 0);
  const startedAt = input.carried?.startedAt ?? input.startAt ?? now();
  // Lowered only to record histories that continue as new (`npm run record`).
  const historyLimit = input.options?.continueAsNewAfterEvents ?? HISTORY_EVENTS_BEFORE_CONTINUE;
  const ledger = new Map<string, LedgerEntry>(carriedLedger(input, startedAt).map((e) => [e.dutyId, e]));
  // Duties turning red, counted: each asks for a red digest at the next digest slot.
  let redTurns = input.carried?.redPending ? 1 : 0;
  setHandler(dutyChangedSignal, (entry) => {
    const known = ledger.get(entry.dutyId);
    if (!known || known.updatedAt <= entry.updatedAt) {
      if (entry.level === 'red' && known?.level !== 'red') redTurns++;
      ledger.set(entry.dutyId, entry);
    }
  });
  setHandler(ledgerQuery, () => [...ledger.values()]);
  // A calendar loaded while the campaign runs: kept (and carried), then passed on to every running duty from
  // the main loop (signals to other workflows are commands, which handlers do not issue).
  // A load not yet passed on when the run continued as new is carried, and passed on by the next run.
  let calendarsToForward = input.carried?.calendarPending ? 1 : 0;
  setHandler(calendarUpdateSignal, (update) => {
    input.calendar = mergeCalendars(input.calendar, update);
    calendarsToForward++;
  });
  setHandler(calendarQuery, () => input.calendar);
  // `duban desk ensure` rebuilds a lost desk from what each campaign would tell it, then asks the duties to hand
  // their items ahead again (passed on from the main loop, as calendars are).
  setHandler(deskJoinQuery, () => deskJoinOf(input));
  let rehandsToForward = input.carried?.rehandPending ? 1 : 0;
  setHandler(deskRehandSignal, () => {
    rehandsToForward++;
  });
  // Items for the morning messages, held until their instant has settled.
  let pending: OutgoingMessage[] = input.carried?.morningPending ?? [];
  // When each instant's latest item arrived (settling by arrivals, below).
  const arrivals = new Map<number, number>(input.carried?.morningArrivals ?? []);
  setHandler(morningItemSignal, (item) => {
    pending.push(item);
    arrivals.set(item.at, now());
  });
  // (instant, unit) pairs already sent, so an item arriving after its unit's message went gets a new instant.
  const sentGroups = new Set<string>(input.carried?.morningSent ?? []);

  const self = workflowInfo().workflowId;
  // Decided once, before any duty starts, and carried: every duty of a campaign is batched or none is.
  const morning = input.carried ? input.carried.morning === true : patched(MORNING_PATCH);
  const waves = morning && patched(MORNING_WAVES_PATCH);
  const desk = morning && input.options?.morningDesk && patched(MORNING_DESK_PATCH) ? input.options.morningDesk : undefined;
  const packLedgerOnContinue = patched(PACKED_LEDGER_PATCH);
  setHandler(campaignInfoQuery, () => ({
    campaignId: input.campaignId,
    title: input.plan.title,
    year: input.plan.year,
    codePrefix: input.options?.codePrefix ?? '',
    ...(desk ? { morningDesk: desk } : {}),
    startedAt,
  }));
  setHandler(planQuery, () => input.plan);
  const duties = expandCampaign(input, shanghaiDate(startedAt), { morning });
  let started = input.carried?.started ?? 0;
  const carry = () => ({
    ...input,
    carried: {
      startedAt,
      started,
      // Packed against the expansion of the input the next run gets (a calendar loaded meanwhile included).
      ...(packLedgerOnContinue ? { ledger: [], ledgerPacked: packLedger(ledger.values(), baseEntries(input, startedAt)) } : { ledger: [...ledger.values()] }),
      ...(morning ? { morning, morningPending: pending, morningSent: [...sentGroups] } : {}),
      ...(waves && arrivals.size ? { morningArrivals: [...arrivals] } : {}),
      ...(calendarsToForward > 0 ? { calendarPending: true } : {}),
      ...(rehandsToForward > 0 ? { rehandPending: true } : {}),
    },
  });

  if (desk && !input.carried) await ensureDesk(input, desk);

  while (started < duties.length) {
    const batch = duties.slice(started, started + START_BATCH);
    await Promise.all(
      batch.map(async (d) => {
        if (!ledger.has(d.duty.dutyId)) {
          ledger.set(d.duty.dutyId, {
            ...baseEntryOf(d),
            status: 'open',
            level: 'none',
            remindersSent: 0,
            escalationsSent: 0,
            ended: false,
            updatedAt: 0,
          });
        }
        try {
          await startChild(dutyWorkflow, {
            workflowId: d.duty.dutyId,
            ...(input.options?.dutyTaskQueue ? { taskQueue: input.options.dutyTaskQueue } : {}),
            args: [{ ...d, campaignWorkflowId: self, startAt: startedAt, ...(desk ? { morningWorkflowId: desk, morningDesk: true } : morning ? { morningWorkflowId: self } : {}) }],
            parentClosePolicy: ParentClosePolicy.ABANDON,
            // A duty that already ran (even one that has ended) is never run again from scratch.
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          // A restarted campaign: a running duty is asked to report its line; one that has ended cannot be,
          // and is recorded as ended.
          try {
            await getExternalWorkflowHandle(d.duty.dutyId).signal(reportRequestSignal);
          } catch {
            const known = ledger.get(d.duty.dutyId);
            if (known && !known.ended) ledger.set(d.duty.dutyId, { ...known, ended: true });
          }
        }
      }),
    );
    started += batch.length;
    if (workflowInfo().historyLength > historyLimit) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof campaignWorkflow>(carry());
    }
  }

  const allEnded = () => [...ledger.values()].every((e) => e.ended);
  // Replaced when an administrator loads more official years (calendarUpdateSignal, handled above).
  let cal = input.calendar;
  const { deliver } = makeDeliverer(input.options?.wechatTaskQueue, undefined, input.options?.delivery);
  const digestRecipients: Recipient[] = [
    ...input.supervisors.flatMap((unit) => [
      { unit, role: 'coordinators' as const },
      { unit, role: 'leaders' as const },
    ]),
    { unit: input.disciplineOffice, role: 'coordinators' },
  ];
  const sendDigest = async (reason: 'weekly' | 'red', at: number) => {
    const digest = buildDigest([...ledger.values()], cal, at);
    const msg: OutgoingMessage = {
      key: `${input.campaignId}/digest/${reason}/${digest.date}`,
      kind: 'digest',
      toUnits: [...new Set(digestRecipients.map((r) => r.unit))],
      recipients: digestRecipients,
      level: digest.totals.overdue ? 'red' : 'none',
      at,
      subject: `【督办${reason === 'weekly' ? '周报' : '快报'}】${input.plan.title.slice(0, 40)} · ${digest.date}`,
      text: digestText(digest, reason),
      digest,
    };
    // Through the desk: several campaigns' digests of one slot reach each supervisor as one message.
    if (desk) {
      try {
        await getExternalWorkflowHandle(desk).signal(deskDigestSignal, msg);
        return;
      } catch {
        // The desk is gone (terminated by an administrator): the digest still goes.
      }
    }
    await deliver(msg);
  };
  // Nothing to a unit about work it has done: an item whose duty was completed (or, for a request to
  // acknowledge, acknowledged) while it waited is dropped.
  const stillAsked = (item: OutgoingMessage) => stillAskedBy(item, item.dutyId ? ledger.get(item.dutyId)?.status : undefined);
  const fixedSettle = input.options?.morningSettleSeconds !== undefined || !waves;
  const settleMs = input.options?.morningSettleSeconds !== undefined ? input.options.morningSettleSeconds * 1000 : SETTLE_MS;
  /** When an item's instant has settled: a fixed time after it, or by its instant's arrivals. */
  const dueAt = (i: OutgoingMessage) => (fixedSettle ? i.at + settleMs : settledAt(i.at, arrivals.get(i.at)));
  const itemDue = (i: OutgoingMessage, t: number) => dueAt(i) <= t;
  const nextItemDue = () => pending.reduce<number | undefined>((at, i) => (at === undefined ? dueAt(i) : Math.min(at, dueAt(i))), undefined);
  const sendMorning = async (all = false) => {
    const t = now();
    // One pass (thousands of items in a storm): what is due goes, the rest waits.
    const due: OutgoingMessage[] = [];
    const waiting: OutgoingMessage[] = [];
    for (const i of pending) (all || itemDue(i, t) ? due : waiting).push(i);
    pending = waiting;
    const waitingAt = new Set(pending.map((i) => i.at));
    for (const at of arrivals.keys()) if (!waitingAt.has(at)) arrivals.delete(at);
    // A unit that reads the weekly digest today finds its own overdue duties listed there, with their codes:
    // its Monday overdue reminders are not sent again in a morning message (最多报一次).
    const inDigest = (i: OutgoingMessage, unit: string) =>
      digestsOn && i.kind === 'overdue-reminder' && i.unit === unit && digestUnits.has(unit) && shanghaiDate(weeklyAt) === shanghaiDate(i.at);
    // Late for its instant (its unit's message already went, or the instant is long past: a worker was down):
    // one more message, at the minute it goes.
    const groups = morningGroups(due.filter(stillAsked), { sent: sentGroups, now: t, skip: inDigest, lateByAge: waves });
    await sendGroups(groups, (g) => deliver(morningMessage(input.campaignId, g)), waves);
  };
  const digestsOn = input.options?.digests !== false;
  const digestUnits = new Set(digestRecipients.map((r) => r.unit));
  const continueNeeded = () => {
    const info = workflowInfo();
    if (!info.continueAsNewSuggested && info.historyLength <= historyLimit) return false;
    // Morning items waiting are sent first (within the settling time), unless the history is near its limit.
    return !(waves && pending.length > 0 && info.historyLength < HISTORY_EVENTS_HARD && info.historySize < HISTORY_BYTES_HARD);
  };
  const continueWith = async (carried: Partial<NonNullable<CampaignInput['carried']>>) => {
    await condition(allHandlersFinished);
    const next = carry();
    await continueAsNew<typeof campaignWorkflow>({ ...next, carried: { ...next.carried, ...carried } });
  };
  if (!patched(DIGEST_SLOTS_PATCH)) {
    await legacyDigests({ input, cal, now, digestsOn, redTurns: () => redTurns, allEnded, continueNeeded, continueWith, sendDigest });
  }
  let weeklyAt = input.carried?.weeklyAt ?? nextWeeklyDigest(cal, now());
  // When the next red digest is due; a weekly digest at or after it covers it. At most one digest a day, by
  // construction: there is one slot a day.
  let redDueAt = input.carried?.redDueAt;
  let redNoted = 0;
  const waker = makeWaker(now);
  while (!allEnded()) {
    if (redTurns !== redNoted) {
      redNoted = redTurns;
      if (digestsOn) redDueAt ??= nextDigestSlot(cal, now());
    }
    const nextAt = Math.min(weeklyAt, redDueAt ?? Number.MAX_SAFE_INTEGER, nextItemDue() ?? Number.MAX_SAFE_INTEGER);
    const itemsSeen = pending.length;
    // Each signal is an event: continue as new before the history grows past its limits.
    await waker.until(() => allEnded() || redTurns !== redNoted || continueNeeded() || pending.length !== itemsSeen || calendarsToForward > 0 || rehandsToForward > 0, nextAt);
    if (rehandsToForward > 0) {
      rehandsToForward = 0;
      for (const e of ledger.values()) {
        if (e.ended) continue;
        await getExternalWorkflowHandle(e.dutyId)
          .signal(deskRehandSignal)
          .catch(() => undefined);
      }
      continue;
    }
    if (calendarsToForward > 0) {
      calendarsToForward = 0;
      cal = input.calendar;
      // Every running duty re-plans what is still ahead on the new days; so do the digests.
      if (desk) {
        await getExternalWorkflowHandle(desk)
          .signal(calendarUpdateSignal, cal)
          .catch(() => undefined);
      }
      for (const e of ledger.values()) {
        if (e.ended) continue;
        await getExternalWorkflowHandle(e.dutyId)
          .signal(calendarUpdateSignal, cal)
          .catch(() => undefined);
      }
      // The planned weekly digest moves to its week's first working day on the new calendar (not to next week).
      const planned = dayNumber(shanghaiDate(weeklyAt));
      const weekStart = planned - ((weekdayOfDayNumber(planned) + 6) % 7);
      const moved = shanghaiInstant(shiftWorkingDays(cal, dateOfDayNumber(weekStart), 0), DIGEST_MIN);
      weeklyAt = moved >= now() ? moved : nextDigestSlot(cal, now());
      if (redDueAt !== undefined) redDueAt = nextDigestSlot(cal, now());
      continue;
    }
    // Morning messages (09:00, sent once the instant has settled) go before the 09:30 digest.
    if (pending.some((i) => itemDue(i, now()))) await sendMorning();
    if (allEnded()) break;
    if (now() >= weeklyAt && isOfficeHours(cal, now())) {
      // The weekly digest covers any red news due by now.
      if (digestsOn) await sendDigest('weekly', now() - weeklyAt < 60_000 ? weeklyAt : now());
      // Red news due today or earlier is in it: no second digest today.
      if (redDueAt !== undefined && shanghaiDate(redDueAt) <= shanghaiDate(now())) redDueAt = undefined;
      weeklyAt = nextWeeklyDigest(cal, now() + 60_000);
    } else if (now() >= weeklyAt) {
      // Late (a worker was down past office hours): the next digest slot.
      weeklyAt = nextDigestSlot(cal, now());
    } else if (redDueAt !== undefined && now() >= redDueAt) {
      if (isOfficeHours(cal, now())) {
        await sendDigest('red', now() - redDueAt < 60_000 ? redDueAt : now());
        redDueAt = undefined;
      } else {
        redDueAt = nextDigestSlot(cal, now());
      }
    }
    if (continueNeeded()) {
      await continueWith({ weeklyAt, ...(redDueAt !== undefined ? { redDueAt } : {}), ...(redTurns !== redNoted ? { redPending: true } : {}) });
    }
  }
  // Items handed over by the last duties to end.
  if (pending.length) await sendMorning(true);
  await condition(allHandlersFinished);
  const entries = [...ledger.values()];
  return {
    campaignId: input.campaignId,
    duties: entries.length,
    completed: entries.filter((e) => e.status === 'completed').length,
    closedUnresolved: entries.filter((e) => e.status === 'closed').length,
    escalated: entries.filter((e) => e.escalationsSent > 0).length,
  };
}

/**
 * Starts the deployment's desk unless it runs (its id is fixed: the first campaign starts it, the others find
 * it), and gives it this campaign's calendar, laid over whatever years it has.
 */
/** What a campaign tells its desk: its digest readers, its calendar and the channels it was started with. */
function deskJoinOf(input: CampaignInput): DeskJoin {
  return {
    campaignId: input.campaignId,
    // Their overdue reminders wait for Monday's digest, which a campaign without digests does not send.
    digestUnits: input.options?.digests === false ? [] : [...input.supervisors, input.disciplineOffice],
    calendar: input.calendar,
    ...(input.options?.wechatTaskQueue ? { wechatTaskQueue: input.options.wechatTaskQueue } : {}),
    ...(input.options?.delivery ? { delivery: input.options.delivery } : {}),
  };
}

async function ensureDesk(input: CampaignInput, desk: string): Promise<void> {
  const join = deskJoinOf(input);
  try {
    await startChild(deskWorkflow, {
      workflowId: desk,
      args: [
        {
          deskId: desk,
          calendar: input.calendar,
          campaigns: [{ campaignId: join.campaignId, digestUnits: join.digestUnits }],
          ...(join.wechatTaskQueue ? { wechatTaskQueue: join.wechatTaskQueue } : {}),
          ...(join.delivery ? { delivery: join.delivery } : {}),
          ...(input.clockOffsetMs ? { clockOffsetMs: input.clockOffsetMs } : {}),
        },
      ],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      // A desk an administrator terminated may be started again; a running one is found, not doubled.
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    await getExternalWorkflowHandle(desk).signal(deskJoinSignal, join);
  }
}

interface LegacyDigestContext {
  input: CampaignInput;
  cal: WorkCalendar;
  now: () => number;
  digestsOn: boolean;
  redTurns: () => number;
  allEnded: () => boolean;
  continueNeeded: () => boolean;
  continueWith: (carried: Partial<NonNullable<CampaignInput['carried']>>) => Promise<void>;
  sendDigest: (reason: 'weekly' | 'red', at: number) => Promise<void>;
}

/**
 * 0.1.0's digest loop, kept unchanged for campaigns started before the digest-slots patch so their histories
 * replay: weekly at 09:00, red digests as soon as a duty's report arrives. Ends when every duty has ended.
 * Remove after `deprecatePatch(DIGEST_SLOTS_PATCH)` once no such campaign runs.
 */
async function legacyDigests(c: LegacyDigestContext): Promise<void> {
  const { cal, now, digestsOn } = c;
  let redSeen = 0;
  let weeklyAt = c.input.carried?.weeklyAt ?? nextWeeklyDigest(cal, now(), REMINDER_MIN);
  let redDigestDay = c.input.carried?.redDigestDay ?? '';
  const redPending = () => digestsOn && c.redTurns() > redSeen;
  const redAt = () =>
    redDigestDay === shanghaiDate(now()) ? shanghaiInstant(shiftWorkingDays(cal, shanghaiDate(now()), 1)) : nextOfficeInstant(cal, now());
  while (!c.allEnded()) {
    const seenRed = c.redTurns();
    const nextAt = Math.min(weeklyAt, redPending() ? redAt() : Number.MAX_SAFE_INTEGER);
    await condition(() => c.allEnded() || c.redTurns() !== seenRed || c.continueNeeded(), Math.max(1, nextAt - now()));
    if (c.allEnded()) break;
    if (now() >= weeklyAt && isOfficeHours(cal, now())) {
      if (digestsOn) await c.sendDigest('weekly', now() - weeklyAt < 60_000 ? weeklyAt : now());
      redSeen = c.redTurns();
      weeklyAt = nextWeeklyDigest(cal, now() + 60_000, REMINDER_MIN);
    } else if (now() >= weeklyAt) {
      weeklyAt = nextOfficeInstant(cal, now());
    } else if (redPending() && now() >= redAt() && isOfficeHours(cal, now())) {
      redSeen = c.redTurns();
      redDigestDay = shanghaiDate(now());
      await c.sendDigest('red', now());
    }
    if (c.continueNeeded()) await c.continueWith({ redDigestDay, redPending: redPending(), weeklyAt });
  }
}
