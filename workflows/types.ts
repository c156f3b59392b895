/** Data shared by workflows, activities, worker, CLI, bot and tests. Plain data only: it crosses Temporal. */
import type { WorkCalendar } from '../calendar/working-days';
import type { Digest } from './digest-types';
import type { Level } from './level';

export type { Digest, DigestLine, UnitRate } from './digest-types';
export type { Level } from './level';

export type MessageKind =
  | 'ack-request'
  | 'reminder'
  | 'status-check'
  | 'escalation'
  | 'supervision-notice'
  /** Weekly, to the late unit itself, once its formal notice has gone: the notice is a document, sent once. */
  | 'overdue-reminder'
  | 'quota-warning'
  | 'progress-warning'
  | 'extension-request'
  | 'extension-decision'
  | 'rejection'
  | 'digest'
  /** Several of the above due to one unit at one instant, as one message (workflows/morning.ts). */
  | 'morning'
  | 'alert';

/** Kinds of message about a duty that reach its own unit (what 「收到」 answers). */
export const MESSAGES_TO_UNIT: readonly MessageKind[] = [
  'ack-request',
  'reminder',
  'status-check',
  'escalation',
  'supervision-notice',
  'overdue-reminder',
  'quota-warning',
  'progress-warning',
  'rejection',
  'extension-decision',
];

export type DutyKind = 'deadline' | 'recurring' | 'quota' | 'progress';

export interface DutyRef {
  /** Workflow id, also the idempotency prefix of every message about this duty. */
  dutyId: string;
  kind: DutyKind;
  taskNumber: number;
  taskTitle: string;
  /** What is due, in the notice's words (the clause). */
  what: string;
  /** The exact sentence of the notice this duty comes from. */
  sentence: string;
  /** The unit accountable for this duty. */
  unit: string;
  /** For recurring duties: the period, e.g. 2022-05 or 2022-Q2. */
  period?: string;
  /** The reply code units type to name this duty (workflows/codes.ts); absent in 0.1.0 inputs. */
  code?: string;
  /** The plan's deadline is implied (the notice names no time limit: year end); absent otherwise. */
  implied?: true;
  /**
   * A co-unit's part of a task whose plan says `accountable: lead+co`: reported to the lead unit, which reviews
   * it as a supervising office would (sends it back, decides an extension). Absent for every other duty.
   */
  partOf?: { lead: string; leadDeadline: string };
}

export interface Recipient {
  unit: string;
  role: 'coordinators' | 'leaders';
}

export interface OutgoingMessage {
  /** Idempotency key: the same key is never delivered twice. */
  key: string;
  kind: MessageKind;
  dutyId?: string;
  taskNumber?: number;
  /** The accountable unit the message is about. */
  unit?: string;
  /** The duty's reply code. */
  code?: string;
  /** Units addressed (derived from recipients, for display and the simulator's JSON). */
  toUnits: string[];
  recipients: Recipient[];
  level: Level;
  /** Planned send instant, ms since epoch (workflow time). */
  at: number;
  deadline?: string;
  subject: string;
  text: string;
  /** For digests: the figures, so email can draw the chart. */
  digest?: Digest;
  /** A digest combining several campaigns' (the morning desk): each one's figures, for a chart each. */
  digests?: Digest[];
  /** For a morning message: the per-duty messages it carries (each as its duty would have sent it). */
  items?: OutgoingMessage[];
  /**
   * For a morning message over MORNING_LISTED_MAX duties: how many more duties' items it only summarises (neither
   * listed nor carried in `items`), so that one message stays far under Temporal's 2 MB payload limit.
   */
  overflow?: { duties: number; items: number };
}

export interface EscalationStep {
  /** Working days after the deadline. */
  afterWorkingDays: number;
  /** Who is addressed besides the unit: its leader, the supervising office, 县委农办, 县纪委监委. */
  to: ('leader' | 'supervisor' | 'rural-work-office' | 'discipline')[];
  /** A formal 督办 notice rather than a reminder. */
  formal?: boolean;
}

export interface Offices {
  /** The supervising office for this unit (县乡村振兴局, or 县委农办 when 县乡村振兴局 itself is late). */
  supervisor: string;
  ruralWorkOffice: string;
  discipline: string;
}

