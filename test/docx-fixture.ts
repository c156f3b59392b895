/** A .docx built the way Word writes one (document, numbering, relationships), for the notice-format tests. */
import JSZip from 'jszip';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A paragraph whose text is cut into runs mid-sentence (as Word does around edits and spell checks). */
function paragraph(text: string, numbered: boolean): string {
  const cut = Math.max(1, Math.floor(text.length / 3));
  const runs = [text.slice(0, cut), text.slice(cut, 2 * cut), text.slice(2 * cut)].filter(Boolean);
  const numPr = numbered ? '<w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>' : '';
  return `<w:p>${numPr}${runs.map((r) => `<w:r><w:t xml:space="preserve">${esc(r)}</w:t></w:r>`).join('')}</w:p>`;
}

/** A Word table: the first row its header. */
export function table(rows: string[][]): string {
  const cell = (t: string) => `<w:tc><w:p><w:r><w:t xml:space="preserve">${esc(t)}</w:t></w:r></w:p></w:tc>`;
  return `<w:tbl>${rows.map((r) => `<w:tr>${r.map(cell).join('')}</w:tr>`).join('')}</w:tbl>`;
}

/** A cell of a Word table with merges: `down` starts (restart) or continues a vertical merge, `across` spans grid columns. */
export interface MergedCell {
  text?: string;
  down?: 'restart' | 'continue';
  across?: number;
}

/** A Word table whose cells may be merged as Word writes them: w:vMerge down the rows, w:gridSpan across. */
export function mergedTable(rows: (string | MergedCell)[][]): string {
  const cell = (c: string | MergedCell) => {
    const { text = '', down, across } = typeof c === 'string' ? { text: c } : c;
    const pr = `${across ? `<w:gridSpan w:val="${across}"/>` : ''}${down === 'restart' ? '<w:vMerge w:val="restart"/>' : down ? '<w:vMerge/>' : ''}`;
    // A continuation cell is empty in Word: its text is the first cell's.
    const run = text && down !== 'continue' ? `<w:r><w:t xml:space="preserve">${esc(text)}</w:t></w:r>` : '';
    return `<w:tc>${pr ? `<w:tcPr>${pr}</w:tcPr>` : ''}<w:p>${run}</w:p></w:tc>`;
  };
  return `<w:tbl>${rows.map((r) => `<w:tr>${r.map(cell).join('')}</w:tr>`).join('')}</w:tbl>`;
}

export async function docxOf(text: string, tail = ''): Promise<Buffer> {
  // Task lines lose their 「1．」: Word numbers them itself.
  const body = text
    .split('\n')
    .map((line) => {
      const task = /^(\d+)．(.*)$/.exec(line);
      return task ? paragraph(task[2] ?? '', true) : paragraph(line, false);
    })
    .join('') + tail;
  const zip = new JSZip();
  zip.file(
    '[Content_Types].xml',
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/></Types>',
  );
  zip.file('_rels/.rels', '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>');
  zip.file(
    'word/_rels/document.xml.rels',
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/></Relationships>',
  );
  zip.file(
    'word/numbering.xml',
    '<?xml version="1.0" encoding="UTF-8"?><w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1．"/></w:lvl></w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num></w:numbering>',
  );
  zip.file('word/document.xml', `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`);
  return zip.generateAsync({ type: 'nodebuffer' });
}
