/**
 * A worker alone in its process, as `duban worker` runs one: either duban's (createWorker from a prebuilt
 * bundle, the recording channel with an outbox file, the seed directory, and email to an SMTP server when a
 * port is given) or the baseline's (the trivial workflows and activity, reporting each activity's run time).
 * Answers the parent's status, gc and stop requests over IPC.
 */
import { join } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { RecordingChannel } from '../activities/outbox';
import { createEmailSender, createSmtpTransport, type EmailSender } from '../channels/email';
import { SendLedger } from '../channels/ledger';
import { CAMPAIGN_WORKER_CACHE, createWorker } from '../worker';
import { createActivities } from '../activities';
import { benchDirectory, seedCampaign } from './duties';
import { createTrivialActivities } from './trivial-activities';

export interface WorkerProcessConfig {
  address: string;
  taskQueue: string;
  kind: 'duban' | 'trivial';
  bundlePath: string;
  /** duban only: where the outbox and the send ledger live. */
  dataDir?: string;
  /** duban only: send email to this SMTP port on loopback. */
  smtpPort?: number;
  /** duban only: this many extra units in the directory (bench/duties.ts benchDirectory). */
  extraUnits?: number;
  /** duban only: also run a campaigns' worker on this queue, as `duban worker` does (worker/index.ts campaignQueueOf). */
  campaignQueue?: string;
}

export interface WorkerProcessStatus {
  type: 'status';
  activations: number;
  activities: number;
  cached: number;
}

async function main() {
  const config = JSON.parse(process.argv[2] ?? '{}') as WorkerProcessConfig;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const connection = await NativeConnection.connect({ address: config.address });
  let email: EmailSender | undefined;
  let ledger: SendLedger | undefined;
  let done: { id: number; at: number }[] = [];
  let worker: Worker;
  let campaigns: Worker | undefined;
  if (config.kind === 'duban') {
    if (config.smtpPort) {
      const from = '督办系统 <duban@example.org>';
      ledger = new SendLedger(config.dataDir ? join(config.dataDir, 'send-ledger.sqlite') : ':memory:');
      email = createEmailSender({ transport: createSmtpTransport({ transport: { host: '127.0.0.1', port: config.smtpPort, secure: false, ignoreTLS: true }, from }), from, ledger });
    }
    const activities = createActivities({
      channel: new RecordingChannel(config.dataDir ? join(config.dataDir, 'outbox.jsonl') : undefined),
      directory: config.extraUnits ? benchDirectory(config.extraUnits) : seedCampaign().directory,
      ...(email ? { email } : {}),
    });
    worker = await createWorker({ connection, taskQueue: config.taskQueue, activities, workflowBundle: { codePath: config.bundlePath } });
    if (config.campaignQueue) {
      campaigns = await createWorker({ connection, taskQueue: config.campaignQueue, activities, maxCachedWorkflows: CAMPAIGN_WORKER_CACHE, workflowBundle: { codePath: config.bundlePath } });
    }
  } else {
    worker = await Worker.create({
      connection,
      taskQueue: config.taskQueue,
      workflowBundle: { codePath: config.bundlePath },
      activities: createTrivialActivities((id, at) => done.push({ id, at })),
    });
  }
  const flush = setInterval(() => {
    if (done.length === 0) return;
    process.send?.({ type: 'done', items: done });
    done = [];
  }, 25);
  process.on('message', (m: { type: string }) => {
    if (m.type === 'status') {
      const s = worker.getStatus();
      const status: WorkerProcessStatus = { type: 'status', activations: s.numInFlightWorkflowActivations, activities: s.numInFlightActivities, cached: s.numCachedWorkflows };
      process.send?.(status);
    } else if (m.type === 'gc') {
      (globalThis as { gc?: () => void }).gc?.();
      process.send?.({ type: 'gc-done' });
    } else if (m.type === 'stop') {
      worker.shutdown();
      campaigns?.shutdown();
    }
  });
  // The parent is gone (or interrupted): stop, and do not outlive it by more than a few seconds.
  process.on('disconnect', () => {
    worker.shutdown();
    campaigns?.shutdown();
    setTimeout(() => process.exit(0), 5000).unref();
  });
  const running = Promise.all([worker.run(), campaigns?.run()]);
  process.send?.({ type: 'ready' });
  await running;
  clearInterval(flush);
  email?.close();
  ledger?.close();
  await connection.close();
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`worker process failed: ${String(err)}\n`);
  process.exit(1);
});
