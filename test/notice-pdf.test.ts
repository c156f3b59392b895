/**
 * PDF notices: a notice printed to PDF by Chromium (a real text layer, lines wrapped by the page width, page
 * breaks, a running header and 「— N —」 page numbers) gives the same plan as its text; a PDF of images is
 * refused with what to do. The PDFs are made here from the notice's text, as an OA system prints a web page.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pdfText, type PdfTextItem } from '../notice/pdf-layout';
import { readNoticeFile } from '../notice/read';
import { parseNotice } from '../notice/parse';
import { launchChromium, printPdf, withoutPlace } from './notice-fixture';

const seedFile = join(__dirname, '..', 'seeds', 'dazhu-2022-28.txt');
const relativeFile = join(__dirname, 'fixtures', 'notices', 'relative-2024.txt');
const dir = mkdtempSync(join(tmpdir(), 'duban-pdf-'));
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The notice as an official document's web page: centred title, indented paragraphs, right-aligned signature. */
function noticeHtml(text: string): string {
  let titled = false;
  const body = text
    .split('\n')
    .map((line) => {
      if (!line.trim()) return '';
      if (!titled) {
        titled = true;
        return `<h1>${esc(line.trim())}</h1>`;
      }
      return /^\s{8,}\S/.test(line) ? `<p class="signature">${esc(line.trim())}</p>` : `<p>${esc(line.trim())}</p>`;
    })
    .join('\n');
  // Paragraphs with no spacing between them, justified, as Word sets a notice: only the indent tells them apart.
  return `<!doctype html><html><head><meta charset="utf-8"><style>
    body { font-family: "Noto Serif CJK SC", serif; font-size: 16pt; }
    h1 { text-align: center; font-size: 22pt; font-weight: normal; }
    p { text-indent: 2em; margin: 0; line-height: 28pt; text-align: justify; }
    p.signature { text-align: right; }
  </style></head><body>${body}</body></html>`;
}

let browser: Browser;

function pdfOf(html: string, name: string, pageFurniture = true): Promise<string> {
  return printPdf(browser, html, join(dir, name), {
    margin: { top: '37mm', bottom: '35mm', left: '28mm', right: '26mm' },
    ...(pageFurniture
      ? {
          headerTemplate: '<div style="font-size:10pt;width:100%;text-align:center">大竹县人民政府办公室文件</div>',
          footerTemplate: '<div style="font-size:14pt;width:100%;text-align:center">— <span class="pageNumber"></span> —</div>',
        }
      : {}),
  });
}

/** `duban plan FILE --json` as a user runs it. */
function planJson(file: string): Record<string, unknown> & { tasks: Record<string, unknown>[] } {
  const out = execFileSync(process.execPath, [join(__dirname, '..', 'bin', 'duban.js'), 'plan', file, '--json'], { encoding: 'utf8' });
  return JSON.parse(out) as Record<string, unknown> & { tasks: Record<string, unknown>[] };
}

/** The plan without what names the file: its path and the line each task starts on in that file. */
const content = withoutPlace;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('PDF notices with a text layer', () => {
  it('gives the seed notice printed to PDF the same plan as its text', async () => {
    const file = await pdfOf(noticeHtml(readFileSync(seedFile, 'utf8')), 'dazhu-2022-28.pdf');
    const read = await readNoticeFile(file);
    expect(read.format).toBe('pdf');
    // Several pages, wrapped lines, Chinese as Chinese (Chromium writes some characters as CJK radicals).
    expect(read.text).toContain('大竹县人民政府办公室关于做好2022年巩固拓展脱贫攻坚成果同乡村振兴有效衔接工作的通知');
    expect(read.text).toContain('实行“月督导通报 季调度分析 半年小结推进 常态化监测 适时暗访调研”制度');
    expect(read.text).not.toMatch(/— \d+ —|人民政府办公室文件/);
    const fromPdf = planJson(file);
    const fromText = planJson(seedFile);
    expect(fromPdf.tasks).toHaveLength(23);
    expect(content(fromPdf)).toEqual(content(fromText));
  });

  it('gives a notice with relative deadlines and cadences printed to PDF the same plan as its text', async () => {
    const file = await pdfOf(noticeHtml(readFileSync(relativeFile, 'utf8')), 'relative-2024.pdf');
    const fromPdf = planJson(file);
    expect(fromPdf.noticeDate).toBe('2024-03-08');
    expect(content(fromPdf)).toEqual(content(planJson(relativeFile)));
  });

  it('refuses a PDF of images (a scan) saying it has no text layer and what to use, naming the file', async () => {
    const scan = await pdfOf(
      `<!doctype html><html><body><canvas id="c" width="700" height="300"></canvas><script>
        const g = document.getElementById('c').getContext('2d');
        g.font = '28px serif';
        g.fillText('某某县人民政府办公室关于做好2024年工作的通知', 10, 60);
        g.fillText('1．制定实施方案。6月底前完成。（牵头单位：县农业农村局）', 10, 120);
      </script></body></html>`,
      'scan.pdf',
      false,
    );
    await expect(readNoticeFile(scan)).rejects.toThrow(/scan\.pdf: 没有文字层（扫描件或图片）：请使用通知的 Word（\.docx）或文本版本，或先做文字识别（OCR）/);
  });

  it('refuses a file that only starts like a PDF', async () => {
    const file = join(dir, 'broken.pdf');
    writeFileSync(file, '%PDF-1.7\n…');
    await expect(readNoticeFile(file)).rejects.toThrow(/broken\.pdf: 不是可读取的 PDF 文件/);
  });
});

