/**
 * The desk's drills on the real cluster (issue #27), in real time: a campaign started as `duban campaign start`
 * starts it (desk-campaign.ts: 320 duties over 40 units, each unit owed one message at 09:00), run by one
 * deployment worker process (both queues, as `duban worker`), mail to an SMTP sink that counts what each unit got.
 * The faults: the desk terminated after the hand-over and `desk ensure` run; the campaign terminated as the Web UI
 * does; the worker SIGKILLed while the desk sends; PostgreSQL restarted during the hand-over. Each unit still gets
 * exactly one message listing every task it leads: 0 lost, 0 doubled.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { channelSettingsFromEnv, writeChannelSettings } from '../../../campaigns/deployment';
import { ensureDesk } from '../../../campaigns/desk';
import { clusterStop, clusterUp, restartPostgres, type ClusterHandle } from '../../../servers/cluster';
import { onInterrupt } from '../../../servers/interrupts';
import { startSmtpSink } from '../../smtp-sink';
import { countLine, countMorning, deskHolds, drillUnits, endDrillCampaign, startDrillCampaign, waitUntil, watchArrivals, type DrillCampaign, type MorningCount } from './desk-campaign';
import { killAllWorkers, startTrackedWorker } from './workers';

const DATA = join(__dirname, '..', '..', '..', 'data');
const DEPLOYMENT_WORKER = join(__dirname, 'deployment-worker.ts');
const UNITS = drillUnits(40);
const PER_UNIT = 8;
/** The desk settles an instant 20 s after it at the soonest and 10 minutes at the latest; then a margin. */
const MESSAGES_WITHIN_MS = 11 * 60_000;
const log = (line: string) => process.stdout.write(`[desk drill] ${line}\n`);
const since = (t: number) => `${((Date.now() - t) / 1000).toFixed(1)} s`;

