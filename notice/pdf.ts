/**
 * A PDF notice's text layer through pdfjs-dist (the legacy build, which runs on Node 20). pdfjs is an ES module:
 * it is loaded with a dynamic import, which works from tsx's CommonJS and from vitest alike. A PDF with no text
 * (a scan, pages of images) or a text layer that cannot be decoded is refused with what to use instead.
 */
import { dirname, join } from 'node:path';
import { pdfText, type PdfPage } from './pdf-layout';
import { unifyRadicals } from './radicals';

export type PdfReadProblem = 'NOT_A_PDF' | 'PASSWORD' | 'NO_TEXT_LAYER' | 'UNDECODABLE_TEXT';

export class PdfReadError extends Error {
  constructor(
    readonly code: PdfReadProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PdfReadError';
  }
}

const NO_TEXT = '没有文字层（扫描件或图片）：请使用通知的 Word（.docx）或文本版本，或先做文字识别（OCR）再导入 (no text layer: a scan or images; use the .docx or text, or OCR it first)';

/** Reads the pages' text runs and rebuilds the notice's lines (see pdf-layout). */
export async function pdfNoticeText(bytes: Uint8Array): Promise<string> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  // Fonts that are not embedded (common in PDFs from WPS or old Word) need Adobe's CMaps and the standard
  // fonts, which the package ships; paths, not URLs, on Node.
  const root = dirname(require.resolve('pdfjs-dist/package.json'));
  const task = pdfjs.getDocument({
    data: new Uint8Array(bytes),
    cMapUrl: join(root, 'cmaps') + '/',
    cMapPacked: true,
    standardFontDataUrl: join(root, 'standard_fonts') + '/',
    isEvalSupported: false,
    verbosity: pdfjs.VerbosityLevel.ERRORS,
  });
  let doc;
  try {
    doc = await task.promise;
  } catch (err) {
    const name = err instanceof Error ? err.name : '';
    if (name === 'PasswordException') throw new PdfReadError('PASSWORD', 'PDF 有密码保护：请使用未加密的版本或 .docx (the PDF is password-protected)', { cause: err });
    throw new PdfReadError('NOT_A_PDF', `不是可读取的 PDF 文件（${err instanceof Error ? err.message : String(err)}）(not a readable PDF)`, { cause: err });
  }
  try {
    const pages: PdfPage[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      const items: PdfPage['items'] = [];
      for (const item of content.items) {
        if (!('str' in item)) continue;
        const [a = 0, b = 0, c = 0, d = 0, x = 0, y = 0] = item.transform as number[];
        // Rotated or vertical runs (diagonal watermarks, stamps) are not the notice's lines.
        if (Math.abs(b) > 0.01 * Math.abs(a) || Math.abs(c) > 0.01 * Math.abs(d)) continue;
        items.push({ str: unifyRadicals(item.str), x, y, width: item.width, size: Math.abs(d) });
      }
      pages.push({ items });
      page.cleanup();
    }
    const text = pdfText(pages);
    const visible = text.replace(/\s/g, '');
    if (!visible) throw new PdfReadError('NO_TEXT_LAYER', NO_TEXT);
    // Fonts without a Unicode map give private-use or replacement characters: as unreadable as a scan.
    const garbled = visible.match(/[\ue000-\uf8ff\ufffd]/g)?.length ?? 0;
    if (garbled > visible.length / 3) {
      throw new PdfReadError('UNDECODABLE_TEXT', '文字层无法解码（字体缺少 Unicode 映射）：请使用通知的 Word（.docx）或文本版本，或先做文字识别（OCR）(the text layer cannot be decoded)');
    }
    return text;
  } finally {
    await doc.destroy();
  }
}
