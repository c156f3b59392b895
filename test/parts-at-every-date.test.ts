/**
 * 0.7.0 stopped giving a lead+co task's co-units a part of a presumed year end or of a date past at the start, and
 * did so without a patch (issue #27): 0.6.0 campaigns that had started such parts no longer replayed. The expansion
 * takes a flag for 0.6.0's parts (workflows/expand.ts); the campaign decides which one it walks
 * (workflows/campaign-features.ts). The recorded 0.6.0 histories `campaign-parts-*` replay through it
 * (test/replay.test.ts); here, what the flag expands and what a run of today's code decides.
 */
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { RecordingChannel } from '../activities/outbox';
import { loadCampaign } from '../cli/campaign-input';
import { createWorker } from '../worker';
import { PARTS_WHERE_DUE_PATCH } from '../workflows/campaign-features';
import { expandCampaign, partsLeftOut, type CampaignInput } from '../workflows/expand';
import { ledgerQuery } from '../workflows/messages';
import { devServerEnv, uniqueQueue, workflowBundle } from './env';
import { until } from './until';

const START = '2022-05-05';
const seed = loadCampaign({ year: 2022 });
const task1 = seed.input.plan.tasks[0]!;
/** The seed's task 1 (lead+co, 22 co-units and townships) alone, with a date past at the start and a presumed year end. */
const plan = {
  ...seed.input.plan,
  tasks: [
    {
      ...task1,
      deadlines: [
        ...task1.deadlines,
        { date: '2022-03-31', text: '3月底前完成监测对象信息核查。', clause: '3月底前完成监测对象信息核查' },
        { date: '2022-12-31', text: '完善防返贫动态监测帮扶机制。', implied: true, reminderOffsets: [10, 0] },
      ],
    },
  ],
};
const input = (campaignId: string): CampaignInput => ({ ...seed.input, campaignId, plan });
const ids = (opts: { partsAtEveryDate?: boolean } = {}) => expandCampaign(input('c'), START, opts).map((d) => d.duty.dutyId);

describe('co-units’ parts of a past or presumed date', () => {
  it('are left out by default (0.7.0) and expanded with partsAtEveryDate (0.6.0), in 0.6.0’s order', () => {
    expect(partsLeftOut(plan, START)).toEqual(['t1/d2-part', 't1/d3-part']);
    const now = ids();
    const old = ids({ partsAtEveryDate: true });
    expect(now).toHaveLength(3 + 22);
    expect(old).toHaveLength(3 + 22 * 3);
    // 0.6.0: each co-unit's parts of every deadline together, right after the lead's deadlines.
    expect(old.slice(0, 6)).toEqual(['c/t1/d1/县乡村振兴局', 'c/t1/d2/县乡村振兴局', 'c/t1/d3/县乡村振兴局', 'c/t1/d1-part/县教科局', 'c/t1/d2-part/县教科局', 'c/t1/d3-part/县教科局']);
    expect(old.filter((id) => !/\/d[23]-part\//.test(id))).toEqual(now);
  });

  it('change nothing for a plan whose parts are all of dates ahead (the seed): both expansions are one list', () => {
    expect(partsLeftOut(seed.input.plan, START)).toEqual([]);
    const a = expandCampaign(seed.input, START).map((d) => d.duty.dutyId);
    expect(expandCampaign(seed.input, START, { partsAtEveryDate: true }).map((d) => d.duty.dutyId)).toEqual(a);
  });

  it('a run of today’s code records the marker and starts 0.7.0’s duties; a campaign carrying 0.6.0’s keeps them', async () => {
    const env = await devServerEnv();
    const taskQueue = uniqueQueue('parts');
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel: new RecordingChannel(), workflowBundle: workflowBundle() });
    const running = worker.run();
    const clockOffsetMs = Date.parse(`${START}T10:00:00+08:00`) - Date.now();
    const startedAt = Date.parse(`${START}T10:00:00+08:00`);
    const fresh = `parts-fresh-${randomUUID()}`;
    const carried = `parts-carried-${randomUUID()}`;
    const started: string[] = [];
    const run = async (campaignId: string, extra: Partial<CampaignInput>) => {
      const workflowId = `duban/${campaignId}`;
      started.push(workflowId);
      await env.client.workflow.start('campaignWorkflow', {
        taskQueue,
        workflowId,
        args: [{ ...input(campaignId), options: { morningSettleSeconds: 1 }, clockOffsetMs, ...extra }],
      });
      const handle = env.client.workflow.getHandle(workflowId);
      return { handle, history: () => handle.fetchHistory() };
    };
    try {
      const a = await run(fresh, {});
      const aLedger = await until('the fresh campaign’s duties in its ledger', async () => {
        const entries = await a.handle.query(ledgerQuery);
        return entries.length === 25 ? entries : undefined;
      });
      started.push(...aLedger.map((e) => e.dutyId));
      expect(aLedger.filter((e) => e.lead).every((e) => e.dutyId.includes('/t1/d1-part/'))).toBe(true);
      const history = await a.history();
      const markers = (history.events ?? []).flatMap((e) => {
        const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
        return data ? [(JSON.parse(Buffer.from(data).toString()) as { id: string }).id] : [];
      });
      expect(markers).toContain(PARTS_WHERE_DUE_PATCH);
      // What it recorded replays on the same code.
      const bytes = temporal.api.history.v1.History.encode(history).finish();
      await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, temporal.api.history.v1.History.decode(bytes), `duban/${fresh}`);

      // A campaign that continued as new from 0.6.0's list before its first duty (the flag carried): it keeps the list.
      const b = await run(carried, { carried: { startedAt, started: 0, ledger: [], morning: true, partsAtEveryDate: true } });
      const bLedger = await until('the carried campaign’s duties in its ledger', async () => {
        const entries = await b.handle.query(ledgerQuery);
        return entries.length === 69 ? entries : undefined;
      });
      started.push(...bLedger.map((e) => e.dutyId));
      expect(bLedger.filter((e) => e.dutyId.includes('/t1/d3-part/'))).toHaveLength(22);
    } finally {
      for (const id of started) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      worker.shutdown();
      await running;
      await env.teardown();
    }
  }, 120_000);
});
