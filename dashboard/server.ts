/**
 * The dashboard: a small HTTP server on loopback (a token is required to bind anywhere else) that reads the
 * campaign's ledger and each duty's state from Temporal, and the local outbox.
 */
import { createHmac } from 'node:crypto';
import { escapeHtml } from '../channels/render';
import { sameSecret } from '../links/compare';
import { createServer, type Server } from 'node:http';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Client } from '@temporalio/client';
import type { WorkCalendar } from '../calendar/working-days';
import type { ValidPlan } from '../plan/schema';
import { buildDigest } from '../workflows/digest';
import { calendarQuery, planQuery, statusQuery } from '../workflows/messages';
import { levelCounts, ledgerOf, listCampaigns, type CampaignListing } from '../campaigns/registry';
import type { LedgerEntry } from '../workflows/types';
import { readOutboxPage } from '../activities/outbox-file';
import { OFFICE_COOKIE } from '../links/actions';
import { publicUrlIsHttps } from '../links/config';
import { actionPage, csrfToken, dashboardDecision, officeSession, readForm, type ActionDeps } from './actions';
import { dutyPage, layout, outboxPage, overviewPage, unitCalendar, unitDutiesPage, type CampaignRow, type UnitDutyRow } from './pages';
import { ChartCache } from './chart-cache';
import { DASHBOARD_CSS, STYLESHEET_PATH } from './style';
import { readLedger } from '../ledger/read';
import { beijingMinute, ledgerRows } from '../ledger/rows';
import { ledgerXlsx } from '../ledger/xlsx';
import { checkHealth, OutboxMornings } from '../ops/health';
import { createLog } from '../ops/log';
import { readCampaignLedger } from '../campaigns/ledger-read';
import { ClerkDesk, type DeskDeps, type Reply } from './new-campaign';
import { CLERK_COOKIE } from './clerks';
import { DirectoryUnusableError, directoryUnusablePage } from './directory-page';
import { dataDir, linkSecretFile } from '../links/config';
import { linkSecretSource } from '../links/secret';
import { temporalTargetFromEnv } from '../cli/connection';
import { SEED_DIRECTORY } from '../cli/campaign-input';

/** The operator's log (JSON lines off a terminal); causes go there, never into a page. */
const log = createLog();

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
  /** Action links (DUBAN_PUBLIC_URL set): `/a/<link>` pages, open to anyone holding a valid link. */
  actions?: Omit<ActionDeps, 'client' | 'now'>;
  /** The campaign's task queue, whose pollers /healthz looks for (default `duban`). */
  taskQueue?: string;
  /** The overview's charts, each drawn once per input (default: this dashboard's own cache). */
  charts?: ChartCache;
  /**
   * Browsers reach the dashboard over https (through the county's proxy): its cookies are Secure. Default: the
   * action links' setting, else DUBAN_PUBLIC_URL's scheme (there is no trusted-proxy setting to read a request's).
   */
  secureCookie?: boolean;
  /**
   * 「新建督办」 (dashboard/new-campaign.ts). Default: from the environment, made at its first request — the data
   * folder (DUBAN_DATA_DIR), DUBAN_DIRECTORY, the link secret, TEMPORAL_TASK_QUEUE/TEMPORAL_NAMESPACE.
   */
  desk?: Omit<DeskDeps, 'client' | 'now'> & { now?: () => number };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * No page runs a script: markup that slipped past escaping could not run one either. Styles come from the one
 * stylesheet (dashboard/style.ts, 'self'); inline style stays allowed for the charts' server-drawn SVG.
 */
export const DASHBOARD_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'none'; object-src 'none'; base-uri 'none'";
/** Action pages: nothing but their form and the stylesheet. */
export const ACTION_CSP = "default-src 'none'; style-src 'self' 'unsafe-inline'; form-action 'self'; base-uri 'none'";

/** A loopback address or localhost itself (not a name that merely starts with "127."). */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
}

/** 发件箱 pages: 200 messages each, newest first, read from the end of the file (activities/outbox-file.ts). */
export const OUTBOX_PAGE = 200;

export { sameSecret } from '../links/compare';

/** A unit's calendar-feed key: opens that unit's .ics feed and nothing else (calendar apps send no cookies). */
export function icsKey(token: string, unit: string): string {
  return createHmac('sha256', token).update(`ics:${unit}`).digest('base64url').slice(0, 32);
}

