/**
 * The dashboard: a small HTTP server on loopback (a token is required to bind anywhere else) that reads the
 * campaign's ledger and each duty's state from Temporal, and the local outbox.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Client } from '@temporalio/client';
import type { WorkCalendar } from '../calendar/working-days';
import type { ValidPlan } from '../plan/schema';
import { buildDigest } from '../workflows/digest';
import { ledgerQuery, statusQuery } from '../workflows/messages';
import type { OutgoingMessage } from '../workflows/types';
import { dutyPage, layout, outboxPage, overviewPage, unitCalendar } from './pages';

export interface DashboardDeps {
  client: Client;
  campaignWorkflowId: string;
  plan: ValidPlan;
  calendar: WorkCalendar;
  outboxFile?: string;
  /** Required when binding to anything but loopback. */
  token?: string;
  /** The campaign's clock (a simulated campaign runs on a shifted one). */
  now?: () => number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

function readOutbox(file: string | undefined, limit = 200): OutgoingMessage[] {
  if (!file || !existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .slice(-limit)
    .map((l) => JSON.parse(l) as OutgoingMessage)
    .reverse();
}

export function createDashboard(deps: DashboardDeps): Server {
  const now = deps.now ?? (() => Date.now());
  return createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'" });
      res.end(body);
    };
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://dashboard');
    } catch {
      return send(400, 'text/html', layout('请求无效', '<h1>400 请求无效</h1>'));
    }
    if (deps.token) {
      const given = url.searchParams.get('token') ?? req.headers.authorization?.replace(/^Bearer\s+/i, '');
      if (given !== deps.token) return send(401, 'text/html', layout('未授权', '<h1>401 未授权</h1><p>请在链接中附上访问令牌（?token=…）。</p>'));
    }
    const handle = async () => {
      const campaign = deps.client.workflow.getHandle(deps.campaignWorkflowId);
      if (url.pathname === '/') {
        const ledger = await campaign.query(ledgerQuery);
        const unit = url.searchParams.get('unit') || undefined;
        const units = [...new Set(ledger.map((e) => e.unit))].sort();
        return send(200, 'text/html', overviewPage({ plan: deps.plan, ledger, digest: buildDigest(ledger, deps.calendar, now()), units, ...(unit ? { unitFilter: unit } : {}), ...(deps.token ? { token: deps.token } : {}) }));
      }
      if (url.pathname === '/duty') {
        const id = url.searchParams.get('id') ?? '';
        const state = await deps.client.workflow.getHandle(id).query(statusQuery);
        const title = deps.plan.tasks.find((t) => t.number === state.taskNumber)?.title ?? '';
        return send(200, 'text/html', dutyPage(state, title, deps.token));
      }
      if (url.pathname === '/outbox') return send(200, 'text/html', outboxPage(readOutbox(deps.outboxFile), deps.token));
      if (url.pathname === '/api/ledger') return send(200, 'application/json', JSON.stringify(await campaign.query(ledgerQuery)));
      const ics = /^\/ics\/(.+)\.ics$/.exec(url.pathname);
      if (ics) {
        const unit = decodeURIComponent(ics[1] ?? '');
        return send(200, 'text/calendar', unitCalendar(unit, await campaign.query(ledgerQuery), deps.plan));
      }
      return send(404, 'text/html', layout('未找到', '<h1>404 页面不存在</h1>', deps.token));
    };
    handle().catch((err: unknown) => send(502, 'text/html', layout('暂不可用', `<h1>暂时无法读取督办数据</h1><p class="muted">Temporal 未就绪或督办批次不存在。</p>`, deps.token) + `<!-- ${String(err).replace(/--/g, '')} -->`));
  });
}

export async function startDashboard(deps: DashboardDeps, host = '127.0.0.1', port = 8080): Promise<{ url: string; close: () => Promise<void> }> {
  if (!isLoopback(host) && !deps.token) {
    throw new Error(`看板绑定到 ${host} 需要访问令牌：请设置 DUBAN_DASHBOARD_TOKEN (binding beyond loopback requires a token)`);
  }
  const server = createDashboard(deps);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}/`, close: () => new Promise((r) => server.close(() => r())) };
}
