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
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import {
  addDays,
  dayNumber,
  isOfficeHours,
  nextOfficeInstant,
  shanghaiDate,
  shanghaiInstant,
  shiftWorkingDays,
  type WorkCalendar,
} from '../calendar/working-days';
import { makeDeliverer } from './deliver';
import { buildDigest, digestText } from './digest';
import { dutyWorkflow } from './duty';
import { expandCampaign, type CampaignInput } from './expand';
import { dutyChangedSignal, ledgerQuery, reportRequestSignal } from './messages';
import type { LedgerEntry, OutgoingMessage, Recipient } from './types';

/** Monday 09:00 of the week after `now`'s date, moved to the next working day when Monday is a holiday. */
export function nextWeeklyDigest(cal: WorkCalendar, now: number): number {
  const today = shanghaiDate(now);
  const weekday = new Date(dayNumber(today) * 86_400_000).getUTCDay();
  let monday = addDays(today, ((8 - weekday) % 7) || 7);
  if (weekday === 1 && now < shanghaiInstant(today)) monday = today;
  return shanghaiInstant(shiftWorkingDays(cal, monday, 0));
}

const START_BATCH = 50;
const HISTORY_EVENTS_BEFORE_CONTINUE = 8000;

export interface CampaignSummary {
  campaignId: string;
  duties: number;
  completed: number;
  closedUnresolved: number;
  escalated: number;
}

export async function campaignWorkflow(input: CampaignInput): Promise<CampaignSummary> {
  const now = () => Date.now() + (input.clockOffsetMs ?? 0);
  const startedAt = input.carried?.startedAt ?? now();
  const ledger = new Map<string, LedgerEntry>((input.carried?.ledger ?? []).map((e) => [e.dutyId, e]));
  // Turning red is counted so a digest can follow; the count lives in memory (a restart re-reads the ledger).
  let redSince = input.carried?.redPending ? 1 : 0;
  let redSeen = 0;
  setHandler(dutyChangedSignal, (entry) => {
    const known = ledger.get(entry.dutyId);
    if (!known || known.updatedAt <= entry.updatedAt) {
      if (entry.level === 'red' && known?.level !== 'red') redSince++;
      ledger.set(entry.dutyId, entry);
    }
  });
  setHandler(ledgerQuery, () => [...ledger.values()]);

  const duties = expandCampaign(input, shanghaiDate(startedAt));
  const self = workflowInfo().workflowId;
  let started = input.carried?.started ?? 0;
  const carry = () => ({ ...input, carried: { startedAt, started, ledger: [...ledger.values()] } });

  while (started < duties.length) {
    const batch = duties.slice(started, started + START_BATCH);
    await Promise.all(
      batch.map(async (d) => {
        if (!ledger.has(d.duty.dutyId)) {
          ledger.set(d.duty.dutyId, {
            dutyId: d.duty.dutyId,
            kind: d.duty.kind,
            taskNumber: d.duty.taskNumber,
            unit: d.duty.unit,
            ...(d.duty.period ? { period: d.duty.period } : {}),
            deadline: d.deadline,
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
            args: [{ ...d, campaignWorkflowId: self }],
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
    if (workflowInfo().historyLength > HISTORY_EVENTS_BEFORE_CONTINUE) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof campaignWorkflow>(carry());
    }
  }

  const allEnded = () => [...ledger.values()].every((e) => e.ended);
  const cal = input.calendar;
  const { deliver } = makeDeliverer(input.options?.wechatTaskQueue);
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
    await deliver(msg);
  };
  const digestsOn = input.options?.digests !== false;
  let weeklyAt = input.carried?.weeklyAt ?? nextWeeklyDigest(cal, now());
  let redDigestDay = input.carried?.redDigestDay ?? '';
  const continueNeeded = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > HISTORY_EVENTS_BEFORE_CONTINUE;
  const redPending = () => digestsOn && redSince > redSeen;
  // At most one red digest a day: reds after today's go out at the next working day's 09:00.
  const redAt = () =>
    redDigestDay === shanghaiDate(now()) ? shanghaiInstant(shiftWorkingDays(cal, shanghaiDate(now()), 1)) : nextOfficeInstant(cal, now());
  while (!allEnded()) {
    const seenRed = redSince;
    const nextAt = Math.min(weeklyAt, redPending() ? redAt() : Number.MAX_SAFE_INTEGER);
    // Each signal is an event: continue as new before the history grows past its limits.
    await condition(() => allEnded() || redSince !== seenRed || continueNeeded(), Math.max(1, nextAt - now()));
    if (allEnded()) break;
    if (now() >= weeklyAt && isOfficeHours(cal, now())) {
      // The weekly digest covers any red news of the day too.
      if (digestsOn) await sendDigest('weekly', now() - weeklyAt < 60_000 ? weeklyAt : now());
      redSeen = redSince;
      weeklyAt = nextWeeklyDigest(cal, now() + 60_000);
    } else if (now() >= weeklyAt) {
      // Late (a worker was down past office hours): the next office hour.
      weeklyAt = nextOfficeInstant(cal, now());
    } else if (redPending() && now() >= redAt() && isOfficeHours(cal, now())) {
      redSeen = redSince;
      redDigestDay = shanghaiDate(now());
      await sendDigest('red', now());
    }
    if (continueNeeded()) {
      await condition(allHandlersFinished);
      const next = carry();
      await continueAsNew<typeof campaignWorkflow>({ ...next, carried: { ...next.carried, redDigestDay, redPending: redPending(), weeklyAt } });
    }
  }
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
