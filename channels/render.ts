/**
 * Email rendering: Chinese subject, plain text and HTML for every message kind, and an .ics calendar entry
 * for messages that carry a deadline. Everything that came from people or files is escaped.
 */
import type { Digest } from '../workflows/digest';
import type { Level, OutgoingMessage } from '../workflows/types';
import { formatShanghai } from '../calendar/working-days';

const LEVEL_CN: Record<Level, { label: string; color: string }> = {
  none: { label: '常规', color: '#5f6b7a' },
  blue: { label: '蓝色·即将到期', color: '#1d4ed8' },
  yellow: { label: '黄色·进度滞后或未确认', color: '#b45309' },
  red: { label: '红色·已逾期', color: '#b91c1c' },
  green: { label: '绿色·已办结', color: '#15803d' },
};

export const KIND_CN: Record<string, string> = {
  'ack-request': '请确认',
  reminder: '催办提醒',
  'status-check': '情况核实',
  escalation: '逾期督办',
  'supervision-notice': '督办通知书',
  'overdue-reminder': '逾期催办',
  'quota-warning': '进度预警',
  'progress-warning': '进度滞后',
  'extension-request': '延期申请',
  'extension-decision': '延期审批结果',
  rejection: '办结驳回',
  digest: '督办周报',
  morning: '今日督办',
  alert: '系统告警',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
  ics?: string;
}

function icsEscape(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');
}

/** A one-day VEVENT on the deadline, with a reminder the morning before. */
export function deadlineIcs(msg: OutgoingMessage): string | undefined {
  if (!msg.deadline || !msg.dutyId) return undefined;
  const day = msg.deadline.replace(/-/g, '');
  const next = new Date(Date.parse(`${msg.deadline}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const stamp = new Date(msg.at).toISOString().replace(/[-:]/g, '').slice(0, 15) + 'Z';
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//duban//督办//ZH',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    'BEGIN:VEVENT',
    `UID:${icsEscape(msg.dutyId)}@duban`,
    `DTSTAMP:${stamp}`,
    `DTSTART;VALUE=DATE:${day}`,
    `DTEND;VALUE=DATE:${next}`,
    `SUMMARY:${icsEscape(msg.subject.replace(/^【督办】/, '督办：'))}`,
    `DESCRIPTION:${icsEscape(msg.text)}`,
    'BEGIN:VALARM',
    'ACTION:DISPLAY',
    'TRIGGER:-PT15H',
    `DESCRIPTION:${icsEscape(msg.subject)}`,
    'END:VALARM',
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

/** Per-unit completion and acknowledgement as horizontal bars: tables and widths, which mail clients draw. */
export function digestChart(d: Digest): string {
  const rows = d.units
    .slice(0, 20)
    .map((u, i) => {
      const done = Math.round(u.completionRate * 100);
      const ack = Math.round(u.ackRate * 100);
      return `<tr><td style="padding:2px 6px;white-space:nowrap">${i + 1}. ${escapeHtml(u.unit)}</td>
<td style="padding:2px 6px;width:240px"><div style="background:#e2e8f0;width:200px;height:10px"><div style="background:#15803d;width:${done * 2}px;height:10px"></div></div>
<div style="background:#e2e8f0;width:200px;height:6px;margin-top:2px"><div style="background:#1d4ed8;width:${ack * 2}px;height:6px"></div></div></td>
<td style="padding:2px 6px;white-space:nowrap">办结 ${done}% · 确认 ${ack}%${u.overdue ? ` · <b style="color:#b91c1c">逾期 ${u.overdue}</b>` : ''}</td></tr>`;
    })
    .join('\n');
  return `<table style="border-collapse:collapse;font-size:13px" aria-label="各单位办结率与确认率">${rows}</table>
<p style="font-size:12px;color:#64748b">绿条：办结率；蓝条：确认率。</p>`;
}

/** A link in a mail: what it does and where it goes (links/actions.ts makes them). */
export interface MailLink {
  label: string;
  url: string;
}

export function renderMail(msg: OutgoingMessage, note?: string, links: MailLink[] = []): RenderedMail {
  const level = LEVEL_CN[msg.level];
  const kind = msg.items ? KIND_CN.morning! : (KIND_CN[msg.kind] ?? msg.kind);
  const subject = msg.kind === 'supervision-notice' ? msg.subject.replace('【督办】', '【督办通知书】') : msg.subject;
  const footer = links.length
    ? '此邮件由督办系统 duban 发送。点击上方按钮办理（打开后需在页面上确认，链接仅限本人使用，请勿转发）；也可在微信工作群中发送指令（如「收到 1」）。'
    : '此邮件由督办系统 duban 发送。回复请在微信工作群中发送指令（如「收到 1」），或联系县乡村振兴局。';
  const linkText = links.length ? `在线办理：\n${links.map((l) => `${l.label}：${l.url}`).join('\n')}\n\n` : '';
  const text = `${kind}（${level.label}）\n发送时间：${formatShanghai(msg.at)}\n\n${note ? `${note}\n\n` : ''}${msg.text}\n\n${linkText}${footer}`;
  const buttons = links.length
    ? `<p>${links
        .map((l) => `<a href="${escapeHtml(l.url)}" style="display:inline-block;margin:4px 6px 4px 0;padding:6px 12px;border-radius:4px;background:#1d4ed8;color:#fff;text-decoration:none">${escapeHtml(l.label)}</a>`)
        .join('\n')}</p>`
    : '';
  const paragraphs = msg.text
    .split('\n')
    .map((line) =>
      line.startsWith('原文：')
        ? `<blockquote style="margin:8px 0;padding:6px 10px;border-left:3px solid #cbd5e1;color:#334155">${escapeHtml(line)}</blockquote>`
        : `<p style="margin:4px 0">${escapeHtml(line)}</p>`,
    )
    .join('\n');
  const html = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="font-family:'PingFang SC','Microsoft YaHei',sans-serif;font-size:14px;color:#0f172a">
<p><span style="display:inline-block;padding:2px 8px;border-radius:4px;color:#fff;background:${level.color}">${escapeHtml(kind)} · ${escapeHtml(level.label)}</span></p>
${note ? `<p style="color:#b91c1c">${escapeHtml(note)}</p>` : ''}
${paragraphs}
${msg.digest ? digestChart(msg.digest) : ''}
${(msg.digests ?? []).map(digestChart).join('\n')}
${buttons}
<p style="color:#64748b;font-size:12px">${escapeHtml(footer)}</p>
</body></html>`;
  const ics = deadlineIcs(msg);
  return { subject, text, html, ...(ics ? { ics } : {}) };
}
