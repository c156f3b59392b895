/**
 * A campaign too large to carry its ledger (issue #27, 0.9.1): past some 24,000 busy duties the packed ledger alone
 * passes Temporal's 2 MB payload limit, and the campaign's next run could not start. The clerk hears it at
 * `campaign start`, with the count and what to do, before anything starts.
 */
import { describe, expect, it } from 'vitest';
import { CampaignTooLargeError, checkCampaignSize, MAX_CAMPAIGN_DUTIES } from '../campaigns/size';
import { packLedger } from '../workflows/ledger-pack';
import type { LedgerEntry } from '../workflows/types';
import { base, bigCampaign } from './big-campaign';

const START = Date.parse('2022-01-04T10:00:00+08:00');

describe('the size of one campaign', () => {
  it('refuses a plan that expands past the limit, naming the count and how to split it', () => {
    expect(checkCampaignSize(bigCampaign(1000), START)).toBe(13_000);
    const tooLarge = bigCampaign(1600);
    expect(() => checkCampaignSize(tooLarge, START)).toThrow(CampaignTooLargeError);
    expect(() => checkCampaignSize(tooLarge, START)).toThrow(/本通知展开为 20,800 项任务，超过单个督办批次的上限 20,000 项：请按乡镇（街道）或任务把计划拆成几个计划文件/);
  });

  it('sets the limit where a year in which every duty was touched still fits in one payload with its plan', () => {
    const units = Math.floor(MAX_CAMPAIGN_DUTIES / 13);
    const input = bigCampaign(units);
    const b = base(input, '2022-01-04');
    // Every duty extended, acknowledged, completed, escalated and with undelivered messages: the most a row carries.
    const busy = b.map((x, i): LedgerEntry => ({ ...x, deadline: '2022-12-15', status: 'completed', level: 'red', acknowledgedAt: 1_651_800_000_000 + i, completedAt: 1_652_000_000_000 + i, undelivered: 12, remindersSent: 12, escalationsSent: 9, ended: true, updatedAt: 1_652_100_000_000 + i }));
    const bytes = Buffer.byteLength(JSON.stringify(packLedger(busy, b))) + Buffer.byteLength(JSON.stringify(input));
    expect(bytes).toBeLessThan(2 * 1024 * 1024);
    // And twice the limit would not: the limit is not arbitrary.
    const twice = bigCampaign(units * 2);
    const b2 = base(twice, '2022-01-04');
    const busy2 = b2.map((x, i): LedgerEntry => ({ ...x, deadline: '2022-12-15', status: 'completed', level: 'red', acknowledgedAt: 1_651_800_000_000 + i, completedAt: 1_652_000_000_000 + i, undelivered: 12, remindersSent: 12, escalationsSent: 9, ended: true, updatedAt: 1_652_100_000_000 + i }));
    expect(Buffer.byteLength(JSON.stringify(packLedger(busy2, b2)))).toBeGreaterThan(2 * 1024 * 1024);
  });
});
