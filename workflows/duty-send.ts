/**
 * How a duty sends: each planned action becomes a message to its recipients, into their unit's morning message at
 * the desk or the campaign when there is one (one message per recipient and instant), else straight to the
 * channels. Recorded in the duty's history at the message's own instant.
 */
import { shanghaiDate, workingDaysBetween } from '../calendar/working-days';
import { makeDeliverer, type Undelivered } from './deliver';
import type { DutyRun } from './duty-run';
import { splitByShard } from './desk-shards';
import { deskRetractSignal, morningItemSignal } from './messages';
import { MORNING_KINDS } from './morning';
import { levelOf, type PlannedAction } from './policy';
import { quotaShortfalls } from './quota';
import * as texts from './texts';
import { recordUndelivered } from './undelivered';
import type { MessageKind, OutgoingMessage, Recipient } from './types';

/** Thrown by `sendAt` only while handing ahead, and caught by the caller: the desk could not be reached. */
export const DESK_UNREACHABLE = new Error('desk unreachable');

export interface DutySender {
  /** Sends (or hands to the morning message) one message, stamped with its planned instant when on time. */
  sendAt(kind: MessageKind, key: string, recipients: Recipient[], text: string, plannedAt?: number): Promise<void>;
  /** Carries out one planned action: a message, or the duty's close or end. */
  perform(action: PlannedAction): Promise<void>;
}

