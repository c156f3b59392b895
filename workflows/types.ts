/** Data shared by workflows, activities, worker, CLI, bot and tests. Plain data only: it crosses Temporal. */
import type { WorkCalendar } from '../calendar/working-days';

/** Colours supervision offices use: blue due soon, yellow behind or unacknowledged, red overdue, green done. */
export type Level = 'none' | 'blue' | 'yellow' | 'red' | 'green';

export type MessageKind =
  | 'reminder'
  | 'ack-request'
  | 'status-check'
  | 'escalation'
  | 'supervision-notice'
  | 'quota-warning'
  | 'progress-warning'
  | 'extension-request'
  | 'extension-decision'
  | 'rejection'
  | 'confirmation'
  | 'digest';

export interface DutyRef {
  /** Workflow id, also the idempotency prefix of every message about this duty. */
  dutyId: string;
  taskNumber: number;
  taskTitle: string;
  /** The exact sentence of the notice this duty comes from. */
  sentence: string;
  /** The unit accountable for this duty. */
  unit: string;
}

export interface OutgoingMessage {
  /** Idempotency key: the same key is never delivered twice. */
  key: string;
  kind: MessageKind;
  dutyId?: string;
  taskNumber?: number;
  /** The accountable unit the message is about. */
  unit?: string;
  /** Units (and offices) addressed. */
  toUnits: string[];
  level: Level;
  /** Planned send instant, ms since epoch (workflow time). */
  at: number;
  subject: string;
  text: string;
}

export interface EscalationStep {
  /** Working days after the deadline. */
  afterWorkingDays: number;
  /** Who is addressed: the unit's leader, supervisors or the discipline inspection office. */
  to: ('leader' | 'supervisor' | 'rural-work-office' | 'discipline')[];
  /** A formal 督办 notice rather than a reminder. */
  formal?: boolean;
}

export interface DutyInput {
  duty: DutyRef;
  campaignId: string;
  /** Due date, YYYY-MM-DD (Shanghai). */
  deadline: string;
  /** Units kept informed (co-units). */
  informUnits: string[];
  calendar: WorkCalendar;
  /** Working days before the deadline to remind; 0 = on the day. */
  reminderOffsets: number[];
  escalation: EscalationStep[];
  /** Working days between weekly escalations once the ladder is exhausted. */
  repeatEveryWorkingDays: number;
  /** Simulation only: added to the server's clock so a past plan year can run on today's server. */
  clockOffsetMs?: number;
}

export type DutyStatus = 'open' | 'acknowledged' | 'completed';

export interface HistoryEntry {
  at: number;
  event: string;
  by?: string;
  detail?: string;
}

export interface DutyState {
  dutyId: string;
  unit: string;
  taskNumber: number;
  deadline: string;
  status: DutyStatus;
  level: Level;
  acknowledgedBy?: string;
  acknowledgedAt?: number;
  completedAt?: number;
  completionNote?: string;
  remindersSent: number;
  escalationsSent: number;
  history: HistoryEntry[];
}
