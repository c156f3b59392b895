/**
 * The city's desk paths for the recording (from 0.9.1's on): a desk in three shards with its limits lowered
 * (signalsBeforeContinue, carryInlineBytes, parcelBytes), so that a few dozen items take the paths a city's evening
 * takes: duties handing each shard its part (desk-shards), the count raised to five at night with items moved and a
 * take-back and a status following them (the relay), a campaign stopped with an item handed after its drop
 * (desk-stopped-refused), a shard continuing as new after its signals (desk-signal-cap) with what it holds in parcels
 * (desk-parcels, desk-carry-bounded), the instant sent in waves, and moved keys forgotten after it (desk-moved-prune).
 * On the dev server in real time (about four minutes): under time skipping the Java test server stopped its clock
 * once a shard continued as new with parcels (its children), as it did for 0.2.0's recording. Moved keys are not yet
 * forgotten when it ends (that is an hour past the instant), but the decision is recorded. Every shard's runs and
 * two duties are saved.
 */
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { RecordingChannel } from '../activities/outbox';
import { createWorker } from '../worker';
import { deskShardIds, deskShardOf } from '../workflows/desk-shards';
import { acknowledgeUpdate, deskDropSignal, deskJoinSignal, deskQuery, morningItemSignal } from '../workflows/messages';
import { calendar2022, dutyInput } from './duty-fixtures';
import { deskItem } from './desk-items';

const UNITS = ['县民政局', '县教科局', '县卫健局', '县住建局', '县水务局', '县农业农村局', '县人社局', '县医保局', '县交通运输局', '县自然资源局', '县财政局', '县残联'];
const OFFICE = '县乡村振兴局';
const START = Date.parse('2022-05-17T08:57:00+08:00');
const INSTANT = Date.parse('2022-05-17T09:00:00+08:00');

type Save = (name: string, workflowId: string) => Promise<void>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function recordDeskShards(env: { client: Client; nativeConnection: NativeConnection }, save: Save): Promise<void> {
  const taskQueue = 'record-desk-shards';
  const deskId = 'duban/desk/record-shards';
  const [kept, stopped] = ['record-shards-a', 'record-shards-b'];
  const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel: new RecordingChannel() });
  await worker.runUntil(async () => {
    const offset = START - Date.now();
    const limits = { signalsBeforeContinue: 30, carryInlineBytes: 2_048, parcelBytes: 3_000, continueAsNewAfterEvents: 400 };
    await env.client.workflow.start('deskWorkflow', { taskQueue, workflowId: deskId, args: [{ deskId, calendar: calendar2022, campaigns: [], clockOffsetMs: offset, shards: 3, ...limits }] });
    for (const id of deskShardIds(deskId, 3)) await until(() => env.client.workflow.getHandle(id).query(deskQuery).then(() => true, () => false));
    for (const campaignId of [kept, stopped]) await env.client.workflow.getHandle(deskId).signal(deskJoinSignal, { campaignId, digestUnits: [OFFICE], calendar: calendar2022, shards: 3 });
    // Two duties in desk mode, each copying the office: each shard gets its recipients' part.
    const duties = UNITS.slice(0, 2).map((unit) => `${kept}/t1/d1/${unit}`);
    for (const [i, dutyId] of duties.entries()) {
      const base = dutyInput(dutyId, '2022-05-20', { reminderOffsets: [3, 0], informUnits: [OFFICE], morningWorkflowId: deskId, morningDesk: true, deskShards: 3, startAt: START, clockOffsetMs: offset });
      await env.client.workflow.start('dutyWorkflow', { taskQueue, workflowId: dutyId, args: [{ ...base, duty: { ...base.duty, unit: UNITS[i]! } }] });
    }
    // Items as other duties hand them, to their units' shards: enough that a shard's holding is past the lowered
    // inline size, and its signals past the lowered count.
    const item = (i: number, campaign: string) => {
      const unit = UNITS[i % UNITS.length]!;
      return { ...deskItem(i, INSTANT, 1, campaign), unit, toUnits: [unit], recipients: [{ unit, role: 'coordinators' as const }] };
    };
    for (let i = 0; i < 24; i++) await env.client.workflow.getHandle(deskShardOf(deskId, UNITS[i % UNITS.length]!, 3)).signal(morningItemSignal, item(i, i % 3 ? kept : stopped));
    await sleep(5_000);
    // Raised to five at night: what no longer maps to a shard moves.
    await env.client.workflow.getHandle(deskId).signal(deskJoinSignal, { campaignId: kept, digestUnits: [OFFICE], calendar: calendar2022, shards: 5 });
    await sleep(10_000);
    // A duty acknowledges after the raise: its take-back and status follow what moved.
    await env.client.workflow.getHandle(duties[0]!).executeUpdate(acknowledgeUpdate, { args: [{ actor: { person: '王晓明', unit: UNITS[0]!, role: 'coordinator' } }] });
    // The second campaign is stopped; one of its duties hands an item after the drop.
    await env.client.workflow.getHandle(deskId).signal(deskDropSignal, { campaignId: stopped });
    await sleep(5_000);
    await env.client.workflow.getHandle(deskShardOf(deskId, UNITS[3]!, 5)).signal(morningItemSignal, item(99, stopped));
    // More items, so that shards pass their lowered signal count and continue as new holding them (parcels).
    for (let i = 24; i < 90; i++) await env.client.workflow.getHandle(deskShardOf(deskId, UNITS[i % UNITS.length]!, 5)).signal(morningItemSignal, item(i, kept));
    // The instant, its settling (20 s at the least) and its sends.
    await sleep(INSTANT + 60_000 - (Date.now() + offset));
    for (const [i, id] of deskShardIds(deskId, 5).entries()) await save(i ? `desk-shard-${i}` : 'desk-shards-home', id);
    for (const [i, dutyId] of duties.entries()) await save(`duty-deadline-desk-shards-${i ? 'silent' : 'acknowledged'}`, dutyId);
    for (const id of [...duties, ...deskShardIds(deskId, 5)]) await env.client.workflow.getHandle(id).terminate('recorded').catch(() => undefined);
  });
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    if (await check()) return;
    await sleep(200);
  }
  throw new Error('a desk shard never started');
}
