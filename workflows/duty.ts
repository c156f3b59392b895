/**
 * One accountable (duty, unit): reminds before the deadline on working days at 09:00, takes replies as
 * Updates, escalates after the deadline up to the discipline inspection office, and reports its ledger
 * line to the campaign. All waiting is Temporal timers; the schedule is recomputed from state after every
 * change, so an extension or a rejection re-plans everything.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { DUBAN_CAMPAIGN, DUBAN_DEADLINE, DUBAN_LEVEL, DUBAN_TASK, DUBAN_UNIT, deadlineInstant } from './search-attributes';
import { isOfficeHours, mergeCalendars, nextOfficeInstant, shanghaiDate, workingDaysBetween } from '../calendar/working-days';
import {
  acknowledgeUpdate,
  attemptRefusedSignal,
  reportRequestSignal,
  completeUpdate,
  decideExtensionUpdate,
  calendarUpdateSignal,
  deskRehandSignal,
  deskRetractSignal,
  dutyChangedSignal,
  dutyStatusSignal,
  morningItemSignal,
  rejectUpdate,
  reportActionsUpdate,
  reportProgressUpdate,
  requestExtensionUpdate,
  statusQuery,
  undoUpdate,
  type Actor,
} from './messages';
import { makeDeliverer } from './deliver';
import { makeWaker } from './wake';
import { MORNING_KINDS } from './morning';
import { dueActions, initialDutyState, levelOf, plannedActions, quotaBehind, quotaShortfalls, stillPlanned, type PlannedAction } from './policy';
import {
  quotaItemFor,
  quotaMet,
  refuseAcknowledge,
  refuseActions,
  refuseComplete,
  refuseDecision,
  refuseExtension,
  refuseProgress,
  refuseReject,
  refuseUndo,
  reportedProgress,
  undoneWord,
} from './rules';
import * as texts from './texts';
import { UNDO_FIELDS, type DutyInput, type DutyState, type LedgerEntry, type MessageKind, type OutgoingMessage, type Recipient, type UndoableReply } from './types';

const MAX_REFUSED_KEPT = 20;

/**
 * A progress or visit report acknowledges an open duty. Replaying a history recorded before it keeps 0.1.0's
 * behaviour (the report left the duty open); new reports to any running duty acknowledge.
 */
export const REPORT_ACKNOWLEDGES_PATCH = 'report-acknowledges';

/** Duties started before it send 0.1.0's weekly formal notices after the ladder. */
export const FORMAL_ONCE_PATCH = 'formal-once';

/**
 * A duty past due at start is escalated from the working day after its last grace day, not at 09:00 of it; its
 * status check no longer suggests that 「收到」 stops escalation.
 */
export const GRACE_WHOLE_PATCH = 'grace-whole';

/** A visit report that catches up with the quota's pace clears the "behind" flag. */
export const QUOTA_BEHIND_CLEARS_PATCH = 'quota-behind-clears';

/** Duties set search attributes (campaign, unit, task, level, deadline) when their input asks for them. */
export const SEARCH_ATTRIBUTES_PATCH = 'search-attributes';
/** Duties of a campaign with a morning desk tell the desk their status changes (input-gated, and marked). */
export const DESK_STATUS_PATCH = 'desk-status';

/**
 * Duties given the desk hand it a reminder or a request to acknowledge up to HAND_AHEAD_MS before its instant and
 * do not wake at the instant for it: at 09:00 the desk has every unit's items and sends at once, instead of waiting
 * while thousands of duties wake to hand theirs over (the typical case of #16: 10,000 duties over 500 units took
 * 208 s only to hand over). What changes the duty before the instant takes the item back and hands it again.
 */
export const HAND_AHEAD_PATCH = 'hand-ahead';
/** Twelve hours: 21:00 the evening before a 09:00 instant, long after the day's replies, with a night to spare. */
export const HAND_AHEAD_MS = 12 * 3600_000;
const HANDED_AHEAD: readonly PlannedAction['kind'][] = ['reminder', 'ack-request'];

