/**
 * How a duty tells others what it is: its ledger line to the campaign whenever the line changes, its status to the
 * desk (which then drops what it holds for a finished duty), and its level and deadline as search attributes.
 * Each is sent only when it changed, so a quiet duty adds nothing to any history.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import { deskShardOf } from './desk-shards';
import type { DutyRun } from './duty-run';
import { dutyChangedSignal, dutyStatusSignal } from './messages';
import { reportedProgress } from './rules';
import { DUBAN_CAMPAIGN, DUBAN_DEADLINE, DUBAN_LEVEL, DUBAN_TASK, DUBAN_UNIT, deadlineInstant } from './search-attributes';
import type { LedgerEntry } from './types';

export interface DutyReporter {
  /** The ledger line to the campaign and the status to the desk, each when it changed. */
  report(): Promise<void>;
  /** Level and deadline as search attributes, when they changed. */
  publish(): void;
}

export function makeReporter(run: DutyRun): DutyReporter {
  const { input, duty, state, features, now } = run;
  /** The status the morning desk last heard (it starts every duty as open). */
  let deskHeard = state.status;
  // Ledger line for the campaign; sent whenever it changes.
  const report = async () => {
    if (input.morningDesk && input.morningWorkflowId && state.status !== deskHeard && features.deskStatus()) {
      deskHeard = state.status;
      const status = { dutyId: duty.dutyId, status: state.status };
      if (run.deskShards > 1) {
        // The shards that may hold its items: its own unit's, those it handed ahead to (carried in its state), and
        // any this run handed an item to at its instant.
        const desks = new Set([deskShardOf(input.morningWorkflowId, duty.unit, run.deskShards), ...(state.ahead ?? []).flatMap((a) => a.desks ?? []), ...run.desksHanded]);
        await Promise.all([...desks].map((id) => run.signal(id, dutyStatusSignal, status).catch(() => undefined)));
      } else {
        await run.signal(input.morningWorkflowId, dutyStatusSignal, status).catch(() => undefined);
      }
    }
    if (!input.campaignWorkflowId) return;
    const entry: LedgerEntry = {
      dutyId: duty.dutyId,
      ...(duty.code ? { code: duty.code } : {}),
      kind: duty.kind,
      taskNumber: duty.taskNumber,
      unit: duty.unit,
      ...(duty.period ? { period: duty.period } : {}),
      ...(duty.partOf ? { lead: duty.partOf.lead } : {}),
      deadline: state.deadline,
      status: state.status,
      level: state.level,
      ...(state.acknowledgedAt ? { acknowledgedAt: state.acknowledgedAt } : {}),
      ...(state.completedAt ? { completedAt: state.completedAt } : {}),
      ...(state.status === 'completed' && state.progress?.unverified ? { unverified: reportedProgress(state.progress) } : {}),
      remindersSent: state.remindersSent,
      escalationsSent: state.escalationsSent,
      ...(state.undelivered ? { undelivered: state.undelivered } : {}),
      ended: state.ended,
      updatedAt: 0,
    };
    const text = JSON.stringify(entry);
    if (text === run.reported) return;
    run.reported = text;
    // A campaign stopped or terminated (an operator, the Web UI) is gone: the duty carries on alone and sends its own
    // messages (sendAt delivers what the campaign would have batched); a restarted campaign asks for the line again.
    await run.signal(input.campaignWorkflowId, dutyChangedSignal, { ...entry, updatedAt: now() }).catch(() => undefined);
  };

  // Level and deadline as search attributes, upserted when they change (after each turn, like the ledger line);
  // the first upsert of each run sets all five, since a continued run starts from its input's attributes.
  let published = '';
  const publish = () => {
    if (!features.searchAttributes) return;
    const shown = `${state.level}|${state.deadline}`;
    if (shown === published) return;
    const changing = [
      { key: DUBAN_LEVEL, value: state.level },
      { key: DUBAN_DEADLINE, value: deadlineInstant(state.deadline) },
    ];
    upsertSearchAttributes(
      published === ''
        ? [{ key: DUBAN_CAMPAIGN, value: input.searchAttributes!.campaign }, { key: DUBAN_UNIT, value: duty.unit }, { key: DUBAN_TASK, value: duty.taskNumber }, ...changing]
        : changing,
    );
    published = shown;
  };
  return { report, publish };
}
