/**
 * The clerk's desk's pure parts, alone: flags per row, marked source sentences, a row's form read back into the
 * task with its changes in words, multipart parsing, the audit log's torn line, clerk links, and the directory's
 * clerks (YAML without them still loads; the Excel role 办公室文员).
 */
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEED_DIRECTORY } from '../cli/campaign-input';
import { AuditLog } from '../dashboard/audit';
import { clerkSession, signClerkLink, verifyClerkLink } from '../dashboard/clerks';
import { applyRow, flagsOf, markSentence, readRowForm } from '../dashboard/plan-review';
import { parseMultipart } from '../dashboard/uploads';
import { directoryFromSheets } from '../plan/directory-xlsx';
import { loadDirectory } from '../plan/files';
import type { SheetCells } from '../plan/workbook-sync';
import type { PlanTask } from '../plan/schema';

const dir = loadDirectory(SEED_DIRECTORY);
const task: PlanTask = {
  number: 8,
  title: '改善人居环境',
  lead: '',
  coUnits: ['县政府有关部门'],
  deadlines: [{ date: '2029-12-31', text: '全面开展村庄清洁行动。', implied: true }],
  review: [{ field: 'lead', reason: '未找到牵头单位：请在本任务中填写牵头单位 (no lead found)' }],
};

describe('a row of the review', () => {
  it('flags no lead and an unknown unit as blocking, a presumed year end as a check', () => {
    const flags = flagsOf(task, dir);
    expect(flags.filter((f) => f.blocking).map((f) => f.reason)).toEqual(['未找到牵头单位：请填写牵头单位，填好前不能启动督办', '通讯录中没有「县政府有关部门」：请改为通讯录中的单位，或先在通讯录中登记']);
    expect(flags.find((f) => !f.blocking)?.reason).toBe('通知未写时限，推定为年底（2029-12-31）：请核对');
    expect(flagsOf({ ...task, lead: '县住建局', coUnits: ['各乡镇(街道)'], deadlines: [] }, dir)).toEqual([]);
  });

  it('marks each phrase once, longest first, and escapes the rest', () => {
    const html = markSentence('由县交通运输局牵头，<b>9月底前</b>完成', [
      { text: '县交通运输局', kind: 'lead' },
      { text: '9月底前', kind: 'deadline' },
      { text: '交通', kind: 'co' },
    ]);
    expect(html).toBe('由<mark class="lead" title="牵头单位">县交通运输局</mark>牵头，&lt;b&gt;<mark class="deadline" title="截止日期">9月底前</mark>&lt;/b&gt;完成');
  });

  it('reads a row back with its changes in words; a date the clerk wrote is no longer presumed', () => {
    const form = new URLSearchParams([
      ['task', '8'],
      ['title', '改善人居环境'],
      ['lead', '县住建局'],
      ['lead', ''],
      ['co', '各乡镇(街道)'],
      ['deadline', '2029-10-31'],
      ['deadline', ''],
      ['quota', '2'],
      ['accountable', 'lead'],
    ]);
    const row = readRowForm(form);
    if (!row.ok) throw new Error(row.why);
    const applied = applyRow(task, row.row, 2029);
    if ('why' in applied) throw new Error(applied.why);
    expect(applied.changes).toEqual(['牵头单位：（空） → 县住建局', '配合单位：县政府有关部门 → 各乡镇(街道)', '截止日期：2029-12-31 → 2029-10-31', '新增次数要求 ≥2', '已核对（清除解析提示 1 条）']);
    expect(applied.task).toMatchObject({ lead: '县住建局', coUnits: ['各乡镇(街道)'], quotas: [{ min: 2, text: '（办公室核对时添加）' }] });
    expect(applied.task.deadlines?.[0]).toEqual({ date: '2029-10-31', text: '全面开展村庄清洁行动。' });
    expect(applied.task.review).toBeUndefined();
  });

  it('refuses an impossible date and a date outside the plan year, naming the field', () => {
    const bad = readRowForm(new URLSearchParams([['task', '8'], ['title', 'x'], ['deadline', '2029-02-30'], ['accountable', 'lead']]));
    expect(bad).toEqual({ ok: false, why: '截止日期（第 1 个）：日期须为存在的日期（年-月-日）' });
    const row = readRowForm(new URLSearchParams([['task', '8'], ['title', 'x'], ['lead', '县住建局'], ['deadline', '2031-05-01'], ['accountable', 'lead']]));
    if (!row.ok) throw new Error(row.why);
    expect(applyRow(task, row.row, 2029)).toEqual({ why: '截止日期 2031-05-01 不在计划年度 2029 或次年：请改正' });
  });
});

