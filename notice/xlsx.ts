/**
 * A task table sent as an Excel sheet (任务分解表.xlsx): the first visible sheet with a task table's header row
 * (the columns a .docx task table has) becomes the notice's tasks, one per row, exactly as the .docx table's
 * rows do — or one per group of rows when a 序号 cell is merged down them; hidden rows (a cancelled task) are
 * left out. The text has one line per sheet row, so a task's `line` — and an error's — is its row in the sheet.
 * Rows above the header (the table's title, a date) are kept as the notice's title and date; a sheet with
 * none takes the file's name as its title, which is where such files carry it.
 */
import { basename, extname } from 'node:path';
import type { Cell, CellValue, Worksheet } from 'exceljs';
import { taskTableColumns, taskTableLine } from './task-table';

export class SheetReadError extends Error {
  constructor(
    readonly code: 'NOT_A_WORKBOOK' | 'NO_TASK_SHEET',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SheetReadError';
  }
}

/** How far down a header row may sit (below a title, a date, a note). */
const HEADER_SEARCH_ROWS = 10;
const IDEOGRAPHIC_SPACE = '\u3000';
/** A row that holds only a date: the notice's date, which the parser looks for on a line of its own. */
const DATE_ROW = /^\d{4}年\d{1,2}月\d{1,2}日$/;

/** What a cell shows, as text: rich text joined, a formula's result, a date as 「2024年6月30日」. */
export function cellText(value: CellValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return `${value.getUTCFullYear()}年${value.getUTCMonth() + 1}月${value.getUTCDate()}日`;
  if (typeof value !== 'object') return String(value).trim();
  if ('richText' in value) return value.richText.map((r) => r.text).join('').trim();
  if ('result' in value) return value.result === undefined ? '' : cellText(value.result as CellValue);
  if ('text' in value) return String(value.text).trim();
  return '';
}

/** A cell as the sheet shows it: a merged range's text once across a row, and in every row it spans down. */
function shown(cell: Cell): string {
  if (cell.isMerged && cell.master !== cell) return cell.master.row === cell.row ? '' : cellText(cell.master.value);
  // A line break inside a cell (Alt+Enter) is a paragraph inside a .docx cell: joined by a space.
  return cellText(cell.value).replace(/\s*\n\s*/g, ' ');
}

interface SheetRow {
  cells: string[];
  hidden: boolean;
  /** Per column: the row a cell merged down from above starts on (1-based); undefined for any other cell. */
  mergedFrom: (number | undefined)[];
}

function rowsOf(sheet: Worksheet): SheetRow[] {
  const rows: SheetRow[] = [];
  for (let r = 1; r <= sheet.rowCount; r++) {
    const row = sheet.getRow(r);
    const cells: string[] = [];
    const mergedFrom: (number | undefined)[] = [];
    for (let c = 1; c <= sheet.columnCount; c++) {
      const cell = row.getCell(c);
      cells.push(shown(cell));
      mergedFrom.push(cell.isMerged && cell.master.row !== cell.row ? Number(cell.master.row) : undefined);
    }
    rows.push({ cells, hidden: row.hidden, mergedFrom });
  }
  return rows;
}

/** The notice text of a workbook's task sheet. */
export async function sheetNoticeText(bytes: Uint8Array, file: string): Promise<string> {
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  } catch (err) {
    throw new SheetReadError('NOT_A_WORKBOOK', `不是可读取的 .xlsx 文件（${err instanceof Error ? err.message : String(err)}）(not a readable .xlsx)`, { cause: err });
  }
  const seen: string[] = [];
  for (const sheet of workbook.worksheets) {
    if (sheet.state !== 'visible') continue;
    seen.push(sheet.name);
    const rows = rowsOf(sheet);
    const headerIndex = rows.slice(0, HEADER_SEARCH_ROWS).findIndex((r) => taskTableColumns(r.cells) !== undefined);
    if (headerIndex < 0) continue;
    const at = taskTableColumns(rows[headerIndex]?.cells ?? []);
    if (!at) continue;
    const above = rows.slice(0, headerIndex).map((r) => r.cells.filter(Boolean).join(IDEOGRAPHIC_SPACE));
    // The header's own line carries the title when nothing above it does.
    const lines = [...above, above.some(Boolean) ? '' : basename(file, extname(file))];
    // A task is a row and the rows its 序号 cell is merged down over; the text keeps one line per sheet row, the
    // task on its first row, so a task's line is its row in the sheet. Hidden rows (a cancelled task) are left out.
    const tasks: { line: number; index: number; rows: string[][] }[] = [];
    rows.slice(headerIndex + 1).forEach((row, i) => {
      lines.push('');
      if (row.hidden) return;
      const open = tasks.at(-1);
      // lines[k] is sheet row k + 1.
      if (open && at.number >= 0 && row.mergedFrom[at.number] === open.line + 1) open.rows.push(row.cells);
      else tasks.push({ line: lines.length - 1, index: i, rows: [row.cells] });
    });
    for (const task of tasks) {
      const rest = task.rows[0]?.filter(Boolean) ?? [];
      // Notes under the table (「注：…」) are not tasks; a date alone is the notice's.
      lines[task.line] = taskTableLine(at, task.rows, task.index) ?? (rest.length === 1 && DATE_ROW.test(rest[0] ?? '') ? (rest[0] ?? '') : '');
    }
    return lines.join('\n');
  }
  const names = seen.length ? seen.map((n) => `「${n}」`).join('') : '（没有可见的工作表）';
  throw new SheetReadError(
    'NO_TASK_SHEET',
    `没有找到任务表：工作表${names}的前 ${HEADER_SEARCH_ROWS} 行中都没有含「重点任务」（或「工作任务」「具体内容」）和「牵头单位」（或「责任单位」）列的表头行 (no sheet has a task table's header row; sheets seen: ${seen.join(', ') || 'none'})`,
  );
}
