/**
 * The desk in shards (issue #27): each recipient unit belongs to one shard, and a duty hands each shard only its
 * recipients' part, so a supervising office copied on every duty still gets one message per instant. The count can
 * be raised while the shards hold the evening's items: what no longer maps to a shard moves to the one it maps to,
 * and a take-back follows it. What a unit notices: one message per instant, nothing twice, nothing about work done.
 * Time-skipping server, duties handing to a home shard that starts the others.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingChannel } from '../activities/outbox';
import { channelSettingsFromEnv, deskShardsFromEnv } from '../campaigns/deployment';
import { formatShanghai } from '../calendar/working-days';
import { createWorker } from '../worker';
import { deskShardIds, deskShardOf, shardOfUnit, splitByShard } from '../workflows/desk-shards';
import { acknowledgeUpdate, deskJoinSignal, deskQuery, statusQuery } from '../workflows/messages';
import type { Actor } from '../workflows/messages';
import type { OutgoingMessage } from '../workflows/types';
import { calendar2022, dutyInput } from './duty-fixtures';
import { timeSkippingEnv, uniqueQueue, workflowBundle } from './env';

const START = Date.parse('2022-05-05T10:00:00+08:00');
const UNITS = ['县民政局', '县教科局', '县卫健局', '县住建局', '县水务局', '县农业农村局', '县人社局', '县医保局', '县交通运输局', '县自然资源局', '县财政局', '县残联'];
const OFFICE = '县乡村振兴局';

describe('the pure shard map', () => {
  it('puts each unit in one shard, the same every time, and splits an item by its recipients', () => {
    expect(UNITS.map((u) => shardOfUnit(u, 3))).toEqual(UNITS.map((u) => shardOfUnit(u, 3)));
    expect(new Set(UNITS.map((u) => shardOfUnit(u, 3))).size).toBe(3);
    expect(shardOfUnit('县民政局', 1)).toBe(0);
    const item = { key: 'k', kind: 'escalation', toUnits: ['县民政局', OFFICE], recipients: [{ unit: '县民政局', role: 'coordinators' }, { unit: OFFICE, role: 'coordinators' }], level: 'red', at: 1, subject: 's', text: 't' } as OutgoingMessage;
    const parts = splitByShard(item, 'd', 64);
    const ids = [deskShardOf('d', '县民政局', 64), deskShardOf('d', OFFICE, 64)];
    expect([...parts.keys()].sort()).toEqual([...new Set(ids)].sort());
    for (const part of parts.values()) for (const r of part.recipients) expect(deskShardOf('d', r.unit, 64) === [...parts].find(([, p]) => p === part)![0]).toBe(true);
    expect(deskShardIds('d', 3)).toEqual(['d', 'd/shard-1', 'd/shard-2']);
  });
});

describe('DUBAN_DESK_SHARDS', () => {
  it('is a whole number from 1 to 64, written with the worker’s settings; anything else is refused by name', () => {
    expect(deskShardsFromEnv({})).toBeUndefined();
    expect(deskShardsFromEnv({ DUBAN_DESK_SHARDS: '1' })).toBeUndefined();
    expect(deskShardsFromEnv({ DUBAN_DESK_SHARDS: ' 16 ' })).toBe(16);
    expect(channelSettingsFromEnv({ DUBAN_DESK_SHARDS: '16' }).deskShards).toBe(16);
    for (const bad of ['0', '65', '2.5', 'many']) expect(() => deskShardsFromEnv({ DUBAN_DESK_SHARDS: bad })).toThrow(`DUBAN_DESK_SHARDS=${bad}`);
  });
});

describe('a desk in three shards, raised to five overnight', () => {
  let env: TestWorkflowEnvironment;
  const sent: OutgoingMessage[] = [];
  let stop: () => Promise<void> = async () => undefined;
  const tag = uniqueQueue('shards');
  const deskId = `duban/desk/${tag}`;
  const dutyOf = (unit: string) => `${tag}/t1/d1/${unit}`;
  let offset = 0;
  const runTo = async (iso: string) => {
    const ms = Date.parse(iso) - ((await env.currentTimeMs()) + offset);
    if (ms > 0) await env.sleep(ms);
  };
  const to = (unit: string, iso: string) => sent.filter((m) => m.toUnits.includes(unit) && formatShanghai(m.at) === iso);
  // A unit whose shard changes from three to five: its item moves overnight, and its take-back must follow.
  const mover = UNITS.find((u) => shardOfUnit(u, 3) !== shardOfUnit(u, 5))!;

  beforeAll(async () => {
    env = await timeSkippingEnv();
    const taskQueue = uniqueQueue('shards');
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel: new RecordingChannel(undefined, async (m) => void sent.push(m)), workflowBundle: workflowBundle() });
    const running = worker.run();
    offset = START - (await env.currentTimeMs());
    await env.client.workflow.start('deskWorkflow', { taskQueue, workflowId: deskId, args: [{ deskId, calendar: calendar2022, campaigns: [], clockOffsetMs: offset, shards: 3 }] });
    for (const unit of UNITS) {
      const base = dutyInput(dutyOf(unit), '2022-05-20', { reminderOffsets: [3, 0], informUnits: [OFFICE], morningWorkflowId: deskId, morningDesk: true, deskShards: 3, startAt: START, clockOffsetMs: offset });
      await env.client.workflow.start('dutyWorkflow', { taskQueue, workflowId: dutyOf(unit), args: [{ ...base, duty: { ...base.duty, unit } }] });
    }
    stop = async () => {
      for (const id of [...UNITS.map(dutyOf), ...deskShardIds(deskId, 5)]) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      worker.shutdown();
      await running;
      await env.teardown();
    };
  }, 60_000);
  afterAll(async () => stop());

  it('sends the office copied on every duty one message at the start, and each unit one', async () => {
    await runTo('2022-05-05T11:00:00+08:00');
    const first = to(OFFICE, '2022-05-05T10:00:00+08:00');
    expect(first).toHaveLength(1);
    expect(first[0]!.items?.map((i) => i.dutyId).sort()).toEqual(UNITS.map(dutyOf).sort());
    for (const unit of UNITS) expect(to(unit, '2022-05-05T10:00:00+08:00')).toHaveLength(1);
  }, 120_000);

  it('holds each unit’s reminder in that unit’s shard the evening before', async () => {
    await runTo('2022-05-16T23:00:00+08:00');
    const held = await Promise.all(deskShardIds(deskId, 3).map((id) => env.client.workflow.getHandle(id).query(deskQuery)));
    for (const unit of UNITS) {
      const state = await env.client.workflow.getHandle(dutyOf(unit)).query(statusQuery);
      expect(state.ahead?.length).toBeGreaterThan(0);
      for (const a of state.ahead ?? []) expect(a.desks).toEqual([deskShardOf(deskId, unit, 3)]);
    }
    const expected = deskShardIds(deskId, 3).map((id) => UNITS.filter((u) => deskShardOf(deskId, u, 3) === id).length);
    // Tuesday's reminder of each duty, in its unit's shard.
    expect(held.map((h) => h.pending)).toEqual(expected);
  }, 120_000);

  it('after a raise to five at night, each unit still gets its one message, and a take-back follows its moved item', async () => {
    await env.client.workflow.getHandle(deskId).signal(deskJoinSignal, { campaignId: 'other', digestUnits: [], calendar: calendar2022, shards: 5 });
    await env.sleep(60_000);
    const held = await Promise.all(deskShardIds(deskId, 5).map((id) => env.client.workflow.getHandle(id).query(deskQuery)));
    expect(held.map((h) => h.shards)).toEqual([5, 5, 5, 5, 5]);
    expect(held.map((h) => h.pending)).toEqual(deskShardIds(deskId, 5).map((id) => UNITS.filter((u) => deskShardOf(deskId, u, 5) === id).length));
    // The mover acknowledges: its duty takes back from the shard it handed to, which passes the take-back on.
    const coordinator: Actor = { person: '周志强（虚构）', unit: mover, role: 'coordinator' };
    await env.client.workflow.getHandle(dutyOf(mover)).executeUpdate(acknowledgeUpdate, { args: [{ actor: coordinator }] });
    await runTo('2022-05-17T10:00:00+08:00');
    for (const unit of UNITS) expect(to(unit, '2022-05-17T09:00:00+08:00'), unit).toHaveLength(1);
    const moverText = to(mover, '2022-05-17T09:00:00+08:00')[0]!.text;
    expect(moverText).toContain('还有 3 个工作日截止');
    expect(moverText).not.toContain('尚未确认');
    expect(sent.filter((m) => formatShanghai(m.at).startsWith('2022-05-17')).length).toBe(UNITS.length);
  }, 180_000);
});
