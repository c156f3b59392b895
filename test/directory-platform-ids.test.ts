/**
 * The platform ids of the directory (企业微信账号 = `wecom`, 钉钉账号 = `dingtalk`) survive the Excel directory on
 * the dashboard: the download carries them in their own columns and an upload of it keeps every one; a workbook
 * made from the template before those columns existed keeps the ids the directory in use holds for the same person
 * (same unit, same name), so replies from WeCom and DingTalk are still recognised; a cell the clerk empties in the
 * new template removes the id; a malformed id is refused naming the sheet, row and column.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { identify } from '../bot/replies';
import { SEED_DIRECTORY } from '../cli/campaign-input';
import { directoryChanges, DirectoryStore, directoryXlsx } from '../dashboard/directory-page';
import type { Directory } from '../plan/directory';
import { peopleRows } from '../plan/directory-xlsx';
import { loadDirectory } from '../plan/files';

const seed = loadDirectory(SEED_DIRECTORY);

/** The seed directory with WeCom and DingTalk ids for a coordinator, a leader, the administrator and a clerk. */
function directoryWithIds(): Directory {
  const dir = structuredClone(seed);
  const office = dir.units['县乡村振兴局']!;
  // A DingTalk userid of digits with a leading zero: kept as text, not turned into a number.
  office.coordinators[0] = { ...office.coordinators[0]!, wecom: 'ZhangHaiYan', dingtalk: '0123456789012345' };
  office.leaders[0] = { ...office.leaders[0]!, wecom: 'leader.u01@dazhu' };
  const [second] = Object.keys(dir.units).filter((u) => u !== '县乡村振兴局');
  dir.units[second!]!.coordinators[0] = { ...dir.units[second!]!.coordinators[0]!, dingtalk: 'z21HjQliSzpw0YWCNxmii6u2Os62cZ62iSZ' };
  dir.admins[0] = { ...dir.admins[0]!, wecom: 'duban-admin' };
  dir.clerks = [{ name: '王文员（虚构）', unit: '县政府督查室', dingtalk: 'manager4220' }];
  return dir;
}

/** A desk whose directory in use is `dir` (the deployment's, nothing uploaded yet). */
function deskWith(dir: Directory): { store: DirectoryStore; data: string } {
  const data = mkdtempSync(join(tmpdir(), 'duban-platform-ids-'));
  const base = join(data, 'units.yaml');
  writeFileSync(base, stringify(dir));
  return { store: new DirectoryStore(join(data, 'directory.yaml'), base), data };
}

const upload = (store: DirectoryStore, bytes: Buffer, filename = '通讯录.xlsx') => store.replace({ field: 'file', filename, bytes }, Date.UTC(2026, 2, 2, 1));

/** The columns of the template before 企业微信账号 and 钉钉账号 (0.9.2), with their keys. */
const OLD_COLUMNS = [
  ['单位', 'unit'],
  ['姓名', 'name'],
  ['角色', 'role'],
  ['微信号', 'wechat'],
  ['手机', 'mobile'],
  ['邮箱', 'email'],
  ['工作群', 'wechatGroup'],
  ['工作群ID', 'wechatGroupId'],
  ['企业微信机器人', 'wecomWebhook'],
  ['所属分组', 'groups'],
] as const;

