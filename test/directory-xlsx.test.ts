/**
 * The unit directory as an Excel workbook: the seed directory survives YAML → .xlsx → directory unchanged, a
 * sheet written the way a clerk writes one (a title row, merged unit cells, mobiles typed as numbers, emails
 * as links) loads, and each mistake is refused naming the sheet, row and column. The template is written
 * once and never over a file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { directoryCommand } from '../cli/directory';
import { loadCampaign } from '../cli/campaign-input';
import { directoryWorkbook, writeNewWorkbook } from '../plan/directory-workbook';
import { loadDirectory } from '../plan/files';
import { readWorkbookSync, WorkbookReadError } from '../plan/workbook-sync';
import { errorOf } from './error-of';

const seedYaml = join(__dirname, '..', 'seeds', 'dazhu-units.yaml');
const tmp = () => mkdtempSync(join(tmpdir(), 'duban-dir-xlsx-'));
const hasOpenpyxl = spawnSync('python3', ['-c', 'import openpyxl'], { stdio: 'ignore' }).status === 0;


const SETTINGS: [string, string][] = [
  ['督办单位（按升级顺序）', '县乡村振兴局、县委农办'],
  ['县委农办', '县委农办'],
  ['纪委监委', '县纪委监委'],
];

/** A clerk's workbook: a title row, the header, then `rows` (row 3 onwards), and the settings sheet. */
async function clerkWorkbook(rows: unknown[][], opts: { settings?: [string, string][]; merge?: string[]; header?: string[] } = {}): Promise<string> {
  const wb = new ExcelJS.Workbook();
  const people = wb.addWorksheet('单位通讯录');
  people.addRow(['大竹县督办联络员名单（2022 年）']);
  people.addRow(opts.header ?? ['序号', '单位', '姓名', '角色', '微信号', '手机', '邮箱', '工作群', '所属分组', '备注']);
  for (const r of rows) people.addRow(r);
  for (const range of opts.merge ?? []) people.mergeCells(range);
  const settings = wb.addWorksheet('督办设置');
  settings.addRow(['项目', '内容']);
  for (const s of opts.settings ?? SETTINGS) settings.addRow(s);
  const file = join(tmp(), 'units.xlsx');
  await wb.xlsx.writeFile(file);
  return file;
}

const OFFICES = [
  [1, '县乡村振兴局', '张海燕', '联络员', 'zhy-01', 13800000001, { text: 'zhy@example.org', hyperlink: 'mailto:zhy@example.org' }, '县乡村振兴局工作群'],
  [2, '县委农办', '金志强', '联络员', 'jzq-01', '13800000002', 'jzq@example.org'],
  [3, '县纪委监委', '邱文斌', '联络员', 'qwb-01', '', 'qwb@example.org'],
];

