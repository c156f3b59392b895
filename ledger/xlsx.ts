/**
 * The 台账 as an .xlsx: sheet 台账, a bold frozen header, widths that fit, filters, dates as real Excel dates (so
 * a clerk can sort and filter by them) shown in Beijing time, the level cell coloured as on the dashboard.
 */
import { renameSync, writeFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import type { Level } from '../workflows/types';
import type { LedgerRow } from './rows';

export const LEDGER_SHEET = '台账';

type Key = keyof Omit<LedgerRow, 'levelKey' | 'taskNumber'>;

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

export function ledgerWorkbook(rows: LedgerRow[], meta: { title: string; generatedAt: string }): ExcelJS.Workbook {
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
  sheet.headerFooter.oddHeader = `&L${meta.title}&R导出时间 ${meta.generatedAt}（北京时间）`;
  sheet.pageSetup = { orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: '1:1' };
  return workbook;
}

export async function ledgerXlsx(rows: LedgerRow[], meta: { title: string; generatedAt: string }): Promise<Buffer> {
  return Buffer.from(await ledgerWorkbook(rows, meta).xlsx.writeBuffer());
}

/** Writes the file whole or not at all (a temporary file renamed), so an open old copy is never half-replaced. */
export async function writeLedgerFile(file: string, rows: LedgerRow[], meta: { title: string; generatedAt: string }): Promise<void> {
  const bytes = await ledgerXlsx(rows, meta);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}