/** A workbook filled in on the old template: the same people, no id columns; `extra` rows appended. */
async function oldTemplateWorkbook(dir: Directory, extra: string[][] = []): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const people = wb.addWorksheet('单位通讯录');
  people.addRow(OLD_COLUMNS.map(([title]) => title));
  for (const r of peopleRows(dir)) people.addRow(OLD_COLUMNS.map(([, key]) => r[key]));
  for (const r of extra) people.addRow(r);
  const settings = wb.addWorksheet('督办设置');
  settings.addRow(['项目', '内容']);
  settings.addRow(['督办单位（按升级顺序）', dir.supervisors.join('、')]);
  settings.addRow(['县委农办', dir.ruralWorkOffice]);
  settings.addRow(['纪委监委', dir.disciplineOffice]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The downloaded workbook, changed by `edit` (its 单位通讯录 sheet and the column numbers by heading). */
async function editedDownload(dir: Directory, edit: (sheet: ExcelJS.Worksheet, col: (heading: string) => number) => void): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(new Uint8Array(await directoryXlsx(dir)).buffer);
  const sheet = wb.getWorksheet('单位通讯录')!;
  const headings = (sheet.getRow(1).values as unknown[]).map((v) => String(v ?? ''));
  edit(sheet, (heading) => {
    const n = headings.indexOf(heading);
    if (n < 1) throw new Error(`no column ${heading}: ${headings.join(',')}`);
    return n;
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The row of the sheet whose 姓名 is `name`. */
function rowOf(sheet: ExcelJS.Worksheet, col: (heading: string) => number, name: string): ExcelJS.Row {
  let found: ExcelJS.Row | undefined;
  sheet.eachRow((row) => {
    if (row.getCell(col('姓名')).text === name) found ??= row;
  });
  if (!found) throw new Error(`no row for ${name}`);
  return found;
}

describe('WeCom and DingTalk ids in the Excel directory', () => {
  it('download → upload keeps every WeCom and DingTalk id, in columns 企业微信账号 and 钉钉账号', async () => {
    const dir = directoryWithIds();
    const bytes = await directoryXlsx(dir);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(new Uint8Array(bytes).buffer);
    const headings = (wb.getWorksheet('单位通讯录')!.getRow(1).values as unknown[]).map((v) => String(v ?? ''));
    expect(headings).toContain('企业微信账号');
    expect(headings).toContain('钉钉账号');
    // Uploaded to a desk whose directory holds no ids at all: every id comes from the workbook's own columns.
    const { store, data } = deskWith(seed);
    const result = upload(store, bytes);
    expect(result.ok ? undefined : result.why).toBeUndefined();
    const saved = loadDirectory(join(data, 'directory.yaml'));
    expect(saved).toEqual(dir);
    // And the bot knows who is speaking on each platform.
    expect(identify(saved, { id: 'ZhangHaiYan', name: '张', channel: 'wecom' })).toMatchObject({ unit: '县乡村振兴局', role: 'coordinator' });
    expect(identify(saved, { id: '0123456789012345', name: '张', channel: 'dingtalk' })).toMatchObject({ unit: '县乡村振兴局', role: 'coordinator' });
  });

  it('an upload made from the old template (no id columns) keeps the ids the directory in use holds for the same person', async () => {
    const dir = directoryWithIds();
    const { store, data } = deskWith(dir);
    // The clerk adds a new coordinator; everybody else is as before.
    const bytes = await oldTemplateWorkbook(dir, [['县乡村振兴局', '刘新人（虚构）', '联络员', 'liu-new']]);
    const result = upload(store, bytes);
    expect(result.ok ? undefined : result.why).toBeUndefined();
    const saved = loadDirectory(join(data, 'directory.yaml'));
    const office = dir.units['县乡村振兴局']!;
    expect(saved.units['县乡村振兴局']!.coordinators).toEqual([...office.coordinators, { name: '刘新人（虚构）', wechat: 'liu-new' }]);
    expect({ ...saved, units: { ...saved.units, 县乡村振兴局: office } }).toEqual(dir);
    expect(identify(saved, { id: 'z21HjQliSzpw0YWCNxmii6u2Os62cZ62iSZ', name: '?', channel: 'dingtalk' })).toBeDefined();
    expect(identify(saved, { id: 'leader.u01@dazhu', name: '?', channel: 'wecom' })).toMatchObject({ unit: '县乡村振兴局', role: 'leader' });
  });

  it('an old-template upload keeps only the same person’s ids: same unit and name; a coordinator made leader keeps them', async () => {
    const dir = directoryWithIds();
    const { store, data } = deskWith(dir);
    const moved = structuredClone(dir);
    const office = moved.units['县乡村振兴局']!;
    const [zhang] = office.coordinators.splice(0, 1, { name: '张海燕（虚构）改名', wechat: 'renamed' });
    office.leaders.push({ name: zhang!.name, email: 'zhang.leader@example.org' });
    expect(upload(store, await oldTemplateWorkbook(moved))).toMatchObject({ ok: true });
    const saved = loadDirectory(join(data, 'directory.yaml')).units['县乡村振兴局']!;
    // A renamed person is somebody else as far as the sheet says: no ids. The same name in the same unit keeps them.
    expect(saved.coordinators[0]).toEqual({ name: '张海燕（虚构）改名', wechat: 'renamed' });
    expect(saved.leaders.at(-1)).toEqual({ name: zhang!.name, email: 'zhang.leader@example.org', wecom: 'ZhangHaiYan', dingtalk: '0123456789012345' });
  });

  it('in the new template an emptied id cell means no id: the clerk removed it', async () => {
    const dir = directoryWithIds();
    const { store, data } = deskWith(dir);
    const bytes = await editedDownload(dir, (sheet, col) => {
      rowOf(sheet, col, '张海燕（虚构）').getCell(col('企业微信账号')).value = null;
    });
    const result = upload(store, bytes);
    expect(result).toMatchObject({ ok: true });
    const zhang = loadDirectory(join(data, 'directory.yaml')).units['县乡村振兴局']!.coordinators[0]!;
    expect(zhang.wecom).toBeUndefined();
    expect(zhang.dingtalk).toBe('0123456789012345');
    // The page's notice says so, for a clerk who emptied the cell by mistake.
    const changes = result.ok ? directoryChanges(result.previous, result.dir) : [];
    expect(changes).toContain('填有企业微信账号的 2 人（此前 3 人）');
    expect(changes.join('；')).not.toContain('钉钉账号');
  });

  it('refuses a malformed id, naming the sheet, row and column; the directory in use is not changed', async () => {
    const dir = directoryWithIds();
    const { store, data } = deskWith(dir);
    let row = 0;
    const spaced = await editedDownload(dir, (sheet, col) => {
      const r = rowOf(sheet, col, '张海燕（虚构）');
      row = r.number;
      r.getCell(col('企业微信账号')).value = 'zhang haiyan';
    });
    const refused = upload(store, spaced);
    expect(refused.ok).toBe(false);
    expect(refused.ok ? '' : refused.why).toContain(`通讯录.xlsx 工作表“单位通讯录”第 ${row} 行“企业微信账号”列 (sheet 单位通讯录, row ${row}, column 企业微信账号)`);
    expect(refused.ok ? '' : refused.why).toContain('不能含空格');

    const long = await editedDownload(dir, (sheet, col) => {
      rowOf(sheet, col, '张海燕（虚构）').getCell(col('钉钉账号')).value = 'x'.repeat(65);
    });
    const tooLong = upload(store, long);
    expect(tooLong.ok ? '' : tooLong.why).toContain(`第 ${row} 行“钉钉账号”列 (sheet 单位通讯录, row ${row}, column 钉钉账号)`);
    expect(tooLong.ok ? '' : tooLong.why).toContain('最多 64 个字符');

    // A name typed into the id column by mistake.
    const name = await editedDownload(dir, (sheet, col) => {
      rowOf(sheet, col, '张海燕（虚构）').getCell(col('钉钉账号')).value = '张海燕';
    });
    const named = upload(store, name);
    expect(named.ok ? '' : named.why).toContain(`第 ${row} 行“钉钉账号”列 (sheet 单位通讯录, row ${row}, column 钉钉账号): 钉钉账号只能含字母、数字和符号，不能含空格或汉字`);
    // Nothing was taken: the desk still has the deployment's directory, with its ids.
    expect(store.current()).toEqual(dir);
    expect(store.source()).not.toBe(join(data, 'directory.yaml'));
  });
});
