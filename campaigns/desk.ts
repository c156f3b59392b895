/**
 * `duban desk ensure`: the deployment's desk, rebuilt from its running campaigns. A desk terminated by an operator
 * (or lost) used to stay gone — `ensureDesk` runs only in a campaign's first run — and a desk started again by the
 * next campaign knew only that campaign's digest readers. Here every running campaign says what it tells its desk
 * (deskJoinQuery); the desk is started with all of them, on the worker's channel settings (campaigns/deployment.ts),
 * and the campaigns' duties hand again what they had handed the lost desk ahead of its instant.
 */
import type { Client } from '@temporalio/client';
import { mergeCalendars, type WorkCalendar } from '../calendar/working-days';
import { campaignQueueOf } from '../worker';
import type { DeskInput } from '../workflows/desk';
import { deskShardIds } from '../workflows/desk-shards';
import { deskJoinQuery, deskJoinSignal, deskQuery, deskRehandSignal, type DeskJoin } from '../workflows/messages';
import type { ChannelSettings } from './deployment';
import { deskIdFor, listCampaigns } from './registry';

export interface DeskReport {
  deskId: string;
  /** Started (it was not running) or found running. */
  started: boolean;
  campaigns: string[];
  /** Campaigns that did not answer (worker down): not joined, said so. */
  silent: string[];
}

export async function ensureDesk(client: Client, taskQueue: string, settings: ChannelSettings, timeoutMs = 10_000): Promise<DeskReport> {
  const deskId = deskIdFor(taskQueue);
  const running = (await listCampaigns(client, { taskQueue, running: true })).filter((c) => !c.info || c.info.morningDesk === deskId);
  const joins: DeskJoin[] = [];
  const joined: string[] = [];
  const silent: string[] = [];
  for (const c of running) {
    const join = await client.withDeadline(Date.now() + timeoutMs, () => client.workflow.getHandle(c.workflowId).query(deskJoinQuery)).catch(() => undefined);
    if (!join) {
      silent.push(c.workflowId);
      continue;
    }
    // The worker's channels, not those the campaign was started with.
    const { wechatTaskQueue: _started, ...rest } = join;
    void _started;
    joins.push({ ...rest, ...channelsOf(settings) });
    joined.push(c.workflowId);
  }
  const shards = settings.deskShards ?? 1;
  const withShards = (j: DeskJoin): DeskJoin => ({ ...j, ...(shards > 1 ? { shards } : {}) });
  const desk = client.workflow.getHandle(deskId);
  const statusOf = (id: string) =>
    client.workflow
      .getHandle(id)
      .describe()
      .then((d) => d.status.name)
      .catch(() => undefined);
  const calendar = joins.reduce<WorkCalendar | undefined>((cal, j) => (cal ? mergeCalendars(cal, j.calendar) : j.calendar), undefined);
  const delivery = joins.at(-1)?.delivery;
  const campaigns = joins.map((j) => ({ campaignId: j.campaignId, digestUnits: j.digestUnits }));
  let started = false;
  if ((await statusOf(deskId)) === 'RUNNING') {
    // The count the home shard runs with now: shards above it are new, and the home starts them itself.
    const before = await client.withDeadline(Date.now() + timeoutMs, () => desk.query(deskQuery)).then(
      (q) => q.shards ?? 1,
      () => 1,
    );
    // A count raised in the worker's settings raises the running desk's (its shards drain what moves).
    for (const join of joins) await desk.signal(deskJoinSignal, withShards(join));
    // A shard an operator terminated is started again from the same campaigns; the duties then hand again.
    if (calendar) {
      for (const [index, id] of deskShardIds(deskId, Math.min(before, shards)).entries()) {
        if (index === 0 || (await statusOf(id)) === 'RUNNING') continue;
        const input: DeskInput = { deskId: id, shardIndex: index, home: deskId, shards, calendar, campaigns, ...channelsOf(settings), ...(delivery ? { delivery } : {}) };
        await client.workflow.start('deskWorkflow', { taskQueue: campaignQueueOf(taskQueue), workflowId: id, args: [input] }).catch(() => undefined);
        started = true;
      }
    }
    if (!started) return { deskId, started: false, campaigns: joins.map((j) => j.campaignId), silent };
  } else {
    if (!calendar) return { deskId, started: false, campaigns: [], silent };
    const input: DeskInput = {
      deskId,
      calendar,
      campaigns,
      ...channelsOf(settings),
      ...(delivery ? { delivery } : {}),
      // The home shard starts the others (any still running keeps what it holds).
      ...(shards > 1 ? { shards } : {}),
    };
    await client.workflow.start('deskWorkflow', { taskQueue: campaignQueueOf(taskQueue), workflowId: deskId, args: [input] });
  }
  // The new desk (or shard) holds nothing: what the duties had handed the lost one comes again.
  for (const workflowId of joined) {
    await client.workflow
      .getHandle(workflowId)
      .signal(deskRehandSignal)
      .catch(() => undefined);
  }
  return { deskId, started: true, campaigns: joins.map((j) => j.campaignId), silent };
}

function channelsOf(settings: ChannelSettings): Pick<DeskJoin, 'wechatTaskQueue'> {
  return settings.wechatTaskQueue ? { wechatTaskQueue: settings.wechatTaskQueue } : {};
}