export interface QuotaItem {
  min: number;
  clause: string;
}

export interface DutyInput {
  duty: DutyRef;
  /** The campaign workflow to report state changes to; omitted when a duty runs alone. */
  campaignWorkflowId?: string;
  /** Due date, YYYY-MM-DD (Shanghai). */
  deadline: string;
  /** Units kept informed (co-units). */
  informUnits: string[];
  offices: Offices;
  calendar: WorkCalendar;
  /** Working days before the deadline to remind; 0 = on the day. */
  reminderOffsets: number[];
  escalation: EscalationStep[];
  /** Working days between escalations once the ladder is exhausted (5 = weekly). */
  repeatEveryWorkingDays: number;
  /** Working days a unit has to confirm the status of a duty already past when the campaign started. */
  graceWorkingDays: number;
  /** Working days between "please acknowledge" requests while unacknowledged. */
  ackNagEveryWorkingDays: number;
  quota?: { items: QuotaItem[]; checkpoints: string[] };
  progress?: { bar: number };
  /** The campaign closes on this date (09:00): an unresolved duty stops and is recorded as such. */
  closeAt?: string;
  /** Task queue of the WeChat bot's worker; omitted = no WeChat, everything by email (or the outbox). */
  wechatTaskQueue?: string;
  delivery?: DeliveryTimings;
  /** Set the duty's search attributes (campaign, unit, task, level, deadline); omitted = none (older inputs). */
  searchAttributes?: { campaign: string };
  /**
   * The campaign that sends this duty's scheduled messages as morning messages (one per unit and instant),
   * with overdue duties reminded weekly on Mondays. Omitted (0.1.0 inputs, a duty run alone): the duty sends
   * each message itself.
   */
  morningWorkflowId?: string;
  /**
   * The morning workflow is a deployment's desk (workflows/desk.ts), not the campaign: the duty also tells it
   * when its status changes, so it can drop an item about work done while the item waited.
   */
  morningDesk?: boolean;
  /**
   * The desk runs in this many shards (workflows/desk-shards.ts): each recipient's part of an item goes to that
   * recipient's shard. Omitted or 1: the one desk `morningWorkflowId`, as before 0.9.0.
   */
  deskShards?: number;
  /** Simulation only: added to the server's clock so a past plan year can run on today's server. */
  clockOffsetMs?: number;
  /**
   * The instant the duty counts from: its campaign's start, so that every duty of a campaign plans from the
   * same instant whatever order they start in (and a simulated year is the same every run). Omitted = when
   * the workflow first runs.
   */
  startAt?: number;
  /** History events before continuing as new (default 4,000; lowered only to record replay histories). */
  continueAsNewAfterEvents?: number;
  /** Carried over by continue-as-new. */
  carried?: DutyState;
}

export type DutyStatus = 'open' | 'acknowledged' | 'completed' | 'closed';

export interface HistoryEntry {
  at: number;
  event: string;
  by?: string;
  detail?: string;
  /** Where a reply came from (企业微信, 钉钉, 邮件回复…); absent = WeChat or before 0.8.0. */
  via?: ReplyChannel;
}

export interface ExtensionRequest {
  date: string;
  reason: string;
  by: string;
  at: number;
}

export interface QueuedMessage {
  key: string;
  kind: MessageKind;
  recipients: Recipient[];
  text: string;
  /**
   * The minute the reply that prompted it was taken: the message's instant when sent at once, so that it
   * does not depend on how many milliseconds the server took (absent in state carried from 0.1.0).
   */
  at?: number;
}