describe('PDF lines', () => {
  // Runs as pdfjs gives them: 16-point text, the body between x = 80 and x = 512, a 2-character first-line indent.
  const RIGHT = 512;
  const full = (str: string, x: number, y: number): PdfTextItem => ({ str, x, y, width: RIGHT - x, size: 16 });
  const short = (str: string, x: number, y: number, size = 16): PdfTextItem => ({ str, x, y, width: 0.6 * Array.from(str).length * size, size });

  it('joins a line wrapped at the page width, even when it starts like a numbered task', () => {
    const text = pdfText([{ items: [full('6.全县脱贫劳动力务工人数超过2021年度，达到', 112, 700), short('3.32万人以上。（责任单位：县人社局）', 80, 672)] }]);
    expect(text).toBe('  6.全县脱贫劳动力务工人数超过2021年度，达到3.32万人以上。（责任单位：县人社局）');
    expect(parseNotice(`某县2022年通知\n${text}`).tasks.map((t) => t.number)).toEqual([6]);
  });

  it('starts a paragraph at an indent, and joins one across a page break without the page numbers', () => {
    const text = pdfText([
      {
        items: [
          full('1.完善防返贫动态监测帮扶机制。5月底前完成全县', 112, 700),
          short('年度集中排查。', 80, 672),
          full('2.抓实乡村振兴重点帮扶村支持。重点支持17个帮扶村', 112, 644),
          short('-1-', 288, 40, 14),
        ],
      },
      { items: [short('全面巩固脱贫攻坚成果。', 80, 760), short('-2-', 288, 40, 14)] },
    ]);
    expect(text).toBe('  1.完善防返贫动态监测帮扶机制。5月底前完成全县年度集中排查。\n  2.抓实乡村振兴重点帮扶村支持。重点支持17个帮扶村全面巩固脱贫攻坚成果。');
  });

  it('starts the next task on its own line in a notice without indents, when the task before it ended at the right edge', () => {
    const text = pdfText([
      {
        items: [
          full('1.完善防返贫动态监测帮扶机制。5月底前完成全县年度集中排查。', 80, 700),
          full('（责任单位：县乡村振兴局，各乡镇）', 80, 672),
          full('2.抓实帮扶村支持。全县脱贫劳动力务工人数超过上年，达到', 80, 644),
          short('3.32万人以上。（责任单位：县人社局）', 80, 616),
        ],
      },
    ]);
    const plan = parseNotice(`某县2022年通知\n${text}`);
    expect(plan.tasks.map((t) => [t.number, t.lead])).toEqual([
      [1, '县乡村振兴局'],
      [2, '县人社局'],
    ]);
    expect(text).toContain('达到3.32万人以上');
  });

  it('keeps body text that sits at a page’s edge on several pages, and drops a running header and page numbers', () => {
    const header = (y: number): PdfTextItem => ({ str: '某某县人民政府办公室文件', x: 236, y, width: 120, size: 10 });
    const text = pdfText([
      { items: [header(800), full('1.开展安全生产大检查。6月底前完成全县重点行业排查。（牵头单位：', 112, 700), short('县应急局）', 80, 672), short('-1-', 288, 40, 14)] },
      { items: [header(800), full('2.做好复工复产检查。五一节后一周内完成检查。（牵头单位：', 112, 760), short('县应急局）', 80, 732), short('-2-', 288, 40, 14)] },
      { items: [header(800), short('3.做好汛期值守。（牵头单位：县水利局）', 112, 760), short('-3-', 288, 40, 14)] },
    ]);
    expect(text).not.toMatch(/人民政府办公室文件|-\d-/);
    expect(parseNotice(`某县2024年通知\n${text}`).tasks.map((t) => [t.number, t.lead])).toEqual([
      [1, '县应急局'],
      [2, '县应急局'],
      [3, '县水利局'],
    ]);
  });
});
