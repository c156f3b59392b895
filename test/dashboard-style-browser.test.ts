/**
 * The dashboard's one stylesheet in headless Chromium (issue #24): every page at a phone's 375 px and a desk's
 * 1280 px, with screenshots of both in test-results/. What a person notices: the top bar with the county and the
 * notice, cards for the figures, table headers that stay in sight, the level colours; on the action pages opened
 * from WeChat, no sideways scrolling, the task named with its title and a button that says what it does once.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Browser, Page } from 'playwright-core';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCampaign, SEED_DIRECTORY } from '../cli/campaign-input';
import { createDashboard } from '../dashboard/server';
import { parseNotice } from '../notice/parse';
import { LINK_MAX_AGE_MS, signLink } from '../links/token';
import { LinkUses } from '../links/uses';
import { loadDirectory, writePlan } from '../plan/files';
import type { DutyState, LedgerEntry } from '../workflows/types';
import { calendar2022 } from './duty-fixtures';
import { launchChromium } from './notice-fixture';

const SECRET = 'test-secret-for-the-stylesheet-0123456789abcdef';
const NOW = Date.parse('2022-05-20T10:00:00+08:00');
const RESULTS = join(__dirname, '..', 'test-results');
const DUTY = 'c/t1/d1/县民政局';
const units = ['县民政局', '县教科局', '县卫健局', '县人社局', '县住建局', '县交通运输局', '县水务局', '县农业农村局', '县文广旅局', '县医保局'];
const ledger: LedgerEntry[] = units.flatMap((unit, i) =>
  [1, 2, 3].map((taskNumber) => ({
    dutyId: `c/t${taskNumber}/d1/${unit}`,
    kind: 'deadline' as const,
    taskNumber,
    unit,
    deadline: '2022-05-31',
    status: 'open' as const,
    level: (['blue', 'yellow', 'red', 'none'] as const)[(i + taskNumber) % 4]!,
    remindersSent: 1,
    escalationsSent: 0,
    ended: false,
    updatedAt: 1,
  })),
);
const duty = {
  dutyId: DUTY,
  kind: 'deadline',
  unit: '县民政局',
  taskNumber: 1,
  deadline: '2022-05-31',
  originalDeadline: '2022-05-31',
  status: 'open',
  level: 'blue',
  ended: false,
  remindersSent: 1,
  escalationsSent: 0,
  history: [{ at: Date.parse('2022-05-18T09:00:00+08:00'), event: 'reminder', detail: '截止前提醒' }],
} as unknown as DutyState;
const client = {
  workflow: {
    getHandle: () => ({
      describe: async () => Promise.reject(new Error('not found')),
      query: async (q: { name: string }) => {
        if (q.name === 'calendar') return { knownYears: [2022], holidays: [], makeupWorkdays: [] };
        if (q.name === 'status') return duty;
        if (q.name === 'ledgerPage') return { entries: ledger, total: ledger.length };
        return ledger;
      },
    }),
  },
} as unknown as Client;

describe('the dashboard’s stylesheet on a phone and on a desk (headless Chromium)', () => {
  let browser: Browser;
  let base = '';
  let close = async () => undefined as unknown;
  const links: Record<string, string> = {};
  const plan = loadCampaign({ year: 2022 }).input.plan;

  beforeAll(async () => {
    const data = mkdtempSync(join(tmpdir(), 'duban-style-'));
    const dir = loadDirectory(SEED_DIRECTORY);
    const base0 = join(data, 'units.yaml');
    writeFileSync(base0, stringify({ ...dir, clerks: [{ name: '王文员（虚构）' }] }));
    mkdirSync(join(data, 'plans'));
    writePlan(join(data, 'plans', 'seed.yaml'), parseNotice(plan.tasks.map((t) => `${t.number}. ${t.title}，${t.lead}负责，2022年6月30日前完成。`).join('\n'), { year: 2022, file: 'seed.txt' }), { draft: true });
    const coordinator = dir.units['县民政局']!.coordinators[0]!;
    for (const a of ['ack', 'done'] as const) links[a] = `/a/${signLink(SECRET, { a, d: DUTY, p: coordinator.name, u: '县民政局', r: 'coordinator', i: NOW, e: NOW + LINK_MAX_AGE_MS, m: `m-${a}` })}`;
    const server = createDashboard({
      client,
      campaignWorkflowId: 'c',
      plan,
      calendar: calendar2022,
      now: () => NOW,
      actions: { directory: dir, secret: () => SECRET, uses: new LinkUses() },
      desk: { target: { namespace: 'default', taskQueue: 'style' }, dataDir: data, baseDirectory: base0, secret: () => SECRET, simulate: () => new Promise(() => undefined) },
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    mkdirSync(RESULTS, { recursive: true });
    browser = await launchChromium();
    close = async () => {
      await browser.close();
      server.close();
    };
  }, 60_000);
  afterAll(async () => close());

  /** A computed style, as the browser applied it (in-page code as text: the project's types have no DOM). */
  const styleOf = (page: Page, selector: string, property: string) =>
    page.evaluate<string>(`getComputedStyle(document.querySelector(${JSON.stringify(selector)})).${property}`);

  const pages = (): [string, string, boolean][] => [
    ['overview', '/', false],
    ['unit', `/unit?name=${encodeURIComponent('县民政局')}`, false],
    ['duty', `/duty?id=${encodeURIComponent(DUTY)}`, false],
    ['outbox', '/outbox', false],
    ['new-campaign', '/new', false],
    ['plan-review', '/new/plan?name=seed', false],
    ['action-ack', links.ack!, true],
    ['action-done', links.done!, true],
  ];

  it.each([375, 1280])('every page at %i px: the stylesheet applied, no sideways scrolling on the action pages', async (width) => {
    const page = await browser.newPage({ viewport: { width, height: 800 } });
    try {
      for (const [name, path, action] of pages()) {
        const res = await page.goto(`${base}${path}`);
        expect(res?.status(), name).toBe(200);
        // The stylesheet is a file of its own: the top bar is the office's colour, not an unstyled line.
        expect(await styleOf(page, 'header.topbar', 'backgroundColor'), name).toBe('rgb(159, 18, 57)');
        if (action) {
          const [scroll, inner] = await page.evaluate<[number, number]>('[document.documentElement.scrollWidth, window.innerWidth]');
          expect(scroll, `${name} at ${width} px scrolls sideways`).toBeLessThanOrEqual(inner);
        }
        await page.screenshot({ path: join(RESULTS, `style-${name}-${width}.png`), fullPage: true });
      }
    } finally {
      await page.close();
    }
  }, 120_000);

  it('names the county and the notice, shows the figures as cards, keeps table headers in sight, colours the levels', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${base}/`);
    await expect(page.locator('header.topbar .county').textContent()).resolves.toBe('大竹县 · 督办系统');
    await expect(page.locator('#notice-title').textContent()).resolves.toBe(plan.title);
    await expect(page.locator('#cards .card').count()).resolves.toBe(4);
    await expect(page.locator('#cards .card').first().textContent()).resolves.toBe(`${ledger.length}时限任务`);
    expect(await styleOf(page, '#matrix th', 'position')).toBe('sticky');
    expect(await styleOf(page, '#matrix a.cell.red', 'backgroundColor')).toBe('rgb(185, 28, 28)');
    await page.close();
  });

  it('an action page names the task with its title, and its button says 「确认收到」 once', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 800 } });
    await page.goto(`${base}${links.ack}`);
    await expect(page.locator('#task-name').textContent()).resolves.toBe(`任务1 ${plan.tasks[0]!.title}`);
    await expect(page.locator('form button[type=submit]').textContent()).resolves.toBe('确认收到');
    expect(await page.content()).not.toContain('确认确认');
    await page.close();
  });
});