describe('the unit directory as .xlsx', () => {
  it('the seed directory, written to .xlsx and read back, is the same directory', async () => {
    const file = join(tmp(), 'seed.xlsx');
    await writeNewWorkbook(file, directoryWorkbook(loadDirectory(seedYaml)));
    const dir = loadDirectory(file);
    expect(dir).toEqual(loadDirectory(seedYaml));
    // And a campaign runs on it as on the YAML: the same duties for the same units.
    const fromXlsx = loadCampaign({ year: 2022, directory: file });
    expect(fromXlsx.input).toEqual(loadCampaign({ year: 2022 }).input);
    // The worker loads the directory once and hands it over, rather than reading the workbook again.
    expect(loadCampaign({ year: 2022, directory: dir }).input).toEqual(fromXlsx.input);
    // A reading thread that runs out of memory is reported as such at once, not as a minute's "timed out".
    const oom = errorOf(() => readWorkbookSync(file, { limits: { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 }, timeoutMs: 30_000 }));
    expect(oom).toBeInstanceOf(WorkbookReadError);
    expect(oom.message).toMatch(/^读取时内存不足（上限 4 MB）/);
  });

  it('skips rows that list no person: 序号 or 备注 alone, footers, headings, merged unit cells', async () => {
    const file = await clerkWorkbook([
      ...OFFICES,
      [4],
      [null, '', '', '', '', '', '', '', '', '以下无正文'],
      ['填表人：王五        联系电话：0818-6221234'],
    ]);
    expect(Object.keys(loadDirectory(file).units)).toEqual(['县乡村振兴局', '县委农办', '县纪委监委']);

    // The template's own layout (单位 in column A): a heading, a unit merged past its person, a merged note, a footer.
    const wb = directoryWorkbook();
    const people = wb.getWorksheet('单位通讯录')!;
    people.addRow(['一、县直部门']);
    people.addRow(OFFICES[0]!.slice(1));
    people.addRow([]);
    people.mergeCells('A3:A4');
    for (const r of OFFICES.slice(1)) people.addRow(r.slice(1));
    people.addRow(['注：本表每季度更新']);
    people.mergeCells(`A${people.rowCount}:J${people.rowCount}`);
    people.addRow(['填表人：王五']);
    for (const [cell, value] of [['B2', '县乡村振兴局、县委农办'], ['B3', '县委农办'], ['B4', '县纪委监委']] as const) wb.getWorksheet('督办设置')!.getCell(cell).value = value;
    const template = join(tmp(), 'filled.xlsx');
    await wb.xlsx.writeFile(template);
    expect(loadDirectory(template).units['县乡村振兴局']?.coordinators.map((p) => p.name)).toEqual(['张海燕']);
    expect(Object.keys(loadDirectory(template).units)).toEqual(['县乡村振兴局', '县委农办', '县纪委监委']);

    // A name without a role is still a person, and a mistake; so is a unit with nobody.
    const noRole = await clerkWorkbook([...OFFICES, [4, '县教科局', '陈建华', '', 'cjh-01']]);
    expect(errorOf(() => loadDirectory(noRole)).message).toBe(`${noRole} 工作表“单位通讯录”第 6 行“角色”列 (sheet 单位通讯录, row 6, column 角色): 角色未填：请填 联络员、分管领导 或 管理员 (the role is missing)`);
    const nobody = await clerkWorkbook([...OFFICES, [4, '县教科局']]);
    expect(errorOf(() => loadDirectory(nobody)).message).toContain('第 6 行“单位”列 (sheet 单位通讯录, row 6, column 单位): 只有单位「县教科局」，没有姓名和角色');
  });

  it('finds the header under the accepted headings (单位名称, 身份, 手机号码, 电子邮箱)', async () => {
    const file = await clerkWorkbook(
      OFFICES.map(([n, unit, name, role, , mobile, email]) => [n, unit, name, role, mobile, email]),
      { header: ['序号', '单位名称', '姓名', '身份', '手机号码', '电子邮箱'] },
    );
    expect(loadDirectory(file).units['县乡村振兴局']?.coordinators).toEqual([{ name: '张海燕', mobile: '13800000001', email: 'zhy@example.org' }]);
  });

  it('an .xls, .et or .csv directory (or one saved with a password) is refused, asking for .xlsx', () => {
    const dir = tmp();
    const compound = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504)]);
    const cases: [string, Buffer | string, string][] = [
      ['units.xls', compound, '是旧版 Excel/WPS 表格（.xls/.et）：请在 Excel/WPS 中打开 units.xls，另存为 .xlsx（Excel 工作簿）后使用新文件'],
      ['units.et', compound, '是旧版 Excel/WPS 表格（.xls/.et）：请在 Excel/WPS 中打开 units.et，另存为 .xlsx'],
      ['units.xlsx', compound, '是旧版 Excel/WPS 格式或设置了打开密码的工作簿，无法读取：请在 Excel/WPS 中打开 units.xlsx，另存为 .xlsx'],
      ['units.csv', '单位,姓名,角色\n县民政局,王晓明,联络员\n', '.csv 文件不能直接使用：请在 Excel/WPS 中打开 units.csv，另存为 .xlsx'],
      ['units.yaml', Buffer.from('PK\x03\x04rest-of-a-zip'), '是压缩格式的表格或文档（.yaml），不是单位通讯录可用的格式：请在 Excel/WPS 中打开 units.yaml，另存为 .xlsx'],
    ];
    for (const [name, bytes, message] of cases) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const err = errorOf(() => loadDirectory(file));
      expect(err.name).toBe('PlanFileError');
      expect(err.message).toContain(`${file}: ${message}`);
    }
  });

  it('reads a sheet as a clerk writes it: title row, merged unit cells, numbers and links', async () => {
    const file = await clerkWorkbook(
      [
        ...OFFICES,
        [4, '竹阳街道', '邵海燕', '联络员', 'sha-01', 13800000004, 'sha@example.org', '竹阳街道督办群', '各乡镇(街道)'],
        [5, '', '孟志强', '分管领导', 'mzq-01', '', 'mzq@example.org'],
        [6, '东柳街道', '龙建华', '联络员', '', '', 'ljh@example.org', '', '各乡镇(街道)', '暂无微信'],
        [7, '', '系统管理员', '管理员', '', '', 'admin@example.org'],
      ],
      { merge: ['B6:B7'] },
    );
    const dir = loadDirectory(file);
    expect(dir.units['县乡村振兴局']?.coordinators).toEqual([{ name: '张海燕', wechat: 'zhy-01', mobile: '13800000001', email: 'zhy@example.org' }]);
    expect(dir.units['县乡村振兴局']?.wechatGroup).toBe('县乡村振兴局工作群');
    expect(dir.units['竹阳街道']).toEqual({
      coordinators: [{ name: '邵海燕', wechat: 'sha-01', mobile: '13800000004', email: 'sha@example.org' }],
      leaders: [{ name: '孟志强', wechat: 'mzq-01', email: 'mzq@example.org' }],
      wechatGroup: '竹阳街道督办群',
    });
    expect(dir.groups).toEqual({ '各乡镇(街道)': ['竹阳街道', '东柳街道'] });
    expect(dir.supervisors).toEqual(['县乡村振兴局', '县委农办']);
    expect(dir.disciplineOffice).toBe('县纪委监委');
    expect(dir.admins).toEqual([{ name: '系统管理员', email: 'admin@example.org' }]);
  });

  it('names the sheet, row and column of each mistake', async () => {
    const badEmail = await clerkWorkbook([...OFFICES, [4, '县教科局', '陈建华', '联络员', 'cjh-01', '', 'chen.example.org']]);
    // Row 6: title, header, three offices, then the bad row.
    expect(errorOf(() => loadDirectory(badEmail)).message).toBe(`${badEmail} 工作表“单位通讯录”第 6 行“邮箱”列 (sheet 单位通讯录, row 6, column 邮箱): 邮箱格式不正确 (malformed email address)`);

    const badRole = await clerkWorkbook([...OFFICES, [4, '县教科局', '陈建华', '科员', 'cjh-01']]);
    expect(errorOf(() => loadDirectory(badRole)).message).toContain('工作表“单位通讯录”第 6 行“角色”列');

    const twice = await clerkWorkbook([...OFFICES, [4, '县教科局', '陈建华', '联络员', 'zhy-01']]);
    expect(errorOf(() => loadDirectory(twice)).message).toBe(
      `${twice} 工作表“单位通讯录”第 6 行“微信号”列 (sheet 单位通讯录, row 6, column 微信号): 联系人重复：zhy-01 已登记在 第 3 行，同一微信号、邮箱、企业微信或钉钉账号只能登记一次 (duplicate contact)`,
    );

    const noCoordinator = await clerkWorkbook([...OFFICES, [4, '县教科局', '杨雪梅', '分管领导', 'yxm-01']]);
    expect(errorOf(() => loadDirectory(noCoordinator)).message).toMatch(/第 6 行“角色”列.*每个单位至少一名联络员/);

    const mobile = await clerkWorkbook([...OFFICES, [4, '县教科局', '陈建华', '联络员', '', '1380000', 'c@example.org']]);
    expect(errorOf(() => loadDirectory(mobile)).message).toMatch(/第 6 行“手机”列.*手机号须为 11 位数字/);

    const groupsDiffer = await clerkWorkbook([
      ...OFFICES,
      [4, '县教科局', '陈建华', '联络员', '', '', 'c@example.org', '教科局群'],
      [5, '县教科局', '杨雪梅', '分管领导', '', '', 'y@example.org', '教科局工作群'],
    ]);
    expect(errorOf(() => loadDirectory(groupsDiffer)).message).toMatch(/第 7 行“工作群”列.*与第 6 行不一致/);

    const unknownSupervisor = await clerkWorkbook(OFFICES, { settings: [['督办单位（按升级顺序）', '县乡村振兴局、县农业局'], ...SETTINGS.slice(1)] });
    expect(errorOf(() => loadDirectory(unknownSupervisor)).message).toMatch(/工作表“督办设置”第 2 行“内容”列.*未知单位「县农业局」/);

    const notXlsx = join(tmp(), 'units.xlsx');
    writeFileSync(notXlsx, '单位,姓名\n县民政局,王晓明\n');
    const unreadable = errorOf(() => loadDirectory(notXlsx));
    expect(unreadable.message).toContain('不是可读取的 Excel (.xlsx) 文件');
    expect(unreadable.name).toBe('PlanFileError');
  });

  it('duban directory template writes the header and instructions once, and never over a file', async () => {
    const file = join(tmp(), 'units.xlsx');
    expect(await directoryCommand(['template', file])).toBe(0);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    expect(wb.worksheets.map((s) => s.name)).toEqual(['单位通讯录', '督办设置', '填写说明']);
    expect((wb.getWorksheet('单位通讯录')!.getRow(1).values as unknown[]).slice(1)).toEqual(['单位', '姓名', '角色', '微信号', '手机', '邮箱', '工作群', '工作群ID', '企业微信机器人', '所属分组', '企业微信账号', '钉钉账号']);
    const before = readFileSync(file);
    await expect(directoryCommand(['template', file])).rejects.toThrow('已存在，不会覆盖');
    expect(readFileSync(file).equals(before)).toBe(true);
    // Nor does convert write over an existing YAML.
    const yaml = join(tmp(), 'units.yaml');
    writeFileSync(yaml, '# 已填好的通讯录\n');
    await expect(directoryCommand(['convert', seedYaml, yaml])).rejects.toThrow(`${yaml} 已存在，不会覆盖`);
    expect(readFileSync(yaml, 'utf8')).toBe('# 已填好的通讯录\n');
    // Filled in by hand: it loads.
    wb.getWorksheet('单位通讯录')!.addRows(OFFICES.map((r) => r.slice(1)));
    wb.getWorksheet('督办设置')!.getCell('B2').value = '县乡村振兴局、县委农办';
    wb.getWorksheet('督办设置')!.getCell('B3').value = '县委农办';
    wb.getWorksheet('督办设置')!.getCell('B4').value = '县纪委监委';
    const filled = join(tmp(), 'filled.xlsx');
    await wb.xlsx.writeFile(filled);
    expect(Object.keys(loadDirectory(filled).units)).toEqual(['县乡村振兴局', '县委农办', '县纪委监委']);
  });

  it.runIf(hasOpenpyxl)('the template opens in openpyxl with its header frozen', async () => {
    const file = join(tmp(), 'units.xlsx');
    await writeNewWorkbook(file, directoryWorkbook());
    const py = spawnSync('python3', ['-c', 'import sys, openpyxl; ws = openpyxl.load_workbook(sys.argv[1])["单位通讯录"]; print(ws.freeze_panes, [c.value for c in ws[1]][:3])', file], { encoding: 'utf8' });
    expect(py.stderr).toBe('');
    expect(py.stdout.trim()).toBe("A2 ['单位', '姓名', '角色']");
  });
});
