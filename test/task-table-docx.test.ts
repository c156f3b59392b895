/**
 * Task tables in a .docx with merged cells, as a clerk makes them in Word: a task over several sub-rows has its
 * 序号, 重点任务 and 牵头单位 merged down (w:vMerge) and a 完成时限 may span two grid columns (w:gridSpan). The
 * same table saved from Excel (merged ranges) is the reference: both give one plan. The .docx is built here as
 * Word writes one (docx-fixture.ts), the workbook with exceljs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { docxOf, mergedTable, table, type MergedCell } from './docx-fixture';
import { planOf, withoutPlace } from './notice-fixture';

const dir = mkdtempSync(join(tmpdir(), 'duban-merged-'));
const TITLE = '某某县2024年农村人居环境整治任务分解表';
const HEADER = ['序号', '重点任务', '具体内容', '牵头单位', '配合单位', '完成时限'];

const restart = (text: string): MergedCell => ({ text, down: 'restart' });
const below: MergedCell = { down: 'continue' };
const wide = (text: string): MergedCell => ({ text, across: 2 });

/**
 * Task 1 over two sub-rows (序号, 重点任务, 牵头单位 merged down; each sub-row its own content, co-units and
 * deadline); 完成时限 two grid columns wide, one sub-row with a note in the second; task 2 a plain row.
 */
const MERGED_ROWS: (string | MergedCell)[][] = [
  [...HEADER.slice(0, 5), wide('完成时限')],
  [restart('1'), restart('推进厕所改造'), '完成年度改厕任务', restart('县卫生健康局'), '县农业农村局', wide('2024年6月30日')],
  [below, below, '开展改厕质量回头看', below, '县财政局、县农业农村局', '9月底前', '（分两批）'],
  ['2', '开展季度调度', '调度整治工作进展', '县农业农村局', '', wide('每季度末')],
];

async function docx(name: string, tail: string): Promise<string> {
  const file = join(dir, name);
  writeFileSync(file, await docxOf(`${TITLE}\n\n2024年3月8日`, tail));
  return file;
}

/** The same table as an Excel sheet: the same cells merged as ranges. */
async function workbook(): Promise<string> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('任务分解表');
  sheet.addRow([TITLE]);
  sheet.mergeCells('A1:G1');
  sheet.addRow([...HEADER, null]);
  sheet.mergeCells('F2:G2');
  sheet.addRow([1, '推进厕所改造', '完成年度改厕任务', '县卫生健康局', '县农业农村局', '2024年6月30日', null]);
  sheet.mergeCells('F3:G3');
  sheet.addRow([null, null, '开展改厕质量回头看', null, '县财政局、县农业农村局', '9月底前', '（分两批）']);
  sheet.mergeCells('A3:A4');
  sheet.mergeCells('B3:B4');
  sheet.mergeCells('D3:D4');
  sheet.addRow([2, '开展季度调度', '调度整治工作进展', '县农业农村局', null, '每季度末', null]);
  sheet.mergeCells('F5:G5');
  sheet.addRow([null, null, null, null, null, '2024年3月8日']);
  const file = join(dir, '任务分解表.xlsx');
  writeFileSync(file, Buffer.from(await wb.xlsx.writeBuffer()));
  return file;
}

const content = withoutPlace;

describe('task tables in a .docx with merged cells', () => {
  it('gets from mammoth a vertical merge as rowspan (its continuation cells left out) and a grid span as colspan', async () => {
    // What the reader has to undo: the rows after a merge come with fewer cells.
    const mammoth = await import('mammoth');
    const html = (await mammoth.convertToHtml({ buffer: await docxOf(TITLE, mergedTable(MERGED_ROWS)) })).value;
    expect(html).toContain('<td rowspan="2"><p>1</p></td>');
    expect(html).toContain('<td colspan="2"><p>2024年6月30日</p></td>');
    expect(html).toContain('<tr><td><p>开展改厕质量回头看</p></td>');
  });

  it('reads a 序号 merged down two sub-rows as one task: the merged lead leads both, each sub-row’s content and deadline kept', async () => {
    const plan = await planOf(await docx('merged.docx', mergedTable(MERGED_ROWS)));
    expect(plan.tasks.map((t) => ({ number: t.number, title: t.title, lead: t.lead, coUnits: t.coUnits, deadlines: t.deadlines?.map((d) => d.date) ?? [] }))).toEqual([
      { number: 1, title: '推进厕所改造', lead: '县卫生健康局', coUnits: ['县农业农村局', '县财政局'], deadlines: ['2024-06-30', '2024-09-30'] },
      { number: 2, title: '开展季度调度', lead: '县农业农村局', coUnits: [], deadlines: [] },
    ]);
    expect(plan.tasks[1]?.recurring?.map((r) => r.cadence)).toEqual(['quarterly']);
  });

  it('gives the same plan as the same table saved from Excel with its merged ranges', async () => {
    const fromDocx = await planOf(await docx('merged.docx', mergedTable(MERGED_ROWS)));
    const fromSheet = await planOf(await workbook());
    expect(fromSheet.tasks).toHaveLength(2);
    expect(content(fromDocx)).toEqual(content(fromSheet));
  });

  it('reads a table without merges as before, one task per row', async () => {
    const plain = [HEADER, ['1', '推进厕所改造', '完成年度改厕任务', '县卫生健康局', '县农业农村局', '6月底前'], ['2', '开展季度调度', '调度整治工作进展', '县农业农村局', '', '每季度末']];
    const plan = await planOf(await docx('plain.docx', table(plain)));
    expect(plan.tasks.map((t) => [t.number, t.lead, t.coUnits])).toEqual([
      [1, '县卫生健康局', ['县农业农村局']],
      [2, '县农业农村局', []],
    ]);
  });
});
