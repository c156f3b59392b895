/**
 * 「新建督办」, the clerk's desk: a notice uploaded becomes a plan in data/plans/<notice>.yaml, as `duban import`
 * writes it (the same reader, parser and writer: one store for the page and the CLI); the clerk checks it row by
 * row, sees the first month's figures from the simulator, and starts it through `duban campaign start`'s code
 * path (startCampaignWorkflow). A started plan is read-only; a running campaign can be stopped after a page that
 * says what stops. Every action is a POST carrying the session's CSRF token, and goes into the audit log.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { Client } from '@temporalio/client';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { escapeHtml as h } from '../channels/render';
import { campaignWorkflowId, loadCampaign } from '../cli/campaign-input';
import { startCampaignWorkflow } from '../cli/campaign';
import type { TemporalTarget } from '../cli/connection';
import { CampaignDutiesUnknownError } from '../campaigns/registry';
import { CampaignNotRunningError, describeStop, stopCampaign } from '../campaigns/stop';
import { readNoticeFile } from '../notice/read';
import { parseNotice } from '../notice/parse';
import { isKnownUnitOrGroup } from '../plan/directory';
import { fromZod, PlanFileError } from '../plan/errors';
import { LEAD_TO_FILL, writePlan } from '../plan/files';
import { planSchema, type Plan } from '../plan/schema';
import { sameSecret } from '../links/compare';
import { readForm } from './actions';
import { AuditLog } from './audit';
import { adminUser, clerkFormToken, clerkOf, clerkSession, deskCsrf, deskCsrfOk, signClerkLink, verifyClerkLink, whoOf, type DeskUser, CLERK_COOKIE } from './clerks';
import { DirectoryStore, directoryChanges, directorySection, directoryXlsx } from './directory-page';
import { FirstMonthJobs, type Simulate } from './first-month';
import { applyRow, blockingOf, readRowForm } from './plan-review';
import { officeUploadProblem, readUpload } from './uploads';
import { deskPage, figuresFrame, messagePage, reviewPage, stopConfirmPage, type PlanListing } from './new-campaign-view';

export interface DeskDeps {
  client: Client;
  /** The deployment's Temporal target (task queue and namespace), as `duban campaign start` reads it. */
  target: TemporalTarget;
  /** The data folder: plans in plans/, the audit log, the uploaded directory. */
  dataDir: string;
  /** The deployment's directory file (DUBAN_DIRECTORY), used until one is uploaded here. */
  baseDirectory: string;
  /** The link secret: clerk links and the forms' CSRF tokens. */
  secret: () => string;
  now: () => number;
  /** Where people reach the dashboard (DUBAN_PUBLIC_URL), for the clerks' links; else the request's host. */
  publicUrl?: string;
  /** The simulator for the first month's figures (default: `duban simulate`'s, on a test server of its own). */
  simulate?: Simulate;
}

export interface Reply {
  status: number;
  type?: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

const html = (status: number, body: string, headers: Record<string, string> = {}): Reply => ({ status, body, headers });
const redirect = (location: string, headers: Record<string, string> = {}): Reply => ({ status: 303, body: '', headers: { location, ...headers } });

/** A plan's name: the notice's file name without its extension, as `duban import` names it; safe as a file name. */
export function planNameOf(filename: string): string {
  const stem = basename(filename, extname(filename))
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}_.-]+/gu, '-')
    .replace(/^[.-]+|-+$/g, '')
    .slice(0, 80);
  return stem || 'notice';
}

