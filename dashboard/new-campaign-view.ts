/**
 * 「新建督办」's pages, in Chinese, as HTML strings: the desk (upload a notice, the plans, the directory, the audit
 * log), a plan's review table, the stop confirmation. Plain forms, no script: units from a <datalist>, dates with
 * <input type=date>, cadences, quotas and who is accountable from <select>s. Everything from data is escaped.
 */
import { escapeHtml as h } from '../channels/render';
import { formatShanghai } from '../calendar/working-days';
import type { Directory } from '../plan/directory';
import type { Plan, PlanTask } from '../plan/schema';
import { AUDIT_ACTION_CN, type AuditEntry } from './audit';
import type { DeskUser } from './clerks';
import type { JobState } from './first-month';
import { layout } from './pages';
import { STYLESHEET_LINK } from './style';
import { ACCOUNTABLE_CN, blockingOf, CADENCE_CN, CADENCES, flagsOf, leadsOf, markSentence, phrasesOf, QUOTA_CHOICES, sourceSentences } from './plan-review';

/** The desk's look is in the dashboard's stylesheet (dashboard/style.ts), under .desk. */
export function deskLayout(title: string, body: string): string {
  return layout(title, `<div class="desk"><p><a href="/new">← 新建督办</a></p>${body}</div>`);
}

const when = (at: number) => formatShanghai(at).slice(0, 16).replace('T', ' ');

export function auditTable(entries: AuditEntry[]): string {
  if (!entries.length) return '<p class="muted">尚无记录。</p>';
  const rows = entries
    .map((e) => `<tr data-action="${h(e.action)}"><td>${h(when(e.at))}</td><td>${h(e.who)}</td><td>${h(AUDIT_ACTION_CN[e.action])}</td><td>${h(e.subject)}</td><td>${e.changes.map((c) => h(c)).join('<br>')}</td></tr>`)
    .join('\n');
  return `<table id="audit"><tr><th>时间</th><th>操作人</th><th>操作</th><th>对象</th><th>改动</th></tr>${rows}</table>`;
}

/** The units and groups a unit field may take, groups first (各乡镇(街道) offered as one entry). */
export function unitsDatalist(dir: Directory): string {
  const groups = Object.entries(dir.groups).map(([g, m]) => `<option value="${h(g)}" label="分组：${m.length} 个单位"></option>`);
  const units = Object.keys(dir.units).map((u) => `<option value="${h(u)}"></option>`);
  return `<datalist id="units">${[...groups, ...units].join('')}</datalist>`;
}

export interface PlanListing {
  name: string;
  title: string;
  year: number;
  tasks: number;
  blocking: number;
  /** Temporal's status of its campaign, when started. */
  status?: string;
  workflowId: string;
}

export interface DeskData {
  user: DeskUser;
  csrf: string;
  plans: PlanListing[];
  directory: string;
  audit: AuditEntry[];
  /** The administrator's view: the clerks the directory names, to give each a sign-in link. */
  clerks?: { name: string; unit?: string }[];
  /** A link just made for a clerk. */
  clerkLink?: { name: string; url: string };
  error?: string;
  year: number;
}

const STATUS_CN: Record<string, string> = { RUNNING: '运行中', TERMINATED: '已停止', COMPLETED: '已结束' };

