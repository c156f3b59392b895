/**
 * A campaign past the size where its continue-as-new used to fail (#27): the whole ledger rode in the next run's
 * input at about 313 bytes a duty, over Temporal's 2 MB near 6,400 duties. Now it is packed against the expansion.
 */
import { describe, expect, it } from 'vitest';
import { loadCampaign } from '../cli/campaign-input';
import { base, bigCampaign } from './big-campaign';
import { packLedger, unpackLedger } from '../workflows/ledger-pack';
import type { LedgerEntry } from '../workflows/types';

describe('the packed ledger (pure)', () => {
  it('gives back every entry exactly, in order, whatever happened to it', () => {
    const loaded = loadCampaign({ year: 2022 });
    const b = base(loaded.input, '2022-05-06');
    const entries: LedgerEntry[] = b.map((x, i) => ({
      ...x,
      // An extension moved some deadlines; statuses, levels and counts of every kind.
      deadline: i % 7 === 0 ? '2022-12-15' : x.deadline,
      status: (['open', 'acknowledged', 'completed', 'closed'] as const)[i % 4]!,
      level: (['none', 'blue', 'yellow', 'red', 'green'] as const)[i % 5]!,
      ...(i % 4 >= 1 ? { acknowledgedAt: 1_651_800_000_000 + i } : {}),
      ...(i % 4 === 2 ? { completedAt: 1_652_000_000_000 + i } : {}),
      ...(i % 9 === 0 ? { unverified: '进度 1%，单位自报比较基准 0%' } : {}),
      remindersSent: i % 6,
      escalationsSent: i % 3,
      ended: i % 4 >= 2,
      updatedAt: 1_652_100_000_000 + i,
    }));
    // One entry the expansion does not give (a duty of an earlier plan shape) is carried whole.
    const stray: LedgerEntry = { dutyId: 'old/t99/d1/县民政局', kind: 'deadline', taskNumber: 99, unit: '县民政局', deadline: '2022-06-30', status: 'open', level: 'none', remindersSent: 0, escalationsSent: 0, ended: false, updatedAt: 1 };
    const packed = packLedger([...entries, stray], b);
    expect(packed.other).toEqual([stray]);
    expect(unpackLedger(JSON.parse(JSON.stringify(packed)), b)).toEqual([...entries, stray]);
  });

  it('carries 13,000 duties in well under 2 MB, where the whole ledger is over it', () => {
    const input = bigCampaign(1000);
    const b = base(input, '2022-01-04');
    expect(b).toHaveLength(13_000);
    const entries: LedgerEntry[] = b.map((x, i) => ({ ...x, status: i % 2 ? 'acknowledged' : 'open', level: 'blue', acknowledgedAt: 1_651_800_000_000 + i, remindersSent: 3, escalationsSent: 1, ended: false, updatedAt: 1_652_100_000_000 + i }));
    const whole = Buffer.byteLength(JSON.stringify(entries));
    const packed = Buffer.byteLength(JSON.stringify(packLedger(entries, b)));
    expect(whole).toBeGreaterThan(2 * 1024 * 1024);
    expect(packed).toBeLessThan(1024 * 1024);
  });
});