describe('the desk’s plumbing', () => {
  it('parses a multipart body: fields as text, a file as its bytes', () => {
    const body = Buffer.from(
      '--XB\r\nContent-Disposition: form-data; name="year"\r\n\r\n2029\r\n--XB\r\nContent-Disposition: form-data; name="notice"; filename="C:\\\\fake\\\\通知.docx"\r\nContent-Type: application/octet-stream\r\n\r\nPK\x03\x04\r\nbytes\r\n--XB--\r\n',
    );
    const parsed = parseMultipart(body, 'XB');
    expect(parsed?.fields.get('year')).toBe('2029');
    expect(parsed?.files[0]?.filename).toBe('通知.docx');
    expect(parsed?.files[0]?.bytes.toString()).toBe('PK\x03\x04\r\nbytes');
    expect(parseMultipart(Buffer.from('--XB\r\nContent-Disposition: form-data; name="a"\r\n\r\nno end'), 'XB')).toBeUndefined();
  });

  it('skips a torn line of the audit log and reads the newest first', () => {
    const log = new AuditLog(join(mkdtempSync(join(tmpdir(), 'duban-audit-')), 'audit.jsonl'));
    log.append({ at: 1, who: '管理员', action: 'plan.upload', subject: 'a', changes: ['上传'] });
    appendFileSync(log.file, '{"at":2,"who":"半');
    appendFileSync(log.file, '\n');
    log.append({ at: 3, who: '王文员（虚构）', action: 'plan.edit', subject: 'a', changes: ['任务1 …'] });
    expect(log.read().map((e) => e.at)).toEqual([3, 1]);
    expect(() => log.append({ at: 4, who: '', action: 'plan.edit', subject: 'a' })).toThrow();
  });

  it('signs clerks in only with an untampered, unexpired link, while the directory names them', () => {
    const secret = 'unit-test-secret-0123456789abcdefghijklmnop';
    const withClerk = { ...dir, clerks: [{ name: '王文员（虚构）' }] };
    const link = signClerkLink(secret, '王文员（虚构）', 1000);
    expect(clerkSession(secret, withClerk, link, 2000)).toMatchObject({ kind: 'clerk', name: '王文员（虚构）' });
    expect(clerkSession(secret, dir, link, 2000)).toBeUndefined();
    expect(verifyClerkLink('another-secret-0123456789abcdefghijklmnopq', link, 2000).ok).toBe(false);
    expect(verifyClerkLink(secret, link, 1000 + 31 * 24 * 3600_000)).toMatchObject({ ok: false, why: expect.stringContaining('已过期') });
  });
});

describe('office clerks in the directory', () => {
  it('a directory written before 0.9.1 loads with no clerks', () => {
    expect(dir.clerks).toEqual([]);
  });

  it('reads the role 办公室文员 (and 督查室) from the Excel sheet, its 单位 as the office', () => {
    const sheets: SheetCells[] = [
      {
        name: '单位通讯录',
        rows: [
          { row: 1, cells: { 1: '单位', 2: '姓名', 3: '角色' } },
          { row: 2, cells: { 1: '县乡村振兴局', 2: '张海燕（虚构）', 3: '联络员' } },
          { row: 3, cells: { 1: '县委农办', 2: '李四（虚构）', 3: '联络员' } },
          { row: 4, cells: { 1: '县纪委监委', 2: '王五（虚构）', 3: '联络员' } },
          { row: 5, cells: { 1: '县政府督查室', 2: '王文员（虚构）', 3: '办公室文员' } },
          { row: 6, cells: { 2: '赵文员（虚构）', 3: '督查室' } },
        ],
      },
      {
        name: '督办设置',
        rows: [
          { row: 2, cells: { 1: '督办单位（按升级顺序）', 2: '县乡村振兴局、县委农办' } },
          { row: 3, cells: { 1: '县委农办', 2: '县委农办' } },
          { row: 4, cells: { 1: '纪委监委', 2: '县纪委监委' } },
        ],
      },
    ];
    const read = directoryFromSheets('通讯录.xlsx', sheets);
    expect(read.clerks).toEqual([{ name: '王文员（虚构）', unit: '县政府督查室' }, { name: '赵文员（虚构）' }]);
    // Clerks are no unit of the directory: reminders never go to them.
    expect(Object.keys(read.units)).toEqual(['县乡村振兴局', '县委农办', '县纪委监委']);
  });
});
