/** Task tables (任务分解表 / 任务清单) in a .docx, an .xlsx or a PDF: their columns, and each row as a task the parser reads. */
import type { GridRow } from './table-grid';

const IDEOGRAPHIC_SPACE = '\u3000';

/** The columns of a task table (任务分解表 / 任务清单), by their headers and common variants. */
const COLUMNS = {
  number: /^(序号|编号)$/,
  task: /^(重点任务|主要任务|工作任务|任务名称|任务|工作事项|事项)$/,
  detail: /^(具体内容|工作内容|主要内容|具体措施|主要措施|工作措施|任务内容)$/,
  lead: /^(牵头单位|责任单位|牵头部门|责任部门)$/,
  co: /^(配合单位|协助单位|配合部门)$/,
  due: /^(完成时限|时间节点|完成时间|时限要求|时限)$/,
};

export interface TaskTableColumns {
  number: number;
  task: number;
  detail: number;
  lead: number;
  co: number;
  due: number;
}

/** Where a task table's columns are, from its header row; undefined when the row does not head a task table (no task or no lead column). */
export function taskTableColumns(header: string[]): TaskTableColumns | undefined {
  const names = header.map((c) => c.replace(/\s+/g, ''));
  const col = (re: RegExp) => names.findIndex((h) => re.test(h));
  const at = { number: col(COLUMNS.number), task: col(COLUMNS.task), detail: col(COLUMNS.detail), lead: col(COLUMNS.lead), co: col(COLUMNS.co), due: col(COLUMNS.due) };
  return (at.task < 0 && at.detail < 0) || at.lead < 0 ? undefined : at;
}

/** A 完成时限 cell that is only a date (「6月30日」, 「2024-06-30」, an Excel date) is the date the task is due by. */
function dueText(due: string): string {
  const iso = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(due);
  if (iso) return `${iso[1]}年${Number(iso[2])}月${Number(iso[3])}日前`;
  return /^(\d{4}年)?\d{1,2}月\d{1,2}日$/.test(due) ? `${due}前` : due;
}

/** The units in cells such as 「县财政局、县农业农村局」, each once, in order. */
function unitsOf(cells: string[]): string[] {
  return [...new Set(cells.flatMap((c) => c.split(/[、,，;；]/)).map((u) => u.trim()).filter(Boolean))];
}

/**
 * One task of a task table as a numbered task in the form the notice parser reads —
 * 「N.任务。具体内容。完成时限：…。（牵头单位：A；配合单位：B）」 — so its deadlines and cadences (「6月底前」,
 * 「每季度末」, 「每月」) are found as in a paragraph; undefined for a row with no task. A task is one row, or
 * several when its 序号 cell is merged down them (a clerk's sub-rows): each sub-row's 具体内容 then comes with its
 * own 完成时限, and the units of every sub-row are the task's (the first lead leads, the others join the
 * co-units). `index` numbers a task whose 序号 cell is not a number.
 */
export function taskTableLine(at: TaskTableColumns, rows: string[][], index: number): string | undefined {
  const column = (i: number) => rows.map((row) => (i >= 0 ? (row[i] ?? '').trim() : ''));
  const sentence = (t: string) => (t && !/[。；;]$/.test(t) ? `${t}。` : t);
  const details = column(at.detail);
  const task = [...new Set(column(at.task).filter(Boolean))].join('；') || details.find(Boolean) || '';
  if (!task) return undefined;
  const first = column(at.number)[0] ?? '';
  const number = /^\d{1,3}$/.test(first) ? first : String(index + 1);
  // With no 重点任务 column the first 具体内容 is the task's name, not also its content.
  const contents = at.task >= 0 ? details : details.map((d, i) => (i === details.findIndex(Boolean) ? '' : d));
  const dues = column(at.due).map(dueText);
  // One deadline for the whole task (or a 完成时限 merged down its sub-rows) closes it; different ones follow their sub-row.
  const oneDue = new Set(dues.filter(Boolean)).size <= 1;
  const shown = new Set<string>();
  let body = '';
  dues.forEach((due, i) => {
    const content = contents[i] ?? '';
    if (content && !shown.has(content)) body += sentence(content);
    shown.add(content);
    if (!oneDue && due && due !== dues[i - 1]) body += sentence(`完成时限：${due}`);
  });
  const due = dues.find(Boolean);
  if (oneDue && due) body += sentence(`完成时限：${due}`);
  const leads = rows.length === 1 ? column(at.lead) : unitsOf(column(at.lead));
  const lead = leads.join('、');
  const co = rows.length === 1 ? (column(at.co)[0] ?? '') : unitsOf(column(at.co)).filter((u) => !leads.includes(u)).join('、');
  // A 责任单位 cell lists the lead first (the parser's 责任单位 form); 牵头单位 with 配合单位 keeps both.
  const who = at.co >= 0 ? `（牵头单位：${lead}${co ? `；配合单位：${co}` : ''}）` : `（责任单位：${lead}）`;
  return `${number}.${sentence(task)}${body}${who}`;
}

/** A task table's body rows, each with the rows its 序号 cell is merged down over: one task each. */
export interface TaskRows {
  /** The first row's index among the body rows (what numbers a task whose 序号 is not a number). */
  index: number;
  rows: string[][];
}

/**
 * Groups a task table's body rows into tasks: a row starts a task unless its 序号 cell is merged down from the
 * row that started the task before it. `mergedFrom` (per row, per column) is that row's index among `rows`.
 */
export function taskRows(at: TaskTableColumns, rows: { cells: string[]; mergedFrom?: (number | undefined)[] }[]): TaskRows[] {
  const tasks: TaskRows[] = [];
  rows.forEach((row, i) => {
    const open = tasks.at(-1);
    if (open && at.number >= 0 && row.mergedFrom?.[at.number] === open.index) open.rows.push(row.cells);
    else tasks.push({ index: i, rows: [row.cells] });
  });
  return tasks;
}

/**
 * A table's rows as lines: a task table's rows as numbered tasks (taskTableLine) — sub-rows under a merged 序号
 * as one task when `grid` gives the rows on their grid (table-grid.ts) —, any other table's cells side by side.
 */
export function tableLines(rows: string[][], grid?: GridRow[]): string[] {
  const header = grid?.[0]?.cells ?? rows[0] ?? [];
  const at = taskTableColumns(header);
  if (!at) return rows.map((r) => r.join(IDEOGRAPHIC_SPACE));
  const body = grid ? grid.slice(1).map((g) => ({ cells: g.cells, mergedFrom: g.mergedFrom.map((m) => (m === undefined ? undefined : m - 1)) })) : rows.slice(1).map((cells) => ({ cells }));
  return taskRows(at, body).flatMap((task) => taskTableLine(at, task.rows, task.index) ?? []);
}