export function deskPage(d: DeskData): string {
  const plans = d.plans.length
    ? `<table id="plans"><tr><th>计划</th><th>通知</th><th>年度</th><th>任务</th><th>待补齐</th><th>状态</th><th></th></tr>${d.plans
        .map(
          (p) =>
            `<tr data-plan="${h(p.name)}"><td><a href="/new/plan?${new URLSearchParams({ name: p.name }).toString()}">${h(p.name)}</a></td><td>${h(p.title)}</td><td>${p.year}</td><td>${p.tasks}</td><td>${p.blocking ? `<span class="flag blocking">${p.blocking} 项</span>` : '—'}</td><td>${p.status ? h(STATUS_CN[p.status] ?? p.status) : '待核对'}</td><td>${p.status === 'RUNNING' ? `<a href="/new/stop?${new URLSearchParams({ id: p.workflowId }).toString()}">停止…</a>` : ''}</td></tr>`,
        )
        .join('\n')}</table>`
    : '<p class="muted">还没有计划：上传一份通知开始。</p>';
  const clerks =
    d.clerks === undefined
      ? ''
      : `<section id="clerks"><h2>办公室文员登录链接</h2>${
          d.clerkLink ? `<div class="ok" id="clerk-link">${h(d.clerkLink.name)} 的个人登录链接（30 天内有效，请只发给本人）：<br><code>${h(d.clerkLink.url)}</code></div>` : ''
        }${
          d.clerks.length
            ? `<table><tr><th>姓名</th><th>科室</th><th></th></tr>${d.clerks
                .map(
                  (c) =>
                    `<tr><td>${h(c.name)}</td><td>${h(c.unit ?? '')}</td><td><form method="post" action="/new/clerk-link"><input type="hidden" name="csrf" value="${h(d.csrf)}"><input type="hidden" name="name" value="${h(c.name)}"><button type="submit">生成登录链接</button></form></td></tr>`,
                )
                .join('')}</table>`
            : '<p class="muted">通讯录中没有办公室文员：在“单位通讯录”工作表中按“办公室文员”角色登记后上传。</p>'
        }</section>`;
  return deskLayout(
    '新建督办',
    `<h1>新建督办</h1><p class="muted">当前用户：${h(d.user.kind === 'admin' ? '管理员' : d.user.name)}</p>
${d.error ? `<div class="error" id="upload-error"><b>未导入：</b>${h(d.error)}<br>已有的计划未做任何改动。</div>` : ''}
<section id="upload"><h2>上传通知</h2>
<form method="post" action="/new/upload" enctype="multipart/form-data"><input type="hidden" name="csrf" value="${h(d.csrf)}">
<p><label>通知文件（.docx、PDF、.txt，或任务表 .xlsx）<input type="file" name="notice" accept=".docx,.pdf,.txt,.xlsx" required></label></p>
<p><label>督办年度 <input type="number" name="year" min="2000" max="2100" value="${d.year}" required></label>
<label><input type="checkbox" name="replace" value="1"> 覆盖同名的未启动计划</label></p>
<p><button type="submit" class="primary">上传并生成计划</button></p></form></section>
<section><h2>计划</h2>${plans}</section>
${d.directory}
${clerks}
<section><h2>操作记录</h2>${auditTable(d.audit)}</section>`,
  );
}

export interface ReviewData {
  name: string;
  plan: Plan;
  dir: Directory;
  version: string;
  csrf: string;
  /** Started: the campaign's workflow id and status; the plan is then read-only. */
  started?: { workflowId: string; status: string };
  firstMonth?: JobState;
  /** The job's key, for the figures' frame. */
  firstMonthKey?: string;
  audit: AuditEntry[];
  error?: string;
  notice?: string;
}

function unitInputs(form: string, name: string, values: string[], extra: number, readonly: boolean): string {
  const all = [...values, ...Array<string>(readonly ? 0 : extra).fill('')];
  return all.map((v) => `<input form="${form}" name="${name}" list="units" value="${h(v)}" placeholder="${name === 'lead' ? '牵头单位' : '配合单位'}"${readonly ? ' readonly' : ''}>`).join('<br>');
}

function select(form: string, name: string, options: [string, string][], value: string, readonly: boolean): string {
  return `<select form="${form}" name="${name}"${readonly ? ' disabled' : ''}>${options.map(([v, label]) => `<option value="${h(v)}"${v === value ? ' selected' : ''}>${h(label)}</option>`).join('')}</select>`;
}

