/**
 * A calendar loaded while a campaign continues as new is not lost (issue #27): the campaign keeps the load and
 * passes it to every running duty, also those started before the load in a run that then continued as new.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecordingChannel } from '../activities/outbox';
import { calendarFromFile } from '../cli/calendar';
import { loadCampaign } from '../cli/campaign-input';
import { createWorker } from '../worker';
import { calendarUpdateSignal, ledgerQuery, statusQuery } from '../workflows/messages';
import { shanghaiDate } from '../calendar/working-days';
import { expandCampaign } from '../workflows/expand';
import { devServerEnv, uniqueQueue, workflowBundle } from './env';
import { until } from './until';

describe('a calendar load and continue-as-new', () => {
  it('reaches the duties started before the run continued as new', async () => {
    const env = await devServerEnv();
    const taskQueue = uniqueQueue('calendar-carried');
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel: new RecordingChannel(), workflowBundle: workflowBundle() });
    const running = worker.run();
    const loaded = loadCampaign({ year: 2026 });
    const workflowId = `duban/calendar-carried-${randomUUID()}`;
    const ids: string[] = [];
    try {
      // The load arrives with the start, in the run that starts the first 50 duties and then continues as new
      // (a history limit this low makes the start loop continue as new once its batch is started).
      await env.client.workflow.signalWithStart('campaignWorkflow', {
        taskQueue,
        workflowId,
        args: [{ ...loaded.input, campaignId: workflowId.slice('duban/'.length), options: { ...loaded.input.options, continueAsNewAfterEvents: 40, digests: false } }],
        signal: calendarUpdateSignal,
        signalArgs: [calendarFromFile(join(__dirname, 'fixtures', 'calendar-2027.yaml'))],
      });
      const count = expandCampaign(loaded.input, shanghaiDate(Date.now())).length;
      expect(count).toBeGreaterThan(10);
      const ledger = await until('every duty started', async () => {
        const entries = await env.client.workflow.getHandle(workflowId).query(ledgerQuery);
        return entries.length === count ? entries : undefined;
      }, 60_000);
      ids.push(...ledger.map((e) => e.dutyId));
      // Duties without the load (a duty listed in the ledger may not have started yet: it counts as without).
      const withoutCalendar = async () => {
        const without: string[] = [];
        for (const e of ledger) {
          const s = await env.client.workflow.getHandle(e.dutyId).query(statusQuery).catch(() => undefined);
          if (!s || (!s.ended && !s.history.some((h) => h.event === 'calendar'))) without.push(e.dutyId);
        }
        return without;
      };
      const missing = await until('the calendar in every running duty', async () => ((await withoutCalendar()).length === 0 ? [] : undefined), 30_000).catch(withoutCalendar);
      expect(missing).toEqual([]);
    } finally {
      for (const id of [workflowId, ...ids]) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      worker.shutdown();
      await running;
      await env.teardown();
    }
  }, 180_000);
});
