/**
 * A desk continuing as new while it holds a city's evening (issue #27): it carried every item in the new run's input,
 * and past Temporal's 2 MB payload limit that continue-as-new failed, so the path could never succeed. Now what does
 * not fit goes in parcels that the new run collects. What people notice: at the instant every unit gets its one
 * message with all its duties, as if the desk had never continued. Dev server (it enforces the payload limit).
 * A drill (`npm run drills`): 10,000 signals and a 2-minute wait for the instant; the default run has the cutting.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { RecordingChannel } from '../../../activities/outbox';
import { createWorker } from '../../../worker';
import { utf8Bytes } from '../../../workflows/desk-parcels';
import { deskQuery, dutyStatusSignal, morningItemSignal } from '../../../workflows/messages';
import type { OutgoingMessage } from '../../../workflows/types';
import { deskItem } from '../../desk-items';
import { calendar2022 } from '../../duty-fixtures';
import { devServerEnv, uniqueQueue, workflowBundle } from '../../env';
import { until } from '../../until';

const ITEMS = 10_000;
const UNITS = 100;


describe('a desk holding 10,000 items continues as new', () => {
  it('sends every unit its one message with all its duties at the instant', async () => {
    const env = await devServerEnv();
    const taskQueue = uniqueQueue('parcels');
    const deskId = `duban/desk/${taskQueue}`;
    const sent: OutgoingMessage[] = [];
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel: new RecordingChannel(undefined, async (m) => void sent.push(m)), workflowBundle: workflowBundle() });
    const running = worker.run();
    try {
      const handle = await env.client.workflow.start('deskWorkflow', {
        taskQueue,
        workflowId: deskId,
        args: [{ deskId, calendar: calendar2022, campaigns: [], continueAsNewAfterEvents: 100 }],
      });
      const firstRun = handle.firstExecutionRunId;
      // The instant: far enough ahead for the hand-over and two continues-as-new, on the server's own clock.
      const at = Math.ceil((Date.now() + 120_000) / 60_000) * 60_000;
      const items = Array.from({ length: ITEMS }, (_, i) => deskItem(i, at, UNITS));
      expect(utf8Bytes(JSON.stringify(items))).toBeGreaterThan(2 * 1024 * 1024);
      // Temporal takes at most 10,000 signals per run: the desk continues after 6,000, and its next run takes the rest.
      for (let i = 0; i < items.length; i += 100) await Promise.all(items.slice(i, i + 100).map((m) => handle.signal(morningItemSignal, m)));
      // The run that took the first 6,000 continues once its workflow task gets through the stream of signals.
      const holding = (await until('the first run continued as new', async () => {
        const d = await env.client.workflow.getHandle(deskId).describe();
        return d.runId !== firstRun ? d : undefined;
      }, 120_000)).runId;
      expect((await env.client.workflow.getHandle(deskId, firstRun).describe()).status.name).toBe('CONTINUED_AS_NEW');
      await until('the second run holds every item', async () => ((await env.client.workflow.getHandle(deskId).query(deskQuery)).pending === ITEMS ? true : undefined), 60_000);
      // Statuses of unknown duties change nothing, but bring the run holding all 10,000 to its signal limit.
      const continued = await until(
        'the desk holding 10,000 items continued as new',
        async () => {
          const d = await env.client.workflow.getHandle(deskId).describe();
          if (d.runId !== holding) return d;
          await Promise.all(Array.from({ length: 100 }, (_, k) => handle.signal(dutyStatusSignal, { dutyId: `nobody/${k}`, status: 'open' })));
          return undefined;
        },
        120_000,
      );
      expect((await env.client.workflow.getHandle(deskId, holding).describe()).status.name).toBe('CONTINUED_AS_NEW');
      const next = await env.client.workflow.getHandle(deskId, continued.runId).fetchHistory();
      const payload = next.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
      expect(payload.data!.length).toBeLessThan(1024 * 1024);
      const input = defaultPayloadConverter.fromPayload<{ carried: { parcels?: string[] } }>(payload);
      expect(input.carried.parcels?.length).toBeGreaterThan(2);
      await until('the new run holds every item', async () => ((await env.client.workflow.getHandle(deskId).query(deskQuery)).pending === ITEMS ? true : undefined), 60_000);
      await until('every unit’s message sent', async () => (sent.length >= UNITS ? true : undefined), 240_000);
      await new Promise((r) => setTimeout(r, 2_000));
      const byUnit = new Map<string, OutgoingMessage[]>();
      for (const m of sent) for (const u of m.toUnits) byUnit.set(u, [...(byUnit.get(u) ?? []), m]);
      expect(byUnit.size).toBe(UNITS);
      for (const [, msgs] of byUnit) {
        expect(msgs).toHaveLength(1);
        const m = msgs[0]!;
        expect((m.items?.length ?? 0) + (m.overflow?.items ?? 0)).toBe(ITEMS / UNITS);
      }
    } finally {
      await env.client.workflow
        .getHandle(deskId)
        .terminate('test over')
        .catch(() => undefined);
      worker.shutdown();
      await running;
      await env.teardown();
    }
  }, 600_000);
});
