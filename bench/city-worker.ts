/**
 * The city benchmark's deployment worker in its own process (bench/city.ts), as `duban worker` runs one: one
 * process polls both the duties' queue and the campaigns' queue (where the campaigns and the desk shards run), with
 * one set of activities: email to the benchmark's SMTP sink, the send ledger in the benchmark's data dir, and the
 * benchmark's synthetic directory read from its file. Counts what the SDK logs at WARN and above (a failed workflow
 * task, a failed activity) and answers the parent's `status` with it. Exits once its parent is gone.
 */
import { join } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, type LogEntry } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createEmailSender, createSmtpTransport } from '../channels/email';
import { SendLedger } from '../channels/ledger';
import { loadDirectory } from '../plan/files';
import { CAMPAIGN_WORKER_CACHE, campaignQueueOf, createWorker } from '../worker';

export interface CityWorkerConfig {
  address: string;
  taskQueue: string;
  bundlePath: string;
  directoryFile: string;
  dataDir: string;
  smtpPort: number;
}

export interface CityWorkerStatus {
  type: 'status';
  warnings: number;
  errors: number;
  /** The first few WARN/ERROR lines, for the report. */
  samples: string[];
  cached: number;
}

const safeJson = (v: unknown) => {
  try {
    return JSON.stringify(v ?? {}, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x));
  } catch {
    return String(v);
  }
};

async function main() {
  const config = JSON.parse(process.argv[2] ?? '{}') as CityWorkerConfig;
  let warnings = 0;
  let errors = 0;
  const samples: string[] = [];
  const sink = (entry: LogEntry) => {
    if (entry.level === 'WARN') warnings++;
    else if (entry.level === 'ERROR') errors++;
    else return;
    if (samples.length < 20) samples.push(`${entry.level} ${entry.message} ${safeJson(entry.meta).slice(0, 400)}`);
  };
  Runtime.install({ logger: new DefaultLogger('WARN', sink), shutdownSignals: [] });
  const from = '督办系统 <duban@example.org>';
  const ledger = new SendLedger(join(config.dataDir, 'send-ledger.sqlite'));
  const email = createEmailSender({
    transport: createSmtpTransport({ transport: { host: '127.0.0.1', port: config.smtpPort, secure: false, ignoreTLS: true }, from }),
    from,
    ledger,
  });
  const activities = createActivities({ email, directory: loadDirectory(config.directoryFile) });
  const connection = await NativeConnection.connect({ address: config.address });
  const workflowBundle = { codePath: config.bundlePath };
  const duties = await createWorker({ connection, taskQueue: config.taskQueue, activities, workflowBundle });
  const campaigns = await createWorker({ connection, taskQueue: campaignQueueOf(config.taskQueue), activities, workflowBundle, maxCachedWorkflows: CAMPAIGN_WORKER_CACHE });
  process.on('message', (m: { type: string }) => {
    if (m.type === 'status') {
      const status: CityWorkerStatus = { type: 'status', warnings, errors, samples, cached: duties.getStatus().numCachedWorkflows + campaigns.getStatus().numCachedWorkflows };
      process.send?.(status);
    } else if (m.type === 'stop') {
      duties.shutdown();
      campaigns.shutdown();
    }
  });
  // The parent is gone (or interrupted): stop, and do not outlive it by more than a few seconds.
  const parent = process.ppid;
  const orphaned = () => {
    duties.shutdown();
    campaigns.shutdown();
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on('disconnect', orphaned);
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 1000).unref();
  const running = Promise.all([duties.run(), campaigns.run()]);
  process.send?.({ type: 'ready' });
  await running;
  email.close();
  ledger.close();
  await connection.close();
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`city worker failed: ${String(err)}\n`);
  process.exit(1);
});
