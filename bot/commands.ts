/**
 * The chat command grammar: what coordinators and supervisors type in WeChat. Pure: never throws, and
 * answers every text with either a command or a short reason in Chinese.
 *
 *   收到 任务1 / 确认 1 / 收到1          acknowledge
 *   完成 1 已报送县局 / 办结 1 …         complete, with a note
 *   进度 19 60% [全省 55%]               progress against a bar
 *   走访 12 +1 / 走访 12 第2项 +1        quota actions
 *   延期 15 2022-07-15 等待编办批复       ask for an extension
 *   同意延期 15 / 不同意延期 15 理由       supervisors decide
 *   驳回 1 材料不全                      supervisors reject a completion
 *   我的任务 / 帮助
 */
import { z } from 'zod';

export type Command =
  | { kind: 'acknowledge'; task: number }
  | { kind: 'complete'; task: number; note: string }
  | { kind: 'progress'; task: number; percent: number; bar?: number }
  | { kind: 'actions'; task: number; count: number; item?: number }
  | { kind: 'extension'; task: number; date: string; reason: string }
  | { kind: 'decide'; task: number; approve: boolean; reason?: string }
  | { kind: 'reject'; task: number; reason: string }
  | { kind: 'mine' }
  | { kind: 'help' };

export type ParseResult = { ok: true; command: Command } | { ok: false; reason: string };

/** Longest accepted message; WeChat allows more, a command never needs it. */
export const MAX_COMMAND_LENGTH = 500;

export const HELP_TEXT = [
  '督办助手可识别的回复：',
  '收到 1 —— 确认任务1',
  '完成 1 情况说明 —— 报办结',
  '进度 19 60% 全省55% —— 报进度',
  '走访 12 +1 —— 报走访次数',
  '延期 15 2022-07-15 理由 —— 申请延期',
  '我的任务 —— 查看本单位待办',
  '督办单位：同意延期 15 / 不同意延期 15 理由 / 驳回 1 理由',
].join('\n');

/** Full-width digits, letters, punctuation and spaces become half-width; runs of spaces collapse. */
export function normalizeChat(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0xff01 && code <= 0xff5e) out += String.fromCodePoint(code - 0xfee0);
    else if (code === 0x3000 || ch === '\u00a0') out += ' ';
    else out += ch;
  }
  // Drop @mentions of the bot and WeChat's invisible separator.
  return out.replace(/@\S+[\u2005\s]/g, ' ').replace(/[\u2005\u200b]/g, ' ').replace(/\s+/g, ' ').trim();
}

const taskNo = z.coerce.number().int().min(1).max(999);
const percent = z.coerce.number().min(0).max(100);

const VERBS: [RegExp, Command['kind'] | 'decide-yes' | 'decide-no'][] = [
  [/^(不同意延期|不批准延期|驳回延期)/, 'decide-no'],
  [/^(同意延期|批准延期)/, 'decide-yes'],
  [/^(收到|确认|已阅|知悉|ok|OK)/, 'acknowledge'],
  [/^(完成|办结|已完成|已办结)/, 'complete'],
  [/^(进度|进展)/, 'progress'],
  [/^(走访|到村|帮扶)/, 'actions'],
  [/^(延期|申请延期)/, 'extension'],
  [/^(驳回|退回)/, 'reject'],
  [/^(我的任务|待办|我的待办)$/, 'mine'],
  [/^(帮助|help|\?|？)$/i, 'help'],
];

