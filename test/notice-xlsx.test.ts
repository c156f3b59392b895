/**
 * Task tables sent as an Excel sheet (任务分解表.xlsx): the first sheet with a task table's header row becomes the
 * notice's tasks exactly as the same table in a .docx does; a sheet without a title needs --year; a workbook
 * with no task sheet is refused naming the sheets it has. The workbooks are built here with exceljs, as an
 * office's Excel saves them (a merged title row, numbers, dates, a lead unit merged down several rows).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { docxOf, table } from './docx-fixture';
import { withoutPlace } from './notice-fixture';

const dir = mkdtempSync(join(tmpdir(), 'duban-xlsx-'));
const TITLE = '某某县2024年农村人居环境整治任务分解表';
const HEADER = ['序号', '重点任务', '具体内容', '牵头单位', '配合单位', '完成时限'];

/** `duban plan FILE --json [args]` as a user runs it: exit code, the plan (if printed) and what went to stderr. */
function plan(file: string, ...args: string[]) {
  const run = spawnSync(process.execPath, [join(__dirname, '..', 'bin', 'duban.js'), 'plan', file, '--json', ...args], { encoding: 'utf8' });
  return { status: run.status, plan: run.status === 0 ? (JSON.parse(run.stdout) as { title: string; year: number; noticeDate?: string; tasks: Record<string, unknown>[] }) : undefined, stderr: run.stderr };
}
const content = withoutPlace;

async function save(name: string, build: (workbook: ExcelJS.Workbook) => void): Promise<string> {
  const workbook = new ExcelJS.Workbook();
  build(workbook);
  const file = join(dir, name);
  writeFileSync(file, Buffer.from(await workbook.xlsx.writeBuffer()));
  return file;
}

/** The task sheet: a merged title row, the header, four tasks, a note and the notice's date. */
function taskSheet(workbook: ExcelJS.Workbook, { title = true, date = true } = {}) {
  // A sheet of instructions first, as offices often send: not a task table.
  workbook.addWorksheet('填表说明').addRow(['请各单位按时限完成下列任务。']);
  const sheet = workbook.addWorksheet('任务分解表');
  if (title) {
    sheet.addRow([TITLE]);
    sheet.mergeCells('A1:F1');
  }
  sheet.addRow(HEADER);
  const first = sheet.addRow([1, '推进厕所改造', '完成年度改厕任务', '县卫生健康局', '县农业农村局、县财政局', new Date(Date.UTC(2024, 5, 30))]).number;
  sheet.addRow([2, '开展季度调度', { richText: [{ text: '调度整治' }, { text: '工作进展' }] }, '县农业农村局', null, '每季度末']);
  sheet.addRow([3, '报送工作月报', '报送整治工作进展', '县住建局', null, '每月']);
  const last = sheet.addRow([4, '做好年度总结', '报送年度工作总结', null, null, '次年1月15日前']).number;
  // 县住建局 leads tasks 3 and 4: one cell merged down both rows.
  sheet.mergeCells(`D${last - 1}:D${last}`);
  sheet.addRow(['注：各单位须明确一名联络员。']);
  sheet.mergeCells(`A${last + 1}:F${last + 1}`);
  if (date) sheet.addRow([null, null, null, null, null, '2024年3月8日']);
  return { first };
}

/** The same table in a .docx, cells as Excel shows them. */
const DOCX_ROWS = [
  HEADER,
  ['1', '推进厕所改造', '完成年度改厕任务', '县卫生健康局', '县农业农村局、县财政局', '2024年6月30日'],
  ['2', '开展季度调度', '调度整治工作进展', '县农业农村局', '', '每季度末'],
  ['3', '报送工作月报', '报送整治工作进展', '县住建局', '', '每月'],
  ['4', '做好年度总结', '报送年度工作总结', '县住建局', '', '次年1月15日前'],
];

