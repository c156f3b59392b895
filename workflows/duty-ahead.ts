/**
 * Handing ahead (0.7.0): a duty with a desk gives it each reminder and request to acknowledge HAND_AHEAD_MS before
 * its instant, and takes back what a change made stale before the instant came. At 09:00 the desk holds every
 * unit's items and sends at once, instead of waiting while thousands of duties wake to hand theirs over (the typical
 * case of #16: 10,000 duties over 500 units took 208 s only to hand over).
 */
import type { DutyRun } from './duty-run';
import { DESK_UNREACHABLE, type DutySender } from './duty-send';
import { deskRetractSignal, morningItemsSignal } from './messages';
import { dueActions, plannedActions, type PlannedAction } from './policy';
import type { DutyState, MessageKind, OutgoingMessage } from './types';

/** Twelve hours: 21:00 the evening before a 09:00 instant, long after the day's replies, with a night to spare. */
export const HAND_AHEAD_MS = 12 * 3600_000;
/** What goes into a unit's morning message and can be handed ahead; the rest is sent at its instant. */
export const HANDED_AHEAD: readonly PlannedAction['kind'][] = ['reminder', 'ack-request'];

/**
 * A handed-ahead item is still what the duty plans: the same key and instant and, for a reminder handed by 0.7.1 or
 * later, the same count of days left. Items 0.7.0 handed carry no count and are compared as 0.7.0 compared them, so
 * a run carrying them replays as it ran (comparing their missing count took them back: a command 0.7.0 never
 * issued). The item itself says which release handed it; a patch marker could not, since 0.7.1's histories have
 * none either.
 */
export function stillPlanned(a: { key: string; at: number; offset?: number }, p: Pick<PlannedAction, 'key' | 'at' | 'reminderOffset'>): boolean {
  return p.key === a.key && p.at === a.at && (a.offset === undefined || p.reminderOffset === a.offset);
}

/** What a handed-ahead item's words and level stand on: a change takes it back. */
function aheadMark(state: DutyState): string {
  return `${state.status}|${state.deadline}|${state.behind}|${state.pendingExtension?.date ?? ''}`;
}

export interface Ahead {
  /** Takes back from the desk what no longer holds (see below). */
  review(): Promise<void>;
  /** Hands `next` to the desk now, for its instant; when the desk cannot be reached, this run stops handing. */
  hand(next: PlannedAction): Promise<void>;
  /** Hands every item whose time to be handed has come, together (HAND_TOGETHER_PATCH); true when it handed any. */
  handDue(): Promise<boolean>;
}

export function makeAhead(run: DutyRun, sender: DutySender): Ahead {
  const { input, duty, state, features, now } = run;
  /**
   * Items handed ahead whose instant has not come, taken back when what they say no longer holds (a reply, an
   * extension, a calendar): from the desk, and from the record and the counts, as if never handed; the loop hands
   * what is still planned again. Those whose instant has passed went (or were dropped by the desk, as any item).
   */
  const reviewAhead = async () => {
    const again = run.rehand;
    run.rehand = false;
    if (!state.ahead?.length) return;
    const t = now();
    const mark = aheadMark(state);
    const future = state.ahead.filter((a) => a.at > t);
    const stale = future.filter((a) => {
      if (again || a.mark !== mark) return true;
      const others = { ...state, handledKeys: state.handledKeys.filter((k) => k !== a.key) };
      // The same instant and, for a reminder, the same count of days left (a new calendar can change it).
      return !plannedActions(input, others, features.plan).some((p) => stillPlanned(a, p));
    });
    state.ahead = future.filter((a) => !stale.includes(a));
    if (!stale.length) return;
    if (run.deskShards > 1) {
      // Each shard takes back the keys it was handed.
      const byDesk = new Map<string, string[]>();
      for (const a of stale) for (const id of a.desks ?? [input.morningWorkflowId!]) byDesk.set(id, [...(byDesk.get(id) ?? []), `${duty.dutyId}/${a.key}`]);
      await Promise.all([...byDesk].map(([id, keys]) => run.signal(id, deskRetractSignal, { keys }).catch(() => undefined)));
    } else {
      await run.signal(input.morningWorkflowId!, deskRetractSignal, { keys: stale.map((a) => `${duty.dutyId}/${a.key}`) }).catch(() => undefined);
    }
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

  /** Hands one item; `handing` is already set by the caller. */
  const handOne = async (next: PlannedAction) => {
    const itemKey = `${duty.dutyId}/${next.key}`;
    run.handedTo.delete(itemKey);
    try {
      await sender.perform(next);
      const desks = run.handedTo.get(itemKey);
      run.handedTo.delete(itemKey);
      (state.ahead ??= []).push({
        key: next.key,
        at: next.at,
        kind: next.kind as MessageKind,
        mark: aheadMark(state),
        ...(next.reminderOffset !== undefined ? { offset: next.reminderOffset } : {}),
        ...(desks ? { desks } : {}),
      });
    } catch (err) {
      if (err !== DESK_UNREACHABLE) throw err;
      state.handledKeys = state.handledKeys.filter((k) => k !== next.key);
      run.aheadOff = true;
    }
  };

  const hand = async (next: PlannedAction) => {
    run.handing = true;
    try {
      await handOne(next);
    } finally {
      run.handing = false;
    }
  };

  /**
   * Hands at once every item whose hand-over time has come (a duty started at 08:20 for a 09:00 request to
   * acknowledge and a 09:00 reminder hands both in one workflow task, with its ledger line after them), instead of
   * one per turn with a ledger line to the campaign after each: the city benchmark's duties spent five signal
   * round trips each before they slept, three of them to the campaign (#27). Only the items ahead of anything else
   * the duty plans, and only when nothing is due or queued: the loop's own order is kept.
   */
  const handDue = async (): Promise<boolean> => {
    if (run.aheadOff || state.queued.length) return false;
    const t = now();
    const actions = plannedActions(input, state, features.plan);
    const { perform, skip } = dueActions(actions, t);
    if (perform.length || skip.length) return false;
    const batch: PlannedAction[] = [];
    for (const a of actions) {
      if (!HANDED_AHEAD.includes(a.kind) || a.at - HAND_AHEAD_MS > t) break;
      batch.push(a);
    }
    if (!batch.length) return false;
    run.handing = true;
    const gathered = new Map<string, { items: OutgoingMessage[]; taken: ((ok: boolean) => void)[] }>();
    run.handBatch = gathered;
    try {
      // Each item's parts are gathered as it is built (synchronously, before its first wait), then each desk gets
      // its parts in one signal: a request and a reminder for the same unit go together.
      const handed = Promise.all(batch.map(handOne));
      run.handBatch = undefined;
      await Promise.all(
        [...gathered].map(([desk, { items, taken }]) =>
          run.signal(desk, morningItemsSignal, items).then(
            () => taken.forEach((t) => t(true)),
            () => taken.forEach((t) => t(false)),
          ),
        ),
      );
      await handed;
    } finally {
      run.handBatch = undefined;
      run.handing = false;
    }
    return true;
  };

  return { review: reviewAhead, hand, handDue };
}
