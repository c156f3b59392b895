/**
 * A worker in its own process, for drills that kill it: email to a local SMTP sink, the send ledger in a
 * file shared with its successor. Configured by environment: TEMPORAL_ADDRESS, TASK_QUEUE, SMTP_PORT,
 * LEDGER_FILE, BUNDLE_PATH.
 */
import { join } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createEmailSender, createSmtpTransport } from '../../channels/email';
import { SendLedger } from '../../channels/ledger';
import { loadDirectory } from '../../plan/files';
import { createWorker } from '../../worker';

// A drill that dies (a failed hook, SIGKILL, vitest stopping its process) cannot kill this worker: it notices
// being orphaned (its parent pid changes) and exits, so no worker outlives the drill that started it.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 1000).unref();

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = process.env;
  const ledger = new SendLedger(env.LEDGER_FILE ?? ':memory:');
  const email = createEmailSender({
    transport: createSmtpTransport({ transport: { host: '127.0.0.1', port: Number(env.SMTP_PORT), secure: false, ignoreTLS: true }, from: 'duban@example.org' }),
    from: 'duban@example.org',
    ledger,
  });
  const worker = await createWorker({
    connection: await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' }),
    taskQueue: env.TASK_QUEUE ?? 'drill',
    deps: { email, directory: loadDirectory(join(__dirname, '..', '..', 'seeds', 'dazhu-units.yaml')) },
    workflowBundle: { codePath: env.BUNDLE_PATH ?? '' },
  });
  process.stdout.write('ready\n');
  await worker.run();
}

main().catch((err) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
