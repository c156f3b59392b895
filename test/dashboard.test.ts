/**
 * The dashboard in headless Chromium against a real campaign on the dev server: the page loads, the
 * task × unit matrix shows the campaign's real states, the unit filter works, a duty's timeline and a unit's
 * .ics feed answer; names are escaped; binding beyond loopback needs a token. Keeps a screenshot.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingChannel } from '../activities/outbox';
import { loadCampaign } from '../cli/campaign-input';
import { overviewPage } from '../dashboard/pages';
import { startDashboard } from '../dashboard/server';
import { buildDigest } from '../workflows/digest';
import { completeUpdate, ledgerQuery } from '../workflows/messages';
import { createWorker } from '../worker';
import { devServerEnv, uniqueQueue, workflowBundle } from './env';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const shots = join(__dirname, '..', 'test-results');

describe('dashboard in headless Chromium', () => {
  let browser: Browser;
  let url = '';
  let cleanup: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: npm test installs Debian's chromium (duban setup), or set CHROMIUM_PATH`);
    const env = await devServerEnv();
    const loaded = loadCampaign({ year: 2022, options: { closeAt: '2023-03-31', digests: false } });
    const plan = { ...loaded.input.plan, tasks: loaded.input.plan.tasks.filter((t) => [1, 4, 12].includes(t.number)) };
    const taskQueue = uniqueQueue('dash');
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel: new RecordingChannel(), workflowBundle: workflowBundle() });
    const running = worker.run();
    const campaignId = `dash-test-${randomUUID()}`;
    const workflowId = `duban/${campaignId}`;
    const clockOffsetMs = Date.parse('2022-05-05T10:00:00+08:00') - Date.now();
    await env.client.workflow.start('campaignWorkflow', { taskQueue, workflowId, args: [{ ...loaded.input, campaignId, plan, clockOffsetMs, options: { closeAt: '2023-03-31', digests: false } }] });
    // Wait until the four duties (task 12 has a dated duty and its quotas) report, then complete task 1.
    let ledger = await env.client.workflow.getHandle(workflowId).query(ledgerQuery);
    for (let i = 0; i < 100 && (ledger.length < 4 || ledger.some((e) => e.level === 'none' && e.taskNumber === 4)); i++) {
      await new Promise((r) => setTimeout(r, 100));
      ledger = await env.client.workflow.getHandle(workflowId).query(ledgerQuery);
    }
    const task1 = ledger.find((e) => e.taskNumber === 1);
    await env.client.workflow.getHandle(task1?.dutyId ?? '').executeUpdate(completeUpdate, { args: [{ actor: { person: '张海燕（虚构）', unit: '县乡村振兴局', role: 'coordinator' }, note: '排查完成' }] });
    for (let i = 0; i < 100; i++) {
      ledger = await env.client.workflow.getHandle(workflowId).query(ledgerQuery);
      if (ledger.find((e) => e.taskNumber === 1)?.level === 'green') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const dash = await startDashboard({ client: env.client, campaignWorkflowId: workflowId, plan, calendar: loaded.input.calendar, now: () => Date.now() + clockOffsetMs }, '127.0.0.1', 0);
    url = dash.url;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    cleanup = async () => {
      await browser.close();
      await dash.close();
      for (const e of ledger) await env.client.workflow.getHandle(e.dutyId).terminate('test over').catch(() => undefined);
      await env.client.workflow.getHandle(workflowId).terminate('test over').catch(() => undefined);
      worker.shutdown();
      await running;
      await env.teardown();
    };
  }, 60_000);

  afterAll(async () => cleanup());

  it('shows the campaign’s real states in the task × unit matrix, and the upcoming deadlines', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await page.goto(url);
    await expect(page.locator('h1').first().textContent()).resolves.toBe('督办总览');
    const level = (task: number, unit: string) => page.locator(`#matrix td[data-task="${task}"][data-unit="${unit}"]`).getAttribute('data-level');
    expect(await level(1, '县乡村振兴局')).toBe('green');
    // Task 4 was due 31 March, before the campaign: in its grace period, yellow.
    expect(await level(4, '县以工代赈中心')).toBe('yellow');
    expect(await level(12, '县委组织部')).toBe('none');
    await expect(page.locator('#totals').textContent()).resolves.toContain('共 4 项时限任务，已办结 1');
    await expect(page.locator('#upcoming').textContent()).resolves.toContain('县以工代赈中心');
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, 'dashboard.png'), fullPage: true });
    await page.close();
  });

  it('draws its charts on the server as SVG, with no script in the page (screenshot kept)', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await page.goto(url);
    expect(await page.locator('#charts svg').evaluateAll((svgs) => svgs.map((s) => s.id))).toEqual(['chart-levels', 'chart-deadlines', 'chart-trend']);
    expect(await page.locator('script').count()).toBe(0);
    // Task 1 completed at 县乡村振兴局, task 4 in its grace period at 县以工代赈中心, task 12's two duties not yet due.
    const levels = await page.locator('#chart-levels').getAttribute('aria-label');
    expect(levels).toContain('县乡村振兴局 绿·已办结 1 项');
    expect(levels).toContain('县以工代赈中心 黄·滞后/未确认 1 项');
    expect(levels).toContain('县委组织部 正常 2 项');
    await expect(page.locator('#chart-deadlines').textContent()).resolves.toContain('今天 05-05');
    expect(await page.locator('#chart-trend').getAttribute('aria-label')).toContain('截至 2022-05-05，累计到期 1 项，累计已办结 1 项');
    mkdirSync(shots, { recursive: true });
    await page.locator('#charts').screenshot({ path: join(shots, 'dashboard-charts.png') });
    await page.close();
  });

  it('filters by unit, links to the unit’s calendar feed and each duty’s timeline', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await Promise.all([page.waitForURL(/unit=/), page.selectOption('#unit-filter', '县委组织部')]);
    const rows = await page.locator('#matrix tr').count();
    expect(rows).toBe(2);
    await expect(page.locator('#matrix').textContent()).resolves.toContain('任务12 抓实社会帮扶');
    const ics = await page.request.get(`${url}ics/${encodeURIComponent('县委组织部')}.ics`);
    expect(await ics.text()).toContain('DTSTART;VALUE=DATE:20221231');
    await page.goto(url);
    await page.locator('#matrix td[data-task="1"] a').click();
    await expect(page.locator('#timeline').textContent()).resolves.toContain('报办结');
    await expect(page.locator('#timeline').textContent()).resolves.toContain('排查完成');
    await page.close();
  });

  it('refuses to bind beyond loopback without a token', async () => {
    await expect(startDashboard({} as never, '0.0.0.0', 0)).rejects.toThrow(/DUBAN_DASHBOARD_TOKEN/);
  });
});

describe('dashboard escaping', () => {
  it('shows a unit called <script> as text', () => {
    const { input } = loadCampaign({ year: 2022 });
    const evil = '<script>alert(1)</script>';
    const ledger = [{ dutyId: 'x', kind: 'deadline' as const, taskNumber: 1, unit: evil, deadline: '2022-05-31', status: 'open' as const, level: 'red' as const, remindersSent: 1, escalationsSent: 1, ended: false, updatedAt: 0 }];
    const html = overviewPage({ plan: input.plan, ledger, digest: buildDigest(ledger, input.calendar, Date.parse('2022-06-10T10:00+08:00')), units: [evil] });
    expect(html).not.toContain(evil);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('dashboard charts', () => {
  const { input } = loadCampaign({ year: 2022 });
  const entry = (taskNumber: number, unit: string, deadline: string, level: 'red' | 'green' | 'blue') => ({
    dutyId: `t${taskNumber}/${unit}`,
    kind: 'deadline' as const,
    taskNumber,
    unit,
    deadline,
    status: level === 'green' ? ('completed' as const) : ('acknowledged' as const),
    level,
    ...(level === 'green' ? { completedAt: Date.parse(`${deadline}T09:00+08:00`) - 86_400_000 } : {}),
    remindersSent: 1,
    escalationsSent: level === 'red' ? 1 : 0,
    ended: false,
    updatedAt: 0,
  });
  const ledger = [entry(1, '县乡村振兴局', '2022-05-31', 'green'), entry(4, '县以工代赈中心', '2022-05-31', 'red'), entry(12, '县委组织部', '2022-06-20', 'blue')];
  const now = Date.parse('2022-06-10T10:00+08:00');
  const page = (unitFilter?: string) => overviewPage({ plan: input.plan, ledger, digest: buildDigest(ledger, input.calendar, now), units: ['县乡村振兴局', '县以工代赈中心', '县委组织部'], ...(unitFilter ? { unitFilter } : {}) });
  const aria = (html: string, id: string) => new RegExp(`<svg id="${id}" role="img" aria-label="([^"]*)"`).exec(html)?.[1];

  it('shows each unit’s duties by level, the deadlines and completed against due, as SVG without script', () => {
    const html = page();
    expect(html).not.toMatch(/<script\b/i);
    expect(aria(html, 'chart-levels')).toBe('各单位时限任务等级：县乡村振兴局 绿·已办结 1 项；县以工代赈中心 红·逾期 1 项；县委组织部 蓝·即将到期 1 项');
    expect(aria(html, 'chart-deadlines')).toContain('2022-05-01 至 2022-06-30');
    expect(aria(html, 'chart-trend')).toContain('截至 2022-06-10，累计到期 2 项，累计已办结 1 项');
  });

  it('draws only the filtered unit', () => {
    const html = page('县委组织部');
    expect(aria(html, 'chart-levels')).toBe('各单位时限任务等级：县委组织部 蓝·即将到期 1 项');
    // Its one duty falls due on 20 June: nothing due yet, nothing completed.
    expect(aria(html, 'chart-trend')).toContain('截至 2022-06-10，累计到期 0 项，累计已办结 0 项');
  });
});

describe('dashboard robustness', () => {
  it('answers a malformed request line with 400 and keeps serving', async () => {
    const { input } = loadCampaign({ year: 2022 });
    const dash = await startDashboard({ client: {} as never, campaignWorkflowId: 'x', plan: input.plan, calendar: input.calendar }, '127.0.0.1', 0);
    const { port } = new URL(dash.url);
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n'));
      let data = '';
      socket.on('data', (c) => (data += c.toString()));
      socket.on('end', () => resolve(data));
      setTimeout(() => {
        socket.destroy();
        resolve(data);
      }, 2000);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    // Still serving: with no Temporal behind it, the page says so.
    const again = await fetch(dash.url);
    expect(again.status).toBe(502);
    expect(await again.text()).toContain('暂时无法读取督办数据');
    await dash.close();
  });
});