describe('task tables as an Excel sheet', () => {
  it('gives the same plan as the same task table in a .docx, with each task on its row of the sheet', async () => {
    let firstRow = 0;
    const xlsx = await save('任务分解表.xlsx', (wb) => {
      firstRow = taskSheet(wb).first;
    });
    const docx = join(dir, '任务分解表.docx');
    writeFileSync(docx, await docxOf(`${TITLE}\n\n2024年3月8日`, table(DOCX_ROWS)));
    const fromSheet = plan(xlsx);
    const fromDocx = plan(docx);
    expect(fromSheet.stderr).toBe('');
    expect(fromSheet.plan?.title).toBe(TITLE);
    expect(fromSheet.plan?.noticeDate).toBe('2024-03-08');
    expect(fromSheet.plan?.tasks.map((t) => [t.number, t.lead, t.line])).toEqual([
      [1, '县卫生健康局', firstRow],
      [2, '县农业农村局', firstRow + 1],
      [3, '县住建局', firstRow + 2],
      [4, '县住建局', firstRow + 3],
    ]);
    // An Excel date in 完成时限 is the day the task is due by; 次年 is the year after.
    expect(fromSheet.plan?.tasks.map((t) => (t.deadlines as { date: string }[]).map((d) => d.date))).toEqual([['2024-06-30'], [], [], ['2025-01-15']]);
    expect(fromSheet.plan && content(fromSheet.plan)).toEqual(fromDocx.plan && content(fromDocx.plan));
  });

  it('takes the file’s name as the title of a sheet without one, and asks for --year when neither name nor date gives the year', async () => {
    const named = await save('某某县2024年重点任务清单.xlsx', (wb) => taskSheet(wb, { title: false, date: false }));
    expect(plan(named).plan?.title).toBe('某某县2024年重点任务清单');
    const bare = await save('tasks.xlsx', (wb) => taskSheet(wb, { title: false, date: false }));
    const refused = plan(bare);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('无法判断计划年度，请用 --year 指定');
    const withYear = plan(bare, '--year', '2024');
    expect(withYear.plan?.year).toBe(2024);
    expect(withYear.plan?.tasks).toHaveLength(4);
  });

  it('reads a 序号 merged down several rows as one task, its sub-rows’ contents, deadlines and co-units joined', async () => {
    const file = await save('分行任务.xlsx', (wb) => {
      const sheet = wb.addWorksheet('任务分解表');
      sheet.addRow([TITLE]);
      sheet.mergeCells('A1:F1');
      sheet.addRow(HEADER);
      // Task 1 over rows 3 and 4: 序号, 重点任务 and 牵头单位 merged down; each sub-row its own content and deadline.
      sheet.addRow([1, '推进厕所改造', '完成年度改厕任务', '县卫生健康局', '县农业农村局', new Date(Date.UTC(2024, 5, 30))]);
      sheet.addRow([null, null, '开展改厕质量回头看', null, '县财政局、县农业农村局', '9月底前']);
      sheet.mergeCells('A3:A4');
      sheet.mergeCells('B3:B4');
      sheet.mergeCells('D3:D4');
      sheet.addRow([2, '开展季度调度', '调度整治工作进展', '县农业农村局', null, '每季度末']);
      sheet.addRow([null, null, null, null, null, '2024年3月8日']);
    });
    const read = plan(file);
    expect(read.stderr).toBe('');
    const tasks = read.plan?.tasks.map((t) => ({ number: t.number, line: t.line, lead: t.lead, coUnits: t.coUnits, deadlines: (t.deadlines as { date: string }[]).map((d) => d.date) }));
    expect(tasks).toEqual([
      { number: 1, line: 3, lead: '县卫生健康局', coUnits: ['县农业农村局', '县财政局'], deadlines: ['2024-06-30', '2024-09-30'] },
      { number: 2, line: 5, lead: '县农业农村局', coUnits: [], deadlines: [] },
    ]);
    expect(read.plan?.tasks[0]?.title).toBe('推进厕所改造');
  });

  it('skips hidden rows, as a cancelled task is often hidden', async () => {
    const file = await save('隐藏行.xlsx', (wb) => {
      const { first } = taskSheet(wb);
      wb.getWorksheet('任务分解表')!.getRow(first + 1).hidden = true;
    });
    const read = plan(file);
    expect(read.plan?.tasks.map((t) => t.number)).toEqual([1, 3, 4]);
  });

  it('refuses a workbook with no task table, naming the sheets it has', async () => {
    const file = await save('统计表.xlsx', (wb) => {
      wb.addWorksheet('汇总').addRow(['单位', '户数']);
      wb.addWorksheet('明细').addRow(['乡镇', '人数', '备注']);
    });
    const refused = plan(file);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/统计表\.xlsx: 没有找到任务表：工作表「汇总」「明细」的前 10 行中都没有/);
  });

  it('tells an old .xls from an old .doc', async () => {
    const file = join(dir, 'old.xls');
    writeFileSync(file, Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]));
    expect(plan(file).stderr).toMatch(/old\.xls: 这是旧版 Excel（\.xls）文件：请另存为 \.xlsx/);
  });
});
