/**
 * Supervisors act on the dashboard, in headless Chromium: the supervising office's person opens the link from
 * their digest, enters the dashboard as themselves, finds the extension request waiting on the duty's page,
 * approves it, and the duty's deadline (and so its reminders) moves; the timeline says who did it and how.
 * Also keeps screenshots of what a unit sees: an email with its buttons and a link's confirmation page.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingChannel } from '../activities/outbox';
import { resolveRecipients } from '../channels/recipients';
import { createEmailSender, createSmtpTransport, type EmailSender } from '../channels/email';
import { SendLedger } from '../channels/ledger';
import { loadCampaign } from '../cli/campaign-input';
import { startDashboard } from '../dashboard/server';
import { linksFor } from '../links/actions';
import { linkSecretSource } from '../links/secret';
import { LinkUses } from '../links/uses';
import { loadDirectory } from '../plan/files';
import { createWorker } from '../worker';
import { ledgerQuery, requestExtensionUpdate, statusQuery } from '../workflows/messages';
import type { DutyState, OutgoingMessage } from '../workflows/types';
import { devServerEnv, uniqueQueue, workflowBundle } from './env';
import { startSmtpSink, type SmtpSink } from './smtp-sink';
import { until } from './until';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const shots = join(__dirname, '..', 'test-results');
const directory = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
// Task 1's lead is 县乡村振兴局; its duties are decided by 县委农办.
const LEAD = '县乡村振兴局';
const OFFICE = '县委农办';

describe('supervisors acting on the dashboard (headless Chromium)', () => {
  let browser: Browser;
  let sink: SmtpSink;
  let email: EmailSender;
  let ctx: { base: string; dutyId: string; officeLink: string; status: () => Promise<DutyState> };
  let cleanup: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: npm test installs Debian's chromium (duban setup), or set CHROMIUM_PATH`);
    sink = await startSmtpSink();
    const env = await devServerEnv();
    const secret = linkSecretSource(join(mkdtempSync(join(tmpdir(), 'duban-office-')), 'link-secret'));
    const loaded = loadCampaign({ year: 2022, options: { closeAt: '2023-03-31' } });
    const plan = { ...loaded.input.plan, tasks: loaded.input.plan.tasks.filter((t) => t.number === 1) };
    const campaignId = `office-test-${randomUUID()}`;
    const campaignWorkflowId = `duban/${campaignId}`;
    const clockOffsetMs = Date.parse('2022-05-05T10:00:00+08:00') - Date.now();
    const now = () => Date.now() + clockOffsetMs;
    const dashboard = await startDashboard(
      { client: env.client, campaignWorkflowId, plan, calendar: loaded.input.calendar, token: `admin-${randomUUID()}`, now, actions: { directory, secret, uses: new LinkUses() } },
      '127.0.0.1',
      0,
    );
    const base = dashboard.url.replace(/\/$/, '');
    email = createEmailSender({
      transport: createSmtpTransport({ transport: { host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true }, from: 'duban@example.org' }),
      from: 'duban@example.org',
      ledger: new SendLedger(),
    });
    const taskQueue = uniqueQueue('office');
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel: new RecordingChannel(), deps: { email, directory, links: { publicUrl: base, secret } }, workflowBundle: workflowBundle() });
    const running = worker.run();
    await env.client.workflow.start('campaignWorkflow', {
      taskQueue,
      workflowId: campaignWorkflowId,
      args: [{ ...loaded.input, campaignId, plan, clockOffsetMs, options: { closeAt: '2023-03-31', morningSettleSeconds: 1 } }],
    });
    const dutyId = await until('the duty', async () => (await env.client.workflow.getHandle(campaignWorkflowId).query(ledgerQuery))[0]?.dutyId);
    // The link the office's person finds in their Monday digest (the digest's own link for them).
    const digest: OutgoingMessage = { key: `${campaignWorkflowId}/digest/test`, kind: 'digest', toUnits: [OFFICE], recipients: [{ unit: OFFICE, role: 'coordinators' }], level: 'none', at: now(), subject: '督办周报', text: '…' };
    const [person] = resolveRecipients(directory, digest.recipients);
    const officeLink = linksFor({ publicUrl: base, secret }, directory, digest, person!).find((l) => l.action === 'office')!.url;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    ctx = { base, dutyId, officeLink, status: () => env.client.workflow.getHandle(dutyId).query(statusQuery) };
    cleanup = async () => {
      await browser.close();
      for (const id of [campaignWorkflowId, dutyId]) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      worker.shutdown();
      await running;
      await dashboard.close();
      email.close();
      await sink.close();
      await env.teardown();
    };
    // The unit asks for more time (as by chat or by its own link).
    await env.client.workflow
      .getHandle(dutyId)
      .executeUpdate(requestExtensionUpdate, { args: [{ actor: { person: directory.units[LEAD]!.coordinators[0]!.name, unit: LEAD, role: 'coordinator' }, date: '2022-06-15', reason: '等待县统计局数据' }] });
  }, 60_000);

  afterAll(async () => cleanup());

  it('shows what a unit sees: an email with its buttons, and the page a button opens (which does nothing until confirmed)', async () => {
    const coordinator = directory.units[LEAD]!.coordinators[0]!.email!;
    const mail = await until('the lead’s email with buttons', () =>
      sink.received.find((m) => [m.to].flat().some((t) => t && 'value' in t && t.value.some((v) => v.address === coordinator)) && (m.html || '').includes('/a/')),
    );
    const page = await browser.newPage({ viewport: { width: 760, height: 900 } });
    await page.setContent(String(mail.html));
    await expect(page.getByText('确认收到（').first().isVisible()).resolves.toBe(true);
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, 'email-with-action-links.png'), fullPage: true });
    const ack = await page.getByText('确认收到（').first().getAttribute('href');
    await page.goto(ack!);
    await expect(page.locator('h1').textContent()).resolves.toBe('确认收到');
    await page.screenshot({ path: join(shots, 'action-confirmation-page.png'), fullPage: true });
    expect((await ctx.status()).status).toBe('open');
    await page.close();
  });

  it('lets the supervising office approve an extension from the duty page, and the deadline moves', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    await page.goto(ctx.officeLink);
    await expect(page.locator('h1').textContent()).resolves.toBe('进入督办看板');
    await Promise.all([page.waitForURL(`${ctx.base}/`), page.locator('button[type=submit]').click()]);
    await expect(page.locator('h1').first().textContent()).resolves.toBe('督办总览');
    await page.goto(`${ctx.base}/duty?id=${encodeURIComponent(ctx.dutyId)}`);
    await expect(page.locator('#waiting').textContent()).resolves.toContain('延至 2022-06-15');
    expect((await ctx.status()).deadline).toBe('2022-05-31');
    await Promise.all([page.waitForURL(/\/duty\?id=/), page.locator('#approve').click()]);
    await expect(page.locator('#timeline').textContent()).resolves.toContain('同意延期');
    await expect(page.locator('#timeline').textContent()).resolves.toContain('（看板）');
    await page.screenshot({ path: join(shots, 'dashboard-approval.png'), fullPage: true });
    const state = await ctx.status();
    expect(state.deadline).toBe('2022-06-15');
    expect(state.pendingExtension).toBeUndefined();
    await page.close();
  });

  it('refuses a decision posted without the session or without the page’s token, changing nothing', async () => {
    const before = await ctx.status();
    const decide = (cookie?: string) =>
      fetch(`${ctx.base}/duty/act`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
        body: new URLSearchParams({ id: ctx.dutyId, act: 'reject', reason: '跨站伪造' }),
      });
    // Without the office's session cookie, not even the dashboard's token check passes.
    expect((await decide()).status).toBe(401);
    // With a real session (as a page on another site would ride on it) but without the duty page's token.
    const linkPage = await (await fetch(ctx.officeLink)).text();
    const form = /name="form" value="([^"]+)"/.exec(linkPage)?.[1] ?? '';
    const signIn = await fetch(ctx.officeLink, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ form }) });
    expect(signIn.status).toBe(303);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect((await decide(cookie)).status).toBe(403);
    const after = await ctx.status();
    expect(after.history).toEqual(before.history);
    expect(after.deadline).toBe(before.deadline);
  });
});
