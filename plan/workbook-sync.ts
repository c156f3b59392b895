/**
 * The cells of an .xlsx file, read synchronously. exceljs reads only asynchronously, and the directory loader
 * is synchronous with callers everywhere (worker, bot, CLI, campaign loading): rather than make each of them
 * async, the file is read by exceljs in a worker thread while this thread waits on an Atomics flag.
 */
import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';

export interface SheetCells {
  name: string;
  /** Non-empty rows, 1-based row numbers; `cells[c]` is column c (1-based) as Excel shows it, trimmed. */
  rows: { row: number; cells: Record<number, string> }[];
}

export class WorkbookReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WorkbookReadError';
  }
}

// Plain JavaScript: a worker thread has no TypeScript loader (neither under tsx nor under vitest). `cell.text`
// is what Excel shows: a merged cell's value, a hyperlink's text, a formula's result, a number without ".0".
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { port, flag, file } = workerData;
const done = (message) => { port.postMessage(message); Atomics.store(flag, 0, 1); Atomics.notify(flag, 0); };
(async () => {
  const ExcelJS = require(workerData.exceljs);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(file);
  const sheets = workbook.worksheets.map((sheet) => {
    const rows = [];
    sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
      const cells = {};
      row.eachCell({ includeEmpty: false }, (cell, col) => {
        const text = String(cell.text ?? '').trim();
        if (text) cells[col] = text;
      });
      if (Object.keys(cells).length) rows.push({ row: rowNumber, cells });
    });
    return { name: sheet.name, rows };
  });
  done({ sheets });
})().catch((err) => done({ error: String(err && err.message ? err.message : err) }));
`;

/** Reads every sheet's cells; a file exceljs cannot read (not an .xlsx, damaged) is a WorkbookReadError. */
export function readWorkbookSync(file: string, timeoutMs = 60_000): SheetCells[] {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const exceljs = createRequire(__filename).resolve('exceljs');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { port: port2, flag, file, exceljs }, transferList: [port2] });
  // Whatever goes wrong in the thread is answered through the port; an 'error' event after that has no one to tell.
  worker.on('error', () => undefined);
  worker.unref();
  try {
    if (Atomics.wait(flag, 0, 0, timeoutMs) === 'timed-out') throw new WorkbookReadError(`读取超时（${timeoutMs / 1000} 秒）(timed out reading the workbook)`);
    const reply = receiveMessageOnPort(port1)?.message as { sheets?: SheetCells[]; error?: string } | undefined;
    if (!reply?.sheets) throw new WorkbookReadError(reply?.error ?? '读取失败 (the workbook could not be read)');
    return reply.sheets;
  } finally {
    port1.close();
    void worker.terminate();
  }
}
