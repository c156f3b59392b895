/** Test environments on the run's shared servers, with fresh task queues per test. */
import { randomUUID } from 'node:crypto';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject } from 'vitest';

let runtimeQuieted = false;
function quietRuntime() {
  if (runtimeQuieted) return;
  runtimeQuieted = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

interface ExistingServerOptions {
  server: { type: 'existing' };
  address: string;
  namespace: string;
  supportsTimeSkipping: boolean;
}
/** The SDK's private constructor path is the only one that attaches time skipping to an already-running server. */
const createEnv = (TestWorkflowEnvironment as unknown as { create(o: ExistingServerOptions): Promise<TestWorkflowEnvironment> }).create.bind(
  TestWorkflowEnvironment,
);

/** The shared Java test server, which skips time whenever no workflow work is pending. */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return createEnv({ server: { type: 'existing' }, address: inject('testServerAddress'), namespace: 'default', supportsTimeSkipping: true });
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
