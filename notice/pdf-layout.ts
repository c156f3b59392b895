/**
 * A PDF's text layer back to the lines a notice has. A PDF holds positioned runs of text, not paragraphs: runs
 * on one baseline make a line; page numbers and running headers are dropped; a line the page width wrapped is
 * joined to the one before it, so 「…3月底前编制」 + 「完成年度…」 reads as the sentence it was and a wrapped
 * 「3.32万人」 does not become task 3. Indents come out as leading spaces (two for a paragraph's first-line
 * indent, many for a right-aligned signature), which is how the parser tells a signature from a task's text.
 * A task table among the lines (pdf-table.ts) comes out as its tasks, one line each, as from a .docx table.
 */
import { startsItem } from './headings';
import { joinWrapped, pdfTables, tableHeaderLines } from './pdf-table';
import type { PdfTextItem } from './pdf-text-item';

// The run's type is in a file of its own, which pdf-table.ts reads too; re-exported for callers here.
export type { PdfTextItem } from './pdf-text-item';

export interface PdfPage {
  items: PdfTextItem[];
}

interface Line {
  page: number;
  x: number;
  right: number;
  y: number;
  size: number;
  text: string;
  /** The line's runs, for a task table's cells. */
  items: PdfTextItem[];
}

/** 「— 1 —」「-1-」「第 2 页」「第2页 共5页」「3 / 12」 */
const PAGE_NUMBER_RE = /^[\s\-—–－―~·•]*(第\s*)?\d{1,4}(\s*页)?(\s*[/／]\s*\d{1,4}|\s*共\s*\d{1,4}\s*页)?[\s\-—–－―~·•]*$/;

/** How a sentence or a responsibility clause ends: 。；）」 and their half-width forms. */
const SENTENCE_END = /[。；;）)」』！!？?]$/;

/** A wrapped line ends within this many characters of the right edge (a line break before an unbreakable number or after kinsoku leaves room). */
const FULL_LINE_SLACK = 2.5;

function linesOfPage(items: PdfTextItem[], page: number): Line[] {
  const runs = items.filter((i) => i.str !== '' && i.size > 0).sort((a, b) => b.y - a.y || a.x - b.x);
  const groups: PdfTextItem[][] = [];
  for (const run of runs) {
    const last = groups.at(-1);
    // Same baseline, allowing for a superscript or a run in another font.
    if (last && Math.abs((last[0]?.y ?? 0) - run.y) <= 0.3 * Math.max(run.size, last[0]?.size ?? 0)) last.push(run);
    else groups.push([run]);
  }
  const lines: Line[] = [];
  for (const group of groups) {
    const sorted = group.filter((r) => r.str.trim() !== '' || r.width > 0).sort((a, b) => a.x - b.x);
    let text = '';
    let end: number | undefined;
    let previous: PdfTextItem | undefined;
    for (const run of sorted) {
      // Text drawn twice a hair apart (fake bold) is one text.
      if (previous && previous.str === run.str && Math.abs(previous.x - run.x) < 0.2 * run.size) continue;
      // Runs set apart with no space character between them (table cells, tabs) keep a space.
      if (end !== undefined && run.x - end > 0.6 * run.size && !/\s$/.test(text) && !/^\s/.test(run.str)) text += ' ';
      text += run.str;
      end = run.x + run.width;
      previous = run;
    }
    const visible = sorted.filter((r) => r.str.trim() !== '');
    const first = visible[0];
    const last = visible.at(-1);
    if (!first || !last || !text.trim()) continue;
    lines.push({
      page,
      x: first.x,
      right: last.x + last.width,
      y: first.y,
      size: Math.max(...visible.map((r) => r.size)),
      text: text.trim(),
      items: sorted,
    });
  }
  return lines;
}

/** The usual distance between one baseline and the next on a page: the median over all pages. */
function lineSpacing(pages: Line[][]): number | undefined {
  const gaps = pages.flatMap((p) => p.slice(1).map((l, i) => (p[i]?.y ?? l.y) - l.y)).filter((g) => g > 0);
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)];
}

/** The font size most of the text is set in (counted by characters). */
function bodySize(lines: Line[]): number {
  const chars = new Map<number, number>();
  for (const l of lines) chars.set(l.size, (chars.get(l.size) ?? 0) + l.text.length);
  return [...chars].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
}

/**
 * Drops page numbers and running headers or footers: the first or last line of a page, when it is a page number,
 * or when it repeats on other pages and also looks like furniture — set apart from the body by more than a line's
 * spacing, in a smaller font, or centred. Body text that happens to end two pages the same way (a wrapped
 * 「县应急局）」) sits at the body's spacing in the body's font and stays, and so does a task table's header that
 * the browser repeats atop each page (`keep`).
 */
