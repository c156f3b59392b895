/**
 * The dashboard's doors (issue #14): every route needs the token when there is one, the token never rides in
 * links or calendar-feed addresses, a tokenless loopback dashboard refuses other host names (DNS rebinding),
 * and an error page shows no internals; its cookies are Secure when it is reached over https, and no page runs
 * a script, even one slipped into it (issue #27, in headless Chromium). Against the real HTTP server, with a
 * stand-in Temporal client.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCampaign } from '../cli/campaign-input';
import { createDashboard, icsKey, isLoopback, startDashboard, type DashboardDeps } from '../dashboard/server';
import { linkSecretSource } from '../links/secret';
import { LINK_MAX_AGE_MS, signLink } from '../links/token';
import { LinkUses } from '../links/uses';
import type { DutyState, LedgerEntry, OutgoingMessage } from '../workflows/types';
import { calendar2022 } from './duty-fixtures';
import { seedDirectory } from './linked-campaign';
import { launchChromium } from './notice-fixture';

const TOKEN = 'admin-secret-token-0123456789';
const ledger: LedgerEntry[] = [
  { dutyId: 'c/t1/d1/县民政局', kind: 'deadline', taskNumber: 1, unit: '县民政局', deadline: '2022-05-31', status: 'open', level: 'blue', remindersSent: 1, escalationsSent: 0, ended: false, updatedAt: 1 },
];
const duty = {
  dutyId: 'c/t1/d1/县民政局',
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
  pendingExtension: { date: '2022-06-15', reason: '等待数据', at: Date.parse('2022-05-19T10:00:00+08:00'), by: '周志强（虚构）' },
  history: [{ at: Date.parse('2022-05-18T09:00:00+08:00'), event: 'reminder', detail: '截止前提醒' }],
} as unknown as DutyState;
const client = (fail = false) =>
  ({
    workflow: {
      getHandle: () => ({
        query: async (q: { name: string }) => {
          if (fail) throw new Error('14 UNAVAILABLE: connect ECONNREFUSED 10.1.2.3:7233 (internal detail)');
          // The campaign knows 2022's official days; 2023's are not loaded yet.
          if (q.name === 'calendar') return { knownYears: [2022], holidays: [], makeupWorkdays: [] };
          if (q.name === 'status') return duty;
          if (q.name === 'ledgerPage') return { entries: ledger, total: ledger.length };
          return ledger;
        },
      }),
    },
  }) as unknown as Client;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: encodeURI(path), headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const NOW = Date.parse('2022-05-20T10:00:00+08:00');

async function serve(token: string | undefined, fail = false, more: Partial<DashboardDeps> = {}) {
  const { plan } = loadCampaign({ year: 2022 }).input;
  const server = createDashboard({ client: client(fail), campaignWorkflowId: 'c', plan, calendar: calendar2022, ...(token ? { token } : {}), now: () => NOW, ...more });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('a dashboard with a token', () => {
  let port = 0;
  let close = () => undefined as unknown;
  beforeAll(async () => {
    const s = await serve(TOKEN);
    port = s.port;
    close = () => s.server.close();
  });
  afterAll(() => close());

  it.each(['/', '/duty?id=c/t1/d1/县民政局', '/outbox', '/api/ledger', '/ics/县民政局.ics'])('refuses %s without it', async (path) => {
    expect((await get(port, path)).status).toBe(401);
    expect((await get(port, `${path}${path.includes('?') ? '&' : '?'}token=wrong`)).status).toBe(401);
  });

  it('takes the token once, moves it into a cookie and out of the address, and never writes it into a page', async () => {
    const first = await get(port, `/?unit=县民政局&token=${TOKEN}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe(`/?unit=${encodeURIComponent('县民政局')}`);
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    expect(String(first.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    const page = await get(port, '/?unit=县民政局', { cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('督办总览');
    expect(page.body).not.toContain(TOKEN);
    // The unit's calendar feed has a key of its own, which opens that feed and nothing else.
    const key = icsKey(TOKEN, '县民政局');
    expect(page.body).toContain(`/ics/${encodeURIComponent('县民政局')}.ics?key=${key}`);
    const feed = await get(port, `/ics/县民政局.ics?key=${key}`);
    expect(feed.status).toBe(200);
    expect(feed.body).toContain('BEGIN:VCALENDAR');
    expect((await get(port, `/ics/县教科局.ics?key=${key}`)).status).toBe(401);
    expect((await get(port, `/api/ledger?key=${key}`)).status).toBe(401);
    expect((await get(port, '/api/ledger', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });
});

describe('the overview', () => {
  it('says which years run on official days and which on a Monday–Friday guess', async () => {
    const { server, port } = await serve(undefined);
    try {
      const page = await get(port, '/');
      expect(page.body).toContain('工作日历：2022 年按国务院公布的放假和调休安排');
      expect(page.body).toContain('2023 年尚未载入官方安排，暂按周一至周五计算');
    } finally {
      server.close();
    }
  });
});

describe('a dashboard without a token (loopback only)', () => {
  it('refuses another host name, as a DNS-rebinding page would send', async () => {
    const { server, port } = await serve(undefined);
    try {
      expect((await get(port, '/', { host: `evil.example:${port}` })).status).toBe(421);
      expect((await get(port, '/', { host: `localhost:${port}` })).status).toBe(200);
      expect((await get(port, '/')).status).toBe(200);
    } finally {
      server.close();
    }
  });

  it('shows no internals when Temporal cannot be read', async () => {
    const { server, port } = await serve(undefined, true);
    try {
      const page = await get(port, '/');
      expect(page.status).toBe(502);
      expect(page.body).toContain('暂时无法读取督办数据');
      expect(page.body).not.toContain('ECONNREFUSED');
      expect(page.body).not.toContain('10.1.2.3');
    } finally {
      server.close();
    }
  });
});

describe('a dashboard reachable through action links', () => {
  it('will not start without a token, and a host name that merely starts with 127. is not loopback', async () => {
    const actions = { directory: {} as never, secret: () => 'x'.repeat(40), uses: {} as never };
    await expect(startDashboard({ actions } as never, '127.0.0.1', 0)).rejects.toThrow(/DUBAN_DASHBOARD_TOKEN/);
    expect(isLoopback('127.attacker.example')).toBe(false);
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
  });
});

describe('cookies on https', () => {
  const signIn = async (publicUrl: string | undefined, more: Partial<DashboardDeps> = {}) => {
    const before = process.env.DUBAN_PUBLIC_URL;
    if (publicUrl === undefined) delete process.env.DUBAN_PUBLIC_URL;
    else process.env.DUBAN_PUBLIC_URL = publicUrl;
    try {
      const { server, port } = await serve(TOKEN, false, more);
      try {
        return String((await get(port, `/?token=${TOKEN}`)).headers['set-cookie']);
      } finally {
        server.close();
      }
    } finally {
      if (before === undefined) delete process.env.DUBAN_PUBLIC_URL;
      else process.env.DUBAN_PUBLIC_URL = before;
    }
  };

  it('marks the admin cookie Secure when the dashboard is reached over https, so a browser never sends it over plain http', async () => {
    // The county's proxy serves https and talks plain http to the dashboard: the public address says which.
    expect(await signIn('https://duban.example.gov.cn')).toMatch(/^duban_token=[^;]+; HttpOnly; SameSite=Strict; Path=\/; Secure$/);
    // As the main job passes it for action links.
    const actions = { directory: seedDirectory, secret: () => 'x'.repeat(40), uses: new LinkUses(), secureCookie: true };
    expect(await signIn(undefined, { actions })).toMatch(/; Secure$/);
    // On plain http (an intranet address, or loopback) a Secure cookie would be dropped and the sign-in lost.
    expect(await signIn('http://10.20.30.40:8080')).not.toMatch(/Secure/);
    expect(await signIn(undefined)).not.toMatch(/Secure/);
  });
});

describe('no script on any page (headless Chromium)', () => {
  let browser: Browser;
  let base = '';
  let ackLink = '';
  let officeLink = '';
  let close = async () => undefined as unknown;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duban-csp-'));
    const secret = linkSecretSource(join(dir, 'link-secret'));
    const outboxFile = join(dir, 'outbox.jsonl');
    const sent: OutgoingMessage = { key: 'k1', kind: 'reminder', toUnits: ['县民政局'], recipients: [], level: 'blue', at: NOW, subject: '任务1 截止前提醒', text: '请于 2022-05-31 前报送。' };
    writeFileSync(outboxFile, `${JSON.stringify(sent)}\n`);
    const coordinator = seedDirectory.units['县民政局']!.coordinators[0]!;
    const office = seedDirectory.units['县委农办']!.coordinators[0]!;
    ackLink = `/a/${signLink(secret(), { a: 'ack', d: duty.dutyId, p: coordinator.name, u: '县民政局', r: 'coordinator', i: NOW, e: NOW + LINK_MAX_AGE_MS, m: 'm1' })}`;
    officeLink = `/a/${signLink(secret(), { a: 'office', d: '*', p: office.name, u: '县委农办', r: 'supervisor', i: NOW, e: NOW + LINK_MAX_AGE_MS, m: 'm2' })}`;
    const { server, port } = await serve(undefined, false, { outboxFile, actions: { directory: seedDirectory, secret, uses: new LinkUses() } });
    base = `http://127.0.0.1:${port}`;
    browser = await launchChromium();
    close = async () => {
      await browser.close();
      server.close();
    };
  }, 60_000);

  afterAll(async () => close());

  /** A page that says what the console reported about the policy, and what the document saw violated. */
  async function watched(): Promise<{ page: Page; reported: string[]; violated: () => Promise<string[]> }> {
    const page = await browser.newPage();
    const reported: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) reported.push(m.text());
    });
    page.on('pageerror', (e) => reported.push(`pageerror: ${e.message}`));
    // Added by the browser's own protocol (not subject to the page's policy), before any of the page runs. (In-page
    // code is passed as text: the project's types have no DOM.)
    await page.addInitScript({
      content: "window.violations = []; document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));",
    });
    return { page, reported, violated: () => page.evaluate<string[]>('window.violations') };
  }

  it.each([
    ['/', '督办总览'],
    ['/?unit=县民政局', '督办总览'],
    ['/unit?name=县民政局', '县民政局 的待办任务'],
    [`/duty?id=${encodeURIComponent('c/t1/d1/县民政局')}`, '任务1'],
    ['/outbox', '发件箱'],
    ['/no-such-page', '404'],
  ])('%s renders with no policy violation', async (path, heading) => {
    const { page, reported, violated } = await watched();
    const res = await page.goto(`${base}${path}`);
    expect(res?.status()).toBe(path === '/no-such-page' ? 404 : 200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'none'");
    await expect(page.locator('h1').first().textContent()).resolves.toContain(heading);
    if (path === '/') expect(await page.locator('#charts svg').count()).toBe(3);
    if (path === '/outbox') await expect(page.locator('#outbox').textContent()).resolves.toContain('任务1 截止前提醒');
    expect(reported).toEqual([]);
    expect(await violated()).toEqual([]);
    await page.close();
  });

  it('filters by unit without a script', async () => {
    const { page, reported, violated } = await watched();
    await page.goto(`${base}/`);
    await page.selectOption('#unit-filter', '县民政局');
    await Promise.all([page.waitForURL(/unit=/), page.locator('#unit-filter-go').click()]);
    expect(new URL(page.url()).searchParams.get('unit')).toBe('县民政局');
    expect(reported).toEqual([]);
    expect(await violated()).toEqual([]);
    await page.close();
  });

  it('runs none of a script slipped into a page: not an inline script, not an event handler', async () => {
    // As markup that got past escaping would: the policy, not the escaping, is what stops it here.
    const { page, reported, violated } = await watched();
    await page.goto(`${base}/`);
    const ran = await page.evaluate<string[]>(`(async () => {
      const script = document.createElement('script');
      script.textContent = "(window.injected ??= []).push('script')";
      document.body.append(script);
      const button = document.createElement('button');
      button.setAttribute('onclick', "(window.injected ??= []).push('handler')");
      document.body.append(button);
      button.click();
      await new Promise((r) => setTimeout(r, 100));
      return window.injected ?? [];
    })()`);
    expect(ran).toEqual([]);
    // The browser says so (which is how the pages above are known to report none).
    expect((await violated()).length).toBe(2);
    await expect.poll(() => reported.length).toBe(2);
    await page.close();
  });

  it('shows an action page, a refused one, and the office’s sign-in and duty page with no policy violation', async () => {
    const { page, reported, violated } = await watched();
    const res = await page.goto(`${base}${ackLink}`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toMatch(/default-src 'none'/);
    await expect(page.locator('h1').textContent()).resolves.toBe('确认收到');
    await expect(page.locator('form button[type=submit]').isVisible()).resolves.toBe(true);
    const refused = await page.goto(`${base}${ackLink.slice(0, -1)}${ackLink.endsWith('A') ? 'B' : 'A'}`);
    expect(refused?.status()).toBe(400);
    await expect(page.locator('.refused').textContent()).resolves.toContain('签名不符');
    await page.goto(`${base}${officeLink}`);
    await Promise.all([page.waitForURL(`${base}/`), page.locator('button[type=submit]').click()]);
    await page.goto(`${base}/duty?id=${encodeURIComponent(duty.dutyId)}`);
    await expect(page.locator('#approve').isVisible()).resolves.toBe(true);
    expect(reported).toEqual([]);
    expect(await violated()).toEqual([]);
    await page.close();
  });
});
