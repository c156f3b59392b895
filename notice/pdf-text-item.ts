/** A run of text in a PDF's text layer, as pdfjs gives it: what pdf-layout.ts and pdf-table.ts both read. */
export interface PdfTextItem {
  str: string;
  /** Start of the run's baseline, in PDF points from the page's bottom-left corner. */
  x: number;
  y: number;
  width: number;
  /** Font size in points. */
  size: number;
}
