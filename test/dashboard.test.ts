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
import { ChartRenderError, renderChartSvg } from '../charts/render';
import { ChartCache } from '../dashboard/chart-cache';
import { overviewPage } from '../dashboard/pages';
import { startDashboard } from '../dashboard/server';
import { buildDigest } from '../workflows/digest';
import { completeUpdate, ledgerPageQuery, ledgerQuery } from '../workflows/messages';
import { ledgerPage, type LedgerPageRequest } from '../workflows/ledger-page';
import type { LedgerEntry, Level } from '../workflows/types';
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
    // Task 1 by its lead alone (its co-units' parts are test/lead-co.test.ts's): four duties in all.
    const plan = { ...loaded.input.plan, tasks: loaded.input.plan.tasks.filter((t) => [1, 4, 12].includes(t.number)).map((t) => ({ ...t, accountable: 'lead' as const })) };
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
    await page.selectOption('#unit-filter', '县委组织部');
    await Promise.all([page.waitForURL(/unit=/), page.locator('#unit-filter-go').click()]);
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

describe('dashboard charts on a large or awkward campaign', () => {
  const { input } = loadCampaign({ year: 2022 });
  const levels: Level[] = ['red', 'yellow', 'blue', 'none'];
  /** `units` units of `per` duties each; every unit's duties ended but for `open(u)` of them. */
  const ledgerOf = (units: number, per: number, open: (u: number) => number): LedgerEntry[] =>
    Array.from({ length: units }, (_, u) =>
      Array.from({ length: per }, (__, d): LedgerEntry => {
        const ended = d >= open(u);
        const level: Level = ended ? 'green' : (levels[(u + d) % levels.length] ?? 'none');
        return {
          dutyId: `t${d + 1}/unit${u}`,
          kind: 'deadline',
          taskNumber: (d % input.plan.tasks.length) + 1,
          unit: `测试单位${String(u).padStart(3, '0')}`,
          deadline: `2022-${String((d % 12) + 1).padStart(2, '0')}-${String((u % 28) + 1).padStart(2, '0')}`,
          status: ended ? 'completed' : 'acknowledged',
          level,
          ...(ended ? { completedAt: Date.parse('2022-03-01T09:00+08:00') } : {}),
          remindersSent: 1,
          escalationsSent: 0,
          ended,
          updatedAt: 0,
        };
      }),
    ).flat();
  const now = Date.parse('2022-06-10T10:00+08:00');
  const aria = (html: string, id: string) => new RegExp(`<svg id="${id}" role="img" aria-label="([^"]*)"`).exec(html)?.[1] ?? '';
  const svgOf = (html: string, id: string) => new RegExp(`<svg id="${id}"[\\s\\S]*?</svg>`).exec(html)?.[0] ?? '';

  it('draws 500 units’ 10,000 duties as the 40 units with the most open duties, and says so', () => {
    // Units 0, 5, 10, … 195 have 15 open duties each, every other unit 2: those forty are the ones shown.
    const ledger = ledgerOf(500, 20, (u) => (u % 5 === 0 && u < 200 ? 15 : 2));
    const units = [...new Set(ledger.map((e) => e.unit))].sort();
    const html = overviewPage({ plan: input.plan, ledger, digest: buildDigest(ledger, input.calendar, now), units, charts: new ChartCache() });
    const busiest = Array.from({ length: 40 }, (_, i) => `测试单位${String(i * 5).padStart(3, '0')}`);
    for (const id of ['chart-levels', 'chart-deadlines']) {
      const svg = svgOf(html, id);
      expect(aria(html, id)).toContain('（未结束任务最多的 40 个单位，共 500 个）');
      // The unit names a reader sees on the chart's axis: the forty busiest, no other.
      const shown = [...new Set([...svg.matchAll(/<text[^>]*>(测试单位\d{3})[^<]*<\/text>/g)].map((m) => m[1]))];
      expect(shown.sort()).toEqual(busiest);
    }
    const charts = /<section id="charts">[\s\S]*<\/section>/.exec(html)?.[0] ?? '';
    // All three charts together: a few hundred kilobytes, not megabytes.
    expect(charts.length).toBeLessThan(400_000);
    expect(aria(html, 'chart-trend')).toContain('全部 10000 项');
  });

  it('shows every unit when there are no more than 40, with the title unchanged', () => {
    const ledger = ledgerOf(40, 2, () => 1);
    const html = overviewPage({ plan: input.plan, ledger, digest: buildDigest(ledger, input.calendar, now), units: [...new Set(ledger.map((e) => e.unit))].sort(), charts: new ChartCache() });
    expect(aria(html, 'chart-levels')).toMatch(/^各单位时限任务等级：测试单位000 /);
    expect(aria(html, 'chart-levels')).toContain('测试单位039');
  });

  it('keeps the page when a chart cannot be drawn: 200, the other charts, 图表暂不可用 in its place, the error logged once', async () => {
    const ledger = ledgerOf(3, 2, () => 1);
    const drawn: string[] = [];
    const failed: string[] = [];
    const charts = new ChartCache({
      render: (spec) => {
        drawn.push(spec.id);
        if (spec.id === 'chart-deadlines') throw new ChartRenderError(spec.id, new Error('bad series'));
        return renderChartSvg(spec);
      },
      onError: (id) => failed.push(id),
    });
    let clock = now;
    const client = {
      workflow: {
        getHandle: () => ({
          query: async (q: unknown, req?: LedgerPageRequest) => (q === ledgerPageQuery ? ledgerPage(ledger, req!) : q === ledgerQuery ? ledger : Promise.reject(new Error('no calendar'))),
        }),
      },
    };
    const dash = await startDashboard({ client: client as never, campaignWorkflowId: 'x', plan: input.plan, calendar: input.calendar, charts, now: () => clock }, '127.0.0.1', 0);
    try {
      const res = await fetch(dash.url);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('<svg id="chart-levels"');
      expect(html).toContain('<svg id="chart-trend"');
      expect(html).not.toContain('<svg id="chart-deadlines"');
      expect(html).toMatch(/<figure class="chart-unavailable" data-chart="chart-deadlines"><figcaption>全年截止日期<\/figcaption><p>图表暂不可用<\/p><\/figure>/);
      expect(html).toContain('id="matrix"');
      // Read again, same ledger, same day: nothing drawn again, nothing logged again.
      expect((await fetch(dash.url)).status).toBe(200);
      expect(drawn).toEqual(['chart-levels', 'chart-deadlines', 'chart-trend']);
      expect(failed).toEqual(['chart-deadlines']);
      // The next day the charts (their 今天 rule) are drawn anew.
      clock = now + 86_400_000;
      expect((await fetch(dash.url)).status).toBe(200);
      expect(drawn).toHaveLength(6);
    } finally {
      await dash.close();
    }
  });

  it('keeps the page when a duty’s deadline is not a date: the charts that need dates say so, the others are drawn', () => {
    const ledger = ledgerOf(3, 2, () => 1);
    ledger[0] = { ...ledger[0]!, deadline: '待定' };
    const html = overviewPage({ plan: input.plan, ledger, digest: buildDigest(ledger.slice(1), input.calendar, now), units: [...new Set(ledger.map((e) => e.unit))].sort(), charts: new ChartCache({ onError: () => undefined }) });
    expect(html).toContain('<svg id="chart-levels"');
    expect(html).toContain('data-chart="chart-deadlines"');
    expect(html).toContain('data-chart="chart-trend"');
    expect(html.match(/图表暂不可用/g)).toHaveLength(2);
  });
});