export interface DutyState {
  dutyId: string;
  kind: DutyKind;
  unit: string;
  taskNumber: number;
  period?: string;
  /** Current deadline (moves when an extension is approved). */
  deadline: string;
  originalDeadline: string;
  status: DutyStatus;
  level: Level;
  startedAt: number;
  /** The deadline had passed when the duty started: the unit is asked to confirm its status first. */
  pastAtStart: boolean;
  acknowledgedBy?: string;
  acknowledgedAt?: number;
  completedAt?: number;
  completionNote?: string;
  pendingExtension?: ExtensionRequest;
  /**
   * The last progress report. `unverified`: the plan sets no numeric bar (「高于全省平均水平」), so the bar is
   * the unit's own word and the month counts as reported, not as met, until a supervising office has looked.
   */
  progress?: { percent: number; bar: number; at: number; by: string; unverified?: boolean; unitBar?: number };
  /** Reported actions per quota item. */
  quotaCounts?: number[];
  /** Behind: progress under the bar or quota pace short. */
  behind: boolean;
  remindersSent: number;
  escalationsSent: number;
  /** Messages about the duty that reached its unit by no channel (「未送达」, each also in `history`); absent = none. */
  undelivered?: number;
  /** Idempotency keys of scheduled messages already handled (sent or skipped). */
  handledKeys: string[];
  /**
   * Reminders and requests to acknowledge handed to the morning desk before their instant (hand-ahead): taken back
   * if the duty's state changes before `at`. Absent for duties that never handed any ahead. `desks`: the shards it
   * went to, when the desk runs in shards (a take-back goes to each).
   */
  ahead?: { key: string; at: number; kind: MessageKind; mark: string; offset?: number; desks?: string[] }[];
  /** Entries taken out of `history` (handed-ahead items taken back, old refused attempts): keeps queued keys unique. */
  withdrawn?: number;
  /** Messages prompted by a reply (rejection, extension, progress), sent at the next office hour. */
  queued: QueuedMessage[];
  /** The workflow has finished (review window over, or campaign closed). */
  ended: boolean;
  history: HistoryEntry[];
  /**
   * The latest reply that may still be taken back (「撤回」): an acknowledgement, completion, progress or visit
   * report, with the fields as they stood before it. Cleared by a supervisor's decision, a rejection or an undo.
   */
  lastReply?: UndoableReply;
}

/** Replies a person may take back the same day, and the duty's fields such a reply can change. */
export const UNDOABLE_EVENTS = ['acknowledged', 'completed', 'progress', 'actions'] as const;
export const UNDO_FIELDS = ['status', 'acknowledgedBy', 'acknowledgedAt', 'completedAt', 'completionNote', 'pendingExtension', 'progress', 'quotaCounts', 'behind'] as const;

export interface UndoableReply {
  event: (typeof UNDOABLE_EVENTS)[number];
  by: string;
  at: number;
  /** The fields before the reply; a field absent here was absent then. */
  before: Partial<Pick<DutyState, (typeof UNDO_FIELDS)[number]>>;
  /** Messages the reply queued (a progress warning): withdrawn if still waiting. */
  queuedKeys: string[];
}

/** One line of the campaign's ledger: what digests and the dashboard read. */
export interface LedgerEntry {
  dutyId: string;
  /** The duty's reply code, fixed at the campaign's start (absent for 0.1.0 duties). */
  code?: string;
  kind: DutyKind;
  taskNumber: number;
  unit: string;
  period?: string;
  /** A co-unit's part (`lead+co`): the lead unit it reports to. */
  lead?: string;
  deadline: string;
  status: DutyStatus;
  level: Level;
  acknowledgedAt?: number;
  completedAt?: number;
  /**
   * Completed by a progress report against a bar only the unit stated, for a supervising office to verify:
   * what was reported (「进度 1%，单位自报比较基准 0%」).
   */
  unverified?: string;
  remindersSent: number;
  escalationsSent: number;
  /** Messages about the duty that reached its unit by no channel (「未送达」, 0.8.1); absent = none. */
  undelivered?: number;
  ended: boolean;
  updatedAt: number;
}

/**
 * How long each channel is tried before the next takes over. The defaults are what the README promises; a
 * campaign may shorten them (tests do, to see each fallback happen in seconds).
 */
export interface DeliveryTimings {
  /** Seconds the bot's worker has to pick a WeChat send up before email takes over (default 1,200). */
  wechatPickupSeconds?: number;
  /** Seconds before the first WeChat retry, doubling; 4 attempts in all (default 30). */
  wechatRetrySeconds?: number;
  /** Email attempts before the message is given up and the administrators told (default 8). */
  emailAttempts?: number;
  /** Seconds before the first email retry, doubling up to 10 minutes (default 10). */
  emailRetrySeconds?: number;
}

/** The ways a reply reaches duban. */
export type ReplyChannel = 'wechat' | 'wecom' | 'dingtalk' | 'email' | 'page' | 'cli';
