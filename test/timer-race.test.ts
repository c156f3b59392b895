/**
 * Why duban's workflows never cancel a timer: on the Java time-skipping test server, a workflow task that
 * cancels a timer which fired while the task ran is refused ("invalid history builder state for action") and
 * the workflow never runs again. The first test shows the server defect (if it starts passing, a fixed test
 * server has shipped and the waker's workaround can go); the second shows the waker avoids it; both show the
 * progress watch naming the stuck workflow instead of waiting forever.
 */
import { join } from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type RunningServer } from '../servers/processes';
import { StalledRunError, watchProgress } from '../servers/progress-watch';
import { attachTimeSkipping } from '../servers/time-skipping';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { quietRuntime, uniqueQueue } from './env';

const quiet = () => undefined;
const quietLogger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };

describe('timers on the time-skipping test server', () => {
  // A server of its own: the defect leaves the server's clock locked for good.
  let server: RunningServer;
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueQueue('timer-race');

  beforeAll(async () => {
    quietRuntime();
    server = await startTestServer();
    env = await attachTimeSkipping(server.address);
    const bundle = await bundleWorkflowCode({ workflowsPath: join(__dirname, 'fixtures', 'timer-race', 'workflows.ts'), logger: quietLogger });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { code: bundle.code },
      activities: { pause: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) },
      shutdownForceTime: '5 seconds',
    });
    running = worker.run();
  }, 120_000);

  afterAll(async () => {
    worker?.shutdown();
    await running?.catch(() => undefined);
    await env?.teardown().catch(() => undefined);
    await server?.stop();
  });

  const watch = (workflowId: string) =>
    watchProgress({ client: env.client, clock: () => env.currentTimeMs(), workflowIds: () => [workflowId], activity: () => 0, stallMs: 8000, pollMs: 1000 });

  it('a wait through the waker finishes', async () => {
    const workflowId = `waker-${Date.now()}`;
    const handle = await env.client.workflow.start('wakerWait', { taskQueue, workflowId, args: [100, 1000] });
    const w = watch(workflowId);
    try {
      await expect(Promise.race([handle.result(), w.stalled])).resolves.toBe('condition');
    } finally {
      w.stop();
    }
  }, 60_000);

  it('a condition whose timer fires mid-task is lost by the server, and the watch names it', async () => {
    const workflowId = `cancelling-${Date.now()}`;
    const handle = await env.client.workflow.start('cancellingWait', { taskQueue, workflowId, args: [100, 1000] });
    const w = watch(workflowId);
    try {
      const outcome = await Promise.race([handle.result(), w.stalled]).catch((err: unknown) => err);
      if (process.env.DUBAN_SHOW_STALL) process.stderr.write(`${String(outcome)}\n`);
      expect(outcome).toBeInstanceOf(StalledRunError);
      expect((outcome as Error).message).toContain(`${workflowId}: last event`);
      expect((outcome as Error).message).toContain('WORKFLOW_TASK_STARTED');
    } finally {
      w.stop();
    }
  }, 60_000);
});
