/**
 * 「新建督办」 over HTTP against a real deployment on the dev server (a worker on the duties' queue and one on the
 * campaigns'), with the real simulator on the file's time-skipping server: a clerk signs in by the link the
 * administrator made, uploads a .docx of the joint-leads fixture, sees its flags, is refused the start while task 8
 * has no lead, corrects the rows, sees the first month's figures, starts it (the plan kept in data/plans/ as
 * `duban import` writes it), finds it read-only, and stops it after the confirmation page. Also: the directory
 * upload's errors by sheet, row and column with nothing changed, the downloads, who is refused, CSRF, GET never
 * acting, a plan edited in two tabs, and the audit log.
 */
import { mkdtempSync, readFileSync, existsSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { RecordingChannel } from '../activities/outbox';
import { readCampaignLedger } from '../campaigns/ledger-read';
import { deskIdFor } from '../campaigns/registry';
import { loadCampaign, SEED_DIRECTORY } from '../cli/campaign-input';
import { simulateYear } from '../cli/simulate';
import { startDashboard } from '../dashboard/server';
import { AuditLog } from '../dashboard/audit';
import type { Simulate } from '../dashboard/first-month';
import { OFFICE_COOKIE } from '../links/actions';
import { signLink } from '../links/token';
import { LinkUses } from '../links/uses';
import { directoryWorkbook } from '../plan/directory-workbook';
import { loadDirectory, loadPlan } from '../plan/files';
import { campaignQueueOf, createWorker } from '../worker';
import { docxOf } from './docx-fixture';
import { devServerEnv, timeSkippingEnv, uniqueQueue, workflowBundle } from './env';
import { until } from './until';

const FIXTURE = join(__dirname, 'fixtures', 'notices', 'forms-joint-2024.txt');
const NOT_A_NOTICE = join(__dirname, 'fixtures', 'notices', 'not-a-notice.txt');
const SECRET = 'test-secret-for-the-clerks-desk-0123456789abcdef';
const TOKEN = 'admin-token-of-this-test';
const CLERK = '王文员（虚构）';

/** The seed directory with a clerk, as the administrator would list one. */
export function directoryWithClerk(dir: string): string {
  const seed = loadDirectory(SEED_DIRECTORY);
  const file = join(dir, 'units.yaml');
  writeFileSync(file, stringify({ ...seed, clerks: [{ name: CLERK, unit: '县政府督查室' }] }));
  return file;
}

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
const versionOf = (html: string) => /name="version" value="([^"]+)"/.exec(html)?.[1] ?? '';

