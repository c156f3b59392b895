/**
 * Task tables in a PDF: a 任务分解表 printed to PDF by Chromium (cells as runs of text, a wrapped cell, a header
 * centred in its cells and wrapped in a narrow column, a table over four pages with its header repeated and page
 * numbers) gives the same plan as the same table in a .docx and in an .xlsx. The PDFs are made here from HTML, as
 * an OA system prints a page, with Debian's chromium (see notice-pdf.test.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pdfText, type PdfTextItem } from '../notice/pdf-layout';
import { readNoticeFile } from '../notice/read';
import { parseNotice } from '../notice/parse';
import { docxOf, table } from './docx-fixture';
import { launchChromium, planOf, printPdf, withoutPlace } from './notice-fixture';

const dir = mkdtempSync(join(tmpdir(), 'duban-pdf-table-'));
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const TITLE = '某某县2024年农村人居环境整治任务分解表';
const DATE = '2024年3月8日';
const HEADER = ['序号', '重点任务', '具体内容', '牵头单位', '配合单位', '完成时限'];
const ROWS = [
  ['1', '推进厕所改造', '完成年度改厕任务', '县卫生健康局', '县农业农村局、县财政局', '6月底前'],
  // Wraps over three lines in its column.
  ['2', '开展季度调度', '调度整治工作进展，分析存在的突出问题，提出下一步工作措施，形成季度调度报告报县委农办', '县农业农村局', '', '每季度末'],
  ['3', '报送工作月报', '报送整治工作进展', '县住建局', '', '每月'],
  ['4', '做好年度总结', '报送年度工作总结', '县住建局', '县统计局', '次年1月15日前'],
];

/**
 * The notice as a web page: a centred title, the table (header centred and wrapped in narrow columns, cells at the
 * top of their rows as Word sets them, or in the middle as a browser does by default), the date right-aligned.
 */
function tableHtml(rows: string[][], align: 'top' | 'middle' = 'top'): string {
  const tr = (cells: string[], tag: string) => `<tr>${cells.map((c) => `<${tag}>${esc(c)}</${tag}>`).join('')}</tr>`;
  return `<!doctype html><html><head><meta charset="utf-8"><style>
    body { font-family: "Noto Serif CJK SC", serif; font-size: 12pt; }
    h1 { text-align: center; font-size: 20pt; font-weight: normal; }
    table { border-collapse: collapse; width: 100%; }
    th, td { border: 1px solid #000; padding: 3pt 4pt; vertical-align: ${align}; }
    th { width: 1em; }
    th:nth-child(3) { width: 40%; }
    p { text-align: right; }
  </style></head><body><h1>${esc(TITLE)}</h1><table><thead>${tr(HEADER, 'th')}</thead><tbody>${rows.map((r) => tr(r, 'td')).join('')}</tbody></table><p>${DATE}</p></body></html>`;
}

let browser: Browser;

function pdfOf(html: string, name: string): Promise<string> {
  return printPdf(browser, html, join(dir, name), {
    margin: { top: '30mm', bottom: '30mm', left: '26mm', right: '26mm' },
    footerTemplate: '<div style="font-size:12pt;width:100%;text-align:center">— <span class="pageNumber"></span> —</div>',
  });
}

async function docx(rows: string[][]): Promise<string> {
  const file = join(dir, '任务分解表.docx');
  writeFileSync(file, await docxOf(`${TITLE}\n\n${DATE}`, table([HEADER, ...rows])));
  return file;
}

async function workbook(rows: string[][]): Promise<string> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('任务分解表');
  sheet.addRow([TITLE]);
  sheet.mergeCells('A1:F1');
  sheet.addRow(HEADER);
  for (const row of rows) sheet.addRow([Number(row[0]), ...row.slice(1).map((c) => c || null)]);
  sheet.addRow([null, null, null, null, null, DATE]);
  const file = join(dir, '任务分解表.xlsx');
  writeFileSync(file, Buffer.from(await wb.xlsx.writeBuffer()));
  return file;
}

