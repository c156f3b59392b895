/** Drill: the SMTP server is down when reminders fall due, then comes back: all arrive, none twice. */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEmailSender, createSmtpTransport } from '../../channels/email';
import { SendLedger } from '../../channels/ledger';
import { loadDirectory } from '../../plan/files';
import { createWorker } from '../../worker';
import { devServerEnv, uniqueQueue, workflowBundle } from '../env';
import { startSmtpSink } from '../smtp-sink';
import { startStorm, terminateAll } from './storm';
import { freePort } from '../../servers/processes';

describe('drill: SMTP outage', () => {
  it('delivers every reminder once after the server comes back', async () => {
    const env = await devServerEnv();
    const port = await freePort();
    const email = createEmailSender({
      transport: createSmtpTransport({ transport: { host: '127.0.0.1', port, secure: false, ignoreTLS: true }, from: 'duban@example.org' }),
      from: 'duban@example.org',
      ledger: new SendLedger(),
    });
    const taskQueue = uniqueQueue('outage');
    const worker = await createWorker({
      connection: env.nativeConnection,
      taskQueue,
      deps: { email, directory: loadDirectory(join(__dirname, '..', '..', 'seeds', 'dazhu-units.yaml')) },
      workflowBundle: workflowBundle(),
    });
    const running = worker.run();
    const n = 20;
    // Email retried after 2 s, doubling (the default is 10 s): the same outage and the same retries, run through
    // in seconds rather than a minute.
    const { ids, instant } = await startStorm(env.client, taskQueue, n, 1500, `outage-${randomUUID()}`, { emailRetrySeconds: 2 });
    try {
      // Down for ~12 s past the instant: every send fails to connect at 0, 2 and 6 s, and is tried again at 14 s.
      await new Promise((r) => setTimeout(r, instant - Date.now() + 12_000));
      const sink = await startSmtpSink({ port });
      const deadline = Date.now() + 60_000;
      while (sink.received.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      await new Promise((r) => setTimeout(r, 1000));
      const keys = sink.received.map((m) => String(m.headers.get('x-duban-key')));
      expect(sink.received).toHaveLength(n);
      expect(new Set(keys).size).toBe(n);
      await sink.close();
    } finally {
      await terminateAll(env.client, ids);
      worker.shutdown();
      await running;
      email.close();
      await env.teardown();
    }
  }, 120_000);
});
