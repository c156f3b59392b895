/**
 * What one run of a duty shares between its steps (replies, sending, handing ahead, reporting, the main loop):
 * its input and state, the features it runs with, the workflow clock, and the few flags the steps pass each other.
 * Only workflow code uses it; its only commands are the signals and the waits between their tries.
 */
import { getExternalWorkflowHandle, sleep, type SignalDefinition } from '@temporalio/workflow';
import type { WorkCalendar } from '../calendar/working-days';
import { dutyFeatures, type DutyFeatures } from './duty-features';
import { initialDutyState, levelOf } from './policy';
import type { Actor } from './messages';
import type { DutyInput, DutyState, OutgoingMessage, Recipient } from './types';

/** Waits before the second and third try of a refused signal: the length of a continue-as-new, many times over. */
const SIGNAL_RETRY_MS = [2_000, 10_000];

export interface DutyRun {
  readonly input: DutyInput;
  readonly duty: DutyInput['duty'];
  readonly state: DutyState;
  readonly features: DutyFeatures;
  /** Workflow time, shifted only when the simulator replays a past year on a server whose clock is today. */
  now(): number;
  /** Replaced when an administrator loads next year's official days (calendarUpdateSignal). */
  cal: WorkCalendar;
  /** Counts changes: the main loop wakes when it moves. */
  version: number;
  /** A change of state: the loop wakes and the level is worked out again. */
  changed(): void;
  record(event: string, by?: string, detail?: string, at?: number, via?: Actor['channel']): void;
  readonly unitRecipients: Recipient[];
  /** Handing ahead: set while an item is being handed, so a desk that cannot be reached does not make it go now. */
  handing: boolean;
  /** The desk could not be reached when handing ahead: this run sends at the instants, as before 0.7.0. */
  aheadOff: boolean;
  /** The desk was started again and holds nothing this duty handed it: everything ahead is handed again. */
  rehand: boolean;
  /** The desk's shards when it runs in more than one (0.9.0): each recipient's part goes to that recipient's shard. */
  readonly deskShards: number;
  /** The shards each item being handed ahead went to, by its key (sharded desk only), for its take-back. */
  readonly handedTo: Map<string, string[]>;
  /**
   * Set while `handDue` hands several items at once: the desk's parts are gathered here by desk id and go as one
   * morningItems signal per desk; each part's promise says whether its desk took it.
   */
  handBatch?: Map<string, { items: OutgoingMessage[]; taken: ((ok: boolean) => void)[] }>;
  /** Every shard this run handed anything to (sharded desk only): each hears the duty's status changes. */
  readonly desksHanded: Set<string>;
  /** The ledger line last sent to the campaign (emptied when a restarted campaign asks for it again). */
  reported: string;
  /** Signals another workflow by id; tried again when refused if the run has `signalRetry`; rejects if never taken. */
  signal<T extends unknown[]>(workflowId: string, def: SignalDefinition<T>, ...args: T): Promise<void>;
}

export function startDutyRun(input: DutyInput): DutyRun {
  const now = () => Date.now() + (input.clockOffsetMs ?? 0);
  const features = dutyFeatures(input);
  const state: DutyState = input.carried ?? initialDutyState(input, input.startAt ?? now());
  const run: DutyRun = {
    input,
    duty: input.duty,
    state,
    features,
    now,
    cal: input.calendar,
    version: 0,
    changed() {
      run.version++;
      state.level = levelOf(input, state, now(), features.plan);
    },
    record(event, by, detail, at = now(), via) {
      state.history.push({ at, event, ...(by ? { by } : {}), ...(detail ? { detail } : {}), ...(via ? { via } : {}) });
    },
    unitRecipients: [{ unit: input.duty.unit, role: 'coordinators' }],
    handing: false,
    aheadOff: false,
    rehand: false,
    deskShards: features.deskShards ? input.deskShards! : 1,
    handedTo: new Map(),
    desksHanded: new Set(),
    reported: '',
    async signal(workflowId, def, ...args) {
      const waits = features.signalRetry ? SIGNAL_RETRY_MS : [];
      for (let attempt = 0; ; attempt++) {
        try {
          await getExternalWorkflowHandle(workflowId).signal(def, ...args);
          return;
        } catch (err) {
          const wait = waits[attempt];
          if (wait === undefined) throw err;
          await sleep(wait);
        }
      }
    },
  };
  return run;
}
