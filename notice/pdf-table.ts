/**
 * A task table (任务分解表) in a PDF's text layer. A PDF has no table, only runs of text placed on the page; a
 * table printed from Word or a browser leaves each cell's text as runs of its own, on the row's baselines. The
 * table is found by its header row — the header words task-table.ts knows, a header cell's wrapped lines
 * (「完成/时限」 in a narrow column) read as one — and the header cells give the columns: a run belongs to the
 * column whose header text it starts after (a header may be centred in its cell, the body left-aligned, so the
 * end of the header text before it, not the start of its own, is the bound). A row begins at a 序号 number in the
 * first column and its cells' wrapped lines follow, up to the next number (rowStarts: also for cells centred in
 * their row). The table ends at a line that does not sit in the columns (a paragraph across them), a line
 * holding only a date (the notice's, under the table, as in the .xlsx reader), or a gap wider than a row's; a
 * header the browser repeats on the next page is skipped. The rows go to the same task-table logic as a .docx
 * or .xlsx table. Sub-rows under a merged 序号 cannot be told from wrapped lines here (Word sets no space between
 * rows), so their cells are joined into the task's.
 */
import type { PdfTextItem } from './pdf-text-item';
import { taskTableColumns, taskTableLine, type TaskTableColumns } from './task-table';

/** A line of a PDF page: runs on one baseline. */
export interface PdfLine {
  page: number;
  y: number;
  size: number;
  items: PdfTextItem[];
}

/** A task table found in a page's lines: lines [start, end) are the table, `tasks` its rows as task lines. */
export interface PdfTable {
  start: number;
  end: number;
  tasks: string[];
}

interface Column {
  left: number;
  right: number;
  text: string;
}

interface Header {
  at: TaskTableColumns;
  columns: Column[];
  /** How many lines the header takes (a header cell may wrap). */
  lines: number;
}

/** A header cell's wrapped lines sit below one another, at most this many font sizes apart. */
const HEADER_LINE_GAP = 2;
/** A header may wrap over up to this many lines. */
const HEADER_LINES = 3;
/** A gap between baselines wider than this many font sizes is not inside a table (rows are closer). */
const ROW_GAP = 3;
/** Runs this close (in font sizes) are one text; cells are set further apart by their padding and border. */
const TOUCHING = 0.1;
/** A gap between rows is wider than a cell's line spacing by at least this many font sizes (padding and border). */
const CLEARLY_WIDER = 0.2;
const DATE_ONLY = /^\d{4}年\d{1,2}月\d{1,2}日$/;
const ROW_NUMBER = /^(\d{1,3})[.．、]?$/;

/** Joins the text of a wrapped line: Latin words were wrapped at a space, Chinese anywhere. */
export function joinWrapped(a: string, b: string): string {
  return /[A-Za-z0-9.,;:%)]$/.test(a) && /^[A-Za-z0-9(]/.test(b) ? `${a} ${b}` : a + b;
}

const visible = (items: PdfTextItem[]) => items.filter((i) => i.str.trim() !== '');

/** Runs in reading order with text drawn twice a hair apart (fake bold) once. */
function runs(items: PdfTextItem[]): PdfTextItem[] {
  const sorted = visible(items).sort((a, b) => a.x - b.x);
  return sorted.filter((r, i) => {
    const before = sorted[i - 1];
    return !(before && before.str === r.str && Math.abs(before.x - r.x) < 0.2 * r.size);
  });
}

/** The header cells of lines [from, from + count): runs that overlap across the lines, or touch on one, are one cell. */
function headerCells(lines: PdfLine[], from: number, count: number): Column[] {
  const cells: Column[] = [];
  for (const line of lines.slice(from, from + count)) {
    for (const run of runs(line.items)) {
      const slack = 0.25 * run.size;
      const cell = cells.find((c) => run.x <= c.right + slack && run.x + run.width >= c.left - slack);
      if (cell) {
        cell.left = Math.min(cell.left, run.x);
        cell.right = Math.max(cell.right, run.x + run.width);
        cell.text += run.str.trim();
      } else cells.push({ left: run.x, right: run.x + run.width, text: run.str.trim() });
    }
  }
  return cells.sort((a, b) => a.left - b.left);
}

/** The task table header starting at line `i`, over as many lines as name the most columns; it needs a 序号 column. */
function headerAt(lines: PdfLine[], i: number): Header | undefined {
  let best: (Header & { found: number }) | undefined;
  for (let count = 1; count <= HEADER_LINES && i + count <= lines.length; count++) {
    const last = lines[i + count - 1];
    const before = count > 1 ? lines[i + count - 2] : undefined;
    if (last && before && (last.page !== before.page || before.y - last.y > HEADER_LINE_GAP * last.size)) break;
    const columns = headerCells(lines, i, count);
    const at = taskTableColumns(columns.map((c) => c.text));
    if (!at || at.number < 0) continue;
    const found = Object.values(at).filter((n) => n >= 0).length;
    if (!best || found > best.found) best = { at, columns, lines: count, found };
  }
  return best && { at: best.at, columns: best.columns, lines: best.lines };
}

