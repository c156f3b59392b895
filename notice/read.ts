/**
 * A notice file as it arrives from the OA system, to text the parser reads: plain text (UTF-8 or GB18030),
 * or .docx through mammoth — Word's automatic list numbering (which is not in the text) written out as 「1.」,
 * runs split mid-sentence joined, table rows as lines. A PDF or an image gets a clear error saying what to do.
 */
import { readFileSync } from 'node:fs';
import { decodeNotice } from './decode';

export type NoticeFormat = 'text' | 'docx';

export class NoticeFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'NoticeFileError';
  }
}

const IDEOGRAPHIC_SPACE = '\u3000';

const starts = (bytes: Uint8Array, ...magic: number[]) => magic.every((b, i) => bytes[i] === b);

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' };
const text = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, e: string) => ENTITIES[e] ?? '');

/**
 * mammoth's HTML as the lines a notice has: each paragraph a line; each item of a numbered list 「N.」 and its
 * text (nested lists numbered on their own); each table row its cells joined by an ideographic space.
 */
export function htmlToNoticeText(html: string): string {
  const lines: string[] = [];
  const counters: number[] = [];
  const re = /<(\/?)(p|h[1-6]|ol|ul|li|table|tr|td|th)(?:\s[^>]*)?>/g;
  let depthItem = '';
  let rows: string[][] = [];
  let cells: string[] | undefined;
  let last = 0;
  let buffer = '';
  for (const m of html.matchAll(re)) {
    buffer += html.slice(last, m.index);
    last = (m.index ?? 0) + m[0].length;
    const [, close, tag] = m;
    if (tag === 'table') {
      if (close) lines.push(...tableLines(rows));
      rows = [];
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
      if (close && cells) rows.push(cells);
      cells = close ? undefined : [];
      continue;
    }
    if ((tag === 'td' || tag === 'th') && close) {
      cells?.push(text(buffer).trim());
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

/** The columns of a task table (任务分解表 / 任务清单), by their headers and common variants. */
const COLUMNS = {
  number: /^(序号|编号)$/,
  task: /^(重点任务|主要任务|工作任务|任务名称|任务|工作事项|事项)$/,
  detail: /^(具体内容|工作内容|主要内容|具体措施|主要措施|工作措施|任务内容)$/,
  lead: /^(牵头单位|责任单位|牵头部门|责任部门)$/,
  co: /^(配合单位|协助单位|配合部门)$/,
  due: /^(完成时限|时间节点|完成时间|时限要求|时限)$/,
};

/**
 * A table's rows as lines. A task table (a header row naming the task and the lead unit) becomes numbered
 * tasks in the form the notice parser reads — 「N.任务。具体内容。完成时限：…。（牵头单位：A；配合单位：B）」 — so
 * its deadlines and cadences (「6月底前」, 「每季度末」, 「每月」) are found as in a paragraph; any other table is
 * its rows, cells side by side.
 */
export function tableLines(rows: string[][]): string[] {
  const header = rows[0]?.map((c) => c.replace(/\s+/g, '')) ?? [];
  const col = (re: RegExp) => header.findIndex((h) => re.test(h));
  const at = { number: col(COLUMNS.number), task: col(COLUMNS.task), detail: col(COLUMNS.detail), lead: col(COLUMNS.lead), co: col(COLUMNS.co), due: col(COLUMNS.due) };
  if ((at.task < 0 && at.detail < 0) || at.lead < 0) return rows.map((r) => r.join(IDEOGRAPHIC_SPACE));
  const cell = (row: string[], i: number) => (i >= 0 ? (row[i] ?? '').trim() : '');
  const sentence = (t: string) => (t && !/[。；;]$/.test(t) ? `${t}。` : t);
  return rows.slice(1).flatMap((row, i) => {
    const task = cell(row, at.task) || cell(row, at.detail);
    if (!task) return [];
    const number = /^\d{1,3}$/.test(cell(row, at.number)) ? cell(row, at.number) : String(i + 1);
    const detail = at.task >= 0 ? cell(row, at.detail) : '';
    const due = cell(row, at.due);
    const lead = cell(row, at.lead);
    const co = cell(row, at.co);
    // A 责任单位 cell lists the lead first (the parser's 责任单位 form); 牵头单位 with 配合单位 keeps both.
    const who = at.co >= 0 ? `（牵头单位：${lead}${co ? `；配合单位：${co}` : ''}）` : `（责任单位：${lead}）`;
    return [`${number}.${sentence(task)}${sentence(detail)}${due ? sentence(`完成时限：${due}`) : ''}${who}`];
  });
}

/** Reads a notice file of any format duban knows. */
export async function readNoticeFile(file: string): Promise<{ text: string; format: NoticeFormat }> {
  const bytes = readFileSync(file);
  if (starts(bytes, 0x25, 0x50, 0x44, 0x46)) {
    throw new NoticeFileError(file, 'PDF 通知暂不能直接读取：请从 OA 系统下载 Word（.docx）或文本版本，或复制正文存为 .txt (PDF notices are not read yet: use the .docx or a text copy)');
  }
  if (starts(bytes, 0x89, 0x50, 0x4e, 0x47) || starts(bytes, 0xff, 0xd8, 0xff) || starts(bytes, 0x47, 0x49, 0x46)) {
    throw new NoticeFileError(file, '这是一张图片，没有文字可读：请使用通知的文字版本（.docx 或 .txt）(an image has no text)');
  }
  if (starts(bytes, 0xd0, 0xcf, 0x11, 0xe0)) {
    throw new NoticeFileError(file, '这是旧版 Word（.doc）文件：请另存为 .docx 后再导入 (a .doc file: save it as .docx)');
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