/** Keeps a year's history well under Temporal's limits; the state carries over. */
const HISTORY_EVENTS_BEFORE_CONTINUE = 4000;

/** Thrown inside the workflow only, and caught there: handing ahead found no desk. */
const DESK_UNREACHABLE = new Error('desk unreachable');

/** What a handed-ahead item's words and level stand on: a change takes it back. */
function aheadMark(state: DutyState): string {
  return `${state.status}|${state.deadline}|${state.behind}|${state.pendingExtension?.date ?? ''}`;
}

function refuse(reason: string | undefined): void {
  if (reason) throw new Error(reason);
}

export async function dutyWorkflow(input: DutyInput): Promise<DutyState> {
  const { duty } = input;
  // Replaced when an administrator loads next year's official days (calendarUpdateSignal).
  let cal = input.calendar;
  // Workflow time (deterministic, advanced by the server, skipped by the test server), shifted only when
  // the simulator replays a past year on a server whose clock is today.
  const now = () => Date.now() + (input.clockOffsetMs ?? 0);

  const startedAt = input.startAt ?? now();
  const state: DutyState = input.carried ?? initialDutyState(input, startedAt);

  // Decided once per run, before anything else can plan (handlers re-plan on extensions and rejections).
  const plan = {
    formalOnce: patched(FORMAL_ONCE_PATCH),
    weeklyOverdue: input.morningWorkflowId !== undefined,
    graceWhole: patched(GRACE_WHOLE_PATCH),
  };
  // Decided once per run: a duty of 0.6.0 or before (its history has no marker) sends at the instant as it did.
  const handAhead = input.morningDesk === true && input.morningWorkflowId !== undefined && patched(HAND_AHEAD_PATCH);
  /** Set while an item is being handed ahead: a desk that cannot be reached must not make it go out now instead. */
  let handing = false;
  /** The desk could not be reached when handing ahead: this run sends at the instants, as before. */
  let aheadOff = false;

  let version = 0;
  /** The ledger line last sent to the campaign. */
  let reported = '';
  /** The status the morning desk last heard (it starts every duty as open). */
  let deskHeard = state.status;
  const changed = () => {
    version++;
    state.level = levelOf(input, state, now(), plan);
  };
  const record = (event: string, by?: string, detail?: string, at: number = now(), via?: Actor['channel']) => {
    state.history.push({ at, event, ...(by ? { by } : {}), ...(detail ? { detail } : {}), ...(via ? { via } : {}) });
  };
  /** A reply on the record, with the channel it came by. */
  const recordReply = (event: string, actor: Actor, detail?: string) => record(event, actor.person, detail, now(), actor.channel);
  /**
   * Around a reply that can be taken back the same day (「撤回」): the fields before it, and what it queued. Only the
   * latest change is undone, so every other reply or decision forgets it.
   */
  const undoable = <T>(event: UndoableReply['event'], actor: Actor, apply: () => T): T => {
    const fields = state as unknown as Record<string, unknown>;
    const before = JSON.parse(JSON.stringify(Object.fromEntries(UNDO_FIELDS.filter((f) => fields[f] !== undefined).map((f) => [f, fields[f]])))) as UndoableReply['before'];
    const queuedBefore = state.queued.length;
    const result = apply();
    state.lastReply = { event, by: actor.person, at: now(), before, queuedKeys: state.queued.slice(queuedBefore).map((q) => q.key) };
    return result;
  };
  const unitRecipients: Recipient[] = [{ unit: duty.unit, role: 'coordinators' }];
  // After a rejection or an approved extension the schedule is new: what it would have sent before now is
  // history, not a burst to send at once (the new schedule's later steps still come).
  const settlePast = () => {
    for (const a of plannedActions(input, state, plan)) if (a.at <= now() && a.kind !== 'close') state.handledKeys.push(a.key);
  };
  // A unit that reports progress or visits has plainly received the duty: no more "please acknowledge".
  const acknowledgedByReport = (person: string) => {
    if (state.status === 'open' && patched(REPORT_ACKNOWLEDGES_PATCH)) {
      state.status = 'acknowledged';
      state.acknowledgedBy = person;
      state.acknowledgedAt = now();
      record('acknowledged', person, '报进度或次数，视为确认');
    }
  };
  const queue = (kind: MessageKind, recipients: Recipient[], text: string) => {
    // Unique even after entries left the history (a key the send ledger has seen is never delivered again).
    state.queued.push({ key: `${kind}/${state.history.length + (state.withdrawn ?? 0)}`, kind, recipients, text, at: Math.floor(now() / 60_000) * 60_000 });
  };

  setHandler(statusQuery, () => state);
  setHandler(calendarUpdateSignal, (update) => {
    input.calendar = mergeCalendars(input.calendar, update);
    cal = input.calendar;
    // What the old calendar put in the past stays there; only what is still ahead moves.
    settlePast();
    record('calendar', undefined, `载入 ${update.knownYears.join('、')} 年法定节假日安排`);
    changed();
  });
  // The desk was started again and holds nothing this duty handed it: everything ahead is handed again (reviewAhead).
  let rehand = false;
  setHandler(deskRehandSignal, () => {
    rehand = true;
    // A desk that could not be reached when this run handed last may be there now.
    aheadOff = false;
    version++;
  });
  setHandler(reportRequestSignal, () => {
    reported = '';
    version++;
  });
  // Refusals change nothing, but the attempt stays on the record (who tried what, and why it was refused).
  setHandler(attemptRefusedSignal, ({ who, text, reason }) => {
    record('refused', who.slice(0, 100), `${text.slice(0, 200)} —— ${reason.slice(0, 200)}`);
    // Keep the last few attempts only: a flood of spam must not grow the state without bound.
    const refused = state.history.filter((h) => h.event === 'refused');
    if (refused.length > MAX_REFUSED_KEPT) {
      const drop = new Set(refused.slice(0, refused.length - MAX_REFUSED_KEPT));
      state.history = state.history.filter((h) => !drop.has(h));
      state.withdrawn = (state.withdrawn ?? 0) + drop.size;
    }
  });
  setHandler(
    acknowledgeUpdate,
    ({ actor }) => {
      undoable('acknowledged', actor, () => {
        if (state.status === 'open') {
          state.status = 'acknowledged';
          state.acknowledgedBy = actor.person;
          state.acknowledgedAt = now();
        }
        recordReply('acknowledged', actor);
      });
      changed();
      return state;
    },
    { validator: (req) => refuse(refuseAcknowledge(state, req)) },
  );
  setHandler(
    completeUpdate,
    ({ actor, note }) => {
      undoable('completed', actor, () => {
        state.status = 'completed';
        state.completedAt = now();
        state.completionNote = note;
        delete state.pendingExtension;
        recordReply('completed', actor, note);
      });
      changed();
      return state;
    },
    { validator: (req) => refuse(refuseComplete(state, req)) },
  );
  setHandler(
    rejectUpdate,
    ({ actor, reason }) => {
      state.status = state.acknowledgedAt ? 'acknowledged' : 'open';
      delete state.completedAt;
      settlePast();
      delete state.lastReply;
      recordReply('rejected', actor, reason);
      queue('rejection', unitRecipients, texts.rejectionText(input, state, reason));
      changed();
      return state;
    },
    { validator: (req) => refuse(refuseReject(state, req, input)) },
  );
  setHandler(
    requestExtensionUpdate,
    ({ actor, date, reason }) => {
      state.pendingExtension = { date, reason, by: actor.person, at: now() };
      delete state.lastReply;
      recordReply('extension-requested', actor, `${date}：${reason}`);
      queue('extension-request', [{ unit: input.offices.supervisor, role: 'coordinators' }], texts.extensionRequestText(input, state));
      changed();
      return state;
    },
    { validator: (req) => refuse(refuseExtension(state, input, req)) },
  );
  setHandler(
    decideExtensionUpdate,
    ({ actor, approve, reason }) => {
      const date = state.pendingExtension?.date ?? state.deadline;
      delete state.pendingExtension;
      if (approve) {
        state.deadline = date;
        settlePast();
      }
      delete state.lastReply;
      recordReply(approve ? 'extension-approved' : 'extension-refused', actor, approve ? date : reason);
      queue('extension-decision', unitRecipients, texts.extensionDecisionText(input, state, approve, date, reason));
      changed();
      return state;
    },
    { validator: (req) => refuse(refuseDecision(state, req, shanghaiDate(now()), input)) },
  );
  setHandler(
    reportProgressUpdate,
    ({ actor, percent, bar }) => {
      undoable('progress', actor, () => {
        // The plan's bar is the floor: a unit cannot lower it by naming its own. Where the plan has no number
        // (「每月进度高于全省平均水平」), the unit's bar can only show it behind; meeting it makes the month
        // reported, not met — for a supervising office to verify (digest, dashboard) and reject if need be.
        const planBar = input.progress?.bar ?? 0;
        const unverified = planBar <= 0;
        const against = Math.max(bar ?? 0, planBar);
        acknowledgedByReport(actor.person);
        state.progress = { percent, bar: against, at: now(), by: actor.person, ...(unverified ? { unverified } : {}), ...(bar !== undefined ? { unitBar: bar } : {}) };
        recordReply('progress', actor, unverified ? reportedProgress(state.progress) : `${percent}% / ${against}%`);
        if (percent < against) {
          state.behind = true;
          queue(
            'progress-warning',
            [...unitRecipients, { unit: input.offices.supervisor, role: 'coordinators' }],
            texts.progressWarningText(input, state, percent, against),
          );
        } else {
          state.behind = false;
          state.status = 'completed';
          state.completedAt = now();
          state.completionNote = unverified
            ? `已报${reportedProgress(state.progress)}（通知未设数值基准，待督办单位核实）`
            : `进度 ${percent}%（基准 ${against}%）`;
        }
      });
      changed();
      return state;
    },
    { validator: (req) => refuse(refuseProgress(state, input, req)) },
  );
  setHandler(
    reportActionsUpdate,
    ({ actor, count, item }) => {
      undoable('actions', actor, () => {
        const i = quotaItemFor(state, input, item);
        acknowledgedByReport(actor.person);
        const counts = state.quotaCounts ?? [];
        counts[i] = (counts[i] ?? 0) + count;
        state.quotaCounts = counts;
        recordReply('actions', actor, `第${i + 1}项 +${count}`);
        if (quotaMet(state, input)) {
          state.behind = false;
          state.status = 'completed';
          state.completedAt = now();
          state.completionNote = '次数要求均已达到';
        } else if (state.behind && patched(QUOTA_BEHIND_CLEARS_PATCH)) {
          // Caught up with the pace the last warning asked for: no longer behind (0.1.0 kept the flag to the end).
          state.behind = quotaBehind(input, state, shanghaiDate(now()));
        }
      });
      changed();
      return state;
    },
    { validator: (req) => refuse(refuseActions(state, input, req)) },
  );
  setHandler(
    undoUpdate,
    ({ actor }) => {
      const last = state.lastReply!;
      const fields = state as unknown as Record<string, unknown>;
      for (const f of UNDO_FIELDS) {
        if (last.before[f] === undefined) delete fields[f];
        else fields[f] = last.before[f];
      }
      // What the reply queued and has not gone yet (a progress warning) goes no more.
      state.queued = state.queued.filter((q) => !last.queuedKeys.includes(q.key));
      delete state.lastReply;
      // What its absence would have sent meanwhile is history, as after a rejection, not a burst now.
      settlePast();
      recordReply('undone', actor, `撤回${undoneWord(last.event)}`);
      changed();
      return state;
    },
    { validator: (req) => refuse(refuseUndo(state, req, now(), input)) },
  );

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
    if (handing && plannedAt !== undefined) msg.level = levelOf(input, state, plannedAt, plan);
    if (input.morningWorkflowId && MORNING_KINDS.includes(kind)) {
      // Into the unit's morning message: the campaign sends one message per unit and instant.
      try {
        // Stamped with the instant it was planned for even when handed over late (a busy worker): the campaign
        // then puts it in its unit's message for that instant, or, when that message went already, in one late
        // message per unit — not in a message of its own at the millisecond it arrived.
        await getExternalWorkflowHandle(input.morningWorkflowId).signal(morningItemSignal, plannedAt !== undefined ? { ...msg, at: plannedAt } : msg);
      } catch {
        // Handing ahead: nothing goes now; the duty sends at the instant instead.
        if (handing) throw DESK_UNREACHABLE;
        // The campaign is gone (stopped by an administrator): the duty still reaches its unit.
        await deliver(msg);
      }
    } else {
      await deliver(msg);
    }
    // At the message's own instant, not when delivery returned: 「收到」 finds the last message by it.
    record(kind, undefined, msg.toUnits.join('、'), msg.at);
  };

  const { deliver } = makeDeliverer(input.wechatTaskQueue, (text) => record('alert', undefined, text), input.delivery);

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
        await send('status-check', action.key, [...unitRecipients, { unit: duty.unit, role: 'leaders' }], texts.statusCheckText(input, state, input.graceWorkingDays, plan.graceWhole));
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
        const late = workingDaysBetween(cal, state.deadline, shanghaiDate(now()));
        await send(action.kind, action.key, recipients, texts.escalationText(input, state, late, action.kind === 'supervision-notice'));
        state.escalationsSent++;
        break;
      }
      case 'overdue-reminder': {
        const late = workingDaysBetween(cal, state.deadline, shanghaiDate(now()));
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

  // Ledger line for the campaign; sent whenever it changes.
  const report = async () => {
    if (input.morningDesk && input.morningWorkflowId && state.status !== deskHeard && patched(DESK_STATUS_PATCH)) {
      deskHeard = state.status;
      await getExternalWorkflowHandle(input.morningWorkflowId)
        .signal(dutyStatusSignal, { dutyId: duty.dutyId, status: state.status })
        .catch(() => undefined);
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
      ended: state.ended,
      updatedAt: 0,
    };
    const text = JSON.stringify(entry);
    if (text === reported) return;
    reported = text;
    // A campaign stopped or terminated (an operator, the Web UI) is gone: the duty carries on alone and sends its own
    // messages (sendAt delivers what the campaign would have batched); a restarted campaign asks for the line again.
    await getExternalWorkflowHandle(input.campaignWorkflowId)
      .signal(dutyChangedSignal, { ...entry, updatedAt: now() })
      .catch(() => undefined);
  };

  // Level and deadline as search attributes, upserted when they change (after each turn, like the ledger line);
  // the first upsert of each run sets all five, since a continued run starts from its input's attributes.
  const indexed = input.searchAttributes !== undefined && patched(SEARCH_ATTRIBUTES_PATCH);
  let published = '';
  const publish = () => {
    if (!indexed) return;
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

  /**
   * Items handed ahead whose instant has not come, taken back when what they say no longer holds (a reply, an
   * extension, a calendar): from the desk, and from the record and the counts, as if never handed; the loop hands
   * what is still planned again. Those whose instant has passed went (or were dropped by the desk, as any item).
   */
  const reviewAhead = async () => {
    const again = rehand;
    rehand = false;
    if (!state.ahead?.length) return;
    const t = now();
    const mark = aheadMark(state);
    const future = state.ahead.filter((a) => a.at > t);
    const stale = future.filter((a) => {
      if (again || a.mark !== mark) return true;
      const others = { ...state, handledKeys: state.handledKeys.filter((k) => k !== a.key) };
      // The same instant and, for a reminder, the same count of days left (a new calendar can change it).
      return !plannedActions(input, others, plan).some((p) => stillPlanned(a, p));
    });
    state.ahead = future.filter((a) => !stale.includes(a));
    if (!stale.length) return;
    await getExternalWorkflowHandle(input.morningWorkflowId!)
      .signal(deskRetractSignal, { keys: stale.map((a) => `${duty.dutyId}/${a.key}`) })
      .catch(() => undefined);
    for (const a of stale) {
      state.handledKeys = state.handledKeys.filter((k) => k !== a.key);
      for (let i = state.history.length - 1; i >= 0; i--) {
        if (state.history[i]!.at === a.at && state.history[i]!.event === a.kind) {
          state.history.splice(i, 1);
          state.withdrawn = (state.withdrawn ?? 0) + 1;
          break;
        }
      }
      if (a.kind === 'reminder') state.remindersSent--;
    }
  };

  const waker = makeWaker(now);
  changed();
  while (!state.ended) {
    await report();
    publish();
    if (workflowInfo().historyLength > (input.continueAsNewAfterEvents ?? HISTORY_EVENTS_BEFORE_CONTINUE) || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof dutyWorkflow>({ ...input, carried: state });
    }
    if (handAhead) await reviewAhead();
    const seen = version;
    // Messages prompted by replies go first, within office hours.
    const queued = state.queued[0];
    if (queued) {
      if (!isOfficeHours(cal, now())) {
        await waker.until(() => version !== seen, nextOfficeInstant(cal, now()));
        continue;
      }
      // Sent at once: stamped with the reply's minute; held for office hours: with the office hour's start.
      const plannedAt = queued.at === undefined ? undefined : isOfficeHours(cal, queued.at) ? queued.at : nextOfficeInstant(cal, queued.at);
      await sendAt(queued.kind, queued.key, queued.recipients, queued.text, plannedAt);
      state.queued.shift();
      changed();
      continue;
    }
    const actions = plannedActions(input, state, plan);
    const { perform: due, skip } = dueActions(actions, now());
    if (due.length === 0 && skip.length === 0) {
      const next = actions[0];
      if (handAhead && !aheadOff && next && HANDED_AHEAD.includes(next.kind)) {
        const handAt = next.at - HAND_AHEAD_MS;
        if (now() < handAt) {
          await waker.until(() => version !== seen, handAt);
          changed();
          continue;
        }
        // Handed to the desk now, for its instant; the duty wakes next for what comes after it.
        handing = true;
        try {
          await perform(next);
          (state.ahead ??= []).push({
            key: next.key,
            at: next.at,
            kind: next.kind as MessageKind,
            mark: aheadMark(state),
            ...(next.reminderOffset !== undefined ? { offset: next.reminderOffset } : {}),
          });
        } catch (err) {
          if (err !== DESK_UNREACHABLE) throw err;
          state.handledKeys = state.handledKeys.filter((k) => k !== next.key);
          aheadOff = true;
        } finally {
          handing = false;
        }
        changed();
        continue;
      }
      // With nothing planned, wait for a reply to change things.
      await waker.until(() => version !== seen, next?.at);
      changed();
      continue;
    }
    for (const a of skip) state.handledKeys.push(a.key);
    const action = due[0];
    if (action && action.kind !== 'close' && action.kind !== 'end' && !isOfficeHours(cal, now())) {
      // Late (a worker was down, or a reply came after hours): hold until the next office hour.
      await waker.until(() => version !== seen, nextOfficeInstant(cal, now()));
      changed();
      continue;
    }
    if (action) await perform(action);
    changed();
  }
  await report();
  publish();
  await condition(allHandlersFinished);
  return state;
}
