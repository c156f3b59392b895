/**
 * The campaign's ledger read in pages (#27): the whole ledger passed Temporal's 2 MB payload limit near 6,400 duties,
 * and every reader (dashboard, bot, 台账, metrics) then failed on the campaign. A page stays under 1 MB whatever the
 * campaign's size, and the readers put the pages together, once per duty, even when the campaign continues as new
 * (and so reorders its ledger) between two pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import { readCampaignLedger } from '../campaigns/ledger-read';
import { loadCampaign } from '../cli/campaign-input';
import { LEDGER_PAGE_MAX, ledgerPage, type LedgerPageRequest } from '../workflows/ledger-page';
import { ledgerPageQuery, ledgerQuery } from '../workflows/messages';
import type { LedgerEntry } from '../workflows/types';
import { base, bigCampaign } from './big-campaign';
import { startBotCampaign, type BotCampaign } from './bot-campaign';
import { devServerEnv } from './env';

/** 13,000 duties, each line as long as a line gets: a part (its lead named), unverified progress, every time set. */
function bigLedger(): LedgerEntry[] {
  return base(bigCampaign(1000), '2022-01-04').map((x, i) => ({
    ...x,
    lead: '县乡村振兴局',
    status: 'completed',
    level: 'green',
    acknowledgedAt: 1_651_800_000_000 + i,
    completedAt: 1_652_000_000_000 + i,
    unverified: '进度 100%，单位自报比较基准 95%（通知未设数值基准）',
    remindersSent: 5,
    escalationsSent: 4,
    ended: true,
    updatedAt: 1_652_100_000_000 + i,
  }));
}

/** A campaign as a query sees it, whose ledger order changes once after the first page (a continue-as-new). */
function fakeCampaign(entries: LedgerEntry[], reorderAfterFirstPage: boolean): Pick<WorkflowHandle, 'query'> {
  let order = entries;
  let pages = 0;
  const query = async (def: unknown, req?: LedgerPageRequest) => {
    if (def === ledgerQuery) return order;
    if (def !== ledgerPageQuery) throw new Error('unexpected query');
    // The payload converter's round trip, as a real answer takes it.
    const page = JSON.parse(JSON.stringify(ledgerPage(order, req!)));
    if (++pages === 1 && reorderAfterFirstPage) order = [...entries].reverse();
    return page;
  };
  return { query: query as WorkflowHandle['query'] };
}

describe('the ledger in pages (pure)', () => {
  const entries = bigLedger();

  it('keeps every page of a 13,000-duty ledger under 1 MB, where the whole is over 2 MB', () => {
    expect(entries).toHaveLength(13_000);
    expect(Buffer.byteLength(JSON.stringify(entries))).toBeGreaterThan(2 * 1024 * 1024);
    const pages = [];
    for (let offset: number | undefined = 0; offset !== undefined; ) {
      const page = ledgerPage(entries, { offset, limit: 1_000_000 });
      pages.push(page);
      offset = page.next;
    }
    expect(pages).toHaveLength(Math.ceil(13_000 / LEDGER_PAGE_MAX));
    for (const page of pages) expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThan(1024 * 1024);
    expect(pages.flatMap((p) => p.entries)).toEqual(entries);
  });

  it('reads every duty once when the ledger is reordered between two pages', async () => {
    const read = await readCampaignLedger(fakeCampaign(entries, true));
    expect(read).toHaveLength(13_000);
    expect(new Set(read.map((e) => e.dutyId)).size).toBe(13_000);
  });
});

describe('the ledger in pages, from a running campaign (dev server)', () => {
  let env: Awaited<ReturnType<typeof devServerEnv>>;
  let campaign: BotCampaign;

  beforeAll(async () => {
    env = await devServerEnv();
    const loaded = loadCampaign({ year: 2022 });
    const startAt = Date.parse(`${loaded.nominalStart}:00+08:00`);
    campaign = await startBotCampaign(env, { ...loaded.input, clockOffsetMs: Date.parse('2022-05-06T10:00:00+08:00') - Date.now(), startAt }, (l) => l.length === 69);
  }, 120_000);
  afterAll(async () => {
    await campaign?.stop();
    await env?.teardown();
  });

  it('gives in pages of 7 the ledger the campaign holds', async () => {
    const handle = env.client.workflow.getHandle(campaign.campaignWorkflowId);
    const first = await handle.query(ledgerPageQuery, { offset: 0, limit: 7 });
    expect(first.entries).toHaveLength(7);
    expect(first).toMatchObject({ total: 69, next: 7 });
    const paged = await readCampaignLedger(handle, 7);
    expect(paged.map((e) => e.dutyId)).toEqual((await handle.query(ledgerQuery)).map((e) => e.dutyId));
  }, 60_000);
});