function isRealDate(date: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

export function parseCommand(raw: string): ParseResult {
  if (typeof raw !== 'string') return { ok: false, reason: '只能识别文字消息。回复「帮助」查看用法。' };
  if (raw.length > MAX_COMMAND_LENGTH) return { ok: false, reason: `消息过长（超过 ${MAX_COMMAND_LENGTH} 字），请只回复指令。` };
  const text = normalizeChat(raw);
  const verb = VERBS.find(([re]) => re.test(text));
  if (!verb) return { ok: false, reason: '没有看懂这条回复。回复「帮助」查看可用指令。' };
  const [re, kind] = verb;
  if (kind === 'mine') return { ok: true, command: { kind: 'mine' } };
  if (kind === 'help') return { ok: true, command: { kind: 'help' } };
  const rest = text.replace(re, '').trim();
  // The task number: "任务1", "第1项", "1", "1号".
  const m = /^(?:任务|第)?\s*(\d{1,3})\s*(?:号|项)?(?:\s+|$)(.*)$/s.exec(rest);
  const task = taskNo.safeParse(m?.[1]);
  if (!m || !task.success) return { ok: false, reason: `请写明任务编号，例如「${exampleOf(kind)}」。` };
  const tail = (m[2] ?? '').trim();
  switch (kind) {
    case 'acknowledge':
      return { ok: true, command: { kind, task: task.data } };
    case 'complete':
      return { ok: true, command: { kind, task: task.data, note: tail.slice(0, 300) || '（未附说明）' } };
    case 'progress': {
      const p = /^(\d{1,3}(?:\.\d+)?)\s*%?(?:\s*(?:全省|全市|基准|平均)?\s*(\d{1,3}(?:\.\d+)?)\s*%?)?$/.exec(tail);
      const value = percent.safeParse(p?.[1]);
      const bar = p?.[2] !== undefined ? percent.safeParse(p[2]) : undefined;
      if (!p || !value.success || (bar && !bar.success)) return { ok: false, reason: '进度请写成百分数，例如「进度 19 60% 全省55%」。' };
      return { ok: true, command: { kind, task: task.data, percent: value.data, ...(bar?.success ? { bar: bar.data } : {}) } };
    }
    case 'actions': {
      const a = /^(?:第\s*(\d{1,2})\s*项\s*)?\+?\s*(\d{1,3})\s*次?$/.exec(tail || '+1');
      const count = z.coerce.number().int().min(1).max(100).safeParse(a?.[2]);
      if (!a || !count.success) return { ok: false, reason: '次数请写成「走访 12 +1」（每次 1–100）。' };
      return { ok: true, command: { kind, task: task.data, count: count.data, ...(a[1] ? { item: Number(a[1]) } : {}) } };
    }
    case 'extension': {
      const e = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?\s*(.*)$/s.exec(tail);
      if (!e) return { ok: false, reason: '延期请写成「延期 15 2022-07-15 理由」。' };
      const date = `${e[1]}-${(e[2] ?? '').padStart(2, '0')}-${(e[3] ?? '').padStart(2, '0')}`;
      if (!isRealDate(date)) return { ok: false, reason: `日期「${date}」不存在，请核对。` };
      const reason = (e[4] ?? '').trim();
      if (!reason) return { ok: false, reason: '请写明延期理由，例如「延期 15 2022-07-15 等待编办批复」。' };
      return { ok: true, command: { kind, task: task.data, date, reason: reason.slice(0, 300) } };
    }
    case 'decide-yes':
      return { ok: true, command: { kind: 'decide', task: task.data, approve: true } };
    case 'decide-no':
      return { ok: true, command: { kind: 'decide', task: task.data, approve: false, ...(tail ? { reason: tail.slice(0, 300) } : {}) } };
    case 'reject':
      if (!tail) return { ok: false, reason: '请写明驳回理由，例如「驳回 1 材料不全」。' };
      return { ok: true, command: { kind, task: task.data, reason: tail.slice(0, 300) } };
    default:
      return { ok: false, reason: '没有看懂这条回复。回复「帮助」查看可用指令。' };
  }
}

function exampleOf(kind: string): string {
  return (
    {
      acknowledge: '收到 1',
      complete: '完成 1 已报送县局',
      progress: '进度 19 60%',
      actions: '走访 12 +1',
      extension: '延期 15 2022-07-15 理由',
      'decide-yes': '同意延期 15',
      'decide-no': '不同意延期 15 理由',
      reject: '驳回 1 材料不全',
    } as Record<string, string>
  )[kind] ?? '收到 1';
}