function hostnameOf(host: string | undefined): string {
  if (!host) return '';
  const bracket = /^\[([^\]]+)\]/.exec(host);
  return bracket ? (bracket[1] ?? '') : host.replace(/:\d+$/, '');
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

export function createDashboard(deps: DashboardDeps): Server {
  const now = deps.now ?? (() => Date.now());
  const mornings = deps.outboxFile ? new OutboxMornings(deps.outboxFile) : undefined;
  const charts = deps.charts ?? new ChartCache();
  const httpsPublic = deps.secureCookie ?? deps.actions?.secureCookie ?? publicUrlIsHttps();
  let clerkDesk: ClerkDesk | undefined;
  const deskOf = () =>
    (clerkDesk ??= new ClerkDesk({
      client: deps.client,
      now,
      ...(deps.desk ?? {
        target: { ...temporalTargetFromEnv(), ...(deps.taskQueue ? { taskQueue: deps.taskQueue } : {}) },
        dataDir: dataDir(),
        baseDirectory: process.env.DUBAN_DIRECTORY ?? SEED_DIRECTORY,
        secret: deps.actions?.secret ?? linkSecretSource(linkSecretFile()),
        ...(process.env.DUBAN_PUBLIC_URL?.trim() ? { publicUrl: process.env.DUBAN_PUBLIC_URL.trim().replace(/\/+$/, '') } : {}),
      }),
    }));
  return createServer((req, res) => {
    // Served over TLS itself, or known to be reached over https: a cookie set here is never sent over plain http.
    const secure = httpsPublic || (req.socket as TLSSocket).encrypted === true;
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'x-content-type-options': 'nosniff', 'content-security-policy': DASHBOARD_CSP });
      res.end(body);
    };
    const sendReply = (r: Reply, extra: Record<string, string> = {}) => {
      res.writeHead(r.status, { 'content-type': r.type ?? 'text/html; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-security-policy': DASHBOARD_CSP, 'cache-control': 'no-store', ...extra, ...r.headers });
      res.end(r.body);
    };
    const directoryPage = (err: DirectoryUnusableError) => send(503, 'text/html', directoryUnusablePage(err));
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://dashboard');
    } catch {
      return send(400, 'text/html', layout('请求无效', '<h1>400 请求无效</h1>'));
    }
    // Every form posts from our own pages: a browser says when a POST comes from another site (a forged sign-in
    // or decision), and nothing on the dashboard takes one.
    if (req.method === 'POST' && req.headers['sec-fetch-site'] === 'cross-site') {
      return send(403, 'text/html', layout('请从本系统页面提交', '<h1>403</h1><p>请求来自其他网站，未做任何改动。</p>'));
    }
    // The stylesheet, to anyone (an action page's reader has no token): it is the same for every deployment.
    if (url.pathname === STYLESHEET_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'public, max-age=86400' });
      return res.end(req.method === 'HEAD' ? undefined : DASHBOARD_CSS);
    }
    // For monitors and load balancers, from any host and without a token: it says only booleans and a time.
    if (url.pathname === '/healthz') {
      const health = { client: deps.client, taskQueue: deps.taskQueue ?? 'duban', ...(mornings ? { lastMorningRun: () => mornings.lastMorningRun() } : {}) };
      checkHealth(health)
        .then(({ ok, ...body }) => {
          res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
          res.end(JSON.stringify(body));
        })
        .catch((err: unknown) => {
          log.error('dashboard /healthz', { error: err });
          res.writeHead(503, { 'content-type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify({ temporal: false, worker: false, lastMorningRun: null }));
        });
      return;
    }
    // Action pages: the signed link is the authorization (no token), from whatever host name the public URL
    // uses; a page elsewhere cannot forge a link, and the POST needs the form our GET served.
    const action = /^\/a\/([A-Za-z0-9_.-]+)$/.exec(url.pathname);
    if (action && deps.actions) {
      const actionDeps = {
        ...deps.actions,
        client: deps.client,
        now,
        secureCookie: secure,
        taskTitle: async (dutyId: string, n: number) => (await planOfDuty(deps, dutyId)).tasks.find((t) => t.number === n)?.title,
      };
      const method = req.method === 'POST' ? 'POST' : 'GET';
      (method === 'POST' ? readForm(req) : Promise.resolve(undefined))
        .then((form) => actionPage(actionDeps, action[1] ?? '', method, form, req.socket.remoteAddress))
        .then((p) => {
          res.writeHead(p.status, { ...p.headers, 'content-type': 'text/html; charset=utf-8', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store', 'x-frame-options': 'DENY', 'content-security-policy': ACTION_CSP });
          res.end(p.html);
        })
        .catch((err: unknown) => {
          log.error('action page', { error: err });
          send(502, 'text/html', layout('暂不可用', '<h1>暂时无法办理</h1><p class="muted">请稍后再试，或在微信群中回复指令。</p>'));
        });
      return;
    }
    // A clerk's personal sign-in link (dashboard/clerks.ts): like an office link, the link is the authorization.
    const clerkLink = /^\/clerk\/([A-Za-z0-9_.-]+)$/.exec(url.pathname);
    if (clerkLink) {
      deskOf()
        .signIn(clerkLink[1] ?? '', req.method === 'POST' ? 'POST' : 'GET', req, secure)
        .then((r) => sendReply(r, { 'referrer-policy': 'no-referrer', 'cache-control': 'no-store', 'x-frame-options': 'DENY' }))
        .catch((err: unknown) => {
          if (err instanceof DirectoryUnusableError) return directoryPage(err);
          log.error('clerk sign-in', { error: err });
          send(502, 'text/html', layout('暂不可用', '<h1>暂时无法登录</h1><p class="muted">请稍后再试。</p>'));
        });
      return;
    }
    // A tokenless dashboard listens on loopback only; a page on another site can still reach it through a DNS
    // name that resolves to 127.0.0.1 (DNS rebinding) — such requests carry that name as their Host.
    if (!deps.token && !isLoopback(hostnameOf(req.headers.host))) {
      return send(421, 'text/html', layout('主机名无效', '<h1>421 主机名无效</h1><p>看板只接受以 localhost 或 127.0.0.1 访问。</p>'));
    }
    // A supervising office's person, signed in through the link in their digest.
    const officeCookie = new RegExp(`(?:^|;\\s*)${OFFICE_COOKIE}=([^;]+)`).exec(req.headers.cookie ?? '')?.[1];
    const session = deps.actions ? officeSession({ ...deps.actions, now }, officeCookie) : undefined;
    // 「新建督办」: the administrator, or a clerk signed in by their link (who passes the token check as an office does).
    const deskPath = url.pathname === '/new' || url.pathname.startsWith('/new/');
    // A clerk may read the dashboard as an office's person may (the desk is made only when a clerk cookie comes).
    let clerk: ReturnType<ClerkDesk['userOf']>;
    // A spoiled directory file: a page saying which file, where and what to do, not a 502 (and nothing changed).
    let directoryBroken: DirectoryUnusableError | undefined;
    try {
      clerk = deskPath || (req.headers.cookie ?? '').includes(`${CLERK_COOKIE}=`) ? deskOf().userOf(undefined, req.headers.cookie) : undefined;
    } catch (err) {
      if (!(err instanceof DirectoryUnusableError)) throw err;
      directoryBroken = err;
    }
    if (directoryBroken && deskPath) return directoryPage(directoryBroken);
    let admin = !deps.token;
    const ics = /^\/ics\/(.+)\.ics$/.exec(url.pathname);
    const icsUnit = ics ? safeDecode(ics[1] ?? '') : undefined;
    if (deps.token) {
      const cookie = /(?:^|;\s*)duban_token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      const bearer = req.headers.authorization?.replace(/^Bearer\s+/i, '');
      const query = url.searchParams.get('token') ?? undefined;
      const feedKey = url.searchParams.get('key') ?? undefined;
      admin = [cookie ? safeDecode(cookie) : undefined, bearer, query].some((t) => t !== undefined && sameSecret(t, deps.token!));
      const ok =
        session !== undefined ||
        clerk !== undefined ||
        admin ||
        (icsUnit !== undefined && feedKey !== undefined && sameSecret(feedKey, icsKey(deps.token, icsUnit)));
      if (!ok && directoryBroken) return directoryPage(directoryBroken);
      if (!ok) return send(401, 'text/html', layout('未授权', '<h1>401 未授权</h1><p>请使用管理员提供的看板链接（含访问令牌）打开。</p>'));
      if (query !== undefined && req.method === 'GET' && !url.pathname.startsWith('/api/')) {
        // The token leaves the address bar (and the history, and every Referer) at once: the session is a cookie.
        url.searchParams.delete('token');
        res.writeHead(303, {
          location: `${url.pathname}${url.search}`,
          'set-cookie': `duban_token=${encodeURIComponent(query)}; HttpOnly; SameSite=Strict; Path=/${secure ? '; Secure' : ''}`,
        });
        return res.end();
      }
    }
    const handle = async () => {
      if (deskPath) {
        const desk = deskOf();
        const user = admin ? desk.userOf({ ...(deps.token ? { token: deps.token } : {}) }, undefined) : clerk;
        if (!user) return send(403, 'text/html', layout('未授权', '<h1>403 未授权</h1><p>「新建督办」只供管理员和通讯录中登记的办公室文员使用：请使用管理员发给您的个人登录链接进入。</p>'));
        // Every page and action of the desk needs the directory: a spoiled file is said at once, before any form is read.
        desk.directory.current();
        const post = req.method === 'POST';
        // Every action is a POST; a GET only shows (a link in a message or a scanner never acts).
        if (post && url.pathname === '/new/upload') return sendReply(await desk.upload(user, req));
        if (post && url.pathname === '/new/directory') return sendReply(await desk.uploadDirectory(user, req));
        if (post) {
          const form = await readForm(req, 262_144);
          if (!form) return send(413, 'text/html', layout('内容过多', '<h1>413</h1><p>提交的内容过多，未做任何改动。</p>'));
          if (url.pathname === '/new/plan/row') return sendReply(await desk.editRow(user, form));
          if (url.pathname === '/new/plan/start') return sendReply(await desk.start(user, form));
          if (url.pathname === '/new/stop') return sendReply(await desk.stop(user, form));
          if (url.pathname === '/new/clerk-link') return sendReply(await desk.clerkLink(user, form, req.headers.host));
          return send(405, 'text/html', layout('不支持', '<h1>405</h1>'));
        }
        if (url.pathname === '/new') return sendReply(await desk.index(user));
        if (url.pathname === '/new/plan') return sendReply(await desk.review(user, url.searchParams.get('name') ?? ''));
        if (url.pathname === '/new/plan/figures') return sendReply(desk.figures(url.searchParams.get('key') ?? ''));
        if (url.pathname === '/new/stop') return sendReply(await desk.stopConfirm(user, url.searchParams.get('id') ?? ''));
        if (url.pathname === '/new/directory/template.xlsx') return sendReply(await desk.download('template'));
        if (url.pathname === '/new/directory/current.xlsx') return sendReply(await desk.download('current'));
        return send(404, 'text/html', layout('未找到', '<h1>404 页面不存在</h1>'));
      }
      // Which campaign the page is about: `?campaign=` names one of the deployment's (campaigns/registry.ts);
      // without it, the one this dashboard was started with.
      const wanted = url.searchParams.get('campaign');
      const listed = wanted && wanted !== deps.campaignWorkflowId ? (await listCampaigns(deps.client, { taskQueue: deps.taskQueue ?? 'duban', withInfo: false })).find((c) => c.workflowId === wanted) : undefined;
      if (wanted && wanted !== deps.campaignWorkflowId && !listed) return send(404, 'text/html', layout('未找到', `<h1>没有这个督办批次</h1><p>${escapeHtml(wanted)}</p><p><a href="/">返回督办总览</a></p>`));
      const selectedId = listed ? listed.workflowId : deps.campaignWorkflowId;
      const campaign = deps.client.workflow.getHandle(selectedId);
      const plan = listed ? await campaign.query(planQuery) : deps.plan;
      const selectedCalendar = listed ? await campaign.query(calendarQuery) : deps.calendar;
      if (url.pathname === '/unit') {
        const name = url.searchParams.get('name') ?? '';
        const { own, parts } = await unitDuties(deps, name);
        return send(200, 'text/html', unitDutiesPage(name, own, parts));
      }
      if (url.pathname === '/') {
        const ledger = await readCampaignLedger(campaign);
        const campaigns = await campaignRows(deps, { workflowId: selectedId, ledger });
        const unit = url.searchParams.get('unit') || undefined;
        const units = [...new Set(ledger.map((e) => e.unit))].sort();
        const feed = unit && deps.token ? { icsKey: icsKey(deps.token, unit) } : {};
        // Which of the campaign's years run on official days and which on a Monday–Friday guess.
        const calendar = await campaign.query(calendarQuery).catch(() => undefined);
        const years = [plan.year, plan.year + 1];
        const known = Array.isArray(calendar?.knownYears) ? calendar.knownYears : undefined;
        const calendarYears = known ? { official: years.filter((y) => known.includes(y)), guessed: years.filter((y) => !known.includes(y)) } : undefined;
        return send(
          200,
          'text/html',
          overviewPage({
            plan,
            ledger,
            digest: buildDigest(ledger, selectedCalendar, now()),
            units,
            ...(unit ? { unitFilter: unit } : {}),
            ...feed,
            ...(calendarYears ? { calendarYears } : {}),
            charts,
            ...(campaigns.length > 1 ? { campaigns, selected: selectedId } : {}),
            ...(listed ? { campaignParam: selectedId } : {}),
          }),
        );
      }
      if (url.pathname === '/duty/act' && req.method === 'POST') {
        if (!session || !deps.actions) return send(403, 'text/html', layout('未授权', '<h1>403</h1><p>请通过摘要邮件中的「进入督办看板」链接进入后再审批。</p>'));
        const form = await readForm(req);
        const result = form ? await dashboardDecision({ ...deps.actions, client: deps.client, now }, session, form) : { status: 413, html: '', headers: {} };
        res.writeHead(result.status, { ...result.headers, 'content-type': 'text/html; charset=utf-8' });
        return res.end(result.html);
      }
      if (url.pathname === '/duty') {
        const id = url.searchParams.get('id') ?? '';
        const state = await deps.client.workflow.getHandle(id).query(statusQuery);
        const title = (await planOfDuty(deps, id)).tasks.find((t) => t.number === state.taskNumber)?.title ?? '';
        const viewer =
          session && deps.actions
            ? { person: session.payload.p, unit: session.payload.u, supervisor: session.payload.r === 'supervisor', csrf: csrfToken(deps.actions.secret(), session.id, id) }
            : undefined;
        return send(200, 'text/html', dutyPage(state, title, viewer));
      }
      if (url.pathname === '/outbox') {
        const before = url.searchParams.get('before');
        const at = before !== null && /^\d{1,15}$/.test(before) ? Number(before) : undefined;
        if (before !== null && at === undefined) return send(400, 'text/plain', 'before 应为字节位置 (before must be a byte offset)');
        return send(200, 'text/html', outboxPage(deps.outboxFile ? readOutboxPage(deps.outboxFile, OUTBOX_PAGE, at) : { messages: [] }, at !== undefined));
      }
      if (url.pathname === '/api/ledger') return send(200, 'application/json', JSON.stringify(await readCampaignLedger(campaign)));
      if (url.pathname === '/api/campaigns') return send(200, 'application/json', JSON.stringify(await campaignRows(deps)));
      if (url.pathname === '/ledger.xlsx') {
        // The 台账 in Excel: read-only (a GET changes nothing), behind the same token as every page above.
        const data = await readLedger(deps.client, selectedId);
        // Duties whose state could not be read are listed on a sheet 说明 the workbook opens on: blanks are not answers.
        const bytes = await ledgerXlsx(ledgerRows(plan, data.entries, data.states), { title: `${plan.title} 督办台账`, generatedAt: beijingMinute(now()), unread: data.unread });
        res.writeHead(200, {
          'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
          'content-disposition': `attachment; filename="ledger.xlsx"; filename*=UTF-8''${encodeURIComponent(`督办台账-${beijingMinute(now()).slice(0, 10)}.xlsx`)}`,
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-store',
        });
        return res.end(bytes);
      }
      if (icsUnit !== undefined) return send(200, 'text/calendar', unitCalendar(icsUnit, await readCampaignLedger(campaign), plan));
      return send(404, 'text/html', layout('未找到', '<h1>404 页面不存在</h1>'));
    };
    handle().catch((err: unknown) => {
      if (err instanceof DirectoryUnusableError) {
        log.warn(`dashboard ${url.pathname}: ${err.message}`);
        return directoryPage(err);
      }
      // The cause goes to the operator's log, not into a page anyone with the link can read.
      log.error(`dashboard ${url.pathname}`, { error: err });
      send(502, 'text/html', layout('暂不可用', `<h1>暂时无法读取督办数据</h1><p class="muted">Temporal 未就绪或督办批次不存在；详情见服务日志。</p>`));
    });
  });
}

/** The deployment's campaigns with their figures, for the overview's list (empty when Temporal lists none). */
async function campaignRows(deps: DashboardDeps, shown?: { workflowId: string; ledger: LedgerEntry[] }): Promise<CampaignRow[]> {
  const listed = await listCampaigns(deps.client, { taskQueue: deps.taskQueue ?? 'duban' }).catch((): CampaignListing[] => []);
  return Promise.all(
    listed.map(async (c) => {
      // The campaign the page shows was read already.
      const ledger = c.status !== 'RUNNING' ? undefined : c.workflowId === shown?.workflowId ? shown.ledger : await ledgerOf(deps.client, c.workflowId);
      return {
        workflowId: c.workflowId,
        status: c.status,
        ...(c.info ? { title: c.info.title, year: c.info.year, codePrefix: c.info.codePrefix } : {}),
        ...(ledger ? { counts: levelCounts(ledger) } : {}),
      };
    }),
  );
}

/** The plan a duty belongs to: its campaign's (the duty id starts with the campaign id). */
async function planOfDuty(deps: DashboardDeps, dutyId: string): Promise<ValidPlan> {
  if (dutyId.startsWith(`${deps.campaignWorkflowId.replace(/^duban\//, '')}/`)) return deps.plan;
  // A server without visibility lists nothing (the time-skipping one): the dashboard's own plan, as before.
  const listed = await listCampaigns(deps.client, { taskQueue: deps.taskQueue ?? 'duban', running: true }).catch((): CampaignListing[] => []);
  const owner = listed.find((c) => c.info && dutyId.startsWith(`${c.info.campaignId}/`) && c.workflowId !== deps.campaignWorkflowId);
  return owner ? deps.client.workflow.getHandle(owner.workflowId).query(planQuery) : deps.plan;
}

/** 「我的任务」 on the dashboard: a unit's open duties in every running campaign, and the co-units' parts it leads (`lead+co`), open or not. */
async function unitDuties(deps: DashboardDeps, unit: string): Promise<{ own: UnitDutyRow[]; parts: UnitDutyRow[] }> {
  if (!unit) return { own: [], parts: [] };
  const running = (await listCampaigns(deps.client, { taskQueue: deps.taskQueue ?? 'duban', running: true }).catch((): CampaignListing[] => [])).filter((c) => c.info);
  const ids = running.length ? running : [{ workflowId: deps.campaignWorkflowId, info: undefined } as CampaignListing];
  const rows = await Promise.all(
    ids.map(async (c) => {
      const handle = deps.client.workflow.getHandle(c.workflowId);
      const [ledger, plan] = await Promise.all([readCampaignLedger(handle), c.workflowId === deps.campaignWorkflowId ? deps.plan : handle.query(planQuery)]);
      const row = (e: LedgerEntry) => ({ entry: e, campaignTitle: plan.title, taskTitle: plan.tasks.find((t) => t.number === e.taskNumber)?.title ?? '' });
      return {
        own: ledger.filter((e) => e.unit === unit && !e.ended && e.status !== 'completed' && e.status !== 'closed').map(row),
        parts: ledger.filter((e) => e.lead === unit).map(row),
      };
    }),
  );
  return {
    own: rows.flatMap((r) => r.own).sort((a, b) => a.entry.deadline.localeCompare(b.entry.deadline) || (a.entry.code ?? '').localeCompare(b.entry.code ?? '')),
    parts: rows.flatMap((r) => r.parts).sort((a, b) => a.entry.taskNumber - b.entry.taskNumber || a.entry.deadline.localeCompare(b.entry.deadline) || a.entry.unit.localeCompare(b.entry.unit)),
  };
}

export async function startDashboard(deps: DashboardDeps, host = '127.0.0.1', port = 8080): Promise<{ url: string; close: () => Promise<void> }> {
  // Action links make the dashboard reachable from a public address (through a proxy whose requests may well
  // say Host: 127.0.0.1): everything but the action pages must then need the token.
  if (deps.actions && !deps.token) {
    throw new Error('设置了 DUBAN_PUBLIC_URL（办理链接）时必须同时设置 DUBAN_DASHBOARD_TOKEN：看板经公开地址可达，其余页面须凭令牌访问 (action links need a dashboard token)');
  }
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
