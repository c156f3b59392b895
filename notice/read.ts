/**
 * A notice file as it arrives from the OA system, to text the parser reads: plain text (UTF-8 or GB18030);
 * .docx through mammoth — Word's automatic list numbering (which is not in the text) written out as 「1.」,
 * runs split mid-sentence joined, table rows as lines; a PDF's text layer (pdf.ts); a task table sent as an
 * .xlsx sheet (xlsx.ts). A scan, an image or an old .doc/.xls gets a clear error saying what to do.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { decodeNotice } from './decode';
import { pdfNoticeText, PdfReadError } from './pdf';
import { gridRows, type SpannedCell } from './table-grid';
import { tableLines } from './task-table';
import { sheetNoticeText, SheetReadError } from './xlsx';
import { checkUnzippedSize, OfficeFileError } from './zip';

export { tableLines } from './task-table';

export type NoticeFormat = 'text' | 'docx' | 'pdf' | 'xlsx';

export class NoticeFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'NoticeFileError';
  }
}

const starts = (bytes: Uint8Array, ...magic: number[]) => magic.every((b, i) => bytes[i] === b);

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' };
const text = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, e: string) => ENTITIES[e] ?? '');

/**
 * mammoth's HTML as the lines a notice has: each paragraph a line; each item of a numbered list 「N.」 and its
 * text (nested lists numbered on their own); each table row its cells joined by an ideographic space, or a task
 * table's rows as tasks, cells merged down or across (rowspan, colspan) read on the table's grid.
 */
export function htmlToNoticeText(html: string): string {
  const lines: string[] = [];
  const counters: number[] = [];
  const re = /<(\/?)(p|h[1-6]|ol|ul|li|table|tr|td|th)(?:\s[^>]*)?>/g;
  let depthItem = '';
  let rows: string[][] = [];
  let spanned: SpannedCell[][] = [];
  let cells: string[] | undefined;
  let spans: SpannedCell[] = [];
  let span = { rowSpan: 1, colSpan: 1 };
  let last = 0;
  let buffer = '';
  for (const m of html.matchAll(re)) {
    buffer += html.slice(last, m.index);
    last = (m.index ?? 0) + m[0].length;
    const [, close, tag] = m;
    if (tag === 'table') {
      if (close) lines.push(...tableLines(rows, gridRows(spanned)));
      rows = [];
      spanned = [];
      continue;
    }
    if (tag === 'ol' || tag === 'ul') {
      if (close) counters.pop();
      else counters.push(tag === 'ol' ? 0 : -1);
      continue;
    }
    if (tag === 'li' && !close) {
      const top = counters.length - 1;
      if (top >= 0 && counters[top]! >= 0) {
        counters[top]! += 1;
        depthItem = `${counters[top]}.`;
      } else depthItem = '';
      buffer = '';
      continue;
    }
    if (tag === 'tr') {
      if (close && cells) {
        rows.push(cells);
        spanned.push(spans);
      }
      cells = close ? undefined : [];
      spans = [];
      continue;
    }
    if ((tag === 'td' || tag === 'th') && !close) {
      const attribute = (name: string) => Number(new RegExp(`\\s${name}="(\\d+)"`).exec(m[0])?.[1] ?? 1);
      span = { rowSpan: attribute('rowspan'), colSpan: attribute('colspan') };
    }
    if ((tag === 'td' || tag === 'th') && close) {
      const cell = text(buffer).trim();
      cells?.push(cell);
      spans.push({ text: cell, ...span });
      buffer = '';
      continue;
    }
    if (close && (tag === 'p' || tag?.startsWith('h') || tag === 'li')) {
      const line = text(buffer).trim();
      if (cells) {
        // A paragraph inside a cell: the cell collects it.
        buffer = `${line} `;
        continue;
      }
      if (line || depthItem) lines.push(`${depthItem}${line}`);
      depthItem = '';
      buffer = '';
    } else if (!close && (tag === 'p' || tag?.startsWith('h')) && !cells) buffer = '';
  }
  return lines.join('\n');
}

/** Reads a notice file of any format duban knows. */
export async function readNoticeFile(file: string): Promise<{ text: string; format: NoticeFormat }> {
  const bytes = readFileSync(file);
  if (starts(bytes, 0x25, 0x50, 0x44, 0x46)) {
    try {
      return { text: await pdfNoticeText(bytes), format: 'pdf' };
    } catch (err) {
      if (err instanceof PdfReadError) throw new NoticeFileError(file, err.message);
      throw err;
    }
  }
  if (starts(bytes, 0x89, 0x50, 0x4e, 0x47) || starts(bytes, 0xff, 0xd8, 0xff) || starts(bytes, 0x47, 0x49, 0x46)) {
    throw new NoticeFileError(file, '这是一张图片，没有文字可读：请使用通知的文字版本（.docx 或 .txt），或先做文字识别（OCR）(an image has no text: use the text, or OCR it first)');
  }
  if (starts(bytes, 0xd0, 0xcf, 0x11, 0xe0)) {
    // Old Word and old Excel share one container; the name tells them apart.
    if (/^\.(xls|et)$/i.test(extname(file))) throw new NoticeFileError(file, '这是旧版 Excel（.xls）文件：请另存为 .xlsx 后再导入 (an .xls file: save it as .xlsx)');
    throw new NoticeFileError(file, '这是旧版 Word（.doc）文件：请另存为 .docx 后再导入 (a .doc file: save it as .docx)');
  }
  // A .docx or .xlsx that would unpack to hundreds of MB is refused before mammoth or exceljs unpack it (zip.ts).
  if (starts(bytes, 0x50, 0x4b, 0x03, 0x04)) {
    try {
      checkUnzippedSize(bytes);
    } catch (err) {
      // A zip too damaged to measure is left to the readers below, whose refusal names the format it is not.
      if (err instanceof OfficeFileError && (err.code === 'TOO_LARGE_UNZIPPED' || err.code === 'TOO_MANY_PARTS')) throw new NoticeFileError(file, err.message);
      if (!(err instanceof OfficeFileError)) throw err;
    }
  }
  // An Excel workbook is a zip too: its parts are named in the zip's directory, which is not compressed.
  if (starts(bytes, 0x50, 0x4b, 0x03, 0x04) && !bytes.includes('word/document.xml') && bytes.includes('xl/workbook.xml')) {
    try {
      return { text: await sheetNoticeText(bytes, file), format: 'xlsx' };
    } catch (err) {
      if (err instanceof SheetReadError) throw new NoticeFileError(file, err.message);
      throw err;
    }
  }
  if (starts(bytes, 0x50, 0x4b, 0x03, 0x04)) {
    const mammoth = await import('mammoth');
    let html: string;
    try {
      html = (await mammoth.convertToHtml({ buffer: bytes })).value;
    } catch (err) {
      throw new NoticeFileError(file, `不是可读取的 .docx 文件（${err instanceof Error ? err.message : String(err)}）(not a readable .docx)`);
    }
    const text = htmlToNoticeText(html);
    if (!text.trim()) throw new NoticeFileError(file, '.docx 中没有文字（可能是扫描件）：请使用文字版本 (the .docx has no text: a scan?)');
    return { text, format: 'docx' };
  }
  return { text: decodeNotice(bytes).text, format: 'text' };
}
