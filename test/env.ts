/** Test environments on the run's shared servers, with fresh task queues per test. */
import { randomUUID } from 'node:crypto';
import { Runtime, DefaultLogger, makeTelemetryFilterString } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject } from 'vitest';
import { startTestServer } from '../servers/processes';
import { attachTimeSkipping } from '../servers/time-skipping';

let runtimeQuieted = false;
export function quietRuntime() {
  if (runtimeQuieted) return;
  runtimeQuieted = true;
  // The native core logs to the console on its own: at error level only, so test output stays readable.
  // Errors, and every failed activity (the SDK logs those as warnings): a failure a retry hides must still show.
  const logger = new DefaultLogger('WARN', (entry) => {
    if (entry.level !== 'ERROR' && entry.message !== 'Activity failed') return;
    const meta = entry.meta as { activityType?: string; workflowId?: string; error?: { message?: string } } | undefined;
    process.stderr.write(`[${entry.level}] ${entry.message}${meta?.activityType ? ` ${meta.activityType}` : ''}${meta?.workflowId ? ` (${meta.workflowId})` : ''}: ${meta?.error?.message ?? ''}\n`);
  });
  Runtime.install({ logger, telemetryOptions: { logging: { console: {}, filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }) } } });
}

let ownServer: Promise<string> | undefined;

/**
 * A time-skipping server for this test file (each file runs in its own process): a lock left behind by one
 * file (a test that timed out before its teardown) cannot stall the next. Released once after start, since
 * each environment below brings its own lock.
 */
function fileTestServer(): Promise<string> {
  ownServer ??= (async () => {
    const server = await startTestServer();
    process.once('exit', () => void server.stop());
    const env = await attachTimeSkipping(server.address);
    await env.connection.testService?.unlockTimeSkipping({});
    await env.teardown();
    return server.address;
  })();
  return ownServer;
}

/**
 * The Java test server, which skips time whenever no workflow work is pending and no client holds
 * time still. Each test's environment holds one lock except while it awaits a result (the SDK's client
 * unlocks then), so tests running side by side in other processes never skip time under each other.
 */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await attachTimeSkipping(await fileTestServer());
  const testService = env.connection.testService;
  if (!testService) throw new Error('the time-skipping connection has no test service');
  await testService.lockTimeSkipping({});
  const teardown = env.teardown.bind(env);
  env.teardown = async () => {
    await testService.unlockTimeSkipping({});
    await teardown();
  };
  return env;
}

/** The shared Temporal CLI dev server (real time). */
export async function devServerEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createFromExistingServer({ address: inject('devServerAddress'), namespace: 'default' });
}

export function workflowBundle() {
  return { codePath: inject('workflowBundlePath') };
}

export function uniqueQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}
