/**
 * A Word table's merged cells laid back onto its grid. mammoth writes Word's vertical merges (w:vMerge) as a
 * cell with `rowspan` whose continuation cells are left out of the rows below, and a cell spanning columns
 * (w:gridSpan) as `colspan`; read as they come, the cells after a merge shift left under the wrong header.
 * Here every row gets one cell per grid column, as Excel shows a merged range: a cell merged across columns has
 * its text in its first column, one merged down has it in every row it spans, and those rows remember where the
 * merge started — which is how a 序号 merged down its sub-rows makes one task (task-table.ts).
 */

export interface SpannedCell {
  text: string;
  rowSpan: number;
  colSpan: number;
}

export interface GridRow {
  cells: string[];
  /** Per grid column: the index of the row a cell merged down from above starts on; undefined for any other cell. */
  mergedFrom: (number | undefined)[];
}

export function gridRows(rows: SpannedCell[][]): GridRow[] {
  // Per grid column, the merged-down cell still open below its first row.
  const open: ({ text: string; from: number; until: number } | undefined)[] = [];
  return rows.map((row, r) => {
    const cells: string[] = [];
    const mergedFrom: (number | undefined)[] = [];
    const fillOpen = () => {
      for (let c = cells.length; ; c++) {
        const down = open[c];
        if (!down || down.until <= r) return;
        cells.push(down.text);
        mergedFrom.push(down.from);
      }
    };
    for (const cell of row) {
      fillOpen();
      const at = cells.length;
      const span = Math.max(1, cell.colSpan);
      for (let k = 0; k < span; k++) {
        cells.push(k === 0 ? cell.text : '');
        mergedFrom.push(undefined);
        open[at + k] = cell.rowSpan > 1 ? { text: k === 0 ? cell.text : '', from: r, until: r + cell.rowSpan } : undefined;
      }
    }
    fillOpen();
    return { cells, mergedFrom };
  });
}
