/** The dashboard's pages, in Chinese, as HTML strings. Everything from data is escaped. */
import { escapeHtml as h } from '../channels/render';
import type { ValidPlan } from '../plan/schema';
import type { Digest } from '../workflows/digest';
import type { DutyState, LedgerEntry, Level } from '../workflows/types';
import { formatShanghai } from '../calendar/working-days';
import { ledgerCharts } from '../charts/ledger-charts';
import { LEVEL_CN, LEVEL_ORDER } from '../charts/levels';
import { countyOf, STYLESHEET_LINK } from './style';
import { sharedChartCache, type ChartCache } from './chart-cache';
import { CAMPAIGN_STATUS_CN } from '../campaigns/registry';

const STATUS_CN: Record<string, string> = { open: '待确认', acknowledged: '办理中', completed: '已办结', closed: '已关闭（未办结）' };

/** Links carry no token: a token-protected dashboard keeps its session in a cookie (dashboard/server.ts). */
export function layout(title: string, body: string, campaign?: string, masthead: Masthead = {}): string {
  // On a campaign other than the dashboard's first, its own 台账 and data, not the first's.
  const q = campaign ? `?${new URLSearchParams({ campaign }).toString()}` : '';
  const county = countyOf(masthead.notice);
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${h(title)}</title>${STYLESHEET_LINK}</head>
<body><header class="topbar"><span class="county">${h(county ? `${county} · 督办系统` : '督办系统')}</span>${masthead.notice ? `<span class="notice" id="notice-title">${h(masthead.notice)}</span>` : ''}</header>
<nav class="tabs"><a href="/">督办总览</a><a href="/unit">我的任务</a><a href="/outbox">发件箱</a><a href="/ledger.xlsx${h(q)}" download>导出台账（Excel）</a><a href="/api/ledger${h(q)}">数据 JSON</a><a href="/new">新建督办</a></nav><main>${body}</main></body></html>`;
}

/** What the top bar names: the notice on screen (its county read from its title). */
export interface Masthead {
  notice?: string;
}

function worst(entries: LedgerEntry[]): Level {
  for (const l of LEVEL_ORDER) if (entries.some((e) => e.level === l)) return l;
  return 'none';
}

export interface OverviewData {
  plan: ValidPlan;
  ledger: LedgerEntry[];
  digest: Digest;
  units: string[];
  unitFilter?: string;
  /** The filtered unit's calendar-feed key (a token-protected dashboard): it opens that unit's feed only. */
  icsKey?: string;
  /** The campaign's years on official days, and those on a Monday–Friday guess until a calendar is loaded. */
  calendarYears?: { official: number[]; guessed: number[] };
  /** The dashboard's chart cache (each chart drawn once per input); a process-wide one by default. */
  charts?: Pick<ChartCache, 'figuresOf'>;
  /** The deployment's campaigns, listed above the overview when there are several. */
  campaigns?: CampaignRow[];
  /** The workflow id of the campaign shown. */
  selected?: string;
  /** `?campaign=` to keep on the page's own links (a campaign other than the dashboard's first). */
  campaignParam?: string;
}

export interface CampaignRow {
  workflowId: string;
  status: string;
  title?: string;
  year?: number;
  codePrefix?: string;
  counts?: { duties: number; open: number; completed: number; closed: number; byLevel: Record<Level, number> };
}

/** The campaigns table: notice, year, counts by level; each links to its own overview and 台账. */
export function campaignsTable(rows: CampaignRow[], selected?: string): string {
  const body = rows
    .map((r) => {
      const c = r.counts;
      const link = `/?${new URLSearchParams({ campaign: r.workflowId }).toString()}`;
      const levels = c ? LEVEL_ORDER.map((l) => `<span class="cell ${l}" title="${h(LEVEL_CN[l])}">${c.byLevel[l]}</span>`).join(' ') : '';
      return `<tr data-campaign="${h(r.workflowId)}"${r.workflowId === selected ? ' style="font-weight:bold"' : ''}><td><a href="${h(link)}">${h(r.title ?? r.workflowId)}</a></td><td>${r.year ?? ''}</td><td>${h(CAMPAIGN_STATUS_CN[r.status] ?? r.status)}</td><td>${h(r.codePrefix ? `${r.codePrefix}…` : '')}</td><td>${c ? c.duties : ''}</td><td>${levels}</td><td>${c ? `${c.completed}` : ''}</td><td>${c ? `${c.closed}` : ''}</td><td><a href="${h(`/ledger.xlsx?${new URLSearchParams({ campaign: r.workflowId }).toString()}`)}" download>台账</a></td></tr>`;
    })
    .join('\n');
  return `<h2>督办批次</h2><table id="campaigns"><tr><th>通知</th><th>年度</th><th>状态</th><th>编号前缀</th><th>任务</th><th>办理中（按等级）</th><th>已办结</th><th>已关闭</th><th></th></tr>${body}</table>`;
}

export interface UnitDutyRow {
  entry: LedgerEntry;
  campaignTitle: string;
  taskTitle: string;
}

/** A lead unit's view of its co-units' parts (`accountable: lead+co`): who has reported, per task. */
function partsTable(parts: UnitDutyRow[]): string {
  if (!parts.length) return '';
  const rows = parts
    .map(
      ({ entry: e, campaignTitle }) =>
        `<tr data-unit="${h(e.unit)}" data-status="${e.status}"><td>任务${e.taskNumber}</td><td>${h(campaignTitle)}</td><td>${h(e.unit)}</td><td><b>${h(e.code ?? String(e.taskNumber))}</b></td><td>${h(e.deadline)}</td><td><a href="/duty?${new URLSearchParams({ id: e.dutyId }).toString()}">${h(STATUS_CN[e.status] ?? e.status)}</a></td></tr>`,
    )
    .join('\n');
  const reported = parts.filter((p) => p.entry.status === 'completed').length;
  return `<h2>配合单位报送（本单位牵头审核）</h2>
<p class="muted">已报 ${reported}/${parts.length}。退回请回复「驳回 编号 单位 理由」，如「驳回 ${h(parts[0]!.entry.code ?? '1')} ${h(parts[0]!.entry.unit)} 材料不全」。</p>
<table id="unit-parts"><tr><th>任务</th><th>通知</th><th>配合单位</th><th>编号</th><th>报送截止</th><th>状态</th></tr>${rows}</table>`;
}

/** 「我的任务」: a unit's open duties in every campaign, by deadline, with the codes to reply with. */
export function unitDutiesPage(unit: string, rows: UnitDutyRow[], parts: UnitDutyRow[] = []): string {
  const body = rows
    .map(
      ({ entry: e, campaignTitle, taskTitle }) =>
        `<tr data-code="${h(e.code ?? '')}" data-level="${e.level}"><td><b>${h(e.code ?? String(e.taskNumber))}</b></td><td>${h(campaignTitle)}</td><td><a href="/duty?${new URLSearchParams({ id: e.dutyId }).toString()}">任务${e.taskNumber}${e.period ? `（${h(e.period)}）` : ''} ${h(taskTitle)}</a></td><td>${h(e.deadline)}</td><td>${h(STATUS_CN[e.status] ?? e.status)}</td><td><span class="cell ${e.level}">${h(LEVEL_CN[e.level])}</span></td></tr>`,
    )
    .join('\n');
  return layout(
    `我的任务 · ${unit}`,
    `<h1>${h(unit || '请选择单位')} 的待办任务</h1>
<form method="get" action="/unit"><label>单位 <input name="name" value="${h(unit)}"></label> <button>查看</button></form>
<p class="muted">全部督办批次中尚未办结的任务，按截止日期排列；回复时写编号（如「完成 ${h(rows[0]?.entry.code ?? '5')} 情况说明」）。</p>
<table id="unit-duties"><tr><th>编号</th><th>通知</th><th>任务</th><th>截止</th><th>状态</th><th>等级</th></tr>${body || '<tr><td colspan="6">无待办任务</td></tr>'}</table>
${partsTable(parts)}`,
  );
}

export function overviewPage(d: OverviewData): string {
  const q = (extra: Record<string, string>) => {
    const params = new URLSearchParams(extra);
    return `?${params.toString()}`;
  };
  const ledger = d.unitFilter ? d.ledger.filter((e) => e.unit === d.unitFilter) : d.ledger;
  const units = d.unitFilter ? [d.unitFilter] : [...new Set(d.ledger.map((e) => e.unit))];
  const taskNumbers = new Set(ledger.map((e) => e.taskNumber));
  const tasks = d.plan.tasks.filter((t) => taskNumbers.has(t.number));
  const header = `<tr><th>任务</th>${units.map((u) => `<th>${h(u)}</th>`).join('')}</tr>`;
  // One pass over the ledger: a cell's duties looked up, not searched for (hundreds of units × tasks).
  const cell = new Map<string, LedgerEntry[]>();
  for (const e of ledger) {
    const key = `${e.taskNumber}\u0000${e.unit}`;
    const list = cell.get(key);
    if (list) list.push(e);
    else cell.set(key, [e]);
  }
  const rows = tasks
    .map((t) => {
      const cells = units
        .map((u) => {
          const entries = cell.get(`${t.number}\u0000${u}`) ?? [];
          if (!entries.length) return '<td></td>';
          const level = worst(entries);
          const first = entries.find((e) => e.level === level) ?? entries[0];
          const done = entries.filter((e) => e.status === 'completed').length;
          return `<td data-task="${t.number}" data-unit="${h(u)}" data-level="${level}"><a class="cell ${level}" title="${h(LEVEL_CN[level])}" href="/duty${q({ id: first?.dutyId ?? '' })}">${done}/${entries.length}</a></td>`;
        })
        .join('');
      return `<tr><td>任务${t.number} ${h(t.title)}</td>${cells}</tr>`;
    })
    .join('\n');
  const upcoming = [...d.digest.overdue, ...d.digest.upcoming]
    .filter((l) => !d.unitFilter || l.unit === d.unitFilter)
    .map(
      (l) =>
        `<tr data-level="${l.level}"><td>${h(l.deadline)}</td><td>任务${l.taskNumber}${l.period ? `（${h(l.period)}）` : ''}</td><td>${h(l.unit)}</td><td><span class="cell ${l.level}">${h(LEVEL_CN[l.level])}</span></td><td>${
          d.digest.overdue.includes(l) ? `逾期 ${l.workingDays} 个工作日` : `还有 ${l.workingDays} 个工作日`
        }</td></tr>`,
    )
    .join('\n');
  const options = d.units.map((u) => `<option value="${h(u)}"${u === d.unitFilter ? ' selected' : ''}>${h(u)}</option>`).join('');
  const t = d.digest.totals;
  // Drawn on the server, as SVG: the page stays script-free.
  const charts = (d.charts ?? sharedChartCache).figuresOf(ledgerCharts(ledger, units, d.digest.date)).join('\n');
  return layout(
    `督办总览 · ${d.plan.title}`,
    `<h1>督办总览</h1><p>${h(d.plan.title)}</p>
${d.calendarYears ? `<p id="calendar-years" class="muted">工作日历：${d.calendarYears.official.length ? `${d.calendarYears.official.join('、')} 年按国务院公布的放假和调休安排` : ''}${d.calendarYears.guessed.length ? `${d.calendarYears.official.length ? '；' : ''}<b class="warn">${d.calendarYears.guessed.join('、')} 年尚未载入官方安排，暂按周一至周五计算</b>（公布后由管理员运行 duban calendar load 载入）` : ''}</p>` : ''}
<div class="cards" id="cards"><div class="card"><b>${t.duties}</b><span>时限任务</span></div><div class="card done"><b>${t.completed}</b><span>已办结</span></div><div class="card overdue"><b>${t.overdue}</b><span>逾期</span></div><div class="card"><b>${t.unacknowledged}</b><span>未确认</span></div></div>
<p id="totals" class="muted">共 ${t.duties} 项时限任务，已办结 ${t.completed}，逾期 ${t.overdue}，未确认 ${t.unacknowledged}（${h(d.digest.date)}）</p>
${d.campaigns ? campaignsTable(d.campaigns, d.selected) : ''}
<form method="get" action="/">${d.campaignParam ? `<input type="hidden" name="campaign" value="${h(d.campaignParam)}">` : ''}<label>按单位筛选 <select name="unit" id="unit-filter"><option value="">全部单位</option>${options}</select></label>
<button id="unit-filter-go">筛选</button></form>
<p class="muted">图例：${LEVEL_ORDER.map((l) => `<span class="cell ${l}">${h(LEVEL_CN[l])}</span>`).join(' ')}&emsp;格内数字：已办结/任务数</p>
<h2>任务 × 单位</h2><div class="scroll"><table id="matrix">${header}${rows}</table></div>
<h2>逾期与近期到期（10 个工作日内）</h2><table id="upcoming"><tr><th>截止</th><th>任务</th><th>单位</th><th>状态</th><th></th></tr>${upcoming || '<tr><td colspan="5">无</td></tr>'}</table>
${charts ? `<h2>图表</h2><section id="charts">${charts}</section>` : ''}
${d.unitFilter ? `<p><a href="/unit?${new URLSearchParams({ name: d.unitFilter }).toString()}">${h(d.unitFilter)} 在全部督办批次中的待办</a></p>` : ''}
${d.unitFilter ? `<p><a href="/ics/${encodeURIComponent(d.unitFilter)}.ics${d.icsKey || d.campaignParam ? `?${new URLSearchParams({ ...(d.icsKey ? { key: d.icsKey } : {}), ...(d.campaignParam ? { campaign: d.campaignParam } : {}) }).toString()}` : ''}">订阅 ${h(d.unitFilter)} 的截止日期日历（.ics）</a></p>` : '<p class="muted">选择单位后可订阅该单位的截止日期日历。</p>'}`,
    d.campaignParam,
    { notice: d.plan.title },
  );
}

/** Who is looking, when an office's person signed in through their link: what waits for them gets buttons. */
export interface Viewer {
  person: string;
  unit: string;
  supervisor: boolean;
  csrf: string;
}

function decisions(state: DutyState, viewer: Viewer | undefined): string {
  if (!viewer) return '';
  const who = `<p class="muted">当前身份：${h(viewer.person)}（${h(viewer.unit)}）</p>`;
  if (!viewer.supervisor || state.ended) return who;
  if (viewer.unit === state.unit) return `${who}<p class="muted">本单位的任务由上一级督办单位审批。</p>`;
  const form = (act: string, label: string, reason: boolean) =>
    `<form method="post" action="/duty/act" class="decide"><input type="hidden" name="id" value="${h(state.dutyId)}"><input type="hidden" name="act" value="${act}"><input type="hidden" name="csrf" value="${h(viewer.csrf)}">${reason ? `<input name="reason" placeholder="理由" required> ` : ''}<button type="submit" id="${act}">${label}</button></form>`;
  const waits: string[] = [];
  if (state.pendingExtension) {
    waits.push(`<p>延期申请：延至 <b>${h(state.pendingExtension.date)}</b>，理由：${h(state.pendingExtension.reason)}（${h(state.pendingExtension.by)}）</p>${form('approve', '同意延期', false)}${form('refuse', '不同意延期', true)}`);
  }
  if (state.status === 'completed') waits.push(`<p>办结报告：${h(state.completionNote ?? '')}</p>${form('reject', '驳回办结', true)}`);
  return `${who}<h2>待您处理</h2><div id="waiting">${waits.length ? waits.join('') : '<p>无</p>'}</div>`;
}

export function dutyPage(state: DutyState, title: string, viewer?: Viewer): string {
  // A reminder handed to the desk ahead of its instant (hand-ahead) is recorded at its instant: shown as waiting,
  // in time order, and not yet counted as sent.
  const waiting = (e: DutyState['history'][number]) => state.ahead?.some((a) => a.at === e.at && a.kind === e.event) ?? false;
  const rows = [...state.history]
    .sort((a, b) => a.at - b.at)
    .map((e) => `<tr${waiting(e) ? ' class="waiting"' : ''}><td>${h(formatShanghai(e.at).replace('T', ' ').slice(0, 16))}</td><td>${h(EVENT_CN[e.event] ?? e.event)}${waiting(e) ? '（待发）' : ''}</td><td>${h(e.by ?? '')}${e.via && VIA_CN[e.via] ? `（${VIA_CN[e.via]}）` : ''}</td><td>${h(e.detail ?? '')}</td></tr>`)
    .join('\n');
  const remindersSent = state.remindersSent - (state.ahead?.filter((a) => a.kind === 'reminder').length ?? 0);
  return layout(
    `任务${state.taskNumber} · ${state.unit}`,
    `<h1>任务${state.taskNumber} ${h(title)}${state.period ? `（${h(state.period)}）` : ''}</h1>
<p>责任单位：${h(state.unit)}&emsp;截止：${h(state.deadline)}${state.deadline !== state.originalDeadline ? `（原 ${h(state.originalDeadline)}）` : ''}&emsp;状态：${h(STATUS_CN[state.status] ?? state.status)}&emsp;<span class="cell ${state.level}">${h(LEVEL_CN[state.level])}</span></p>
<p>已发提醒 ${remindersSent} 次，督办升级 ${state.escalationsSent} 次${state.undelivered ? `，<strong>未送达 ${state.undelivered} 次</strong>` : ''}${state.acknowledgedBy ? `；${h(state.acknowledgedBy)} 于 ${h(formatShanghai(state.acknowledgedAt ?? 0).slice(0, 16).replace('T', ' '))} 确认` : ''}</p>
${decisions(state, viewer)}
<h2>时间线</h2><table id="timeline"><tr><th>时间</th><th>事件</th><th>人员</th><th>说明</th></tr>${rows}</table>`,
  );
}

/** The channel a reply came by, as the timeline names it (WeChat replies of 0.7 carry none). */
const VIA_CN: Record<string, string> = { wechat: '微信', wecom: '企业微信', dingtalk: '钉钉', email: '邮件回复', page: '办理页面', cli: '管理员代录' };

const EVENT_CN: Record<string, string> = {
  started: '开始督办',
  'ack-request': '请确认（发出）',
  undelivered: '未送达（各渠道均未送达，已告知管理员）',
  reminder: '催办提醒（发出）',
  'status-check': '情况核实（发出）',
  escalation: '逾期督办（发出）',
  'supervision-notice': '督办通知书（发出）',
  'overdue-reminder': '逾期催办（发出）',
  'quota-warning': '次数进度预警（发出）',
  'progress-warning': '进度滞后（发出）',
  'extension-request': '延期申请（转督办单位）',
  'extension-decision': '延期审批结果（发出）',
  rejection: '驳回通知（发出）',
  acknowledged: '已确认',
  completed: '报办结',
  rejected: '办结被驳回',
  'extension-requested': '申请延期',
  'extension-approved': '同意延期',
  'extension-refused': '不同意延期',
  progress: '报进度',
  actions: '报次数',
  undone: '撤回回复',
  alert: '系统告警',
  closed: '批次结束（未办结）',
  ended: '结束',
};

export function outboxPage(page: { messages: { at: number; kind: string; subject: string; toUnits: string[]; text: string }[]; older?: number }, earlier = false): string {
  const lines = page.messages;
  const rows = lines
    .map((m) => `<tr><td>${h(formatShanghai(m.at).replace('T', ' ').slice(0, 16))}</td><td>${h(m.kind)}</td><td>${h(m.toUnits.join('、'))}</td><td>${h(m.subject)}</td><td><details><summary>正文</summary><pre>${h(m.text)}</pre></details></td></tr>`)
    .join('\n');
  // Older pages by byte offset into the outbox file: a page costs what it shows, whatever the file's size.
  const more = page.older !== undefined ? `<p><a id="older" href="/outbox?before=${page.older}">更早的消息</a></p>` : '';
  const newest = earlier ? `<p><a href="/outbox">最新的消息</a></p>` : '';
  return layout('发件箱', `<h1>发件箱（${earlier ? '较早的' : '最近'} ${lines.length} 条）</h1>${newest}<table id="outbox"><tr><th>时间</th><th>类型</th><th>收件单位</th><th>标题</th><th></th></tr>${rows}</table>${more}`);
}

export function unitCalendar(unit: string, ledger: LedgerEntry[], plan: ValidPlan): string {
  const esc = (t: string) => t.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');
  const events = ledger
    .filter((e) => e.unit === unit)
    .map((e) => {
      const day = e.deadline.replace(/-/g, '');
      const next = new Date(Date.parse(`${e.deadline}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
      const title = plan.tasks.find((t) => t.number === e.taskNumber)?.title ?? '';
      return [
        'BEGIN:VEVENT',
        `UID:${esc(e.dutyId)}@duban`,
        `DTSTAMP:${day}T000000Z`,
        `DTSTART;VALUE=DATE:${day}`,
        `DTEND;VALUE=DATE:${next}`,
        `SUMMARY:${esc(`督办：任务${e.taskNumber} ${title}${e.period ? `（${e.period}）` : ''}截止`)}`,
        `DESCRIPTION:${esc(`${unit} · ${STATUS_CN[e.status] ?? e.status}`)}`,
        'END:VEVENT',
      ].join('\r\n');
    });
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//duban//督办//ZH', `X-WR-CALNAME:${esc(`${unit} 督办截止日期`)}`, ...events, 'END:VCALENDAR', ''].join('\r\n');
}
