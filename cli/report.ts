/**
 * The demo's self-contained HTML report: the summary a supervisor would read at year end, and charts drawn by
 * ECharts on the server as inline SVG (no script in the page, so it opens anywhere, offline included).
 */
import { escapeHtml as h, KIND_CN } from '../channels/render';
import { PAGE_FONT } from '../charts/levels';
import { renderChartSvg } from '../charts/render';
import { yearCharts } from '../charts/year-charts';
import type { ValidPlan } from '../plan/schema';
import { buildDigest } from '../workflows/digest';
import type { SimulationResult } from './simulation-result';

export function renderReport(result: SimulationResult, plan: ValidPlan, replies: string): string {
  const end = Math.max(...result.events.map((e) => Date.parse(e.at)));
  const charts = yearCharts(result).map((c) => `<figure>${renderChartSvg(c)}</figure>`).join('\n');
  const digest = buildDigest(result.ledger, result.calendar, end);
  const byKind = new Map<string, number>();
  for (const m of result.messages) byKind.set(m.kind, (byKind.get(m.kind) ?? 0) + 1);
  const s = result.summary;
  const unitRows = digest.units
    .map((u, i) => `<tr><td>${i + 1}</td><td>${h(u.unit)}</td><td>${u.duties}</td><td>${Math.round(u.ackRate * 100)}%</td><td>${Math.round(u.completionRate * 100)}%</td><td>${u.overdue}</td></tr>`)
    .join('');
  const unresolved = result.ledger
    .filter((e) => e.status !== 'completed')
    .map((e) => `<li>任务${e.taskNumber}${e.period ? `（${h(e.period)}）` : ''} ${h(e.unit)}：截止 ${h(e.deadline)}，升级督办 ${e.escalationsSent} 次</li>`)
    .join('');
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>督办年度模拟报告 ${plan.year}</title>
<style>body{font-family:${PAGE_FONT};margin:20px;color:#0f172a}td,th{border:1px solid #cbd5e1;padding:3px 8px;font-size:13px}table{border-collapse:collapse}figure{margin:16px 0}</style></head><body>
<h1>督办年度模拟报告（${plan.year} 年，模拟回复：${h(replies)}）</h1>
<p>${h(plan.title)}</p>
<h2>年终小结</h2>
<p>共 ${s.duties} 项时限任务：按期或逾期办结 ${s.completed} 项，批次结束时仍未办结 ${s.closedUnresolved} 项；${s.escalated} 项曾升级督办。
全年发出消息 ${result.messages.length} 条（${[...byKind].map(([k, n]) => `${h(KIND_CN[k] ?? k)} ${n}`).join('，')}），非工作时间发送 ${result.offHours.length} 条。</p>
${unresolved ? `<h3>未办结事项</h3><ul>${unresolved}</ul>` : ''}
<h3>各单位确认率、办结率排名</h3><table><tr><th>名次</th><th>单位</th><th>任务数</th><th>确认率</th><th>办结率</th><th>逾期</th></tr>${unitRows}</table>
<h2>全年图表</h2>
${charts}
</body></html>`;
}
