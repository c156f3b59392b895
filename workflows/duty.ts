/**
 * One accountable (duty, unit): reminds before the deadline on working days at 09:00, takes replies as
 * Updates, escalates after the deadline up to the discipline inspection office, and reports its ledger
 * line to the campaign. All waiting is Temporal timers; the schedule is recomputed from state after every
 * change, so an extension or a rejection re-plans everything.
 *
 * The run, in order: its features (duty-features.ts: what this run does differently from older releases), the
 * handlers that hear replies (duty-replies.ts), then one loop: report, continue as new when the history is long,
 * take back stale handed items, send what replies queued, and then plan: hand the next reminder ahead
 * (duty-ahead.ts), wait for the next instant, or send what is due (duty-send.ts).
 */
import { allHandlersFinished, condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import { isOfficeHours, nextOfficeInstant } from '../calendar/working-days';
import { HAND_AHEAD_MS, HANDED_AHEAD, makeAhead } from './duty-ahead';
import { decideAfterHandlers } from './duty-features';
import { hearReplies } from './duty-replies';
import { makeReporter } from './duty-report';
import { startDutyRun } from './duty-run';
import { makeSender } from './duty-send';
import { dueActions, plannedActions } from './policy';
import type { DutyInput, DutyState } from './types';
import { makeWaker } from './wake';

/** Keeps a year's history well under Temporal's limits; the state carries over. */
const HISTORY_EVENTS_BEFORE_CONTINUE = 4000;

export async function dutyWorkflow(input: DutyInput): Promise<DutyState> {
  const run = startDutyRun(input);
  const { state, features, now, changed } = run;
  // Before the handlers: a signal buffered before the run started is heard as they are set, and the desk has heard
  // the status the run started with.
  const { report, publish } = makeReporter(run);
  hearReplies(run);
  decideAfterHandlers(features, input);
  const sender = makeSender(run);
  const ahead = makeAhead(run, sender);
  const waker = makeWaker(now);
  const nextTurn = (seen: number, at?: number) => waker.until(() => run.version !== seen, at);

  changed();
  while (!state.ended) {
    // What is due to be handed goes first, so the ledger line below already counts it (one line, not one per item).
    if (features.handTogether) {
      await ahead.review();
      if (await ahead.handDue()) changed();
    }
    await report();
    publish();
    if (workflowInfo().historyLength > (input.continueAsNewAfterEvents ?? HISTORY_EVENTS_BEFORE_CONTINUE) || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof dutyWorkflow>({ ...input, carried: state });
    }
    if (features.handAhead) await ahead.review();
    const seen = run.version;
    // Messages prompted by replies go first, within office hours.
    const queued = state.queued[0];
    if (queued) {
      if (!isOfficeHours(run.cal, now())) {
        await nextTurn(seen, nextOfficeInstant(run.cal, now()));
        continue;
      }
      // Sent at once: stamped with the reply's minute; held for office hours: with the office hour's start.
      const plannedAt = queued.at === undefined ? undefined : isOfficeHours(run.cal, queued.at) ? queued.at : nextOfficeInstant(run.cal, queued.at);
      await sender.sendAt(queued.kind, queued.key, queued.recipients, queued.text, plannedAt);
      state.queued.shift();
      changed();
      continue;
    }
    const actions = plannedActions(input, state, features.plan);
    const { perform: due, skip } = dueActions(actions, now());
    if (due.length === 0 && skip.length === 0) {
      const next = actions[0];
      if (features.handAhead && !run.aheadOff && next && HANDED_AHEAD.includes(next.kind)) {
        const handAt = next.at - HAND_AHEAD_MS;
        if (now() < handAt) {
          await nextTurn(seen, handAt);
          changed();
          continue;
        }
        // Handed to the desk now, for its instant; the duty wakes next for what comes after it.
        await ahead.hand(next);
        changed();
        continue;
      }
      // With nothing planned, wait for a reply to change things.
      await nextTurn(seen, next?.at);
      changed();
      continue;
    }
    for (const a of skip) state.handledKeys.push(a.key);
    const action = due[0];
    if (action && action.kind !== 'close' && action.kind !== 'end' && !isOfficeHours(run.cal, now())) {
      // Late (a worker was down, or a reply came after hours): hold until the next office hour.
      await nextTurn(seen, nextOfficeInstant(run.cal, now()));
      changed();
      continue;
    }
    if (action) await sender.perform(action);
    changed();
  }
  await report();
  publish();
  await condition(allHandlersFinished);
  return state;
}
