/**
 * The cells of an .xlsx file, read synchronously. exceljs reads only asynchronously, and the directory loader
 * is synchronous with callers everywhere (worker, bot, CLI, campaign loading): rather than make each of them
 * async, the file is read by exceljs in a worker thread while this thread waits on an Atomics flag.
 *
 * A thread that dies (out of memory, killed) cannot say so itself, and this thread, blocked in Atomics.wait,
 * cannot hear its 'error' or 'exit' events. So a small supervising thread starts the reader, hears those events
 * on its own free event loop, and answers for it at once with the real cause.
 */
import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker, type ResourceLimits } from 'node:worker_threads';

export interface SheetCells {
  name: string;
  /** Non-empty rows, 1-based row numbers; `cells[c]` is column c (1-based) as Excel shows it, trimmed. */
  rows: { row: number; cells: Record<number, string> }[];
}

export class WorkbookReadError extends Error {
  constructor(
    message: string,
    readonly code: 'TIMEOUT' | 'OUT_OF_MEMORY' | 'THREAD_EXIT' | 'UNREADABLE',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WorkbookReadError';
  }
}

/**
 * The reader's heap cap: a directory of a few thousand rows needs well under 100 MB; a workbook that needs more
 * (a million formatted empty rows, a damaged file) is refused with a clear error rather than taking the process's
 * memory (without a cap a thread's heap may grow as large as the main thread's).
 */
export const READER_LIMITS: ResourceLimits = { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 64 };

// Plain JavaScript: a worker thread has no TypeScript loader (neither under tsx nor under vitest). `cell.text`
// is what Excel shows: a merged cell's value, a hyperlink's text, a formula's result, a number without ".0".
const READER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const ExcelJS = require(workerData.exceljs);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(workerData.file);
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
  parentPort.postMessage({ sheets });
})().catch((err) => parentPort.postMessage({ error: String(err && err.message ? err.message : err), code: 'UNREADABLE' }));
`;

// The supervisor: relays the reader's answer, or the reason it has none, then wakes the waiting thread.
const SUPERVISOR_SOURCE = `
const { Worker, workerData } = require('node:worker_threads');
const { port, flag, reader, limits, ...readerData } = workerData;
let answered = false;
const done = (message) => {
  if (answered) return;
  answered = true;
  port.postMessage(message);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
};
const thread = new Worker(reader, { eval: true, workerData: readerData, resourceLimits: limits });
thread.on('message', (message) => { done(message); void thread.terminate(); });
thread.on('error', (err) => done({ error: String(err && err.message ? err.message : err), code: err && err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'OUT_OF_MEMORY' : 'THREAD_EXIT' }));
thread.on('exit', (exitCode) => done({ error: 'exit code ' + exitCode, code: 'THREAD_EXIT' }));
`;

/**
 * Reads every sheet's cells. A file exceljs cannot read (not an .xlsx, damaged), a reader that runs out of
 * memory or dies, and a read that takes longer than `timeoutMs` are each a WorkbookReadError saying which.
 */
export function readWorkbookSync(file: string, options: { timeoutMs?: number; limits?: ResourceLimits } = {}): SheetCells[] {
  const { timeoutMs = 60_000, limits = READER_LIMITS } = options;
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const exceljs = createRequire(__filename).resolve('exceljs');
  const supervisor = new Worker(SUPERVISOR_SOURCE, {
    eval: true,
    workerData: { port: port2, flag, reader: READER_SOURCE, limits, file, exceljs },
    transferList: [port2],
  });
  // Whatever goes wrong in the threads is answered through the port; an 'error' event after that has no one to tell.
  supervisor.on('error', () => undefined);
  supervisor.unref();
  try {
    if (Atomics.wait(flag, 0, 0, timeoutMs) === 'timed-out') {
      throw new WorkbookReadError(`读取超时（${timeoutMs / 1000} 秒）(timed out reading the workbook)`, 'TIMEOUT');
    }
    const reply = receiveMessageOnPort(port1)?.message as { sheets?: SheetCells[]; error?: string; code?: WorkbookReadError['code'] } | undefined;
    if (reply?.sheets) return reply.sheets;
    if (reply?.code === 'OUT_OF_MEMORY') {
      throw new WorkbookReadError(
        `读取时内存不足（上限 ${limits.maxOldGenerationSizeMb ?? '?'} MB），文件可能过大或已损坏：请删去多余的工作表和空行、清除整列格式后另存为 .xlsx 再试 (ran out of memory reading the workbook: ${reply.error})`,
        'OUT_OF_MEMORY',
      );
    }
    if (reply?.code === 'THREAD_EXIT') throw new WorkbookReadError(`读取线程意外退出 (the reading thread died: ${reply.error})`, 'THREAD_EXIT');
    throw new WorkbookReadError(reply?.error ?? '读取失败 (the workbook could not be read)', 'UNREADABLE');
  } finally {
    port1.close();
    void supervisor.terminate();
  }
}
