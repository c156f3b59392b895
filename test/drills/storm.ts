/** Drill helpers: a storm of duties whose one reminder falls due at the same instant, and a worker process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { expect } from 'vitest';
import type { SmtpSink } from '../smtp-sink';
import { dutyInput } from '../duty-fixtures';
import type { DeliveryTimings } from '../../workflows/types';

export function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'worker-child.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout?.on('data', (c: Buffer) => {
      if (c.toString().includes('ready')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited ${code}: ${err}`)));
  });
}

/**
 * Starts `n` monthly-circular duties due 31 May 2022 whose single reminder ("on the day") falls `leadMs` from
 * now in real time. Returns their ids and the instant.
 */
export async function startStorm(client: Client, taskQueue: string, n: number, leadMs: number, tag: string, delivery?: DeliveryTimings): Promise<{ ids: string[]; instant: number }> {
  const instant = Date.now() + leadMs;
  const clockOffsetMs = Date.parse('2022-05-31T09:00:00+08:00') - instant;
  const ids = Array.from({ length: n }, (_, i) => `drill/${tag}/${i}`);
  const base = dutyInput('x', '2022-05-31');
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      ids.slice(i, i + 50).map((id) =>
        client.workflow.start('dutyWorkflow', {
          taskQueue,
          workflowId: id,
          args: [dutyInput(id, '2022-05-31', { duty: { ...base.duty, dutyId: id, kind: 'recurring', period: '2022-05' }, reminderOffsets: [0], clockOffsetMs, closeAt: '2022-06-30', ...(delivery ? { delivery } : {}) })],
        }),
      ),
    );
  }
  return { ids, instant };
}

export async function terminateAll(client: Client, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(ids.slice(i, i + 50).map((id) => client.workflow.getHandle(id).terminate('drill over').catch(() => undefined)));
  }
}

/**
 * Every one of `n` reminders arrived, and no more than `maxRepeats` twice — each repeat the same message as
 * its first copy (the same Message-ID: a send in flight when its worker was killed).
 */
export function expectDeliveredOnce(sink: SmtpSink, n: number, maxRepeats: number): void {
  const keys = sink.received.map((m) => String(m.headers.get('x-duban-key')));
  expect(new Set(keys).size).toBe(n);
  expect(sink.received.length - n).toBeLessThanOrEqual(maxRepeats);
  const firstId = new Map<string, string>();
  for (const m of sink.received) {
    const key = String(m.headers.get('x-duban-key'));
    const seen = firstId.get(key);
    if (seen) expect(m.messageId).toBe(seen);
    firstId.set(key, m.messageId ?? '');
  }
}
