import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { RecordingChannel } from '../activities/outbox';
import { startDevServer } from '../servers/processes';
import { createWorker, WORKFLOWS_PATH } from '../worker';
import { countyDuties, offsetFor, seedCampaign, stormDuties } from './duties';
import { pool, waitQuiet, terminateAll } from './lib';
async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dev = await startDevServer();
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
  const native = await NativeConnection.connect({ address: dev.address });
  const client = new Client({ connection: await Connection.connect({ address: dev.address }) });
  for (const kind of ['memory', 'storm']) {
    const taskQueue = `scratch-${kind}`;
    const worker = await createWorker({ connection: native, taskQueue, channel: new RecordingChannel(), deps: { directory: seedCampaign().directory }, workflowBundle: { code: bundle.code } });
    const running = worker.run();
    const n = 1000;
    const duties = kind === 'memory' ? countyDuties(n, taskQueue, offsetFor('2022-06-10T20:00:00')) : stormDuties(n, taskQueue, '2022-06-15', Date.now() + 3600_000);
    const t0 = Date.now();
    const r = await pool(n, 50, (i) => client.workflow.start('dutyWorkflow', { taskQueue, workflowId: duties[i]!.duty.dutyId, args: [duties[i]!] }), 600_000);
    const q0 = Date.now();
    const quiet = await waitQuiet(client, taskQueue, () => { const s = worker.getStatus(); return { activations: s.numInFlightWorkflowActivations, activities: s.numInFlightActivities }; }, 600_000);
    console.log(kind, 'starts', r.ms, 'ms; settled', q0 - t0 + quiet, 'ms;', ((q0 - t0 + quiet) / n).toFixed(1), 'ms per duty; cached', worker.getStatus().numCachedWorkflows, 'rss', Math.round(process.memoryUsage().rss / 1048576));
    const t = await terminateAll(client, duties.map((d) => d.duty.dutyId), 120_000);
    console.log('terminate', t.ms);
    worker.shutdown(); await running;
  }
  await dev.stop();
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