const content = withoutPlace;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('task tables in a PDF', () => {
  it('reads a task table printed to PDF row by row: the wrapped cell whole, leads, co-units, deadlines and the 每季度末 cadence', async () => {
    const file = await pdfOf(tableHtml(ROWS), '任务分解表.pdf');
    const read = await readNoticeFile(file);
    expect(read.format).toBe('pdf');
    const plan = parseNotice(read.text, { file });
    expect(plan.title).toBe(TITLE);
    expect(plan.noticeDate).toBe('2024-03-08');
    expect(plan.tasks.map((t) => [t.number, t.title, t.lead, t.coUnits])).toEqual([
      [1, '推进厕所改造', '县卫生健康局', ['县农业农村局', '县财政局']],
      [2, '开展季度调度', '县农业农村局', []],
      [3, '报送工作月报', '县住建局', []],
      [4, '做好年度总结', '县住建局', ['县统计局']],
    ]);
    expect(read.text).toContain('调度整治工作进展，分析存在的突出问题，提出下一步工作措施，形成季度调度报告报县委农办。');
    expect(plan.tasks.map((t) => t.deadlines?.map((d) => d.date) ?? [])).toEqual([['2024-06-30'], [], [], ['2025-01-15']]);
    expect(plan.tasks.map((t) => t.recurring?.map((r) => r.cadence) ?? [])).toEqual([[], ['quarterly'], ['monthly'], []]);
  });

  it.each(['top', 'middle'] as const)('gives the same plan as the same table in a .docx and in an .xlsx, cells set at the %s of their rows', async (align) => {
    const fromPdf = await planOf(await pdfOf(tableHtml(ROWS, align), `任务分解表-${align}.pdf`));
    const fromDocx = await planOf(await docx(ROWS));
    const fromSheet = await planOf(await workbook(ROWS));
    expect(fromDocx.tasks).toHaveLength(4);
    expect(content(fromPdf)).toEqual(content(fromDocx));
    expect(content(fromPdf)).toEqual(content(fromSheet));
  });

  it('reads a table over four pages, its header repeated on each and the page numbers left out, as the same table in a .docx', async () => {
    const units = ['县卫生健康局', '县农业农村局', '县住建局', '县民政局', '县教科局'];
    const many = Array.from({ length: 36 }, (_, k) => [String(k + 1), `推进第${k + 1}项整治任务`, `完成第${k + 1}项整治任务的排查和整改`, units[k % units.length] ?? '', '', k % 3 === 0 ? '每季度末' : `${(k % 12) + 1}月底前`]);
    const file = await pdfOf(tableHtml(many), '长表.pdf');
    expect((await readNoticeFile(file)).text).not.toMatch(/— \d+ —|序号/);
    const fromPdf = await planOf(file);
    expect(fromPdf.tasks.map((t) => t.number)).toEqual(many.map((r) => Number(r[0])));
    expect(content(fromPdf)).toEqual(content(await planOf(await docx(many))));
  });
});

describe('task table lines in a PDF', () => {
  // Runs as pdfjs gives them: 12-point text, a character 12 points wide.
  const run = (str: string, x: number, y: number): PdfTextItem => ({ str, x, y, width: 12 * Array.from(str).length, size: 12 });
  const header = (y: number, names: string[]) => names.map((n, k) => run(n, [80, 120, 300, 420][k] ?? 0, y));

  it('ends the table at a paragraph across its columns, which stays a line of its own', () => {
    const text = pdfText([
      {
        items: [
          ...header(700, ['序号', '重点任务', '牵头单位', '完成时限']),
          ...[run('1', 80, 680), run('推进厕所改造', 120, 680), run('县卫生健康局', 300, 680), run('6月底前', 420, 680)],
          ...[run('2', 80, 660), run('开展季度调度', 120, 660), run('县农业农村局', 300, 660), run('每季度末', 420, 660)],
          run('特此通知。各乡镇要按分工抓好落实，确保按时完成。', 104, 630),
        ],
      },
    ]);
    expect(text.split('\n')).toEqual([
      '1.推进厕所改造。完成时限：6月底前。（责任单位：县卫生健康局）',
      '2.开展季度调度。完成时限：每季度末。（责任单位：县农业农村局）',
      '  特此通知。各乡镇要按分工抓好落实，确保按时完成。',
    ]);
  });

  it('leaves a table without a 序号 column to the lines as before, cells side by side, no tasks made of it', () => {
    const text = pdfText([{ items: [run('重点任务', 80, 700), run('牵头单位', 300, 700), run('推进厕所改造', 80, 680), run('县卫生健康局', 300, 680)] }]);
    expect(text).toContain('推进厕所改造 县卫生健康局');
    expect(text).not.toContain('责任单位：');
  });
});
