/**
 * Writes the unit directory as an .xlsx (exceljs): an empty template to fill in, or an existing directory to
 * hand to the office that keeps it. Never overwrites a file: a filled-in directory is someone's afternoon.
 */
import { existsSync, writeFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import type { Directory } from './directory';
import { FileExistsError } from './errors';
import { HELP_SHEET, PEOPLE_COLUMNS, PEOPLE_SHEET, peopleRows, SETTINGS, SETTINGS_SHEET, settingsValues } from './directory-xlsx';

const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } };

const WIDTHS: Record<string, number> = { 单位: 22, 姓名: 14, 角色: 10, 微信号: 22, 手机: 14, 邮箱: 30, 工作群: 26, 工作群ID: 22, 企业微信机器人: 22, 所属分组: 16, 企业微信账号: 18, 钉钉账号: 22 };

const HELP_LINES: [string, string][] = [
  ['单位通讯录', '每人一行。同一单位的多个人各占一行，“单位”写相同名称（也可合并单元格）。'],
  ['角色', '联络员：接收提醒、回复收到/办结/进度/延期（每个单位至少一名）。分管领导：逾期后收到督办，也可回复。管理员：系统故障告警的接收人，“单位”可不填。办公室文员（或 督查室）：可在督办看板「新建督办」上传通知、核对计划、启动督办，由管理员发给个人登录链接，“单位”可填所在科室。'],
  ['微信号', '微信号（不是昵称）：机器人只按微信号认人。不用微信可不填，改发邮件。'],
  ['手机', '11 位手机号：全县企业微信群机器人按手机号 @ 联络员。可不填。'],
  ['邮箱', '接收邮件提醒和督办通知书。同一微信号或邮箱只能登记一次。'],
  ['工作群', '单位的微信工作群名称；同一单位只需在第一行填写（各行都填须一致）。不填则直接私信联络员。'],
  ['工作群ID', '可不填。机器人启动时打印每个群的 ID（如 12345@chatroom）；填写后群改名也能找到。'],
  ['企业微信机器人', '可不填。单位自己的企业微信群机器人 key 或完整 Webhook 地址；同一单位只填一次。'],
  ['所属分组', '可不填。如“各乡镇(街道)”：通知中写分组名时，组内每个单位各有一项任务。多个分组用顿号分隔。'],
  ['企业微信账号', '可不填。企业微信成员的“账号”（userid，管理后台 → 通讯录 → 成员详情），不是姓名；机器人只按账号认人。清空即删除该账号。'],
  ['钉钉账号', '可不填。钉钉成员的 UserID（管理后台 → 通讯录 → 成员详情里的“员工 UserID”），也可填 unionId。清空即删除该账号。'],
  ['督办设置', '督办单位按升级顺序填写（如 县乡村振兴局、县委农办），再填县委农办、纪委监委的单位名称；这些单位也须在“单位通讯录”中登记。'],
  ['检查', '填好后运行 npx duban directory check 文件名.xlsx；出错时会指出工作表、行和列。'],
];

/** The workbook for a directory, or an empty template when none is given. */
export function directoryWorkbook(dir?: Directory): ExcelJS.Workbook {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'duban';
  const people = workbook.addWorksheet(PEOPLE_SHEET, { views: [{ state: 'frozen', ySplit: 1 }] });
  people.columns = PEOPLE_COLUMNS.map((c) => ({ header: c.title, key: c.key, width: WIDTHS[c.title] ?? 16 }));
  for (const r of dir ? peopleRows(dir) : []) people.addRow(r);
  // Mobiles and platform ids are text: typed as numbers, Excel would show 1.38E+10 and drop leading zeros (a
  // DingTalk UserID is often all digits, starting with 0).
  for (const key of ['wechat', 'mobile', 'wecom', 'dingtalk'] as const) people.getColumn(key).numFmt = '@';
  people.getRow(1).font = { bold: true };
  people.getRow(1).fill = HEADER_FILL;
  // The three roles offered as a list, on one range (per-cell validations make exceljs's writer run out of memory).
  const role = people.getColumn('role').letter;
  // (Worksheet.dataValidations is exceljs API its type declarations leave out.)
  (people as unknown as { dataValidations: { add(range: string, v: ExcelJS.DataValidation): void } }).dataValidations.add(`${role}2:${role}${Math.max(500, people.rowCount + 100)}`, { type: 'list', allowBlank: true, formulae: ['"联络员,分管领导,管理员,办公室文员"'] });

  const settings = workbook.addWorksheet(SETTINGS_SHEET);
  settings.columns = [
    { header: '项目', key: 'title', width: 26 },
    { header: '内容', key: 'value', width: 40 },
    { header: '说明', key: 'hint', width: 70 },
  ];
  const values = settingsValues(dir);
  for (const s of SETTINGS) settings.addRow({ title: s.title, value: values[s.key], hint: s.hint });
  settings.getRow(1).font = { bold: true };
  settings.getRow(1).fill = HEADER_FILL;

  const help = workbook.addWorksheet(HELP_SHEET);
  help.columns = [
    { header: '列 / 工作表', key: 'what', width: 18 },
    { header: '怎么填', key: 'how', width: 100 },
  ];
  for (const [what, how] of HELP_LINES) help.addRow({ what, how }).alignment = { wrapText: true, vertical: 'top' };
  help.getRow(1).font = { bold: true };
  help.getRow(1).fill = HEADER_FILL;
  return workbook;
}

/** Writes the workbook to a new file; an existing file is left alone (FileExistsError). */
export async function writeNewWorkbook(file: string, workbook: ExcelJS.Workbook): Promise<void> {
  if (existsSync(file)) throw new FileExistsError(file);
  const bytes = Buffer.from(await workbook.xlsx.writeBuffer());
  try {
    // 'wx': a file that appeared meanwhile is still not overwritten.
    writeFileSync(file, bytes, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new FileExistsError(file);
    throw err;
  }
}