export function makeSender(run: DutyRun): DutySender {
  const { input, duty, state, features, now, changed, record, unitRecipients } = run;
  const sendAt = async (kind: MessageKind, key: string, recipients: Recipient[], text: string, plannedAt?: number) => {
    const msg: OutgoingMessage = {
      // Stable across retries and continue-as-new: the channel ledger delivers each key once.
      key: `${duty.dutyId}/${key}`,
      kind,
      dutyId: duty.dutyId,
      taskNumber: duty.taskNumber,
      unit: duty.unit,
      ...(duty.code ? { code: duty.code } : {}),
      toUnits: [...new Set(recipients.map((r) => r.unit))],
      recipients,
      level: state.level,
      // The planned instant when on time (timers fire a few milliseconds late); the real one when late.
      at: plannedAt !== undefined && now() - plannedAt < 60_000 ? plannedAt : now(),
      deadline: state.deadline,
      subject: texts.subjectOf(input, state),
      text,
    };
    // Handed ahead: the level the duty will show at the instant (levels move with the calendar alone).
    if (run.handing && plannedAt !== undefined) msg.level = levelOf(input, state, plannedAt, features.plan);
    let failed: Undelivered | undefined;
    if (input.morningWorkflowId && MORNING_KINDS.includes(kind) && run.deskShards > 1) {
      failed = await handToShards(input.morningWorkflowId, plannedAt !== undefined ? { ...msg, at: plannedAt } : msg);
    } else if (input.morningWorkflowId && MORNING_KINDS.includes(kind)) {
      // Into the unit's morning message: the campaign sends one message per unit and instant.
      try {
        // Stamped with the instant it was planned for even when handed over late (a busy worker): the campaign
        // then puts it in its unit's message for that instant, or, when that message went already, in one late
        // message per unit — not in a message of its own at the millisecond it arrived.
        const item = plannedAt !== undefined ? { ...msg, at: plannedAt } : msg;
        if (!(run.handBatch ? await toBatch(input.morningWorkflowId, item) : await run.signal(input.morningWorkflowId, morningItemSignal, item).then(() => true))) throw new Error('desk refused');
      } catch {
        // Handing ahead: nothing goes now; the duty sends at the instant instead.
        if (run.handing) throw DESK_UNREACHABLE;
        // The campaign is gone (stopped by an administrator): the duty still reaches its unit.
        failed = await deliver(msg);
      }
    } else {
      failed = await deliver(msg);
    }
    // At the message's own instant, not when delivery returned: 「收到」 finds the last message by it.
    record(kind, undefined, msg.toUnits.join('、'), msg.at);
    // Sent, and the unit responsible did not get it: on the record and in the ledger as such.
    if (failed?.units.includes(duty.unit) && features.undelivered()) recordUndelivered(state, record, { kind, at: msg.at, units: failed.units, reason: failed.reason });
  };

  /** A part for `desk`, gathered into the batch being handed (run.handBatch); true once the desk took it. */
  const toBatch = (desk: string, part: OutgoingMessage): Promise<boolean> =>
    new Promise((taken) => {
      const gathered = run.handBatch!.get(desk) ?? { items: [], taken: [] };
      gathered.items.push(part);
      gathered.taken.push(taken);
      run.handBatch!.set(desk, gathered);
    });

  const { deliver } = makeDeliverer(input.wechatTaskQueue, (text) => record('alert', undefined, text), input.delivery);

  /**
   * The desk in shards: each shard gets the part of the item addressed to its recipients, all at once. A shard that
   * cannot be reached: handing ahead, the parts already handed are taken back and the duty sends at the instant;
   * at the instant, the recipients of that shard are sent to directly, the others get theirs from their shards.
   */
  const handToShards = async (desk: string, item: OutgoingMessage): Promise<Undelivered | undefined> => {
    const parts = [...splitByShard(item, desk, run.deskShards)];
    const tried = await Promise.all(
      parts.map(([id, part]) =>
        run.handBatch
          ? toBatch(id, part)
          : run.signal(id, morningItemSignal, part).then(
              () => true,
              () => false,
            ),
      ),
    );
    const reached = parts.filter((_, i) => tried[i]).map(([id]) => id);
    for (const id of reached) run.desksHanded.add(id);
    const missed = parts.filter((_, i) => !tried[i]).map(([, part]) => part);
    if (run.handing) {
      if (missed.length) {
        await Promise.all(reached.map((id) => run.signal(id, deskRetractSignal, { keys: [item.key] }).catch(() => undefined)));
        throw DESK_UNREACHABLE;
      }
      run.handedTo.set(item.key, reached);
    }
    if (!missed.length) return undefined;
    const recipients = missed.flatMap((p) => p.recipients);
    return deliver({ ...item, recipients, toUnits: [...new Set(recipients.map((r) => r.unit))] });
  };

  const perform = async (action: PlannedAction) => {
    state.handledKeys.push(action.key);
    const send = (kind: MessageKind, key: string, recipients: Recipient[], text: string) => sendAt(kind, key, recipients, text, action.at);
    switch (action.kind) {
      case 'ack-request': {
        const first = action.key === 'ack-request/first';
        const cc: Recipient[] = first ? input.informUnits.map((unit) => ({ unit, role: 'coordinators' as const })) : [];
        await send('ack-request', action.key, [...unitRecipients, ...cc], texts.ackRequestText(input, state, first));
        break;
      }
      case 'reminder':
        await send('reminder', action.key, unitRecipients, texts.reminderText(input, state, action.reminderOffset ?? 0));
        state.remindersSent++;
        break;
      case 'status-check':
        await send('status-check', action.key, [...unitRecipients, { unit: duty.unit, role: 'leaders' }], texts.statusCheckText(input, state, input.graceWorkingDays, features.plan.graceWhole));
        break;
      case 'escalation':
      case 'supervision-notice': {
        const step = input.escalation[action.escalation?.step ?? 0];
        const to = step?.to ?? [];
        const recipients: Recipient[] = [...unitRecipients];
        if (to.includes('leader')) recipients.push({ unit: duty.unit, role: 'leaders' });
        if (to.includes('supervisor')) recipients.push({ unit: input.offices.supervisor, role: 'coordinators' });
        if (to.includes('rural-work-office') && input.offices.ruralWorkOffice !== input.offices.supervisor) {
          recipients.push({ unit: input.offices.ruralWorkOffice, role: 'coordinators' });
        }
        if (to.includes('discipline')) {
          recipients.push({ unit: input.offices.discipline, role: 'coordinators' }, { unit: input.offices.discipline, role: 'leaders' });
        }
        const late = workingDaysBetween(run.cal, state.deadline, shanghaiDate(now()));
        await send(action.kind, action.key, recipients, texts.escalationText(input, state, late, action.kind === 'supervision-notice'));
        state.escalationsSent++;
        break;
      }
      case 'overdue-reminder': {
        const late = workingDaysBetween(run.cal, state.deadline, shanghaiDate(now()));
        await send('overdue-reminder', action.key, [...unitRecipients, { unit: duty.unit, role: 'leaders' }], texts.overdueReminderText(input, state, late));
        break;
      }
      case 'quota-check': {
        const cp = action.checkpoint ?? shanghaiDate(now());
        const short = quotaShortfalls(input, state, cp).map((q) => `第${q.index + 1}项「${q.clause}」：应达 ${q.expected} 次，已报 ${q.have} 次（全年不少于 ${q.min} 次）`);
        if (short.length) {
          state.behind = true;
          // Yellow from now, in the warning itself and in what a reply to it sees.
          changed();
          await send('quota-warning', action.key, [...unitRecipients, { unit: input.offices.supervisor, role: 'coordinators' }], texts.quotaWarningText(input, state, cp, short));
        }
        break;
      }
      case 'close':
        state.status = state.status === 'completed' ? 'completed' : 'closed';
        state.ended = true;
        record('closed');
        break;
      case 'end':
        state.ended = true;
        record('ended');
        break;
      default:
        break;
    }
  };
  return { sendAt, perform };
}
