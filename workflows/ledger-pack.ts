/**
 * The campaign's ledger as it crosses continue-as-new. Carried whole (about 313 bytes a duty) it passed Temporal's
 * 2 MB payload limit near 6,400 duties and the run failed at continue-as-new. Most of an entry is what the
 * campaign's own expansion gives again in the next run (id, code, kind, task, unit, period, lead, deadline), so only
 * what differs from that is carried, as a short row keyed by the duty's place in the expansion: an open duty no one
 * has touched is a few bytes, a busy one some 40.
 *
 * Pure and deterministic: it runs in workflow code, and the next run expands the same input to the same duties.
 */
import type { DutyInput, DutyStatus, LedgerEntry, Level } from './types';

/** What the expansion says of a duty before anything happened to it (the campaign's start loop writes the same). */
export type BaseEntry = Pick<LedgerEntry, 'dutyId' | 'code' | 'kind' | 'taskNumber' | 'unit' | 'period' | 'lead' | 'deadline'>;

/** A duty's base entry from its input: what the start loop records first, and what packing compares with. */
export function baseEntryOf(d: Pick<DutyInput, 'duty' | 'deadline'>): BaseEntry {
  return {
    dutyId: d.duty.dutyId,
    ...(d.duty.code ? { code: d.duty.code } : {}),
    kind: d.duty.kind,
    taskNumber: d.duty.taskNumber,
    unit: d.duty.unit,
    ...(d.duty.period ? { period: d.duty.period } : {}),
    ...(d.duty.partOf ? { lead: d.duty.partOf.lead } : {}),
    deadline: d.deadline,
  };
}

const STATUS: DutyStatus[] = ['open', 'acknowledged', 'completed', 'closed'];
const LEVEL: Level[] = ['none', 'blue', 'yellow', 'red', 'green'];

/**
 * One duty's row: [index, status·level·ended, remindersSent, escalationsSent, updatedAt, extras?]. The second
 * element packs status (0–3), level (0–4) and ended (0/1) into one small number; `extras` holds the rarer fields
 * only when present (a deadline moved by an extension, acknowledgement and completion times, an unverified note, undelivered messages).
 */
export type PackedRow = [number, number, number, number, number] | [number, number, number, number, number, PackedExtras];
export interface PackedExtras {
  d?: string;
  a?: number;
  c?: number;
  u?: string;
  /** Undelivered messages (0.8.1). */
  n?: number;
}

export interface PackedLedger {
  /** Rows of duties the expansion knows. */
  rows: PackedRow[];
  /** Entries the expansion does not give (a duty of an earlier plan shape): carried as they are. */
  other?: LedgerEntry[];
}

export function packLedger(entries: Iterable<LedgerEntry>, base: readonly BaseEntry[]): PackedLedger {
  const index = new Map(base.map((b, i) => [b.dutyId, i]));
  const rows: PackedRow[] = [];
  const other: LedgerEntry[] = [];
  for (const e of entries) {
    const i = index.get(e.dutyId);
    const b = i === undefined ? undefined : base[i];
    // Anything the base cannot give back exactly is carried whole.
    if (i === undefined || !b || b.code !== e.code || b.kind !== e.kind || b.taskNumber !== e.taskNumber || b.unit !== e.unit || b.period !== e.period || b.lead !== e.lead) {
      other.push(e);
      continue;
    }
    const extras: PackedExtras = {
      ...(e.deadline !== b.deadline ? { d: e.deadline } : {}),
      ...(e.acknowledgedAt !== undefined ? { a: e.acknowledgedAt } : {}),
      ...(e.completedAt !== undefined ? { c: e.completedAt } : {}),
      ...(e.unverified !== undefined ? { u: e.unverified } : {}),
      ...(e.undelivered ? { n: e.undelivered } : {}),
    };
    const flags = STATUS.indexOf(e.status) * 10 + LEVEL.indexOf(e.level) * 2 + (e.ended ? 1 : 0);
    const row: PackedRow = [i, flags, e.remindersSent, e.escalationsSent, e.updatedAt];
    rows.push(Object.keys(extras).length ? [...row, extras] : row);
  }
  return { rows, ...(other.length ? { other } : {}) };
}

export function unpackLedger(packed: PackedLedger, base: readonly BaseEntry[]): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (const [i, flags, remindersSent, escalationsSent, updatedAt, extras] of packed.rows) {
    const b = base[i];
    if (!b) throw new Error(`packed ledger row ${i} has no duty in the expansion (${base.length} duties)`);
    out.push({
      dutyId: b.dutyId,
      ...(b.code !== undefined ? { code: b.code } : {}),
      kind: b.kind,
      taskNumber: b.taskNumber,
      unit: b.unit,
      ...(b.period !== undefined ? { period: b.period } : {}),
      ...(b.lead !== undefined ? { lead: b.lead } : {}),
      deadline: extras?.d ?? b.deadline,
      status: STATUS[Math.floor(flags / 10)] ?? 'open',
      level: LEVEL[Math.floor((flags % 10) / 2)] ?? 'none',
      ...(extras?.a !== undefined ? { acknowledgedAt: extras.a } : {}),
      ...(extras?.c !== undefined ? { completedAt: extras.c } : {}),
      ...(extras?.u !== undefined ? { unverified: extras.u } : {}),
      remindersSent,
      escalationsSent,
      ...(extras?.n ? { undelivered: extras.n } : {}),
      ended: flags % 2 === 1,
      updatedAt,
    });
  }
  return [...out, ...(packed.other ?? [])];
}
