/**
 * 「新建督办」 in headless Chromium (Debian's chromium, playwright-core), on a fresh data folder: the administrator
 * makes a clerk's link; the clerk signs in with it, uploads the directory .xlsx and a .docx notice, sees the start
 * refused while a row has no lead, corrects the flagged leads and a date, sees the first month's figures, starts the
 * campaign and finds its duties on the dashboard with the corrected lead. Without a session the desk is refused.
 * Screenshots: test-results/new-campaign-review.png, new-campaign-started.png, new-campaign-dashboard.png.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { RecordingChannel } from '../activities/outbox';
import { deskIdFor } from '../campaigns/registry';
import { describeStop, stopCampaign } from '../campaigns/stop';
import { loadCampaign, SEED_DIRECTORY } from '../cli/campaign-input';
import { simulateYear } from '../cli/simulate';
import type { Simulate } from '../dashboard/first-month';
import { startDashboard } from '../dashboard/server';
import { directoryWorkbook } from '../plan/directory-workbook';
import { loadDirectory } from '../plan/files';
import { campaignQueueOf, createWorker } from '../worker';
import { docxOf } from './docx-fixture';
import { devServerEnv, timeSkippingEnv, uniqueQueue, workflowBundle } from './env';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const shots = join(__dirname, '..', 'test-results');
const FIXTURE = join(__dirname, 'fixtures', 'notices', 'forms-joint-2024.txt');
const TOKEN = 'admin-token-of-the-browser-test';
const CLERK = '赵文员（虚构）';
// Another year than test/new-campaign.test.ts's: the two files share the dev server, and campaign ids are global.
const YEAR = '2031';
const CAMPAIGN = `duban/forms-joint-2024/${YEAR}`;

describe('新建督办 in headless Chromium', () => {
  let env: TestWorkflowEnvironment;
  let sim: TestWorkflowEnvironment;
  let browser: Browser;
  let url = '';
  let files = '';
  let taskQueue = '';
  let cleanup: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: npm test installs Debian's chromium (duban setup), or set CHROMIUM_PATH`);
    mkdirSync(shots, { recursive: true });
    env = await devServerEnv();
    sim = await timeSkippingEnv();
    const data = mkdtempSync(join(tmpdir(), 'duban-desk-browser-'));
    files = mkdtempSync(join(tmpdir(), 'duban-desk-files-'));
    process.env.DUBAN_DATA_DIR = data;
    taskQueue = uniqueQueue('desk-ui');
    const channel = new RecordingChannel();
    const workers = await Promise.all([
      createWorker({ connection: env.nativeConnection, taskQueue, channel, workflowBundle: workflowBundle() }),
      createWorker({ connection: env.nativeConnection, taskQueue: campaignQueueOf(taskQueue), channel, workflowBundle: workflowBundle() }),
    ]);
    const running = workers.map((w) => w.run());
    // The deployment starts with the seed directory; the clerk is named in the workbook the clerk uploads.
    const seedDir = loadDirectory(SEED_DIRECTORY);
    const base = join(data, 'units.yaml');
    writeFileSync(base, stringify({ ...seedDir, clerks: [{ name: CLERK, unit: '县政府办公室督查室' }] }));
    await directoryWorkbook({ ...seedDir, clerks: [{ name: CLERK, unit: '县政府办公室督查室' }] }).xlsx.writeFile(join(files, '单位通讯录.xlsx'));
    writeFileSync(join(files, 'forms-joint-2024.docx'), await docxOf(readFileSync(FIXTURE, 'utf8')));
    const simulate: Simulate = (o) => simulateYear({ year: o.year, plan: o.planFile, directory: o.directory, replies: 'none', env: sim, workflowBundle: workflowBundle(), taskQueue: uniqueQueue('desk-ui-sim') });
    const seed = loadCampaign({ year: Number(YEAR) });
    const dash = await startDashboard(
      {
        client: env.client,
        campaignWorkflowId: 'duban/none',
        plan: seed.input.plan,
        calendar: seed.input.calendar,
        taskQueue,
        token: TOKEN,
        desk: { target: { namespace: 'default', taskQueue }, dataDir: data, baseDirectory: base, secret: () => 'browser-test-secret-0123456789abcdefghijkl', simulate },
      },
      '127.0.0.1',
      0,
    );
    url = dash.url;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    cleanup = async () => {
      await browser.close();
      await dash.close();
      const preview = await describeStop(env.client, taskQueue, CAMPAIGN).catch(() => undefined);
      if (preview) await stopCampaign(env.client, taskQueue, preview, 'test over');
      await env.client.workflow.getHandle(deskIdFor(taskQueue)).terminate('test over').catch(() => undefined);
      for (const w of workers) w.shutdown();
      await Promise.all(running);
      await sim.teardown();
    };
  }, 120_000);

  afterAll(async () => cleanup(), 60_000);

  it('needs a session: without one the desk is refused', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const res = await page.goto(new URL('/new', url).toString());
    expect(res?.status()).toBe(401);
    await context.close();
  });

  it('a clerk goes from the notice and the directory to a running campaign with the corrected lead', async () => {
    // The administrator opens the desk with the token and makes the clerk's link.
    const adminContext = await browser.newContext();
    const admin = await adminContext.newPage();
    await admin.goto(new URL(`/new?token=${TOKEN}`, url).toString());
    await admin.locator('#clerks tr', { hasText: CLERK }).getByRole('button', { name: '生成登录链接' }).click();
    const link = (await admin.locator('#clerk-link code').textContent()) ?? '';
    expect(link).toContain('/clerk/');
    await adminContext.close();

    // The clerk, on a browser of their own, signs in with it.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(link);
    await page.getByRole('button', { name: `以 ${CLERK} 身份进入` }).click();
    await page.waitForURL(/\/new$/);
    await expect(page.locator('body').textContent()).resolves.toContain(`当前用户：${CLERK}`);

    // The directory workbook, then the notice.
    await page.locator('#directory input[type=file]').setInputFiles(join(files, '单位通讯录.xlsx'));
    await page.getByRole('button', { name: '检查并启用' }).click();
    await expect(page.locator('#directory-ok').textContent()).resolves.toContain('通讯录已更新');
    await page.locator('#upload input[type=file]').setInputFiles(join(files, 'forms-joint-2024.docx'));
    await page.locator('#upload input[name=year]').fill(YEAR);
    await page.getByRole('button', { name: '上传并生成计划' }).click();
    await page.waitForURL(/\/new\/plan\?name=forms-joint-2024/);
    await expect(page.locator('#task-8 .flag.blocking').first().textContent()).resolves.toContain('未找到牵头单位');
    expect(await page.getByRole('button', { name: '启动督办' }).isDisabled()).toBe(true);

    // Correct the flagged leads and units row by row, and one date.
    const save = async (task: number, fill: (row: ReturnType<Page['locator']>) => Promise<void>) => {
      const row = page.locator(`#task-${task}`);
      await fill(row);
      await row.getByRole('button', { name: '保存本行' }).click();
      await page.waitForLoadState('load');
    };
    await save(8, (row) => row.locator('input[name=lead]').first().fill('县住建局'));
    await save(1, async (row) => {
      await row.locator('input[name=co]').nth(0).fill('各乡镇(街道)');
    });
    await save(3, async (row) => {
      const leads = row.locator('input[name=lead]');
      await leads.nth(0).fill('县司法局');
      await leads.nth(1).fill('县财政局');
      await leads.nth(2).fill('');
      await row.locator('input[name=co]').nth(0).fill('各乡镇(街道)');
      await row.locator('input[name=co]').nth(1).fill('');
    });
    await save(6, (row) => row.locator('input[name=lead]').first().fill('县财政局'));
    await save(7, (row) => row.locator('input[name=lead]').first().fill('县应急局'));
    await save(9, (row) => row.locator('input[name=lead]').first().fill('各乡镇(街道)'));
    await save(2, (row) => row.locator('input[name=deadline]').first().fill(`${YEAR}-07-15`));
    expect(await page.locator('.flag.blocking').count()).toBe(0);
    await expect(page.locator('#audit').textContent()).resolves.toContain('任务8 牵头单位：（空） → 县住建局');
    await expect(page.locator('#audit').textContent()).resolves.toContain(`任务2 截止日期：${YEAR}-06-30 → ${YEAR}-07-15`);

    // The first month's figures, once the simulator has run the plan as it stands.
    for (let i = 0; i < 60 && !(await page.locator('#first-month [data-messages]').count()); i++) {
      await page.waitForTimeout(2500);
      await page.reload();
    }
    const messages = Number(await page.locator('#first-month [data-messages]').getAttribute('data-messages'));
    expect(messages).toBeGreaterThanOrEqual(0);
    expect(Number(await page.locator('#first-month [data-duties]').getAttribute('data-duties'))).toBeGreaterThan(15);
    await page.screenshot({ path: join(shots, 'new-campaign-review.png'), fullPage: true });

    await page.getByRole('button', { name: '启动督办' }).click();
    await page.waitForLoadState('load');
    await expect(page.locator('#plan-ok').textContent()).resolves.toContain(`督办批次已启动：${CAMPAIGN}`);
    expect(await page.locator('#read-only').count()).toBe(1);
    expect(await page.getByRole('button', { name: '保存本行' }).count()).toBe(0);
    await page.screenshot({ path: join(shots, 'new-campaign-started.png'), fullPage: true });

    // Its duties on the dashboard, task 8's with the corrected lead.
    let shown = '';
    for (let i = 0; i < 60; i++) {
      await page.goto(new URL(`/?campaign=${encodeURIComponent(CAMPAIGN)}`, url).toString());
      shown = (await page.locator('body').textContent()) ?? '';
      if (shown.includes('县住建局')) break;
      await page.waitForTimeout(500);
    }
    expect(shown).toContain('县住建局');
    expect(shown).toContain('改善人居环境');
    await page.screenshot({ path: join(shots, 'new-campaign-dashboard.png'), fullPage: true });
    await context.close();
  }, 300_000);
});
