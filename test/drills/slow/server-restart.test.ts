/**
 * Drill: the Temporal dev server restarts mid-campaign with its SQLite file kept: duty states, timers and
 * pending reminders survive; reminders that fell due while it was down go out once it is back.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { RecordingChannel } from '../../../activities/outbox';
import { startDevServer } from '../../../servers/processes';
import { createWorker } from '../../../worker';
import { acknowledgeUpdate, statusQuery } from '../../../workflows/messages';
import { uniqueQueue, workflowBundle } from '../../env';
import { startStorm } from '../storm';

describe('drill: dev server restarted mid-campaign', () => {
  it('keeps states and timers, and sends the reminders due while it was down', async () => {
    const dbFile = join(mkdtempSync(join(tmpdir(), 'duban-restart-')), 'temporal.sqlite');
    let server = await startDevServer({ dbFile });
    const port = Number(server.address.split(':')[1]);
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    const channel = new RecordingChannel();
    const taskQueue = uniqueQueue('restart');
    const worker = await createWorker({ connection: await NativeConnection.connect({ address: server.address }), taskQueue, channel, workflowBundle: workflowBundle() });
    const running = worker.run();
    const n = 10;
    const { ids, instant } = await startStorm(client, taskQueue, n, 8000, `restart-${randomUUID()}`);
    await client.workflow.getHandle(ids[0] ?? '').executeUpdate(acknowledgeUpdate, { args: [{ actor: { person: '王晓明', unit: '县民政局', role: 'coordinator' } }] });
    await server.stop();
    // Down across the instant the reminders fall due.
    await new Promise((r) => setTimeout(r, Math.max(0, instant - Date.now()) + 3000));
    expect(channel.messages).toHaveLength(0);
    server = await startDevServer({ dbFile, port });
    try {
      const deadline = Date.now() + 60_000;
      while (channel.messages.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(channel.messages.filter((m) => m.kind === 'reminder')).toHaveLength(n);
      expect(new Set(channel.messages.map((m) => m.key)).size).toBe(n);
      const state = await client.workflow.getHandle(ids[0] ?? '').query(statusQuery);
      expect(state).toMatchObject({ status: 'acknowledged', acknowledgedBy: '王晓明', remindersSent: 1 });
    } finally {
      for (const id of ids) await client.workflow.getHandle(id).terminate('drill over').catch(() => undefined);
      worker.shutdown();
      await running;
      await connection.close();
      await server.stop();
    }
  }, 180_000);
});
