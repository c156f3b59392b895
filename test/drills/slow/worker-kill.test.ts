/**
 * Drill: the worker is killed (SIGKILL) in the middle of a deadline storm and a new one starts: every
 * reminder reaches the SMTP sink. The send ledger (a file both processes share) stops every repeat except a
 * send that was in flight at the kill — SMTP cannot tell a sender that died before reading the server's 250
 * whether its message was taken (RFC 1047). Such a repeat is the same message (same Message-ID), and there
 * can be no more of them than the pool's connections (2).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { describe, expect, it } from 'vitest';
import { devServerEnv, uniqueQueue } from '../../env';
import { startSmtpSink } from '../../smtp-sink';
import { expectDeliveredOnce, startStorm, startWorkerProcess, terminateAll } from '../storm';

describe('drill: worker killed during a deadline storm', () => {
  it('delivers every reminder after a restart, repeating none but a send in flight at the kill', async () => {
    const env = await devServerEnv();
    const sink = await startSmtpSink();
    const taskQueue = uniqueQueue('kill');
    const childEnv = {
      TEMPORAL_ADDRESS: inject('devServerAddress'),
      TASK_QUEUE: taskQueue,
      SMTP_PORT: String(sink.port),
      LEDGER_FILE: join(mkdtempSync(join(tmpdir(), 'duban-ledger-')), 'send-ledger.sqlite'),
      BUNDLE_PATH: inject('workflowBundlePath'),
    };
    let worker = await startWorkerProcess(childEnv);
    const n = 200;
    const { ids, instant } = await startStorm(env.client, taskQueue, n, 4000, `kill-${randomUUID()}`);
    try {
      while (sink.received.length < n / 4 && Date.now() < instant + 60_000) await new Promise((r) => setTimeout(r, 20));
      const atKill = sink.received.length;
      worker.kill('SIGKILL');
      worker = await startWorkerProcess(childEnv);
      const deadline = Date.now() + 150_000;
      while (sink.received.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      await new Promise((r) => setTimeout(r, 2000));
      const keys = sink.received.map((m) => String(m.headers.get('x-duban-key')));
      process.stdout.write(`killed after ${atKill}/${n} deliveries; received ${sink.received.length}, distinct ${new Set(keys).size}\n`);
      expect(atKill).toBeLessThan(n);
      expectDeliveredOnce(sink, n, 2);
    } finally {
      worker.kill('SIGKILL');
      await terminateAll(env.client, ids);
      await sink.close();
      await env.teardown();
    }
  }, 240_000);
});
