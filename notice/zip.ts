/**
 * A look inside an Office file (.docx, .xlsx: zip archives) before any reader opens it. A zip states each part's
 * unpacked size, and a "zip bomb" is a small file that unpacks to hundreds of MB: mammoth and exceljs unpack every
 * part into memory, so such an upload would take the dashboard's process down. The stated sizes are checked first;
 * since they can lie, every part is then unpacked here with a cap on what it may produce, and reading stops at it.
 * Also found here, for uploads: macros (vbaProject.bin) and formulas in a workbook.
 */
import { inflateRawSync } from 'node:zlib';

/** What an Office file may unpack to in all. A long notice with pictures is a few MB; a directory far less. */
export const UNZIPPED_LIMIT = 100 * 1024 * 1024;
/** Parts: a .docx has about 20, a workbook one per sheet and a few more. */
const ENTRY_LIMIT = 2_000;

export class OfficeFileError extends Error {
  constructor(
    readonly code: 'NOT_A_ZIP' | 'TOO_LARGE_UNZIPPED' | 'TOO_MANY_PARTS' | 'UNSUPPORTED_ZIP' | 'MACROS' | 'FORMULAS',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OfficeFileError';
  }
}

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  /** As the archive states it (checked against what unpacking gives). */
  size: number;
  localOffset: number;
}

const mb = (n: number) => Math.round(n / 1024 / 1024);
const tooLarge = (what: string) =>
  new OfficeFileError(
    'TOO_LARGE_UNZIPPED',
    `文件解压后超过 ${mb(UNZIPPED_LIMIT)} MB（${what}），不像正常的通知或通讯录，未读取：请在 Word/Excel 中打开后“另存为”新文件，删去大图片或嵌入的文件后再上传 (unpacks past the limit: not read)`,
  );

