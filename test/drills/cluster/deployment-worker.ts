/**
 * A deployment's worker in its own process, for the desk drills: as `duban worker` runs, one process polls both the
 * duties' queue and the campaigns' queue (where the campaign and the desk run, and where the desk's sends are
 * activities), with one set of activities: email to a local SMTP sink, the send ledger in a file shared with its
 * successor. Configured by environment: TEMPORAL_ADDRESS, TASK_QUEUE, SMTP_PORT, LEDGER_FILE, BUNDLE_PATH.
 */
import { join } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createActivities } from '../../../activities';
import { createEmailSender, createSmtpTransport } from '../../../channels/email';
import { SendLedger } from '../../../channels/ledger';
import { loadDirectory } from '../../../plan/files';
import { CAMPAIGN_WORKER_CACHE, campaignQueueOf, createWorker } from '../../../worker';

// Orphaned (the drill died, or vitest stopped its process): exit, so no worker outlives the drill that started it.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 1000).unref();

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = process.env;
  const taskQueue = env.TASK_QUEUE ?? 'drill';
  const email = createEmailSender({
    transport: createSmtpTransport({ transport: { host: '127.0.0.1', port: Number(env.SMTP_PORT), secure: false, ignoreTLS: true }, from: 'duban@example.org' }),
    from: 'duban@example.org',
    ledger: new SendLedger(env.LEDGER_FILE ?? ':memory:'),
  });
  const activities = createActivities({ email, directory: loadDirectory(join(__dirname, '..', '..', '..', 'seeds', 'dazhu-units.yaml')) });
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  const workflowBundle = { codePath: env.BUNDLE_PATH ?? '' };
  const duties = await createWorker({ connection, taskQueue, activities, workflowBundle });
  const campaigns = await createWorker({ connection, taskQueue: campaignQueueOf(taskQueue), activities, workflowBundle, maxCachedWorkflows: CAMPAIGN_WORKER_CACHE });
  process.stdout.write('ready\n');
  await Promise.all([duties.run(), campaigns.run()]);
}

main().catch((err) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