const NAME = /^[\p{L}\p{N}_][\p{L}\p{N}_.-]{0,79}$/u;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export class ClerkDesk {
  readonly audit: AuditLog;
  readonly directory: DirectoryStore;
  readonly firstMonth: FirstMonthJobs;
  readonly plansDir: string;

  constructor(readonly deps: DeskDeps) {
    this.audit = new AuditLog(join(deps.dataDir, 'audit.jsonl'));
    this.directory = new DirectoryStore(join(deps.dataDir, 'directory.yaml'), deps.baseDirectory);
    this.firstMonth = new FirstMonthJobs(join(deps.dataDir, 'plans', '.simulate'), deps.simulate);
    this.plansDir = join(deps.dataDir, 'plans');
  }

  /** The person using the desk: the administrator (decided by the server), or a clerk by their cookie. */
  userOf(admin: { token?: string } | undefined, cookies: string | undefined): DeskUser | undefined {
    if (admin) return adminUser(admin.token);
    const cookie = new RegExp(`(?:^|;\\s*)${CLERK_COOKIE}=([^;]+)`).exec(cookies ?? '')?.[1];
    // Only a cookie this desk signed gets to hear that the directory is spoiled (the directory says who is a clerk).
    if (!cookie || !verifyClerkLink(this.deps.secret(), cookie, this.deps.now()).ok) return undefined;
    return clerkSession(this.deps.secret(), this.directory.current(), cookie, this.deps.now());
  }

  private planFile(name: string): string {
    return join(this.plansDir, `${name}.yaml`);
  }

  /** A plan as the store holds it: a draft keeps its missing leads empty. Throws a PlanFileError naming what is wrong. */
  readPlan(name: string): { plan: Plan; version: string; file: string } {
    const file = this.planFile(name);
    const text = readFileSync(file, 'utf8');
    let data: unknown;
    try {
      data = parseYaml(text);
    } catch (err) {
      throw new PlanFileError('BAD_YAML', file, '', `计划文件格式错误：${(err as Error).message.split('\n')[0]}`);
    }
    const raw = z.object({ tasks: z.array(z.object({ lead: z.string().nullish() }).loose()) }).loose().safeParse(data);
    if (!raw.success) throw fromZod(file, raw.error);
    const checked = planSchema.safeParse({ ...raw.data, tasks: raw.data.tasks.map((t) => (t.lead ? t : { ...t, lead: LEAD_TO_FILL })) });
    if (!checked.success) throw fromZod(file, checked.error);
    const plan: Plan = { ...checked.data, tasks: checked.data.tasks.map((t) => (t.lead === LEAD_TO_FILL ? { ...t, lead: '' } : t)) };
    return { plan, version: createHash('sha256').update(text).digest('hex').slice(0, 16), file };
  }

  private async campaignOf(name: string, plan: Plan): Promise<{ workflowId: string; status?: string }> {
    const workflowId = campaignWorkflowId(`${name}/${plan.year}`);
    const d = await this.deps.client.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    return { workflowId, ...(d ? { status: d.status.name } : {}) };
  }

  private listPlans(): string[] {
    if (!existsSync(this.plansDir)) return [];
    return readdirSync(this.plansDir)
      .filter((f) => f.endsWith('.yaml') && !f.startsWith('.'))
      .map((f) => f.slice(0, -5))
      .filter((n) => NAME.test(n))
      .sort();
  }

  private deskError(user: DeskUser, status: number, error: string): Promise<Reply> {
    return this.index(user, { error }).then((r) => ({ ...r, status }));
  }

  async index(user: DeskUser, o: { error?: string; directoryError?: string; directoryNotice?: string; clerkLink?: { name: string; url: string } } = {}): Promise<Reply> {
    const dir = this.directory.current();
    const plans: PlanListing[] = [];
    for (const name of this.listPlans()) {
      try {
        const { plan } = this.readPlan(name);
        const c = await this.campaignOf(name, plan);
        plans.push({ name, title: plan.title, year: plan.year, tasks: plan.tasks.length, blocking: blockingOf(plan, dir).length, workflowId: c.workflowId, ...(c.status ? { status: c.status } : {}) });
      } catch {
        plans.push({ name, title: '（计划文件有误，打开查看）', year: 0, tasks: 0, blocking: 0, workflowId: '' });
      }
    }
    const csrf = deskCsrf(this.deps.secret(), user);
    return html(
      200,
      deskPage({
        user,
        csrf,
        plans,
        directory: directorySection({ dir, source: basename(this.directory.source()), csrf, ...(o.directoryError ? { error: o.directoryError } : {}), ...(o.directoryNotice ? { notice: o.directoryNotice } : {}) }),
        audit: this.audit.read({ limit: 50 }),
        ...(user.kind === 'admin' ? { clerks: dir.clerks.map((c) => ({ name: c.name, ...(c.unit ? { unit: c.unit } : {}) })) } : {}),
        ...(o.clerkLink ? { clerkLink: o.clerkLink } : {}),
        ...(o.error ? { error: o.error } : {}),
        year: new Date(this.deps.now()).getFullYear(),
      }),
    );
  }

  async review(user: DeskUser, name: string, o: { error?: string; notice?: string; status?: number } = {}): Promise<Reply> {
    if (!NAME.test(name) || !existsSync(this.planFile(name))) return html(404, messagePage('没有这个计划', `<p>没有名为「${h(name)}」的计划。<a href="/new">返回新建督办</a></p>`));
    let read;
    try {
      read = this.readPlan(name);
    } catch (err) {
      return html(422, messagePage('计划文件有误', `<p class="error">${h(err instanceof Error ? err.message : String(err))}</p><p>请改正文件，或重新上传通知（勾选“覆盖”）。</p>`));
    }
    const dir = this.directory.current();
    const c = await this.campaignOf(name, read.plan);
    const blocking = blockingOf(read.plan, dir).map((b) => b.task);
    const key = createHash('sha256').update(`${read.version}:${JSON.stringify(dir)}`).digest('hex').slice(0, 16);
    const firstMonth = this.firstMonth.request(key, read.plan, dir, blocking, name);
    return html(
      o.status ?? 200,
      reviewPage({
        name,
        plan: read.plan,
        dir,
        version: read.version,
        csrf: deskCsrf(this.deps.secret(), user),
        ...(c.status ? { started: { workflowId: c.workflowId, status: c.status } } : {}),
        firstMonth,
        firstMonthKey: key,
        audit: this.audit.read({ subject: name, limit: 100 }),
        ...(o.error ? { error: o.error } : {}),
        ...(o.notice ? { notice: o.notice } : {}),
      }),
    );
  }

  /** GET /new/plan/figures: the first month's figures alone, for the review page's frame. */
  figures(key: string): Reply {
    return html(200, figuresFrame(/^[0-9a-f]{16}$/.test(key) ? this.firstMonth.status(key) : undefined));
  }

  /** POST /new/upload: the notice read and parsed as `duban import` does, written as a draft plan. */
  async upload(user: DeskUser, req: IncomingMessage): Promise<Reply> {
    const form = await readUpload(req);
    if (!form.ok) return this.deskError(user, form.status, form.why);
    if (!deskCsrfOk(this.deps.secret(), user, form.fields.get('csrf'))) return csrfRefused();
    const file = form.files.find((f) => f.field === 'notice');
    if (!file || !file.bytes.length) return this.deskError(user, 400, '请选择通知文件（.docx、PDF、.txt 或任务表 .xlsx）。');
    const year = z.coerce.number().int().min(2000).max(2100).safeParse(form.fields.get('year'));
    if (!year.success) return this.deskError(user, 400, '督办年度须为四位年份，如 2026。');
    const refused = officeUploadProblem(file.bytes);
    if (refused) return this.deskError(user, 422, `「${file.filename}」未读取：${refused}`);
    const name = planNameOf(file.filename);
    const target = this.planFile(name);
    if (existsSync(target)) {
      const existing = (() => {
        try {
          return this.readPlan(name).plan;
        } catch {
          return undefined;
        }
      })();
      const started = existing ? (await this.campaignOf(name, existing)).status : undefined;
      if (started) return this.deskError(user, 409, `计划「${name}」已启动为督办批次，不能覆盖：如需重新督办，请把通知文件改名（如 ${name}-2）后上传。`);
      if (form.fields.get('replace') !== '1') return this.deskError(user, 409, `已有同名计划「${name}」，它可能已有核对过的修改：打开它继续核对，或勾选“覆盖同名的未启动计划”后重新上传。`);
    }
    const dir = this.directory.current();
    const tmpDir = join(this.deps.dataDir, 'uploads');
    mkdirSync(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `notice-${process.pid}-${this.deps.now()}${extname(file.filename).toLowerCase().replace(/[^.a-z0-9]/g, '')}`);
    writeFileSync(tmp, file.bytes);
    let plan: Plan;
    try {
      const { text } = await readNoticeFile(tmp);
      plan = parseNotice(text, { file: file.filename, year: year.data, isUnit: (n) => isKnownUnitOrGroup(dir, n) });
    } catch (err) {
      const why = (err instanceof Error ? err.message : String(err)).replace(`${tmp}: `, '').replace(`${file.filename}: `, '');
      return this.deskError(user, 422, `「${file.filename}」无法作为通知读取：${why}`);
    } finally {
      rmSync(tmp, { force: true });
    }
    mkdirSync(this.plansDir, { recursive: true });
    try {
      writePlan(target, { ...plan, source: file.filename }, { draft: true });
    } catch (err) {
      return this.deskError(user, 422, `「${file.filename}」解析出的计划无效：${err instanceof Error ? err.message : String(err)}`);
    }
    const flagged = plan.tasks.filter((t) => t.review?.length).length;
    this.audit.append({ at: this.deps.now(), who: whoOf(user), action: 'plan.upload', subject: name, changes: [`上传 ${file.filename}（${plan.tasks.length} 项任务，${flagged} 项待核对，年度 ${plan.year}）`] });
    return redirect(`/new/plan?${new URLSearchParams({ name }).toString()}`);
  }

  /** POST /new/plan/row: one task's row saved, if the plan is still the version the page showed and not started. */
  async editRow(user: DeskUser, form: URLSearchParams): Promise<Reply> {
    if (!deskCsrfOk(this.deps.secret(), user, form.get('csrf'))) return csrfRefused();
    const name = form.get('name') ?? '';
    if (!NAME.test(name) || !existsSync(this.planFile(name))) return this.review(user, name);
    const { plan, version, file } = this.readPlan(name);
    const c = await this.campaignOf(name, plan);
    if (c.status) return this.review(user, name, { status: 409, error: '本计划已启动，只能查看，不能修改。' });
    if (form.get('version') !== version) return this.review(user, name, { status: 409, error: '计划已在别处（另一个页面或命令行）修改过：下面是最新内容，请在此基础上重新修改。' });
    const row = readRowForm(form);
    if (!row.ok) return this.review(user, name, { status: 400, error: `任务${form.get('task') ?? ''}：${row.why}` });
    const index = plan.tasks.findIndex((t) => t.number === row.row.task);
    const task = plan.tasks[index];
    if (!task) return this.review(user, name, { status: 400, error: `计划中没有任务${row.row.task}` });
    const applied = applyRow(task, row.row, plan.year);
    if ('why' in applied) return this.review(user, name, { status: 400, error: `任务${task.number}：${applied.why}` });
    if (!applied.changes.length) return this.review(user, name, { notice: `任务${task.number}：没有改动。` });
    const next: Plan = { ...plan, tasks: plan.tasks.map((t, i) => (i === index ? applied.task : t)) };
    try {
      writePlan(file, next, { draft: true });
    } catch (err) {
      return this.review(user, name, { status: 400, error: `任务${task.number}：${err instanceof Error ? err.message.replace(file, '计划') : String(err)}` });
    }
    this.audit.append({ at: this.deps.now(), who: whoOf(user), action: 'plan.edit', subject: name, changes: applied.changes.map((ch) => `任务${task.number} ${ch}`) });
    return redirect(`/new/plan?${new URLSearchParams({ name }).toString()}#task-${task.number}`);
  }

  /** POST /new/plan/start: refused while a task has no lead or an unknown unit; else `duban campaign start`'s path. */
  async start(user: DeskUser, form: URLSearchParams): Promise<Reply> {
    if (!deskCsrfOk(this.deps.secret(), user, form.get('csrf'))) return csrfRefused();
    const name = form.get('name') ?? '';
    if (!NAME.test(name) || !existsSync(this.planFile(name))) return this.review(user, name);
    const { plan, version, file } = this.readPlan(name);
    if (form.get('version') !== version) return this.review(user, name, { status: 409, error: '计划已在别处修改过，未启动：请核对下面的最新内容后再启动。' });
    const c = await this.campaignOf(name, plan);
    if (c.status) return this.review(user, name, { status: 409, error: `本计划已启动（${c.workflowId}），不会重复启动。` });
    const dir = this.directory.current();
    const blocking = blockingOf(plan, dir);
    if (blocking.length) {
      return this.review(user, name, { status: 422, error: `未启动：${blocking.map((b) => `任务${b.task}「${b.title}」${b.reasons.join('；')}`).join('。')}` });
    }
    let started;
    try {
      const loaded = loadCampaign({ year: plan.year, plan: file, directory: dir });
      started = await startCampaignWorkflow(this.deps.client, this.deps.target, loaded);
    } catch (err) {
      const why = err instanceof Error ? err.message.replace(file, '计划') : String(err);
      return this.review(user, name, { status: err instanceof PlanFileError ? 422 : 503, error: `未启动：${why}` });
    }
    this.audit.append({
      at: this.deps.now(),
      who: whoOf(user),
      action: 'campaign.start',
      subject: name,
      changes: [`启动督办批次 ${started.workflowId}（${plan.tasks.length} 项任务）`, ...started.notes.slice(0, 3)],
    });
    return this.review(user, name, { notice: started.started ? `督办批次已启动：${started.workflowId}${started.codePrefix ? `，回复编号以 ${started.codePrefix} 开头` : ''}。` : `督办批次已在运行：${started.workflowId}。` });
  }

  /** GET /new/stop?id=: what stopping will stop, and the button. */
  async stopConfirm(user: DeskUser, id: string): Promise<Reply> {
    try {
      const p = await describeStop(this.deps.client, this.deps.target.taskQueue, id);
      return html(200, stopConfirmPage({ workflowId: p.campaign.workflowId, title: p.campaign.info?.title ?? p.campaign.workflowId, duties: p.dutyIds.length, fromVisibilityOnly: p.fromVisibilityOnly, csrf: deskCsrf(this.deps.secret(), user) }));
    } catch (err) {
      return stopRefused(err);
    }
  }

  /** POST /new/stop: the campaign and its running duties stopped, as `duban campaign stop --yes`. */
  async stop(user: DeskUser, form: URLSearchParams): Promise<Reply> {
    if (!deskCsrfOk(this.deps.secret(), user, form.get('csrf'))) return csrfRefused();
    const id = form.get('id') ?? '';
    try {
      const p = await describeStop(this.deps.client, this.deps.target.taskQueue, id);
      const n = await stopCampaign(this.deps.client, this.deps.target.taskQueue, p, `${whoOf(user)}在看板停止督办批次 (stopped on the dashboard)`);
      this.audit.append({ at: this.deps.now(), who: whoOf(user), action: 'campaign.stop', subject: p.campaignId.split('/')[0] ?? p.campaignId, changes: [`停止督办批次 ${p.campaign.workflowId}，任务 ${n} 项`] });
      return html(200, messagePage('已停止', `<p class="ok" id="stopped">已停止 ${h(p.campaign.workflowId)}，任务 ${n} 项。历史记录保留，看板仍可查看。</p><p><a href="/new">返回新建督办</a></p>`));
    } catch (err) {
      return stopRefused(err);
    }
  }

  /** POST /new/directory: an uploaded directory replaces the current one only when it passes every check. */
  async uploadDirectory(user: DeskUser, req: IncomingMessage): Promise<Reply> {
    const form = await readUpload(req);
    if (!form.ok) return this.index(user, { directoryError: form.why }).then((r) => ({ ...r, status: form.status }));
    if (!deskCsrfOk(this.deps.secret(), user, form.fields.get('csrf'))) return csrfRefused();
    const file = form.files.find((f) => f.field === 'file');
    if (!file || !file.bytes.length) return this.index(user, { directoryError: '请选择通讯录文件（.xlsx）。' }).then((r) => ({ ...r, status: 400 }));
    const refused = officeUploadProblem(file.bytes);
    if (refused) return this.index(user, { directoryError: `「${file.filename}」未读取：${refused}` }).then((r) => ({ ...r, status: 422 }));
    const result = this.directory.replace(file, this.deps.now());
    if (!result.ok) return this.index(user, { directoryError: result.why }).then((r) => ({ ...r, status: 422 }));
    const changes = directoryChanges(result.previous, result.dir);
    this.audit.append({ at: this.deps.now(), who: whoOf(user), action: 'directory.upload', subject: file.filename, changes });
    return this.index(user, { directoryNotice: `通讯录已更新：${changes.join('；')}。运行中的 worker 从下一条消息起按新通讯录发送，无需重启。` });
  }

  async download(which: 'template' | 'current'): Promise<Reply> {
    const bytes = await directoryXlsx(which === 'template' ? undefined : this.directory.current());
    const filename = which === 'template' ? '单位通讯录模板.xlsx' : '单位通讯录.xlsx';
    return {
      status: 200,
      type: XLSX,
      body: bytes,
      headers: { 'content-disposition': `attachment; filename="directory.xlsx"; filename*=UTF-8''${encodeURIComponent(filename)}`, 'cache-control': 'no-store' },
    };
  }

  /** POST /new/clerk-link (administrator only): a personal sign-in link for a clerk the directory names. */
  async clerkLink(user: DeskUser, form: URLSearchParams, host: string | undefined): Promise<Reply> {
    if (user.kind !== 'admin') return html(403, messagePage('未授权', '<p class="error">只有管理员可以生成办公室文员的登录链接。</p>'));
    if (!deskCsrfOk(this.deps.secret(), user, form.get('csrf'))) return csrfRefused();
    const name = form.get('name') ?? '';
    const clerk = clerkOf(this.directory.current(), name);
    if (!clerk) return this.index(user, { error: `通讯录中没有办公室文员「${name}」。` }).then((r) => ({ ...r, status: 404 }));
    const token = signClerkLink(this.deps.secret(), clerk.name, this.deps.now());
    const base = this.deps.publicUrl ?? `http://${host ?? '127.0.0.1'}`;
    this.audit.append({ at: this.deps.now(), who: whoOf(user), action: 'clerk.link', subject: clerk.name, changes: ['生成个人登录链接（30 天有效）'] });
    return this.index(user, { clerkLink: { name: clerk.name, url: `${base}/clerk/${token}` } });
  }

  /** GET/POST /clerk/<token>: opening shows a button; only its POST starts the session. */
  async signIn(token: string, method: string, req: IncomingMessage, secure: boolean): Promise<Reply> {
    const secret = this.deps.secret();
    const check = verifyClerkLink(secret, token, this.deps.now());
    if (!check.ok) return html(400, messagePage('链接无法使用', `<p class="error">${h(check.why)}</p><p>未做任何改动。</p>`));
    const clerk = clerkOf(this.directory.current(), check.link.p);
    if (!clerk) return html(403, messagePage('链接无法使用', `<p class="error">${h(check.link.p)} 已不在通讯录的办公室文员中，链接不能再使用。</p>`));
    if (method !== 'POST') {
      return html(
        200,
        messagePage(
          '办公室文员登录',
          `<p>${h(clerk.name)}${clerk.unit ? `（${h(clerk.unit)}）` : ''}</p><p>进入后可上传通知、核对计划、启动和停止督办批次，每项操作都记录在操作记录中。请勿转发此链接。</p>
<form method="post"><input type="hidden" name="form" value="${h(clerkFormToken(secret, check.id))}"><p><button type="submit" class="primary">以 ${h(clerk.name)} 身份进入</button></p></form>`,
        ),
      );
    }
    const form = await readForm(req);
    if (!form || !sameSecret(form.get('form') ?? '', clerkFormToken(secret, check.id))) return html(403, messagePage('请从链接页面提交', '<p class="error">请重新打开管理员发来的登录链接。</p>'));
    const maxAge = Math.max(0, Math.floor((check.link.e - this.deps.now()) / 1000));
    return redirect('/new', { 'set-cookie': `${CLERK_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${secure ? '; Secure' : ''}` });
  }
}

function csrfRefused(): Reply {
  return html(403, messagePage('请从本系统页面提交', '<p class="error">请求不是从本系统的「新建督办」页面提交的（或页面已过期），未做任何改动。请刷新页面后重试。</p>'));
}

function stopRefused(err: unknown): Reply {
  if (err instanceof CampaignNotRunningError || err instanceof CampaignDutiesUnknownError) {
    return html(err instanceof CampaignNotRunningError ? 404 : 503, messagePage('未停止', `<p class="error">${h(err.message)}</p><p>未做任何改动。<a href="/new">返回新建督办</a></p>`));
  }
  throw err;
}
