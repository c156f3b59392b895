/** Starts the shared Temporal servers and bundles the workflows once for the whole test run. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startDevServer, startTestServer } from '../servers/processes';
import { attachTimeSkipping } from '../servers/time-skipping';
import { WORKFLOWS_PATH } from '../worker';

declare module 'vitest' {
  export interface ProvidedContext {
    devServerAddress: string;
    testServerAddress: string;
    workflowBundlePath: string;
  }
}

const quiet = () => undefined;
const quietLogger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };

export default async function setup(project: TestProject) {
  const [dev, ts, bundle] = await Promise.all([
    startDevServer(),
    startTestServer(),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger }),
  ]);
  // The test server starts with time skipping locked once, for a single client. Tests bring their own lock
  // each (test/env.ts), so release the server's.
  const env = await attachTimeSkipping(ts.address);
  await env.connection.testService?.unlockTimeSkipping({});
  await env.teardown();
  const dir = mkdtempSync(join(tmpdir(), 'duban-test-'));
  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.stderr.write(
    `[duban test] dev server ${dev.address} ready in ${dev.startMs} ms; ` +
      `time-skipping test server ${ts.address} ready in ${ts.startMs} ms\n`,
  );
  project.provide('devServerAddress', dev.address);
  project.provide('testServerAddress', ts.address);
  project.provide('workflowBundlePath', bundlePath);
  return async () => {
    await Promise.all([dev.stop(), ts.stop()]);
  };
}
