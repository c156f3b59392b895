/** Shared by the notice-format tests: a plan as compared across formats, and notices printed to PDF by Chromium. */
import { existsSync, writeFileSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { parseNotice } from '../notice/parse';
import { readNoticeFile } from '../notice/read';

/** A plan's content, without what differs by format only: the source file and each task's line. */
export function withoutPlace<P extends { source?: unknown; tasks: T[] }, T extends object>(plan: P): P {
  return { ...plan, source: undefined, tasks: plan.tasks.map((t) => ({ ...t, line: undefined })) };
}

/** What `duban plan FILE` proposes for a notice file of any format. */
export async function planOf(file: string): Promise<ReturnType<typeof parseNotice>> {
  return parseNotice((await readNoticeFile(file)).text, { file });
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: npm test installs Debian's chromium (duban setup), or set CHROMIUM_PATH`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}

export interface PrintOptions {
  margin: { top: string; bottom: string; left: string; right: string };
  /** Page header and footer (a running header, page numbers), as an office's PDF printer adds them. */
  headerTemplate?: string;
  footerTemplate?: string;
}

/** An HTML page printed to an A4 PDF at `file`, as Chromium's "save as PDF" does. */
export async function printPdf(browser: Browser, html: string, file: string, o: PrintOptions): Promise<string> {
  const page = await browser.newPage();
  try {
    await page.setContent(html);
    const furniture = o.headerTemplate !== undefined || o.footerTemplate !== undefined;
    const pdf = await page.pdf({
      format: 'A4',
      margin: o.margin,
      displayHeaderFooter: furniture,
      ...(furniture ? { headerTemplate: o.headerTemplate ?? '<span></span>', footerTemplate: o.footerTemplate ?? '<span></span>' } : {}),
    });
    writeFileSync(file, pdf);
    return file;
  } finally {
    await page.close();
  }
}
