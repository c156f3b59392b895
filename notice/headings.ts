/**
 * How a notice's headings and numbered tasks begin (一、 / (一) / 1. 2． 3、), shared by the parser and by the
 * PDF reader, which must not glue a task onto the line before it. Patterns apply to width-normalized text.
 */
import { normalizeWidth } from './phrases';

export const SECTION_RE = /^\s*([一二三四五六七八九十]+)、\s*(.+?)\s*$/;
export const SUBSECTION_RE = /^\s*\(([一二三四五六七八九十]+)\)\s*(.+?)\s*$/;
export const TASK_RE = /^\s*(\d{1,3})\s*[.、]\s*(\S.*)$/;

/** Whether a line opens a section, a subsection or a numbered task; 「3.32万人」 is a decimal, not task 3. */
export function startsItem(line: string): boolean {
  const n = normalizeWidth(line);
  if (SECTION_RE.test(n) || SUBSECTION_RE.test(n)) return true;
  return TASK_RE.test(n) && !/^\s*\d+\.\d/.test(n);
}