function taskRow(t: PlanTask, d: ReviewData): string {
  const ro = d.started !== undefined;
  const form = `row-${t.number}`;
  const flags = flagsOf(t, d.dir);
  const phrases = phrasesOf(t);
  const sentences = sourceSentences(t)
    .map((s) => `<p class="source">${markSentence(s, phrases)}</p>`)
    .join('');
  const deadlines = [...(t.deadlines ?? []), ...(ro ? [] : [{ date: '', implied: false }])]
    .map((x) => `<input form="${form}" type="date" name="deadline" value="${h(x.date)}"${ro ? ' readonly' : ''}>${x.implied ? '<span class="flag">推定</span>' : ''}`)
    .join('<br>');
  const cadenceOptions: [string, string][] = [['', '（无）'], ...CADENCES.map((c): [string, string] => [c, CADENCE_CN[c]])];
  const dayOptions: [string, string][] = [['', '期末'], ...Array.from({ length: 31 }, (_, i): [string, string] => [String(i + 1), `${i + 1}日前`])];
  const cadences = [...(t.recurring ?? []), ...(ro ? [] : [undefined])]
    .map((r) => `${select(form, 'cadence', cadenceOptions, r?.cadence ?? '', ro)}${select(form, 'dueDay', dayOptions, r?.dueDay ? String(r.dueDay) : '', ro)}`)
    .join('<br>');
  const quotaOptions: [string, string][] = [['', '（无）'], ...QUOTA_CHOICES.map((n): [string, string] => [String(n), `至少 ${n} 次`])];
  const quotas = [...(t.quotas ?? []), ...(ro ? [] : [undefined])].map((q) => select(form, 'quota', quotaOptions, q ? String(q.min) : '', ro)).join('<br>');
  const accountable = select(form, 'accountable', Object.entries(ACCOUNTABLE_CN), t.accountable ?? 'lead', ro);
  const blocked = flags.some((f) => f.blocking);
  return `<tr id="task-${t.number}" data-task="${t.number}"${blocked ? ' class="blocked"' : flags.length ? ' class="row-flag"' : ''}>
<td>${t.number}</td>
<td><input form="${form}" name="title" value="${h(t.title)}"${ro ? ' readonly' : ''}>${t.section ? `<div class="muted">${h(t.section)}</div>` : ''}
${flags.length ? `<ul class="flags">${flags.map((f) => `<li class="flag${f.blocking ? ' blocking' : ''}" data-field="${h(f.field)}">⚠ ${h(f.reason)}</li>`).join('')}</ul>` : ''}</td>
<td class="src">${sentences || '<span class="muted">（无原句）</span>'}</td>
<td>${unitInputs(form, 'lead', leadsOf(t), 1, ro)}</td>
<td>${unitInputs(form, 'co', t.coUnits ?? [], 2, ro)}</td>
<td>${deadlines}</td><td>${cadences}</td><td>${quotas}</td><td>${accountable}</td>
<td>${ro ? '' : `<button form="${form}" type="submit">保存本行</button>`}</td></tr>`;
}

/** The first month's figures, or where they stand. */
export function figuresBox(j: JobState | undefined): string {
  if (!j) return '';
  if (j.state === 'done') {
    const f = j.figures;
    return `<div class="figures" id="first-month">首月工作量（${h(f.from)} 至 ${h(f.to)}，按无人回复模拟）：共 <b data-duties="${f.duties}">${f.duties}</b> 项时限任务，其中 ${f.dueInMonth} 项首月到期；首月发送消息 <b data-messages="${f.messages}">${f.messages}</b> 条，涉及 ${f.units} 个单位。${
      f.leftOut.length ? `<br><span class="flag">任务 ${f.leftOut.join('、')} 尚不能启动，未计入。</span>` : ''
    }<span class="muted">（模拟用时 ${(f.wallMs / 1000).toFixed(1)} 秒）</span></div>`;
  }
  if (j.state === 'failed') return `<div class="figures" id="first-month">首月工作量：${h(j.why)}</div>`;
  return `<div class="figures" id="first-month" data-pending="1">首月工作量：正在模拟全年（约需 10–40 秒），完成后在此显示…</div>`;
}

/**
 * The figures while they are computed: a small page in a frame that reloads itself every 5 s (a meta refresh, no
 * script), so the review page around it, and what the clerk is typing there, stays as it is.
 */
export function figuresFrame(j: JobState | undefined): string {
  const pending = j !== undefined && (j.state === 'queued' || j.state === 'running');
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">${pending ? '<meta http-equiv="refresh" content="5">' : ''}<title>首月工作量</title>${STYLESHEET_LINK}</head><body class="frame">${figuresBox(j)}</body></html>`;
}