/** A line's text per column, or undefined when a run does not sit inside one column (a paragraph across them). */
function cellsOf(line: PdfLine, columns: Column[]): string[] | undefined {
  const cells = columns.map(() => '');
  let index = 0;
  let end: number | undefined;
  for (const run of runs(line.items)) {
    // A run that goes on where the one before it stopped (a character in another font) is the same cell's text;
    // any other belongs to the column after the last header text that ends before it starts.
    if (end === undefined || run.x > end + TOUCHING * run.size) index = Math.min(columns.filter((c) => c.right <= run.x + 0.1 * run.size).length, columns.length - 1);
    end = run.x + run.width;
    const next = columns[index + 1];
    if (next && run.x + run.width > next.left + 0.5 * run.size) return undefined;
    cells[index] += run.str.trim();
  }
  return cells;
}

/** The lines of a page that head a task table: not page furniture, though a browser repeats them atop every page. */
export function tableHeaderLines<Line extends PdfLine>(lines: Line[]): Set<Line> {
  const heads = new Set<Line>();
  for (let i = 0; i < lines.length; i++) {
    const header = headerAt(lines, i);
    if (header) lines.slice(i, i + header.lines).forEach((l) => heads.add(l));
  }
  return heads;
}

/**
 * Where each row starts, given the lines with a 序号 number. A row starts at its number — cells set at the top of
 * their row, as Word sets them — unless, between the number before and this one, one gap between baselines on a
 * page is clearly wider than the others: rows are set apart by their cells' padding and border, a cell's wrapped
 * lines are not, so cells centred in their row (a browser's default) start the row at that gap, above its number.
 * The first row starts right under the header.
 */
export function rowStarts(lines: PdfLine[], numbered: number[]): number[] {
  return numbered.map((b, r) => {
    if (r === 0) return 0;
    const gaps: { at: number; gap: number }[] = [];
    for (let m = (numbered[r - 1] ?? 0) + 1; m <= b; m++) {
      const above = lines[m - 1];
      const line = lines[m];
      if (above && line && above.page === line.page) gaps.push({ at: m, gap: above.y - line.y });
    }
    const widest = Math.max(...gaps.map((g) => g.gap));
    const others = gaps.filter((g) => g.gap < widest - CLEARLY_WIDER * (lines[b]?.size ?? 0));
    // With no gap clearly wider (Word's rows have no padding, or a page break comes between), the number decides.
    if (others.length === 0 || gaps.length !== others.length + 1) return b;
    return gaps.find((g) => !others.includes(g))?.at ?? b;
  });
}

/** The task tables among a PDF's lines (in reading order, page furniture removed). */
export function pdfTables(lines: PdfLine[]): PdfTable[] {
  const tables: PdfTable[] = [];
  for (let i = 0; i < lines.length; i++) {
    const header = headerAt(lines, i);
    if (!header) continue;
    const { at, columns } = header;
    const names = columns.map((c) => c.text).join('|');
    const body: { line: PdfLine; cells: string[] }[] = [];
    /** Indices in `body` of the lines with a 序号 number. */
    const numbered: number[] = [];
    let previous = lines[i + header.lines - 1];
    let j = i + header.lines;
    while (j < lines.length) {
      const line = lines[j]!;
      if (previous && line.page !== previous.page) {
        // The browser repeats a table's header at the top of the next page.
        const again = headerAt(lines, j);
        if (again && again.columns.map((c) => c.text).join('|') === names) {
          j += again.lines;
          previous = lines[j - 1];
          continue;
        }
      } else if (previous && previous.y - line.y > ROW_GAP * line.size) break;
      const cells = cellsOf(line, columns);
      if (!cells || DATE_ONLY.test(cells.join(''))) break;
      const number = ROW_NUMBER.exec(cells[at.number] ?? '');
      if (number) {
        numbered.push(body.length);
        cells[at.number] = number[1] ?? '';
      }
      body.push({ line, cells });
      previous = line;
      j++;
    }
    if (numbered.length === 0) continue;
    const rows = rowStarts(body.map((b) => b.line), numbered).map((from, r, starts) => {
      const row = columns.map(() => '');
      for (const { cells } of body.slice(from, starts[r + 1] ?? body.length)) {
        cells.forEach((c, k) => {
          if (c) row[k] = row[k] ? joinWrapped(row[k] ?? '', c) : c;
        });
      }
      return row;
    });
    tables.push({ start: i, end: j, tasks: rows.flatMap((row, k) => taskTableLine(at, [row], k) ?? []) });
    i = j - 1;
  }
  return tables;
}