/** The parts listed in the archive's central directory. */
export function zipEntries(bytes: Buffer): ZipEntry[] {
  // The end record sits in the last 22 bytes plus at most a 64 KiB comment.
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65_535); i--) {
    if (bytes.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new OfficeFileError('NOT_A_ZIP', '文件不完整或已损坏（不是完整的 Office 文件）：请重新保存或重新下载后上传 (not a complete zip archive)');
  const count = bytes.readUInt16LE(end + 10);
  const cdOffset = bytes.readUInt32LE(end + 16);
  // Zip64 (a part or archive past 4 GB, or 65,535 parts) is not what a notice is.
  if (count === 0xffff || cdOffset === 0xffffffff) throw tooLarge('超大压缩格式 zip64');
  if (count > ENTRY_LIMIT) throw new OfficeFileError('TOO_MANY_PARTS', `文件包含 ${count} 个部件，不像正常的 Office 文件，未读取：请另存为新文件后上传 (too many parts)`);
  const entries: ZipEntry[] = [];
  let at = cdOffset;
  for (let n = 0; n < count; n++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== 0x02014b50) throw new OfficeFileError('NOT_A_ZIP', '文件目录已损坏：请重新保存后上传 (corrupt central directory)');
    const nameLength = bytes.readUInt16LE(at + 28);
    const extraLength = bytes.readUInt16LE(at + 30);
    const commentLength = bytes.readUInt16LE(at + 32);
    const entry = {
      method: bytes.readUInt16LE(at + 10),
      compressedSize: bytes.readUInt32LE(at + 20),
      size: bytes.readUInt32LE(at + 24),
      localOffset: bytes.readUInt32LE(at + 42),
      name: bytes.toString('utf8', at + 46, at + 46 + nameLength),
    };
    if (entry.size === 0xffffffff || entry.compressedSize === 0xffffffff) throw tooLarge('超大压缩格式 zip64');
    entries.push(entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** One part unpacked, producing at most `max` bytes (throws past it, having produced no more). */
export function unzipEntry(bytes: Buffer, entry: ZipEntry, max: number): Buffer {
  const at = entry.localOffset;
  if (at + 30 > bytes.length || bytes.readUInt32LE(at) !== 0x04034b50) throw new OfficeFileError('NOT_A_ZIP', `部件 ${entry.name} 已损坏：请重新保存后上传 (corrupt part)`);
  const start = at + 30 + bytes.readUInt16LE(at + 26) + bytes.readUInt16LE(at + 28);
  const data = bytes.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) {
    if (data.length > max) throw tooLarge(entry.name);
    return data;
  }
  if (entry.method !== 8) throw new OfficeFileError('UNSUPPORTED_ZIP', `部件 ${entry.name} 的压缩方式（${entry.method}）不是 Word/Excel 所用的：请在 Word/Excel 中另存为后上传 (unsupported compression)`);
  try {
    // maxOutputLength stops the inflater itself: a lying stated size cannot make it produce more.
    return inflateRawSync(data, { maxOutputLength: Math.max(1, max) });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(entry.name);
    throw new OfficeFileError('NOT_A_ZIP', `部件 ${entry.name} 无法解压（${(err as Error).message}）：文件可能已损坏，请重新保存后上传 (corrupt part)`, { cause: err });
  }
}

/**
 * Throws an OfficeFileError when the archive states, or really unpacks to, more than `limit` bytes in all. Each part
 * is unpacked with what is left of the limit as its cap, so the check itself never holds more than the limit.
 */
export function checkUnzippedSize(bytes: Buffer, limit = UNZIPPED_LIMIT): ZipEntry[] {
  const entries = zipEntries(bytes);
  const stated = entries.reduce((n, e) => n + e.size, 0);
  if (stated > limit) throw tooLarge(`声明 ${mb(stated)} MB`);
  let left = limit;
  for (const e of entries) {
    if (e.name.endsWith('/')) continue;
    left -= unzipEntry(bytes, e, left).length;
  }
  return entries;
}

/** Macros or formulas in an uploaded Office file, as the reason to refuse it; undefined when there are none. */
export function macroOrFormulaProblem(bytes: Buffer, entries: ZipEntry[]): OfficeFileError | undefined {
  const types = entries.find((e) => e.name === '[Content_Types].xml');
  const typesXml = types ? unzipEntry(bytes, types, 1024 * 1024).toString('utf8') : '';
  // The VBA project is its own part, whatever the file is called; a macro-enabled file also says so in its types.
  if (entries.some((e) => /(^|\/)vbaProject\.bin$/i.test(e.name)) || /macroEnabled/i.test(typesXml)) {
    return new OfficeFileError(
      'MACROS',
      '文件含有宏（VBA），为安全起见不予读取：请在 Excel/WPS 中“另存为” Excel 工作簿（.xlsx，不含宏）或 Word 文档（.docx）后上传 (macros are not accepted)',
    );
  }
  const sheets = entries.filter((e) => /^xl\/worksheets\/[^/]+\.xml$/.test(e.name));
  if (!sheets.length) return undefined;
  const names = sheetNames(bytes, entries);
  for (const sheet of sheets) {
    const xml = unzipEntry(bytes, sheet, UNZIPPED_LIMIT).toString('utf8');
    // A cell with a formula: <c r="B3" …><f>…</f><v>…</v></c> (a shared formula's other cells carry <f … si="0"/>).
    const cell = /<c\b[^>]*?\br="([A-Z]{1,3}\d+)"[^>]*>(?:(?!<\/c>)[\s\S])*?<f[\s>/]/.exec(xml);
    if (!cell) continue;
    const name = names.get(sheet.name) ?? sheet.name;
    return new OfficeFileError(
      'FORMULAS',
      `工作表“${name}”的 ${cell[1]} 单元格是公式：上传的表格只收文字和日期（公式的结果可能未计算，也可能随其他单元格改变）。请选中含公式的单元格，复制后“选择性粘贴 → 数值”，保存后重新上传 (formulas are not accepted: paste as values)`,
    );
  }
  return undefined;
}

/** Sheet part → the name Excel shows on its tab, from xl/workbook.xml and its relationships. */
function sheetNames(bytes: Buffer, entries: ZipEntry[]): Map<string, string> {
  const read = (n: string) => {
    const e = entries.find((x) => x.name === n);
    return e ? unzipEntry(bytes, e, 16 * 1024 * 1024).toString('utf8') : '';
  };
  const targets = new Map<string, string>();
  for (const m of read('xl/_rels/workbook.xml.rels').matchAll(/<Relationship\b[^>]*>/g)) {
    const id = /\bId="([^"]+)"/.exec(m[0])?.[1];
    const target = /\bTarget="([^"]+)"/.exec(m[0])?.[1];
    if (id && target) targets.set(id, target.startsWith('/') ? target.slice(1) : `xl/${target}`);
  }
  const out = new Map<string, string>();
  for (const m of read('xl/workbook.xml').matchAll(/<sheet\b[^>]*>/g)) {
    const name = /\bname="([^"]+)"/.exec(m[0])?.[1];
    const id = /\br:id="([^"]+)"/.exec(m[0])?.[1];
    const part = id ? targets.get(id) : undefined;
    if (name && part) out.set(part, name.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"'));
  }
  return out;
}
