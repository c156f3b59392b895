/**
 * Supervisors act on the dashboard, in headless Chromium: the supervising office's person opens the link from
 * their digest, enters the dashboard as themselves, finds the extension request waiting on the duty's page,
 * approves it, and the duty's deadline (and so its reminders) moves; the timeline says who did it and how.
 * Also keeps screenshots of what a unit sees: an email with its buttons and a link's confirmation page.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRecipients } from '../channels/recipients';
import { linksFor } from '../links/actions';
import { requestExtensionUpdate } from '../workflows/messages';
import type { OutgoingMessage } from '../workflows/types';
import { seedDirectory, startLinkedCampaign, type LinkedCampaign } from './linked-campaign';
import type { SmtpSink } from './smtp-sink';
import { until } from './until';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const shots = join(__dirname, '..', 'test-results');
const directory = seedDirectory;
// Task 1's lead is 县乡村振兴局; its duties are decided by 县委农办.
const LEAD = '县乡村振兴局';
const OFFICE = '县委农办';

describe('supervisors acting on the dashboard (headless Chromium)', () => {
  let browser: Browser;
  let sink: SmtpSink;
  let ctx: LinkedCampaign & { officeLink: string };
  let cleanup: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: npm test installs Debian's chromium (duban setup), or set CHROMIUM_PATH`);
    const campaign = await startLinkedCampaign('office');
    sink = campaign.sink;
    // The link the office's person finds in their Monday digest (the digest's own link for them).
    const digest: OutgoingMessage = { key: `${campaign.campaignWorkflowId}/digest/test`, kind: 'digest', toUnits: [OFFICE], recipients: [{ unit: OFFICE, role: 'coordinators' }], level: 'none', at: campaign.now(), subject: '督办周报', text: '…' };
    const [person] = resolveRecipients(directory, digest.recipients);
    const officeLink = linksFor({ publicUrl: campaign.base, secret: campaign.secret }, directory, digest, person!).find((l) => l.action === 'office')!.url;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    ctx = { ...campaign, officeLink };
    cleanup = async () => {
      await browser.close();
      await campaign.stop();
    };
    // The unit asks for more time (as by chat or by its own link).
    await campaign.client.workflow
      .getHandle(campaign.dutyId)
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
