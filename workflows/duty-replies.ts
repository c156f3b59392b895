/**
 * How a duty hears: the replies that change it (Updates, each with a validator that refuses with the reason the
 * person is told) and the signals of the campaign, the desk and the administrators. Every handler changes the state
 * and wakes the main loop; none sends anything itself (what a reply prompts is queued for the loop).
 */
import { setHandler } from '@temporalio/workflow';
import { mergeCalendars, shanghaiDate } from '../calendar/working-days';
import {
  acknowledgeUpdate,
  attemptRefusedSignal,
  deliveryFailedSignal,
  calendarUpdateSignal,
  completeUpdate,
  decideExtensionUpdate,
  deskRehandSignal,
  rejectUpdate,
  reportActionsUpdate,
  reportProgressUpdate,
  reportRequestSignal,
  requestExtensionUpdate,
  statusQuery,
  undoUpdate,
  type Actor,
} from './messages';
import type { DutyRun } from './duty-run';
import { plannedActions } from './policy';
import { quotaBehind } from './quota';
import { recordUndelivered } from './undelivered';
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
import { UNDO_FIELDS, type MessageKind, type Recipient, type UndoableReply } from './types';

/** Refused attempts kept on the record: a flood of spam must not grow the state without bound. */
const MAX_REFUSED_KEPT = 20;

function refuse(reason: string | undefined): void {
  if (reason) throw new Error(reason);
}

export function hearReplies(run: DutyRun): void {
  const { input, state, features, now, changed, record, unitRecipients } = run;
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
  // After a rejection or an approved extension the schedule is new: what it would have sent before now is
  // history, not a burst to send at once (the new schedule's later steps still come).
  const settlePast = () => {
    for (const a of plannedActions(input, state, features.plan)) if (a.at <= now() && a.kind !== 'close') state.handledKeys.push(a.key);
  };
  // A unit that reports progress or visits has plainly received the duty: no more "please acknowledge".
  const acknowledgedByReport = (person: string) => {
    if (state.status === 'open' && features.reportAcknowledges()) {
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
    run.cal = input.calendar;
    // What the old calendar put in the past stays there; only what is still ahead moves.
    settlePast();
    record('calendar', undefined, `载入 ${update.knownYears.join('、')} 年法定节假日安排`);
    changed();
  });
  // The desk was started again and holds nothing this duty handed it: everything ahead is handed again (reviewAhead).
  setHandler(deskRehandSignal, () => {
    run.rehand = true;
    // A desk that could not be reached when this run handed last may be there now.
    run.aheadOff = false;
    run.version++;
  });
  setHandler(reportRequestSignal, () => {
    run.reported = '';
    run.version++;
  });
  // A message the desk or the campaign sent with this duty's item reached its unit by no channel (0.8.1).
  setHandler(deliveryFailedSignal, (f) => {
    recordUndelivered(state, record, f);
    run.version++;
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
        } else if (state.behind && features.quotaBehindClears()) {
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
}
