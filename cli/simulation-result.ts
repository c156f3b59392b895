/**
 * What a simulated year gives: its events and messages, the campaigns' summary and ledger. A file of its own so
 * that the report and the charts, which cli/simulate.ts itself uses, read it without importing the simulation.
 */
import type { WorkCalendar } from '../calendar/working-days';
import type { CampaignSummary } from '../workflows/campaign';
import type { DutyState, LedgerEntry, OutgoingMessage } from '../workflows/types';

export interface SimulationEvent {
  /** ISO time with +08:00. */
  at: string;
  kind: string;
  task?: number;
  unit?: string;
  toUnits: string[];
  level?: string;
  dutyId?: string;
  /** The duty's reply code. */
  code?: string;
  /** The duties a message is about, with their reply codes. */
  duties?: { task: number; unit: string; dutyId: string; code: string; kind?: string }[];
  text?: string;
}

export interface SimulationResult {
  campaignWorkflowId: string;
  /** Every campaign's workflow id, the first first (several with `also`). */
  campaignWorkflowIds: string[];
  /** The desk's workflow id, when the campaigns used one. */
  deskWorkflowId?: string;
  events: SimulationEvent[];
  /** Every message sent, as sent (a morning message is one message). */
  messages: OutgoingMessage[];
  /**
   * What each duty said, once per duty message: the items of morning messages (an item addressed to several
   * units counted once) and the messages sent alone, in order.
   */
  dutyMessages: OutgoingMessage[];
  summary: CampaignSummary;
  ledger: LedgerEntry[];
  /** Each duty's final state (its status query), when `dutyStates` was asked for: the 台账's who and when. */
  dutyStates?: Map<string, DutyState>;
  calendar: WorkCalendar;
  /** Messages sent on a non-working day or outside 08:30–18:00 (should be none). */
  offHours: OutgoingMessage[];
  wallMs: number;
  warnings: string[];
}
