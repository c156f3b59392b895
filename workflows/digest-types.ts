/** The shape of the supervisors' digest (computed in digest.ts, carried to the desk in messages). */
import type { Level } from './level';

export interface DigestLine {
  dutyId: string;
  /** The duty's reply code (absent for 0.1.0 duties). */
  code?: string;
  taskNumber: number;
  unit: string;
  period?: string;
  deadline: string;
  level: Level;
  /** Working days late (overdue) or left (upcoming). */
  workingDays: number;
  /** What an unverified progress report said. */
  reported?: string;
}

export interface UnitRate {
  unit: string;
  duties: number;
  acknowledged: number;
  completed: number;
  /** 0–1. */
  ackRate: number;
  completionRate: number;
  overdue: number;
}

export interface Digest {
  /** Shanghai date the digest describes. */
  date: string;
  overdue: DigestLine[];
  upcoming: DigestLine[];
  unacknowledged: DigestLine[];
  /** Months reported as meeting a bar only the unit stated (no numeric bar in the notice): to verify. */
  unverified: DigestLine[];
  units: UnitRate[];
  totals: { duties: number; completed: number; overdue: number; unacknowledged: number };
}