function withoutPageFurniture(pages: Line[][], keep: Set<Line>): Line[][] {
  const masked = (l: Line | undefined) => l?.text.replace(/\d+/g, '#').replace(/\s+/g, '');
  const all = pages.flat();
  const size = bodySize(all);
  const body = all.filter((l) => Math.abs(l.size - size) <= 0.5);
  const left = Math.min(...body.map((l) => l.x));
  const right = Math.max(...body.map((l) => l.right));
  const spacing = lineSpacing(pages);
  let result = pages.map((p) => [...p]);
  for (let round = 0; round < 2; round++) {
    const tops = new Map<string, number>();
    const bottoms = new Map<string, number>();
    for (const p of result) {
      const top = masked(p[0]);
      const bottom = masked(p.at(-1));
      if (top) tops.set(top, (tops.get(top) ?? 0) + 1);
      if (bottom && p.length > 1) bottoms.set(bottom, (bottoms.get(bottom) ?? 0) + 1);
    }
    const repeated = (counts: Map<string, number>, l: Line) => {
      const n = counts.get(masked(l) ?? '') ?? 0;
      return result.length > 1 && n >= 2 && n * 2 >= result.length;
    };
    /** `l` next to `neighbour` (the body line below a header or above a footer), as furniture looks. */
    const apart = (l: Line, neighbour: Line | undefined) =>
      !neighbour || spacing === undefined || Math.abs(l.y - neighbour.y) > 1.5 * spacing || l.size < size - 0.5 || (Math.abs(l.x - left - (right - l.right)) < l.size && l.x - left > 0.5 * l.size);
    const furniture = (l: Line | undefined, neighbour: Line | undefined, counts: Map<string, number>) =>
      !!l && !keep.has(l) && (PAGE_NUMBER_RE.test(l.text) || (repeated(counts, l) && apart(l, neighbour)));
    result = result.map((p) => {
      let lines = p;
      if (furniture(lines.at(-1), lines.at(-2), bottoms)) lines = lines.slice(0, -1);
      if (furniture(lines[0], lines[1], tops)) lines = lines.slice(1);
      return lines;
    });
  }
  return result;
}

/** The notice text of a PDF's pages: one line per paragraph, page furniture dropped, indents as spaces. */
export function pdfText(pages: PdfPage[]): string {
  const all = pages.map((p, i) => linesOfPage(p.items, i));
  const byPage = withoutPageFurniture(all, new Set(all.flatMap((p) => [...tableHeaderLines(p)])));
  const lines = byPage.flat();
  if (lines.length === 0) return '';
  const left = Math.min(...lines.map((l) => l.x));
  const right = Math.max(...lines.map((l) => l.right));
  const paragraphs: { x: number; size: number; text: string }[] = [];
  const tables = new Map(pdfTables(lines).map((t) => [t.start, t]));
  let previous: Line | undefined;
  for (let i = 0; i < lines.length; i++) {
    const table = tables.get(i);
    if (table) {
      // A task is a line of its own, never a wrap of the text before it or after it.
      paragraphs.push(...table.tasks.map((text) => ({ x: left, size: lines[i]?.size ?? 1, text })));
      previous = undefined;
      i = table.end - 1;
      continue;
    }
    const line = lines[i]!;
    const before = previous;
    previous = line;
    const open = paragraphs.at(-1);
    if (before && open && isContinuation(before, line, left, right, byPage)) {
      open.text = joinWrapped(open.text, line.text);
      continue;
    }
    paragraphs.push({ x: line.x, size: line.size, text: line.text });
  }
  return paragraphs.map((p) => `${' '.repeat(Math.max(0, Math.round((p.x - left) / p.size)))}${p.text}`).join('\n');
}

/**
 * Whether `line` carries on the paragraph `before` ended: `before` ran to the right edge, `line` is in the same
 * font size and starts at the left margin (or both are centred, as a title's lines are), with no blank line
 * between them — or `before` ended one page and `line` begins the next.
 */
function isContinuation(before: Line, line: Line, left: number, right: number, pages: Line[][]): boolean {
  // A sentence that ended at the right edge, then a numbered task or a heading: in a notice without indents
  // that is the next item, not a wrap (「达到」 + 「3.32万人」 still joins: 达到 ends no sentence).
  if (SENTENCE_END.test(before.text) && startsItem(line.text)) return false;
  const size = line.size;
  if (Math.abs(before.size - size) > 0.5) return false;
  if (before.right < right - FULL_LINE_SLACK * size) return false;
  const atLeft = line.x - left < 0.5 * size;
  const centred = Math.abs(line.x - left - (right - line.right)) < size && line.x - left > 0.5 * size;
  if (!atLeft && !centred) return false;
  if (before.page === line.page) return before.y - line.y > 0 && before.y - line.y < 1.9 * size;
  return line.page === before.page + 1 && pages[before.page]?.at(-1) === before && pages[line.page]?.[0] === line;
}
