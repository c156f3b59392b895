/**
 * Runs a duty workflow on the time-skipping server as if it started at a given Shanghai instant of the
 * plan year, with a scripted coordinator or supervisor who answers messages as they arrive.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { RecordingChannel } from '../activities/outbox';
import { formatShanghai } from '../calendar/working-days';
import { watchProgress } from '../servers/progress-watch';
import { createWorker } from '../worker';
import type { dutyWorkflow } from '../workflows/duty';
import type { Actor } from '../workflows/messages';
import type { DutyInput, DutyState, OutgoingMessage } from '../workflows/types';
import { timeSkippingEnv, uniqueQueue, workflowBundle } from './env';

export const coordinator: Actor = { person: '王晓明', unit: '县民政局', role: 'coordinator' };
export const supervisor: Actor = { person: '李海燕', unit: '县乡村振兴局', role: 'supervisor' };

export interface Script {
  (msg: OutgoingMessage, handle: WorkflowHandle<typeof dutyWorkflow>, sent: OutgoingMessage[]): Promise<void>;
}

export interface DutyRun {
  final: DutyState;
  messages: OutgoingMessage[];
  /** "kind ISO-time" lines, the easiest thing to compare. */
  lines: string[];
}

/** `startAt` is a Shanghai local time like '2022-04-29T10:00'. */
export async function runDuty(
  input: DutyInput,
  startAt: string,
  script: Script = async () => undefined,
  deps: Omit<ActivityDeps, 'channel'> = {},
): Promise<DutyRun> {
  const env: TestWorkflowEnvironment = await timeSkippingEnv();
  const taskQueue = uniqueQueue('duty');
  const handle = env.client.workflow.getHandle<typeof dutyWorkflow>(input.duty.dutyId);
  const messages: OutgoingMessage[] = [];
  const channel = new RecordingChannel(undefined, async (msg) => {
    messages.push(msg);
    await script(msg, handle, messages);
  });
  const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel, deps, workflowBundle: workflowBundle() });
  // The bot's worker, when the duty has a WeChat queue and the test a WeChat sender (as `duban bot` registers it).
  const bot = deps.wechat && input.wechatTaskQueue ? createActivities({ wechat: deps.wechat }) : undefined;
  const wechatWorker = bot
    ? await Worker.create({
        connection: env.nativeConnection,
        taskQueue: input.wechatTaskQueue!,
        activities: { deliverWechat: bot.deliverWechat, alertAdminsWechat: bot.alertAdminsWechat },
      })
    : undefined;
  const wechatRunning = wechatWorker?.run();
  // A duty that stops progressing fails its test at once, naming its last event, rather than at the timeout.
  const watch = watchProgress({
    client: env.client,
    clock: () => env.currentTimeMs(),
    workflowIds: () => [input.duty.dutyId],
    activity: () => messages.length,
    stallMs: 30_000,
  });
  try {
    const final = await worker.runUntil(async () => {
      const clockOffsetMs = Date.parse(`${startAt}:00+08:00`) - (await env.currentTimeMs());
      await env.client.workflow.start('dutyWorkflow', { taskQueue, workflowId: input.duty.dutyId, args: [{ ...input, clockOffsetMs }] });
      // A failed script also ends the run at once (the duty would otherwise run on to its end).
      return (await Promise.race([handle.result(), watch.stalled, channel.failed])) as DutyState;
    });
    // A scripted coordinator's failed expectation fails the test, even though the activity succeeded.
    channel.throwIfFailed();
    // A message sent on start carries the instant the duty's first task ran, which on a busy machine is a second
    // or two after the clock the test read: it is shown at the start instant the test asked for.
    const startMs = Date.parse(`${startAt}:00+08:00`);
    const shown = (at: number) => (at >= startMs && at < startMs + 10_000 ? startMs : at);
    return { final, messages, lines: messages.map((m) => `${m.kind} ${formatShanghai(shown(m.at))}`) };
  } finally {
    watch.stop();
    wechatWorker?.shutdown();
    await wechatRunning;
    // A run ended by a failed script leaves its duty running: stop it, so it cannot move the shared server's clock.
    if (channel.failures.length) await handle.terminate('test failed').catch(() => undefined);
    await env.teardown();
  }
}