describe('新建督办 over HTTP', () => {
  let env: TestWorkflowEnvironment;
  let sim: TestWorkflowEnvironment;
  let url = '';
  let data = '';
  let close: () => Promise<void> = async () => undefined;
  let clerkCookie = '';
  let planName = '';
  const simulated: string[] = [];

  beforeAll(async () => {
    env = await devServerEnv();
    sim = await timeSkippingEnv();
    data = mkdtempSync(join(tmpdir(), 'duban-desk-'));
    // startCampaignWorkflow reads the deployment's channel settings from the data folder, as the CLI does.
    process.env.DUBAN_DATA_DIR = data;
    const taskQueue = uniqueQueue('desk');
    const channel = new RecordingChannel();
    const workers = await Promise.all([
      createWorker({ connection: env.nativeConnection, taskQueue, channel, workflowBundle: workflowBundle() }),
      createWorker({ connection: env.nativeConnection, taskQueue: campaignQueueOf(taskQueue), channel, workflowBundle: workflowBundle() }),
    ]);
    const running = workers.map((w) => w.run());
    const simulate: Simulate = async (o) => {
      simulated.push(o.planFile);
      return simulateYear({ year: o.year, plan: o.planFile, directory: o.directory, replies: 'none', env: sim, workflowBundle: workflowBundle(), taskQueue: uniqueQueue('desk-sim') });
    };
    const seed = loadCampaign({ year: 2029 });
    const dash = await startDashboard(
      {
        client: env.client,
        campaignWorkflowId: 'duban/none',
        plan: seed.input.plan,
        calendar: seed.input.calendar,
        taskQueue,
        token: TOKEN,
        actions: { directory: seed.directory, secret: () => SECRET, uses: new LinkUses() },
        desk: { target: { namespace: 'default', taskQueue }, dataDir: data, baseDirectory: directoryWithClerk(data), secret: () => SECRET, simulate },
      },
      '127.0.0.1',
      0,
    );
    url = dash.url;
    close = async () => {
      await dash.close();
      await env.client.workflow.getHandle(deskIdFor(taskQueue)).terminate('test over').catch(() => undefined);
      for (const w of workers) w.shutdown();
      await Promise.all(running);
      await sim.teardown();
    };
  }, 120_000);

  afterAll(async () => close(), 60_000);

  const get = (path: string, cookie = clerkCookie) => fetch(new URL(path, url), { headers: { cookie }, redirect: 'manual' });
  const post = (path: string, body: URLSearchParams | FormData, cookie = clerkCookie, headers: Record<string, string> = {}) =>
    fetch(new URL(path, url), { method: 'POST', body, headers: { cookie, ...headers }, redirect: 'manual' });
  const admin = `duban_token=${TOKEN}`;

  it('refuses who is not the administrator or a clerk; the administrator gives a clerk a link, which signs in only by its POST', async () => {
    expect((await get('/new', '')).status).toBe(401);
    // A supervising office's person, signed in by their digest's link: the dashboard yes, the desk no.
    const office = signLink(SECRET, { a: 'office', d: '*', p: '张海燕（虚构）', u: '县乡村振兴局', r: 'supervisor', i: Date.now(), e: Date.now() + 3600_000, m: 'test' });
    const officeCookie = `${OFFICE_COOKIE}=${office}`;
    expect((await get('/outbox', officeCookie)).status).toBe(200);
    const refused = await get('/new', officeCookie);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('只供管理员和通讯录中登记的办公室文员使用');
    // The administrator sees the clerks the directory names and makes one a link.
    const desk = await (await get('/new', admin)).text();
    expect(desk).toContain(CLERK);
    const made = await (await post('/new/clerk-link', new URLSearchParams({ csrf: csrfOf(desk), name: CLERK }), admin)).text();
    const link = /\/clerk\/([A-Za-z0-9_.-]+)/.exec(made)?.[1] ?? '';
    expect(link).not.toBe('');
    // A forged link, and a clerk link used as an office cookie, get nothing.
    expect((await get(`/clerk/${link.slice(0, -2)}xx`, '')).status).toBe(400);
    expect((await get('/new', `${OFFICE_COOKIE}=${link}`)).status).toBe(401);
    // Opening the link shows a button and sets nothing; only the button's POST signs in.
    const opened = await get(`/clerk/${link}`, '');
    expect(opened.status).toBe(200);
    expect(opened.headers.get('set-cookie')).toBeNull();
    const formToken = /name="form" value="([^"]+)"/.exec(await opened.text())?.[1] ?? '';
    expect((await post(`/clerk/${link}`, new URLSearchParams({ form: 'wrong' }), '')).status).toBe(403);
    const signedIn = await post(`/clerk/${link}`, new URLSearchParams({ form: formToken }), '');
    expect(signedIn.status).toBe(303);
    const cookie = signedIn.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^duban_clerk=[^;]+; HttpOnly; SameSite=Strict/);
    clerkCookie = cookie.split(';')[0]!;
    const page = await get('/new');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`当前用户：${CLERK}`);
    // A clerk makes no links for others.
    expect((await post('/new/clerk-link', new URLSearchParams({ csrf: csrfOf(await (await get('/new')).text()), name: CLERK }))).status).toBe(403);
  });

  it('refuses a bad upload with a clear error and writes nothing: not a notice, too large, no CSRF token, cross-site', async () => {
    const csrf = csrfOf(await (await get('/new')).text());
    const form = (file: Blob, name: string, token = csrf) => {
      const f = new FormData();
      f.set('csrf', token);
      f.set('year', '2029');
      f.set('notice', file, name);
      return f;
    };
    const notNotice = await post('/new/upload', form(new Blob([readFileSync(NOT_A_NOTICE)]), 'not-a-notice.txt'));
    expect(notNotice.status).toBe(422);
    expect(await notNotice.text()).toContain('「not-a-notice.txt」无法作为通知读取');
    const big = await post('/new/upload', form(new Blob([Buffer.alloc(30 * 1024 * 1024, 0x41)]), 'big.txt'));
    expect(big.status).toBe(413);
    expect(await big.text()).toContain('文件过大');
    const docx = await docxOf(readFileSync(FIXTURE, 'utf8'));
    expect((await post('/new/upload', form(new Blob([docx]), 'forms-joint-2024.docx', 'forged'))).status).toBe(403);
    expect((await post('/new/upload', form(new Blob([docx]), 'forms-joint-2024.docx'), clerkCookie, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(existsSync(join(data, 'plans', 'forms-joint-2024.yaml'))).toBe(false);
    expect(existsSync(join(data, 'plans', 'not-a-notice.yaml'))).toBe(false);
  }, 60_000);

  it('uploads a .docx notice into data/plans/ and shows every row with its flags and marked source sentences', async () => {
    const csrf = csrfOf(await (await get('/new')).text());
    const f = new FormData();
    f.set('csrf', csrf);
    f.set('year', '2029');
    f.set('notice', new Blob([await docxOf(readFileSync(FIXTURE, 'utf8'))]), 'forms-joint-2024.docx');
    const uploaded = await post('/new/upload', f);
    expect(uploaded.status).toBe(303);
    planName = 'forms-joint-2024';
    expect(uploaded.headers.get('location')).toBe(`/new/plan?name=${planName}`);
    expect(existsSync(join(data, 'plans', `${planName}.yaml`))).toBe(true);
    const html = await (await get(`/new/plan?name=${planName}`)).text();
    for (let n = 1; n <= 9; n++) expect(html).toContain(`id="task-${n}"`);
    expect(html).toContain('未找到牵头单位');
    expect(html).toContain('「县政府有关部门」不是具体单位');
    expect(html).toContain('通讯录中没有「县政府办公室」');
    expect(html).toContain('多个牵头单位（县政府办公室、县司法局、县财政局）');
    expect(html).toContain('<mark class="deadline" title="截止日期">6月底前完成隐患排查整治</mark>');
    expect(html).toContain('<mark class="lead" title="牵头单位">县林业局</mark>');
    // Groups are offered in the units' list; the start button is disabled while a row has no lead.
    expect(html).toContain('<option value="各乡镇(街道)" label="分组：8 个单位">');
    expect(html).toMatch(/<button type="submit" class="primary" disabled>启动督办<\/button>/);
    // No script anywhere; the figure is computed in the background, in a frame that reloads itself until it is there.
    expect(html).not.toContain('<script');
    const frame = /src="(\/new\/plan\/figures\?[^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&') ?? '';
    const figures = await (await get(frame)).text();
    expect(figures).toContain('<meta http-equiv="refresh" content="5">');
    expect(figures).toContain('正在模拟全年');
  });

  it('refuses the start while a task has no lead (the server, not only the page), starting nothing', async () => {
    const html = await (await get(`/new/plan?name=${planName}`)).text();
    const res = await post('/new/plan/start', new URLSearchParams({ name: planName, version: versionOf(html), csrf: csrfOf(html) }));
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('任务8「改善人居环境」未找到牵头单位');
    await expect(env.client.workflow.getHandle(`duban/${planName}/2029`).describe()).rejects.toThrow();
    // A GET of an action does nothing.
    expect((await get(`/new/plan/start?name=${planName}`)).status).toBe(404);
  });

  it('saves rows edited in the page, refuses an edit from a stale tab, and keeps every change in the audit log', async () => {
    const edit = async (task: number, over: Record<string, string | string[]>, version?: string) => {
      const html = await (await get(`/new/plan?name=${planName}`)).text();
      const row = (name: string) => [...html.matchAll(new RegExp(`<input form="row-${task}" (?:type="date" )?name="${name}"[^>]*value="([^"]*)"`, 'g'))].map((m) => m[1]!);
      const body = new URLSearchParams({ name: planName, version: version ?? versionOf(html), csrf: csrfOf(html), task: String(task), accountable: 'lead' });
      const fields: Record<string, string | string[]> = { title: row('title')[0] ?? '', lead: row('lead'), co: row('co'), deadline: row('deadline'), ...over };
      for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
      return post('/new/plan/row', body);
    };
    const before = await (await get(`/new/plan?name=${planName}`)).text();
    const stale = versionOf(before);
    expect((await edit(8, { lead: ['县住建局'] })).status).toBe(303);
    // The first tab still shows the old version: its save is refused and changes nothing.
    const refused = await edit(8, { lead: ['县水务局'] }, stale);
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('计划已在别处');
    expect(loadPlanLeads()[8]).toBe('县住建局');
    expect((await edit(1, { co: ['各乡镇(街道)'] })).status).toBe(303);
    expect((await edit(3, { lead: ['县司法局', '县财政局'], co: ['各乡镇(街道)'] })).status).toBe(303);
    expect((await edit(6, { lead: ['县财政局'] })).status).toBe(303);
    expect((await edit(7, { lead: ['县应急局'] })).status).toBe(303);
    expect((await edit(9, { lead: ['各乡镇(街道)'] })).status).toBe(303);
    expect((await edit(2, { deadline: ['2029-07-15', ''] })).status).toBe(303);
    // Bad input names the field and changes nothing.
    const bad = await edit(2, { deadline: ['2029-02-30'] });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('截止日期（第 1 个）：日期须为存在的日期');
    const audit = new AuditLog(join(data, 'audit.jsonl')).read({ subject: planName });
    expect(audit.map((e) => e.action)).toContain('plan.upload');
    const task8 = audit.find((e) => e.changes.some((c) => c.startsWith('任务8 牵头单位')));
    expect(task8).toMatchObject({ who: `${CLERK}（县政府督查室）`, action: 'plan.edit' });
    expect(task8?.changes).toContain('任务8 牵头单位：（空） → 县住建局');
    expect(audit.flatMap((e) => e.changes)).toContain('任务2 截止日期：2029-06-30 → 2029-07-15');
    const page = await (await get(`/new/plan?name=${planName}`)).text();
    expect(page).toContain('任务8 牵头单位：（空） → 县住建局');
    expect(page).not.toContain('class="flag blocking"');
  });

  function loadPlanLeads(): Record<number, string> {
    const text = readFileSync(join(data, 'plans', `${planName}.yaml`), 'utf8');
    return Object.fromEntries([...text.matchAll(/- number: (\d+)\n(?:.*\n)*?\s+lead: (.*)\n/g)].map((m) => [Number(m[1]), m[2]!.trim().replace(/^"|"$/g, '')]));
  }

  it('shows the first month from the simulator, starts the campaign as `duban campaign start` does, and is read-only after', async () => {
    const figures = await until(
      'the first month simulated',
      async () => {
        const html = await (await get(`/new/plan?name=${planName}`)).text();
        return /data-messages="(\d+)"/.test(html) ? html : undefined;
      },
      150_000,
    );
    expect(figures).not.toContain('id="first-month-frame"');
    const duties = Number(/data-duties="(\d+)"/.exec(figures)?.[1]);
    // 9 tasks; task 3 has two joint leads and task 9's lead is a group of 8 units.
    expect(duties).toBeGreaterThan(15);
    expect(simulated.length).toBeGreaterThan(0);
    const file = join(data, 'plans', `${planName}.yaml`);
    // The file is what `duban campaign start` reads: loads with the directory, leads filled in.
    expect(loadPlan(file, loadDirectory(join(data, 'units.yaml'))).tasks.find((t) => t.number === 8)?.lead).toBe('县住建局');
    const started = await post('/new/plan/start', new URLSearchParams({ name: planName, version: versionOf(figures), csrf: csrfOf(figures) }));
    expect(started.status).toBe(200);
    const page = await started.text();
    expect(page).toContain(`督办批次已启动：duban/${planName}/2029`);
    expect(page).toContain('id="read-only"');
    expect((await env.client.workflow.getHandle(`duban/${planName}/2029`).describe()).status.name).toBe('RUNNING');
    // Read-only: an edit is refused and the file stays as it was; a second start starts nothing.
    const mtime = statSync(file).mtimeMs;
    const body = new URLSearchParams({ name: planName, version: versionOf(page), csrf: csrfOf(page), task: '8', title: '改善人居环境', lead: '县水务局', accountable: 'lead' });
    const edit = await post('/new/plan/row', body);
    expect(edit.status).toBe(409);
    expect(await edit.text()).toContain('本计划已启动，只能查看');
    expect(statSync(file).mtimeMs).toBe(mtime);
    expect(new AuditLog(join(data, 'audit.jsonl')).read({ subject: planName })[0]).toMatchObject({ action: 'campaign.start', who: `${CLERK}（县政府督查室）` });
    // Its duties run with the corrected lead.
    await until('task 8 duty with its corrected lead', async () => {
      const ledger = await readCampaignLedger(env.client.workflow.getHandle(`duban/${planName}/2029`)).catch(() => []);
      return ledger.some((e) => e.taskNumber === 8 && e.unit === '县住建局') || undefined;
    });
  }, 200_000);

  it('stops the campaign only after a confirmation page that says what stops', async () => {
    const id = `duban/${planName}/2029`;
    const confirm = await get(`/new/stop?id=${encodeURIComponent(id)}`);
    expect(confirm.status).toBe(200);
    const html = await confirm.text();
    expect(html).toContain('不再发送提醒，不再逐级督办');
    const duties = Number(/data-duties="(\d+)"/.exec(html)?.[1]);
    expect(duties).toBeGreaterThan(15);
    expect((await env.client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');
    expect((await post('/new/stop', new URLSearchParams({ id, csrf: 'forged' }))).status).toBe(403);
    const stopped = await post('/new/stop', new URLSearchParams({ id, csrf: csrfOf(html) }));
    expect(stopped.status).toBe(200);
    expect(await stopped.text()).toContain(`已停止 ${id}，任务 ${duties} 项`);
    expect((await env.client.workflow.getHandle(id).describe()).status.name).toBe('TERMINATED');
    expect(new AuditLog(join(data, 'audit.jsonl')).read()[0]).toMatchObject({ action: 'campaign.stop', changes: [`停止督办批次 ${id}，任务 ${duties} 项`] });
    expect((await post('/new/stop', new URLSearchParams({ id, csrf: csrfOf(html) }))).status).toBe(404);
  }, 60_000);

  it('takes the Excel directory only when it passes, naming sheet, row and column otherwise; downloads the template and the current one', async () => {
    const csrf = csrfOf(await (await get('/new')).text());
    const upload = (bytes: Buffer, name: string) => {
      const f = new FormData();
      f.set('csrf', csrf);
      f.set('file', new Blob([bytes]), name);
      return post('/new/directory', f);
    };
    const dir = loadDirectory(join(data, 'units.yaml'));
    const wb = directoryWorkbook(dir);
    // Row 3's role emptied: the error names the sheet, row and column, and nothing is taken.
    wb.getWorksheet('单位通讯录')!.getRow(3).getCell(3).value = '';
    const bad = await upload(Buffer.from(await wb.xlsx.writeBuffer()), '通讯录.xlsx');
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain('通讯录.xlsx 工作表“单位通讯录”第 3 行“角色”列');
    expect(badHtml).toContain('原有通讯录未做任何改动');
    expect(existsSync(join(data, 'directory.yaml'))).toBe(false);
    const xls = await upload(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0, 0, 0, 0]), '通讯录.xls');
    expect(xls.status).toBe(422);
    expect(await xls.text()).toContain('另存为 .xlsx');
    // The template and the current directory download; the current one, uploaded back with a new clerk, is taken.
    const template = await get('/new/directory/template.xlsx');
    expect(template.headers.get('content-type')).toContain('spreadsheetml');
    const current = Buffer.from(await (await get('/new/directory/current.xlsx')).arrayBuffer());
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(new Uint8Array(current).buffer);
    book.getWorksheet('单位通讯录')!.addRow(['县政府督查室', '李文员（虚构）', '办公室文员']);
    const good = await upload(Buffer.from(await book.xlsx.writeBuffer()), '通讯录.xlsx');
    expect(good.status).toBe(200);
    expect(await good.text()).toContain('办公室文员：王文员（虚构） → 王文员（虚构）、李文员（虚构）');
    expect(loadDirectory(join(data, 'directory.yaml')).clerks.map((c) => c.name)).toEqual([CLERK, '李文员（虚构）']);
    expect(new AuditLog(join(data, 'audit.jsonl')).read()[0]).toMatchObject({ action: 'directory.upload', who: `${CLERK}（县政府督查室）` });
  }, 60_000);
});
