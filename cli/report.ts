/**
 * The demo's self-contained HTML report: a timeline chart (inline SVG) of every duty's messages and replies
 * over the simulated year, and the summary a supervisor would read at year end.
 */
import { dayNumber, shanghaiDate } from '../calendar/working-days';
import { escapeHtml as h, KIND_CN } from '../channels/render';
import type { ValidPlan } from '../plan/schema';
import { buildDigest } from '../workflows/digest';
import type { SimulationResult } from './simulate';

const MARK: Record<string, { color: string; shape: 'circle' | 'square' | 'triangle' }> = {
  'ack-request': { color: '#94a3b8', shape: 'circle' },
  reminder: { color: '#1d4ed8', shape: 'circle' },
  'status-check': { color: '#d97706', shape: 'circle' },
  escalation: { color: '#ea580c', shape: 'square' },
  'supervision-notice': { color: '#b91c1c', shape: 'square' },
  'overdue-reminder': { color: '#ea580c', shape: 'circle' },
  'quota-warning': { color: '#d97706', shape: 'square' },
  'progress-warning': { color: '#d97706', shape: 'square' },
  rejection: { color: '#7c3aed', shape: 'square' },
  reply: { color: '#15803d', shape: 'triangle' },
};

export function renderReport(result: SimulationResult, plan: ValidPlan, replies: string): string {
  const duties = [...result.ledger].sort((a, b) => a.taskNumber - b.taskNumber || a.deadline.localeCompare(b.deadline));
  const times = result.events.map((e) => Date.parse(e.at));
  const start = Math.min(...times);
  const end = Math.max(...times);
  const firstDay = dayNumber(shanghaiDate(start));
  const days = Math.max(1, dayNumber(shanghaiDate(end)) - firstDay + 1);
  const left = 230;
  const width = 1100;
  const rowH = 16;
  const top = 30;
  const x = (ms: number) => left + ((dayNumber(shanghaiDate(ms)) - firstDay) / days) * (width - left - 10);
  const rows = new Map(duties.map((d, i) => [d.dutyId, top + i * rowH + rowH / 2]));
  const marks = result.events
    .filter((e) => e.dutyId && MARK[e.kind] && rows.has(e.dutyId))
    .map((e) => {
      const m = MARK[e.kind]!;
      const cx = x(Date.parse(e.at)).toFixed(1);
      const cy = rows.get(e.dutyId ?? '') ?? 0;
      const title = `<title>${h(`${e.at.slice(0, 16).replace('T', ' ')} ${KIND_CN[e.kind] ?? e.kind}${e.text ? ` ${e.text}` : ''}`)}</title>`;
      if (m.shape === 'circle') return `<circle cx="${cx}" cy="${cy}" r="3" fill="${m.color}">${title}</circle>`;
      if (m.shape === 'square') return `<rect x="${Number(cx) - 3}" y="${cy - 3}" width="6" height="6" fill="${m.color}">${title}</rect>`;
      return `<path d="M${cx} ${cy - 4} l4 7 h-8 z" fill="${m.color}">${title}</path>`;
    })
    .join('');
  const labels = duties
    .map((d, i) => {
      const y = top + i * rowH + rowH / 2 + 4;
      const deadline = x(Date.parse(`${d.deadline}T09:00:00+08:00`));
      return `<text x="4" y="${y}" font-size="11">任务${d.taskNumber}${d.period ? `·${h(d.period)}` : ''} ${h(d.unit)}</text>
<line x1="${deadline.toFixed(1)}" x2="${deadline.toFixed(1)}" y1="${y - 11}" y2="${y + 3}" stroke="#0f172a" stroke-width="1.5"><title>截止 ${h(d.deadline)}</title></line>
<text x="${width + 4}" y="${y}" font-size="11" fill="${d.status === 'completed' ? '#15803d' : '#b91c1c'}">${d.status === 'completed' ? '办结' : '未办结'}</text>`;
    })
    .join('\n');
  const months: string[] = [];
  for (let d = firstDay; d < firstDay + days; d++) {
    const date = new Date(d * 86_400_000).toISOString().slice(0, 10);
    if (date.endsWith('-01')) {
      const mx = left + ((d - firstDay) / days) * (width - left - 10);
      months.push(`<line x1="${mx}" x2="${mx}" y1="${top - 6}" y2="${top + duties.length * rowH}" stroke="#e2e8f0"/><text x="${mx + 2}" y="${top - 10}" font-size="11">${Number(date.slice(5, 7))}月</text>`);
    }
  }
  const height = top + duties.length * rowH + 20;
  const digest = buildDigest(result.ledger, result.calendar, end);
  const byKind = new Map<string, number>();
  for (const m of result.messages) byKind.set(m.kind, (byKind.get(m.kind) ?? 0) + 1);
  const s = result.summary;
  const legend = Object.entries(MARK)
    .map(([k, m]) => `<span style="margin-right:10px"><svg width="10" height="10"><rect width="10" height="10" fill="${m.color}"/></svg> ${h(k === 'reply' ? '回复' : (KIND_CN[k] ?? k))}</span>`)
    .join('');
  const unitRows = digest.units
    .map((u, i) => `<tr><td>${i + 1}</td><td>${h(u.unit)}</td><td>${u.duties}</td><td>${Math.round(u.ackRate * 100)}%</td><td>${Math.round(u.completionRate * 100)}%</td><td>${u.overdue}</td></tr>`)
    .join('');
  const unresolved = result.ledger
    .filter((e) => e.status !== 'completed')
    .map((e) => `<li>任务${e.taskNumber}${e.period ? `（${h(e.period)}）` : ''} ${h(e.unit)}：截止 ${h(e.deadline)}，升级督办 ${e.escalationsSent} 次</li>`)
    .join('');
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>督办年度模拟报告 ${plan.year}</title>
<style>body{font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;margin:20px;color:#0f172a}td,th{border:1px solid #cbd5e1;padding:3px 8px;font-size:13px}table{border-collapse:collapse}</style></head><body>
<h1>督办年度模拟报告（${plan.year} 年，模拟回复：${h(replies)}）</h1>
<p>${h(plan.title)}</p>
<h2>年终小结</h2>
<p>共 ${s.duties} 项时限任务：按期或逾期办结 ${s.completed} 项，批次结束时仍未办结 ${s.closedUnresolved} 项；${s.escalated} 项曾升级督办。
全年发出消息 ${result.messages.length} 条（${[...byKind].map(([k, n]) => `${h(KIND_CN[k] ?? k)} ${n}`).join('，')}），非工作时间发送 ${result.offHours.length} 条。</p>
${unresolved ? `<h3>未办结事项</h3><ul>${unresolved}</ul>` : ''}
<h3>各单位确认率、办结率排名</h3><table><tr><th>名次</th><th>单位</th><th>任务数</th><th>确认率</th><th>办结率</th><th>逾期</th></tr>${unitRows}</table>
<h2>全年时间线</h2><p>${legend}<span>竖线：截止日期</span></p>
<svg xmlns="http://www.w3.org/2000/svg" width="${width + 60}" height="${height}" role="img" aria-label="全年督办时间线">${months.join('')}${labels}${marks}</svg>
</body></html>`;
}