describe('desk drills on a real Temporal cluster', () => {
  let cluster: ClusterHandle | undefined;
  let connection: Connection | undefined;
  const teardown = async () => {
    const killed = await killAllWorkers();
    if (killed) log(`${killed} worker process(es) stopped`);
    await connection?.close().catch(() => undefined);
    connection = undefined;
    if (cluster) await clusterStop(cluster, log);
    cluster = undefined;
  };
  let releaseInterrupt: () => void = () => undefined;

  beforeAll(async () => {
    releaseInterrupt = onInterrupt(teardown);
    // `campaign start` and `desk ensure` read the channels the worker wrote to the data folder (campaigns/deployment.ts).
    process.env.DUBAN_DATA_DIR = mkdtempSync(join(tmpdir(), 'duban-desk-drill-data-'));
    writeChannelSettings(process.env.DUBAN_DATA_DIR, channelSettingsFromEnv({}));
    cluster = await clusterUp(DATA, log, { tiedToProcess: true });
    connection = await Connection.connect({ address: cluster.address });
  }, 900_000);

  afterAll(async () => {
    try {
      await teardown();
    } finally {
      releaseInterrupt();
    }
  }, 120_000);

  /** One drill's deployment: its task queue, its SMTP sink, its send ledger and its worker process. */
  async function deployment(tag: string) {
    const sink = await startSmtpSink();
    const arrivals = watchArrivals(sink);
    const taskQueue = `desk-drill-${tag}-${randomUUID()}`;
    const env = {
      TEMPORAL_ADDRESS: cluster!.address,
      TASK_QUEUE: taskQueue,
      SMTP_PORT: String(sink.port),
      LEDGER_FILE: join(mkdtempSync(join(tmpdir(), 'duban-desk-drill-')), 'send-ledger.sqlite'),
      BUNDLE_PATH: inject('workflowBundlePath'),
    };
    const startWorker = () => startTrackedWorker(env, 180_000, DEPLOYMENT_WORKER);
    const worker = await startWorker();
    let campaign: DrillCampaign | undefined;
    return {
      sink,
      arrivals,
      worker,
      startWorker,
      start: async (leadMs: number) => {
        campaign = await startDrillCampaign({ connection: connection!, address: cluster!.address, tag, taskQueue, leadMs, units: UNITS, perUnit: PER_UNIT });
        log(`${tag}: campaign ${campaign.workflowId} started, ${campaign.dutyIds.length} duties over ${UNITS.length} units; the instant in ${((campaign.instant - Date.now()) / 1000).toFixed(0)} s`);
        return campaign;
      },
      /** Once every unit has a message (or the desk's longest settling has passed), a moment for late seconds. */
      messages: async (c: DrillCampaign, withinMs = MESSAGES_WITHIN_MS): Promise<MorningCount> => {
        await waitUntil('a message for every unit', () => countMorning(sink, c).missing.length === 0, Math.max(0, c.instant - Date.now()) + withinMs, 250).catch((err: unknown) => log(String(err)));
        await new Promise((r) => setTimeout(r, 15_000));
        await sink.settled();
        const count = countMorning(sink, c, arrivals.at);
        log(`${tag}: ${countLine(count)}`);
        return count;
      },
      end: async () => {
        arrivals.stop();
        await killAllWorkers();
        if (campaign) await endDrillCampaign(campaign);
        await sink.close();
      },
    };
  }

  /** What a unit would notice: no message, a second one, a task missing from it. */
  function expectOneMessageEach(count: MorningCount, repeatsAllowed = 0) {
    expect(count.missing, 'units that got no message at 09:00 (they never hear of their tasks)').toEqual([]);
    expect(count.second, 'units that got a second message about the same morning').toEqual([]);
    expect(count.lostItems, 'tasks missing from their unit’s message (a reminder the unit never read)').toEqual([]);
    expect(count.repeats.every((r) => r.sameMessageId), 'a repeated copy is the same message (same Message-ID), which mail systems drop').toBe(true);
    expect(count.repeats.reduce((n, r) => n + r.copies - 1, 0), 'copies of one message that arrived twice').toBeLessThanOrEqual(repeatsAllowed);
    expect(count.other, 'mails other than the morning messages (alerts to the administrators, a duty sending alone)').toBe(0);
    expect(count.exactlyOne + count.repeats.length, 'units with their one message').toBe(count.units);
  }

  it('desk terminated after the hand-over, `desk ensure` run: every unit still gets its one message', async () => {
    const d = await deployment('ensure');
    try {
      const t0 = Date.now();
      const c = await d.start(240_000);
      await waitUntil('the desk holding every item', async () => ((await deskHolds(c)) ?? 0) >= c.items, c.instant - Date.now() - 150_000, 1000);
      log(`ensure: the desk holds all ${c.items} items ${since(t0)} after the start`);
      await c.client.workflow.getHandle(c.deskId).terminate('drill: an operator terminated the desk after the hand-over');
      const t1 = Date.now();
      const report = await ensureDesk(c.client, c.taskQueue, channelSettingsFromEnv({}));
      log(`ensure: desk terminated and started again by ensureDesk in ${since(t1)} (${JSON.stringify(report)})`);
      expect(report.started, 'desk ensure started the lost desk').toBe(true);
      expect(report.campaigns, 'the new desk knows the running campaign').toEqual([c.campaignId]);
      await waitUntil('the new desk holding every item again', async () => ((await deskHolds(c)) ?? 0) >= c.items, c.instant - Date.now() - 10_000, 1000);
      log(`ensure: the new desk holds ${await deskHolds(c)} items ${since(t1)} after the terminate, ${((c.instant - Date.now()) / 1000).toFixed(0)} s before the instant`);
      expectOneMessageEach(await d.messages(c));
    } finally {
      await d.end();
    }
  }, 1_200_000);

  it('campaign terminated (as from the Web UI) before the instant: every unit gets its one message and no duty fails', async () => {
    const d = await deployment('terminated');
    try {
      const c = await d.start(150_000);
      const t0 = Date.now();
      // Terminated as soon as the campaign has started every duty, while they are still handing over: the duties then
      // report to a campaign that is gone. The campaign starts them in order, so the ids are checked in order.
      let started = 0;
      await waitUntil(
        'every duty started',
        async () => {
          while (started < c.dutyIds.length) {
            const chunk = c.dutyIds.slice(started, started + 25);
            const found = await Promise.all(chunk.map((id) => c.client.workflow.getHandle(id).describe().then(() => true, () => false)));
            const first = found.indexOf(false);
            started += first < 0 ? chunk.length : first;
            if (first >= 0) return undefined;
          }
          return true;
        },
        c.instant - Date.now() - 30_000,
        200,
      );
      const held = await deskHolds(c);
      await c.client.workflow.getHandle(c.workflowId).terminate('drill: terminated in the Web UI');
      log(`terminated: campaign terminated ${since(t0)} after its start, all ${c.dutyIds.length} duties started, the desk holding ${held ?? '?'} of ${c.items} items`);
      const count = await d.messages(c);
      // The duties carry on alone: each still running, no workflow task of theirs failed.
      const failed: string[] = [];
      const notRunning: string[] = [];
      for (let i = 0; i < c.dutyIds.length; i += 20) {
        await Promise.all(
          c.dutyIds.slice(i, i + 20).map(async (id) => {
            const h = c.client.workflow.getHandle(id);
            if ((await h.describe()).status.name !== 'RUNNING') notRunning.push(id);
            const history = await h.fetchHistory();
            if (history.events?.some((e) => e.workflowTaskFailedEventAttributes || e.workflowExecutionFailedEventAttributes)) failed.push(id);
          }),
        );
      }
      log(`terminated: ${c.dutyIds.length - notRunning.length}/${c.dutyIds.length} duties running after the instant, ${failed.length} with a failed workflow task`);
      expect(notRunning, 'duties that stopped with their campaign (their units would hear nothing more)').toEqual([]);
      expect(failed, 'duties with a failed workflow task (stuck until someone fixes them)').toEqual([]);
      expectOneMessageEach(count);
    } finally {
      await d.end();
    }
  }, 1_200_000);

  it('worker SIGKILLed while the desk sends, and started again: 0 lost, 0 doubled', async () => {
    const d = await deployment('kill');
    try {
      const c = await d.start(150_000);
      await waitUntil('the desk holding every item', async () => ((await deskHolds(c)) ?? 0) >= c.items, c.instant - Date.now() - 5_000, 1000);
      const sending = () => countMorning(d.sink, c).mails;
      await waitUntil('the desk sending', () => (d.sink.received.length >= 3 ? true : undefined), c.instant - Date.now() + MESSAGES_WITHIN_MS, 20);
      d.worker.kill('SIGKILL');
      const killedAt = Date.now();
      const atKill = sending();
      log(`kill: worker SIGKILLed after ${atKill} of ${UNITS.length} units' messages, ${((killedAt - c.instant) / 1000).toFixed(1)} s after the instant`);
      await new Promise((r) => setTimeout(r, 2000));
      await d.startWorker();
      log(`kill: worker started again ${since(killedAt)} after the kill; ${sending()} messages so far`);
      const count = await d.messages(c, MESSAGES_WITHIN_MS + 5 * 60_000);
      log(`kill: the last message came ${(((count.lastMs ?? 0) + c.instant - killedAt) / 1000).toFixed(1)} s after the kill; repeats ${JSON.stringify(count.repeats)}`);
      // The desk sends one unit's message at a time: at most the one in flight at the kill may come twice (SMTP cannot
      // tell a sender that died before reading `250` whether it was taken), as the same message.
      expectOneMessageEach(count, 1);
    } finally {
      await d.end();
    }
  }, 1_500_000);

  it('PostgreSQL restarted during the hand-over: 0 lost, 0 doubled', async () => {
    const d = await deployment('postgres');
    try {
      const c = await d.start(150_000);
      const t0 = Date.now();
      const before = await waitUntil('the hand-over under way', async () => {
        const held = await deskHolds(c);
        return held !== undefined && held >= c.items / 10 ? held : undefined;
      }, c.instant - Date.now() - 60_000, 200);
      const restartAt = Date.now();
      await restartPostgres(DATA);
      log(`postgres: PostgreSQL restarted in ${since(restartAt)}, ${since(t0)} after the campaign's start, the desk holding ${before} of ${c.items} items`);
      expect(before, 'PostgreSQL restarted while the duties were still handing over').toBeLessThan(c.items);
      await waitUntil('the desk holding every item', async () => ((await deskHolds(c)) ?? 0) >= c.items, c.instant - Date.now(), 1000);
      log(`postgres: the desk holds all ${c.items} items ${since(restartAt)} after the restart, ${((c.instant - Date.now()) / 1000).toFixed(0)} s before the instant`);
      expectOneMessageEach(await d.messages(c));
    } finally {
      await d.end();
    }
  }, 1_200_000);
});
