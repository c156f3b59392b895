/**
 * A duban worker alone in its process (as `duban worker` runs it), for measuring its memory: built with
 * createWorker from a prebuilt bundle, recording channel, the seed directory. Answers the parent's status
 * requests over IPC with what it has in flight.
 */
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { RecordingChannel } from '../activities/outbox';
import { createWorker } from '../worker';
import { seedCampaign } from './duties';

async function main() {
  const [address, taskQueue, bundlePath] = process.argv.slice(2);
  if (!address || !taskQueue || !bundlePath) throw new Error('usage: worker-process ADDRESS TASK_QUEUE BUNDLE');
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const connection = await NativeConnection.connect({ address });
  const worker = await createWorker({
    connection,
    taskQueue,
    channel: new RecordingChannel(),
    deps: { directory: seedCampaign().directory },
    workflowBundle: { codePath: bundlePath },
  });
  process.on('message', (m: { type: string }) => {
    if (m.type === 'status') {
      const s = worker.getStatus();
      process.send?.({ type: 'status', activations: s.numInFlightWorkflowActivations, activities: s.numInFlightActivities, cached: s.numCachedWorkflows });
    } else if (m.type === 'gc') {
      (globalThis as { gc?: () => void }).gc?.();
      process.send?.({ type: 'gc-done' });
    } else if (m.type === 'stop') {
      worker.shutdown();
    }
  });
  process.on('disconnect', () => worker.shutdown());
  const running = worker.run();
  process.send?.({ type: 'ready' });
  await running;
  await connection.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`worker process failed: ${String(err)}\n`);
  process.exit(1);
});
