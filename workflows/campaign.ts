/**
 * A campaign per (plan, year): starts one duty workflow per accountable (duty, unit) with deterministic ids
 * (starting twice starts nothing new), keeps the ledger of all duties from their signals, and ends when
 * every duty has ended. Needs no Schedules and no visibility queries, so a whole year also runs on the
 * time-skipping test server.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { shanghaiDate } from '../calendar/working-days';
import { dutyWorkflow } from './duty';
import { expandCampaign, type CampaignInput } from './expand';
import { dutyChangedSignal, ledgerQuery } from './messages';
import type { LedgerEntry } from './types';

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
  setHandler(dutyChangedSignal, (entry) => {
    const known = ledger.get(entry.dutyId);
    if (!known || known.updatedAt <= entry.updatedAt) ledger.set(entry.dutyId, entry);
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
          });
        } catch (err) {
          // Already running (a restarted campaign): the duty goes on as it was.
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
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
  while (!allEnded()) {
    // Each signal is an event: continue as new before the history grows past its limits.
    await condition(() => allEnded() || workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > HISTORY_EVENTS_BEFORE_CONTINUE);
    if (!allEnded()) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof campaignWorkflow>(carry());
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
