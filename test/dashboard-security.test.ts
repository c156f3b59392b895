/**
 * The dashboard's doors (issue #14): every route needs the token when there is one, the token never rides in
 * links or calendar-feed addresses, a tokenless loopback dashboard refuses other host names (DNS rebinding),
 * and an error page shows no internals. Against the real HTTP server, with a stand-in Temporal client.
 */
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCampaign } from '../cli/campaign-input';
import { createDashboard, icsKey, isLoopback, startDashboard } from '../dashboard/server';
import type { LedgerEntry } from '../workflows/types';
import { calendar2022 } from './duty-fixtures';

const TOKEN = 'admin-secret-token-0123456789';
const ledger: LedgerEntry[] = [
  { dutyId: 'c/t1/d1/县民政局', kind: 'deadline', taskNumber: 1, unit: '县民政局', deadline: '2022-05-31', status: 'open', level: 'blue', remindersSent: 1, escalationsSent: 0, ended: false, updatedAt: 1 },
];
const client = (fail = false) =>
  ({
    workflow: {
      getHandle: () => ({
        query: async (q: { name: string }) => {
          if (fail) throw new Error('14 UNAVAILABLE: connect ECONNREFUSED 10.1.2.3:7233 (internal detail)');
          // The campaign knows 2022's official days; 2023's are not loaded yet.
          if (q.name === 'calendar') return { knownYears: [2022], holidays: [], makeupWorkdays: [] };
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

async function serve(token: string | undefined, fail = false) {
  const { plan } = loadCampaign({ year: 2022 }).input;
  const server = createDashboard({ client: client(fail), campaignWorkflowId: 'c', plan, calendar: calendar2022, ...(token ? { token } : {}), now: () => Date.parse('2022-05-20T10:00:00+08:00') });
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
