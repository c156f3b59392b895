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
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import {
  dateOfDayNumber,
  dayNumber,
  isOfficeHours,
  mergeCalendars,
  shanghaiDate,
  shanghaiInstant,
  shiftWorkingDays,
  weekdayOfDayNumber,
} from '../calendar/working-days';
import type { createActivities } from '../activities';
import { makeDeliverer } from './deliver';
import { makeWaker } from './wake';
import { campaignFeatures } from './campaign-features';
import { deskJoinOf, deskShardsOf, ensureDesk } from './desk-join';
import { buildDigest, digestText } from './digest';
import { DIGEST_MIN, nextDigestSlot, nextWeeklyDigest } from './digest-slots';
import { legacyDigests } from './legacy-digests';
import { dutyWorkflow } from './duty';
import { expandCampaign, type CampaignInput } from './expand';
import {
  calendarQuery,
  calendarUpdateSignal,
  deskJoinQuery,
  deskRehandSignal,
  campaignInfoQuery,
  deskDigestSignal,
  dutyChangedSignal,
  ledgerPageQuery,
  ledgerQuery,
  morningItemSignal,
  planQuery,
  reportRequestSignal,
} from './messages';
import { SETTLE_MS, morningGroups, morningMessage, sendGroups, settledAt, stillAsked as stillAskedBy } from './morning';
import { HISTORY_BYTES_HARD, HISTORY_EVENTS_BEFORE_CONTINUE, HISTORY_EVENTS_HARD } from './history-limits';
import { baseEntries, carriedLedger } from './campaign-ledger';
import { baseEntryOf, packLedger } from './ledger-pack';
import { ledgerPage } from './ledger-page';
import { deliverTelling } from './undelivered';
import type { LedgerEntry, OutgoingMessage, Recipient } from './types';

/** Duties started per workflow task in the start loop (as children), and per activity (START_BY_ACTIVITY_PATCH). */
const START_BATCH = 50;
const START_BATCH_BY_ACTIVITY = 250;

type Activities = ReturnType<typeof createActivities>;

export interface CampaignSummary {
  campaignId: string;
  duties: number;
  completed: number;
  closedUnresolved: number;
  escalated: number;
}

export async function campaignWorkflow(input: CampaignInput): Promise<CampaignSummary> {
  const now = () => Date.now() + (input.clockOffsetMs ?? 0);
  // Every patch decision of the run (campaign-features.ts); none emits a command before them.
  const startedAt = input.carried?.startedAt ?? input.startAt ?? now();
  const features = campaignFeatures(input, shanghaiDate(startedAt));
  const { morning, waves, desk, packLedgerOnContinue, partsAtEveryDate } = features;
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
  setHandler(ledgerPageQuery, (req) => ledgerPage([...ledger.values()], req));
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
  setHandler(campaignInfoQuery, () => ({
    campaignId: input.campaignId,
    title: input.plan.title,
    year: input.plan.year,
    codePrefix: input.options?.codePrefix ?? '',
    ...(desk ? { morningDesk: desk } : {}),
    startedAt,
  }));
  setHandler(planQuery, () => input.plan);
  const duties = expandCampaign(input, shanghaiDate(startedAt), { morning, partsAtEveryDate });
  let started = input.carried?.started ?? 0;
  const carry = () => ({
    ...input,
    carried: {
      startedAt,
      started,
      // Packed against the expansion of the input the next run gets (a calendar loaded meanwhile included).
      ...(packLedgerOnContinue ? { ledger: [], ledgerPacked: packLedger(ledger.values(), baseEntries(input, startedAt, partsAtEveryDate)) } : { ledger: [...ledger.values()] }),
      ...(morning ? { morning, morningPending: pending, morningSent: [...sentGroups] } : {}),
      ...(waves && arrivals.size ? { morningArrivals: [...arrivals] } : {}),
      ...(calendarsToForward > 0 ? { calendarPending: true } : {}),
      ...(rehandsToForward > 0 ? { rehandPending: true } : {}),
      // The next run walks the same list (carried.started counts its duties) and unpacks against it.
      ...(partsAtEveryDate ? { partsAtEveryDate: true } : {}),
    },
  });

  if (desk && !input.carried) await ensureDesk(input, desk);

  const argsOf = (d: (typeof duties)[number]) => ({ ...d, campaignWorkflowId: self, startAt: startedAt, ...(desk ? { morningWorkflowId: desk, morningDesk: true, ...deskShardsOf(input) } : morning ? { morningWorkflowId: self } : {}) });
  const seed = (d: (typeof duties)[number]) => {
    if (ledger.has(d.duty.dutyId)) return;
    ledger.set(d.duty.dutyId, {
      ...baseEntryOf(d),
      status: 'open',
      level: 'none',
      remindersSent: 0,
      escalationsSent: 0,
      ended: false,
      updatedAt: 0,
    });
  };
  const { startDuties } = proxyActivities<Activities>({
    // A batch of 250 starts in well under a minute; a worker lost mid-batch is noticed in 30 s and the batch retried
    // (each start is idempotent).
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
  while (started < duties.length) {
    const batch = duties.slice(started, started + (features.startByActivity ? START_BATCH_BY_ACTIVITY : START_BATCH));
    if (features.startByActivity) {
      const { ended } = await startDuties({ taskQueue: input.options?.dutyTaskQueue ?? workflowInfo().taskQueue, duties: batch.map(argsOf) });
      // In the ledger once they run (a reply to a listed duty then finds it), unless a line already came from them.
      for (const d of batch) seed(d);
      for (const id of ended) {
        const known = ledger.get(id);
        if (known && !known.ended) ledger.set(id, { ...known, ended: true });
      }
    } else {
      await Promise.all(
        batch.map(async (d) => {
          seed(d);
          try {
            await startChild(dutyWorkflow, {
              workflowId: d.duty.dutyId,
              ...(input.options?.dutyTaskQueue ? { taskQueue: input.options.dutyTaskQueue } : {}),
              args: [argsOf(d)],
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
    }
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
    await sendGroups(groups, (g) => deliverTelling(deliver, morningMessage(input.campaignId, g)), waves);
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
  if (!features.digestSlots()) {
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
