/**
 * Test helpers: email to a loopback SMTP sink, and a campaign of the seed's task 1 on the dev server (Thursday
 * 5 May 2022, 10:00 Shanghai, so its announcement goes at once) with action links pointing at a dashboard of
 * its own — what the link, dashboard and WeCom tests share.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { RecordingChannel } from '../activities/outbox';
import { createEmailSender, createSmtpTransport, type EmailSender } from '../channels/email';
import { SendLedger } from '../channels/ledger';
import { loadCampaign } from '../cli/campaign-input';
import { startDashboard } from '../dashboard/server';
import { linkSecretSource } from '../links/secret';
import { LinkUses } from '../links/uses';
import { loadDirectory } from '../plan/files';
import { createWorker } from '../worker';
import { ledgerQuery, statusQuery } from '../workflows/messages';
import type { DutyState } from '../workflows/types';
import { devServerEnv, uniqueQueue, workflowBundle } from './env';
import { startSmtpSink, type SinkBehaviour, type SmtpSink } from './smtp-sink';
import { afterEach } from 'vitest';
import { until } from './until';

export const seedDirectory = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));

/** An email sender to the sink on loopback (plain SMTP, no TLS), with a ledger of its own unless given one. */
export function loopbackEmail(sink: SmtpSink, ledger = new SendLedger(), from = 'duban@example.org'): EmailSender {
  return createEmailSender({
    transport: createSmtpTransport({ transport: { host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true }, from }),
    from,
    ledger,
  });
}

/** The addresses a received mail went to. */
export function recipientsOf(m: SmtpSink['received'][number]): string[] {
  return [m.to].flat().flatMap((t) => (t && 'value' in t ? t.value.map((v) => v.address ?? '') : []));
}

export interface LinkedCampaign {
  sink: SmtpSink;
  client: Client;
  /** The dashboard's address, without the trailing slash: where links point. */
  base: string;
  secretFile: string;
  secret: ReturnType<typeof linkSecretSource>;
  campaignWorkflowId: string;
  dutyId: string;
  clockOffsetMs: number;
  now: () => number;
  status: () => Promise<DutyState>;
  stop: () => Promise<void>;
}

/** `desk`: the campaign hands its morning messages to a desk of its own, as deployments since 0.7.0 do. */
export async function startLinkedCampaign(tag: string, behaviour?: SinkBehaviour, desk = false): Promise<LinkedCampaign> {
  const sink = await startSmtpSink(behaviour);
  const env = await devServerEnv();
  const secretFile = join(mkdtempSync(join(tmpdir(), `duban-${tag}-`)), 'link-secret');
  const secret = linkSecretSource(secretFile);
  const loaded = loadCampaign({ year: 2022, options: { closeAt: '2023-03-31' } });
  // Task 1's lead duty alone: its co-units' parts (lead+co in the seed plan) are test/lead-co.test.ts's.
  const plan = { ...loaded.input.plan, tasks: loaded.input.plan.tasks.filter((t) => t.number === 1).map((t) => ({ ...t, accountable: 'lead' as const })) };
  const campaignId = `${tag}-test-${randomUUID()}`;
  const campaignWorkflowId = `duban/${campaignId}`;
  const clockOffsetMs = Date.parse('2022-05-05T10:00:00+08:00') - Date.now();
  const now = () => Date.now() + clockOffsetMs;
  const dashboard = await startDashboard(
    { client: env.client, campaignWorkflowId, plan, calendar: loaded.input.calendar, token: `admin-${randomUUID()}`, now, actions: { directory: seedDirectory, secret, uses: new LinkUses() } },
    '127.0.0.1',
    0,
  );
  const base = dashboard.url.replace(/\/$/, '');
  const email = loopbackEmail(sink);
  const taskQueue = uniqueQueue(tag);
  const deskId = `duban/desk/${taskQueue}`;
  const worker = await createWorker({
    connection: env.nativeConnection,
    taskQueue,
    channel: new RecordingChannel(),
    deps: { email, directory: seedDirectory, links: { publicUrl: base, secret } },
    workflowBundle: workflowBundle(),
  });
  const running = worker.run();
  await env.client.workflow.start('campaignWorkflow', {
    taskQueue,
    workflowId: campaignWorkflowId,
    args: [{ ...loaded.input, campaignId, plan, clockOffsetMs, options: { closeAt: '2023-03-31', morningSettleSeconds: 1, ...(desk ? { morningDesk: deskId } : {}) } }],
  });
  const dutyId = await until('the duty', async () => (await env.client.workflow.getHandle(campaignWorkflowId).query(ledgerQuery))[0]?.dutyId);
  // The ledger names a duty as the campaign starts it, a moment before the server knows the child: wait for it to answer.
  await until('the duty to answer', () => env.client.workflow.getHandle(dutyId).query(statusQuery).catch(() => undefined));
  return {
    sink,
    client: env.client,
    base,
    secretFile,
    secret,
    campaignWorkflowId,
    dutyId,
    clockOffsetMs,
    now,
    status: () => env.client.workflow.getHandle(dutyId).query(statusQuery),
    stop: async () => {
      for (const id of [campaignWorkflowId, dutyId, ...(desk ? [deskId] : [])]) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      worker.shutdown();
      await running;
      await dashboard.close();
      email.close();
      await sink.close();
      await env.teardown();
    },
  };
}

/**
 * A loopback SMTP sink and a sender to it for each test of a file, closed after each test: `start()` in the
 * test (with the sink's behaviour), then `email()` for the activities.
 */
export function sinkPerTest(from?: string) {
  const current: { sink?: SmtpSink; sender?: EmailSender } = {};
  afterEach(async () => {
    current.sender?.close();
    await current.sink?.close();
    current.sink = undefined;
    current.sender = undefined;
  });
  return {
    async start(behaviour?: SinkBehaviour): Promise<SmtpSink> {
      current.sink = await startSmtpSink(behaviour);
      return current.sink;
    },
    email(): EmailSender {
      if (!current.sink) throw new Error('start the sink first');
      current.sender = loopbackEmail(current.sink, new SendLedger(), from);
      return current.sender;
    },
  };
}