export function reviewPage(d: ReviewData): string {
  const blocking = blockingOf(d.plan, d.dir);
  const all = d.plan.tasks.flatMap((t) => flagsOf(t, d.dir).map((f) => ({ task: t.number, ...f })));
  const summary = all.length
    ? `<div class="${blocking.length ? 'error' : 'figures'}" id="review-summary"><b>待核对 ${all.length} 处${blocking.length ? `，其中 ${blocking.length} 项任务须补齐后才能启动` : ''}：</b><ul>${all
        .map((f) => `<li class="flag${f.blocking ? ' blocking' : ''}"><a href="#task-${f.task}">任务${f.task}</a>：${h(f.reason)}</li>`)
        .join('')}</ul></div>`
    : '<div class="ok" id="review-summary">解析没有待核对之处；请仍逐项核对后启动。</div>';
  const pending = d.firstMonth !== undefined && (d.firstMonth.state === 'queued' || d.firstMonth.state === 'running');
  const forms = d.plan.tasks
    .map((t) => `<form id="row-${t.number}" method="post" action="/new/plan/row"><input type="hidden" name="name" value="${h(d.name)}"><input type="hidden" name="version" value="${h(d.version)}"><input type="hidden" name="csrf" value="${h(d.csrf)}"><input type="hidden" name="task" value="${t.number}"></form>`)
    .join('');
  const head = d.started
    ? `<div class="readonly" id="read-only">本计划已启动（督办批次 ${h(d.started.workflowId)}，${h(STATUS_CN[d.started.status] ?? d.started.status)}），只能查看，不能再修改。${
        d.started.status === 'RUNNING' ? ` <a href="/new/stop?${new URLSearchParams({ id: d.started.workflowId }).toString()}">停止这个督办批次…</a>` : ''
      }</div>`
    : `<form method="post" action="/new/plan/start" id="start-form"><input type="hidden" name="name" value="${h(d.name)}"><input type="hidden" name="version" value="${h(d.version)}"><input type="hidden" name="csrf" value="${h(d.csrf)}">
<p><button type="submit" class="primary"${blocking.length ? ' disabled' : ''}>启动督办</button> ${blocking.length ? `<span class="flag blocking">还有 ${blocking.length} 项任务没有牵头单位或单位不在通讯录中，补齐后才能启动。</span>` : '<span class="muted">启动后按本计划发送提醒，计划不能再修改。</span>'}</p></form>`;
  const body = `<h1>${h(d.plan.title)}</h1>
<p>计划 ${h(d.name)} · 督办年度 ${d.plan.year}${d.plan.noticeDate ? ` · 发文日期 ${h(d.plan.noticeDate)}` : ''} · ${d.plan.tasks.length} 项任务</p>
${d.error ? `<div class="error" id="plan-error"><b>未保存：</b>${h(d.error)}<br>计划未做任何改动。</div>` : ''}
${d.notice ? `<div class="ok" id="plan-ok">${h(d.notice)}</div>` : ''}
${summary}${
    pending
      ? `<iframe id="first-month-frame" title="首月工作量" src="/new/plan/figures?${new URLSearchParams({ name: d.name, key: d.firstMonthKey ?? '' }).toString()}" style="width:100%;height:70px;border:0"></iframe>`
      : figuresBox(d.firstMonth)
  }${head}
<p class="muted">原句中标出：<mark class="lead">牵头单位</mark> <mark class="co">配合单位</mark> <mark class="deadline">截止日期</mark> <mark class="cadence">周期</mark> <mark class="quota">次数</mark>。单位可输入几个字后从列表中选择；清空日期即删除该期限；每行最后一个空栏用于新增。</p>
${unitsDatalist(d.dir)}${forms}
<table id="review"><tr><th>编号</th><th>任务</th><th>通知原句</th><th>牵头单位</th><th>配合单位</th><th>截止日期</th><th>周期</th><th>次数</th><th>负责方式</th><th></th></tr>
${d.plan.tasks.map((t) => taskRow(t, d)).join('\n')}</table>
<h2>本计划的操作记录</h2>${auditTable(d.audit)}`;
  return deskLayout(`核对计划 · ${d.plan.title}`, body);
}

export function stopConfirmPage(o: { workflowId: string; title: string; duties: number; fromVisibilityOnly: boolean; csrf: string }): string {
  return deskLayout(
    '停止督办批次',
    `<h1>停止督办批次</h1><div class="error" id="stop-what"><p>将停止 <b>${h(o.title)}</b>（${h(o.workflowId)}）及其 <b data-duties="${o.duties}">${o.duties}</b> 项未结束的任务：</p>
<ul><li>不再发送提醒，不再逐级督办；</li><li>已发出的消息、回复和办理记录保留，看板和台账仍可查看；</li><li>停止后不能在同一编号下重新启动（如需重新督办，请重新上传通知，另存为新计划）。</li></ul>
${o.fromVisibilityOnly ? '<p class="muted">督办批次未应答：任务按编号从 Temporal 检索得到。</p>' : ''}</div>
<form method="post" action="/new/stop"><input type="hidden" name="id" value="${h(o.workflowId)}"><input type="hidden" name="csrf" value="${h(o.csrf)}">
<p><button type="submit" class="danger">确认停止</button>&emsp;<a href="/new">取消</a></p></form>`,
  );
}

export function messagePage(title: string, html: string): string {
  return deskLayout(title, `<h1>${h(title)}</h1>${html}`);
}
