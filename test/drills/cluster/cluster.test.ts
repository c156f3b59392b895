/**
 * Cluster drills (`npm run drills:cluster`): duban on the real Temporal cluster `duban cluster up` sets up
 * (server v1.29.1, frontend/history/matching/worker as four processes, 8 history shards, PostgreSQL), reached
 * through its address as a user's own cluster would be. Two duban worker processes share a 2,000-duty storm;
 * one is SIGKILLed mid-storm and the history service is killed and restarted mid-storm; then PostgreSQL is
 * restarted between two instants. Everything is delivered, once (a send in flight at a worker's kill may
 * repeat, with the same Message-ID: at most the SMTP pool's 2 connections).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { clusterStop, clusterUp, restartPostgres, restartService, type ClusterHandle } from '../../../servers/cluster';
import { onInterrupt } from '../../../servers/interrupts';
import { startSmtpSink, type SmtpSink } from '../../smtp-sink';
import { expectDeliveredOnce, startStorm, terminateAll } from '../storm';
import { killAllWorkers, startTrackedWorker as startWorkerProcess } from './workers';

const DATA = join(__dirname, '..', '..', '..', 'data');
const log = (line: string) => process.stdout.write(`[cluster drill] ${line}\n`);

async function waitFor(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('drills on a real Temporal cluster', () => {
  let cluster: ClusterHandle | undefined;
  let client: Client;
  let connection: Connection | undefined;

  // Everything the drill started, whether its tests passed or not: the worker processes, and whatever of the
  // cluster this run brought up (a cluster that was already running before the drill stays running).
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
    cluster = await clusterUp(DATA, log, { tiedToProcess: true });
    connection = await Connection.connect({ address: cluster.address });
    client = new Client({ connection });
  }, 900_000);

  afterAll(async () => {
    try {
      await teardown();
    } finally {
      releaseInterrupt();
    }
  }, 120_000);

  const workerEnv = (taskQueue: string, sink: SmtpSink, ledger: string) => ({
    TEMPORAL_ADDRESS: cluster!.address,
    TASK_QUEUE: taskQueue,
    SMTP_PORT: String(sink.port),
    LEDGER_FILE: ledger,
    BUNDLE_PATH: inject('workflowBundlePath'),
  });

  it('delivers a 2,000-duty storm once across two workers, one SIGKILLed and the history service restarted mid-storm', async () => {
    const sink = await startSmtpSink();
    const taskQueue = `cluster-storm-${randomUUID()}`;
    const ledger = join(mkdtempSync(join(tmpdir(), 'duban-cluster-')), 'send-ledger.sqlite');
    const env = workerEnv(taskQueue, sink, ledger);
    const n = 2000;
    const ids: string[] = [];
    try {
      const workers = [await startWorkerProcess(env), await startWorkerProcess(env)];
      const started = Date.now();
      const storm = await startStorm(client, taskQueue, n, 60_000, `cluster-${randomUUID()}`);
      ids.push(...storm.ids);
      const { instant } = storm;
      log(`${n} duties started in ${Date.now() - started} ms; the instant in ${instant - Date.now()} ms`);
      await waitFor('a quarter delivered', () => sink.received.length >= n / 4, instant - Date.now() + 300_000);
      const atKill = sink.received.length;
      workers[0]!.kill('SIGKILL');
      log(`worker 1 SIGKILLed after ${atKill} deliveries (${Date.now() - instant} ms after the instant)`);
      await waitFor('half delivered', () => sink.received.length >= n / 2, 300_000);
      const atHistory = sink.received.length;
      await restartService(DATA, 'history', log);
      log(`history service restarted after ${atHistory} deliveries (${Date.now() - instant} ms after the instant)`);
      workers[0] = await startWorkerProcess(env);
      await waitFor('every reminder', () => new Set(sink.received.map((m) => String(m.headers.get('x-duban-key')))).size >= n, 600_000);
      const allIn = Date.now() - instant;
      await new Promise((r) => setTimeout(r, 3000));
      log(`all ${n} delivered ${allIn} ms after the instant; ${sink.received.length} mails received (${sink.received.length - n} repeats)`);
      expectDeliveredOnce(sink, n, 2);
    } finally {
      await killAllWorkers();
      await terminateAll(client, ids);
      await sink.close();
    }
  }, 1_200_000);

  it('delivers both instants once when PostgreSQL restarts between them', async () => {
    const sink = await startSmtpSink();
    const taskQueue = `cluster-pg-${randomUUID()}`;
    const ledger = join(mkdtempSync(join(tmpdir(), 'duban-cluster-')), 'send-ledger.sqlite');
    const n = 200;
    const ids: string[] = [];
    try {
      await startWorkerProcess(workerEnv(taskQueue, sink, ledger));
      const first = await startStorm(client, taskQueue, n, 20_000, `pg1-${randomUUID()}`);
      ids.push(...first.ids);
      const second = await startStorm(client, taskQueue, n, 60_000, `pg2-${randomUUID()}`);
      ids.push(...second.ids);
      await waitFor('the first instant', () => sink.received.length >= n, 300_000);
      const restartAt = Date.now();
      await restartPostgres(DATA);
      log(`PostgreSQL restarted in ${Date.now() - restartAt} ms, ${second.instant - Date.now()} ms before the second instant`);
      await waitFor('the second instant', () => new Set(sink.received.map((m) => String(m.headers.get('x-duban-key')))).size >= 2 * n, 600_000);
      log(`second instant: all delivered ${Date.now() - second.instant} ms after it`);
      await new Promise((r) => setTimeout(r, 3000));
      expectDeliveredOnce(sink, 2 * n, 0);
    } finally {
      await killAllWorkers();
      await terminateAll(client, ids);
      await sink.close();
    }
  }, 1_200_000);
});
