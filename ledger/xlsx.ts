/**
 * The 台账 as an .xlsx: sheet 台账, a bold frozen header, widths that fit, filters, dates as real Excel dates (so
 * a clerk can sort and filter by them) shown in Beijing time, the level cell coloured as on the dashboard.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { FileExistsError } from '../plan/errors';
import type { Level } from '../workflows/types';
import type { LedgerRow } from './rows';

export const LEDGER_SHEET = '台账';
/** Added only when some duties' details could not be read, and the workbook opens on it. */
export const NOTE_SHEET = '说明';

type Key = keyof Omit<LedgerRow, 'levelKey' | 'taskNumber' | 'dutyId'>;

export const LEDGER_COLUMNS: { key: Key; header: string; width: number; date?: 'day' | 'minute'; wrap?: boolean }[] = [
  { key: 'index', header: '序号', width: 6 },
  { key: 'task', header: '任务', width: 34, wrap: true },
  { key: 'unit', header: '单位', width: 20 },
  { key: 'code', header: '回复码', width: 8 },
  { key: 'item', header: '事项', width: 22 },
  { key: 'deadline', header: '截止日期', width: 12, date: 'day' },
  { key: 'status', header: '状态', width: 18 },
  { key: 'level', header: '督办等级', width: 11 },
  { key: 'acknowledgedBy', header: '确认人', width: 18 },
  { key: 'acknowledgedAt', header: '确认时间', width: 17, date: 'minute' },
  { key: 'completedBy', header: '办结人', width: 18 },
  { key: 'completedAt', header: '办结时间', width: 17, date: 'minute' },
  { key: 'completionNote', header: '办结说明', width: 36, wrap: true },
  { key: 'extensions', header: '延期', width: 36, wrap: true },
  { key: 'remindersSent', header: '已发提醒（次）', width: 10 },
  { key: 'escalationsSent', header: '已发督办（次）', width: 10 },
  { key: 'undelivered', header: '未送达（次）', width: 10 },
];

const LEVEL_FILL: Partial<Record<Level, string>> = { blue: 'FFDDEBF7', yellow: 'FFFFF2CC', red: 'FFF8CBAD', green: 'FFE2EFDA' };

/**
 * Excel dates have no time zone: a cell shows the serial's wall time. 'YYYY-MM-DD[ HH:mm]' (Beijing) becomes the
 * Date whose UTC reading is that wall time, which exceljs writes as that serial.
 */
export function excelDate(text: string): Date | null {
  if (!text) return null;
  return new Date(`${text.replace(' ', 'T')}${text.length > 10 ? ':00' : 'T00:00:00'}Z`);
}

export interface LedgerMeta {
  title: string;
  generatedAt: string;
  /** Duties whose own state could not be read: their who, notes and extensions are blank, and the sheet 说明 says so. */
  unread?: readonly string[];
}

/** In a page header & starts a code (&D is the date, &P the page): a literal & is written &&. */
function headerText(text: string): string {
  return text.replaceAll('&', '&&');
}

export function ledgerWorkbook(rows: LedgerRow[], meta: LedgerMeta): ExcelJS.Workbook {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'duban';
  workbook.title = meta.title;
  const sheet = workbook.addWorksheet(LEDGER_SHEET, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = LEDGER_COLUMNS.map((c) => ({
    header: c.header,
    key: c.key,
    width: c.width,
    style: {
      ...(c.date ? { numFmt: c.date === 'day' ? 'yyyy-mm-dd' : 'yyyy-mm-dd hh:mm' } : {}),
      alignment: { vertical: 'top', ...(c.wrap ? { wrapText: true } : {}) },
    },
  }));
  for (const r of rows) {
    const values: Record<string, unknown> = {};
    for (const c of LEDGER_COLUMNS) values[c.key] = c.date ? excelDate(r[c.key] as string) : r[c.key];
    const row = sheet.addRow(values);
    const fill = LEVEL_FILL[r.levelKey];
    if (fill) row.getCell('level').fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: fill } };
  }
  const header = sheet.getRow(1);
  header.font = { bold: true };
  header.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true };
  header.eachCell((cell) => {
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFD9D9D9' } };
    cell.border = { bottom: { style: 'thin' } };
  });
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: LEDGER_COLUMNS.length } };
  // When it was taken goes in the page header of a printout, not in a row: every row below the header is a duty.
  sheet.headerFooter.oddHeader = `&L${headerText(meta.title)}&R${headerText(`导出时间 ${meta.generatedAt}（北京时间）`)}`;
  sheet.pageSetup = { orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: '1:1' };
  addUnreadNote(workbook, rows, meta.unread ?? []);
  return workbook;
}

/**
 * Blank 确认人 or 办结人 cells look like "nobody did it". When some duties' state could not be read, a sheet 说明
 * lists them, and the workbook opens on it, so no one takes the blanks for the answer.
 */
function addUnreadNote(workbook: ExcelJS.Workbook, rows: LedgerRow[], unread: readonly string[]): void {
  const ids = new Set(unread);
  const missing = rows.filter((r) => ids.has(r.dutyId));
  if (!missing.length) return;
  // (tabSelected, the tab shown on opening, is exceljs API its type declarations leave out.)
  const note = workbook.addWorksheet(NOTE_SHEET, { views: [{ tabSelected: true } as Partial<ExcelJS.WorksheetView>] });
  note.columns = [{ width: 8 }, { width: 34 }, { width: 20 }, { width: 8 }, { width: 12 }];
  const line = note.addRow([
    `注意：以下 ${missing.length} 项任务的办理详情未能读取（督办系统暂时无法查询，或其记录已过保留期限），` +
      `“${LEDGER_SHEET}”中这些行的确认人、办结人、办结说明和延期栏为空，不表示无人确认或办结。请稍后重新导出，或在督办看板中逐项核对。`,
  ]);
  note.mergeCells(line.number, 1, line.number, 5);
  line.height = 48;
  line.alignment = { wrapText: true, vertical: 'top' };
  line.font = { bold: true, color: { argb: 'FFC00000' } };
  const header = note.addRow([`“${LEDGER_SHEET}”序号`, '任务', '单位', '回复码', '截止日期']);
  header.font = { bold: true };
  for (const r of missing) note.addRow([r.index, r.task, r.unit, r.code, r.deadline]);
  workbook.views = [{ x: 0, y: 0, width: 20000, height: 12000, firstSheet: 0, activeTab: workbook.worksheets.indexOf(note), visibility: 'visible' }];
}

export async function ledgerXlsx(rows: LedgerRow[], meta: LedgerMeta): Promise<Buffer> {
  return Buffer.from(await ledgerWorkbook(rows, meta).xlsx.writeBuffer());
}

export const OVERWRITE_HINT = '加 --force 覆盖，或换一个文件名';

/**
 * Writes the 台账 to a new file; an existing file (it may be the filled-in directory, units.xlsx) is refused unless
 * `force`. Replacing goes through a temporary file renamed, so an open old copy is never half-replaced, and the
 * temporary file never stays behind.
 */
export async function writeLedgerFile(file: string, rows: LedgerRow[], meta: LedgerMeta, options: { force?: boolean } = {}): Promise<void> {
  const bytes = await ledgerXlsx(rows, meta);
  if (!options.force) {
    try {
      // 'wx': created here or not at all, even if the file appeared since the command checked.
      writeFileSync(file, bytes, { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new FileExistsError(file, OVERWRITE_HINT);
      rmSync(file, { force: true }); // a half-written new file (disk full): ours, and useless
      throw err;
    }
    return;
  }
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}
