/**
 * The 台账 in Excel: rows built from ledger lines and duty states (pure), and the file as `duban ledger` and
 * `duban simulate --xlsx` write it. A simulated year's closing 台账 is read back in closing-ledger.ts, on the year
 * campaign.test.ts runs.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { loadCampaign } from '../cli/campaign-input';
import { ledgerCommand, ledgerSource } from '../cli/ledger';
import { simulateCommand } from '../cli/simulate';
import { ledgerRows, type LedgerRow } from '../ledger/rows';
import { ledgerWorkbook, writeLedgerFile } from '../ledger/xlsx';
import { writePlan } from '../plan/files';
import type { DutyState, LedgerEntry } from '../workflows/types';

const plan = { tasks: [{ number: 15, title: '推进编制调整' }] } as Parameters<typeof ledgerRows>[0];
const at = (iso: string) => Date.parse(iso);

function entry(over: Partial<LedgerEntry>): LedgerEntry {
  return { dutyId: 'n/2022/t15/d0/县委编办', code: '15', kind: 'deadline', taskNumber: 15, unit: '县委编办', deadline: '2022-06-30', status: 'open', level: 'none', remindersSent: 0, escalationsSent: 0, ended: false, updatedAt: 0, ...over };
}

describe('台账 rows (pure)', () => {
  it('a duty completed after an approved extension: who, when, the note and the extension', () => {
    const e = entry({ status: 'completed', level: 'green', deadline: '2022-07-15', acknowledgedAt: at('2022-04-29T02:05:00Z'), completedAt: at('2022-07-14T07:30:00Z'), remindersSent: 4, escalationsSent: 0 });
    const state = {
      acknowledgedBy: '郝雪梅',
      completedAt: e.completedAt,
      completionNote: '批复已下达',
      deadline: '2022-07-15',
      originalDeadline: '2022-06-30',
      history: [
        { at: at('2022-06-20T02:00:00Z'), event: 'extension-requested', by: '郝雪梅', detail: '2022-07-15：等待编办批复' },
        { at: at('2022-06-21T02:00:00Z'), event: 'extension-approved', by: '张海燕', detail: '2022-07-15' },
        { at: e.completedAt!, event: 'completed', by: '孔文斌', detail: '批复已下达' },
      ],
    } as unknown as DutyState;
    const [row] = ledgerRows(plan, [e], new Map([[e.dutyId, state]]));
    expect(row).toMatchObject<Partial<LedgerRow>>({
      task: '15 推进编制调整',
      code: '15',
      item: '限时办结',
      deadline: '2022-07-15',
      status: '已办结',
      level: '绿（办结）',
      acknowledgedBy: '郝雪梅',
      acknowledgedAt: '2022-04-29 10:05',
      completedBy: '孔文斌',
      completedAt: '2022-07-14 15:30',
      completionNote: '批复已下达',
      extensions: '申请延至 2022-07-15：等待编办批复（郝雪梅） → 已同意（张海燕）\n原截止日期 2022-06-30',
      remindersSent: 4,
    });
  });

  it('closed unresolved, a monthly instance, and a duty whose state was not read', () => {
    const rows = ledgerRows(plan, [
      entry({ dutyId: 'b', status: 'closed', level: 'red', escalationsSent: 3 }),
      entry({ dutyId: 'a', kind: 'recurring', period: '2022-05', deadline: '2022-05-31', status: 'acknowledged', acknowledgedAt: at('2022-05-20T01:00:00Z') }),
    ]);
    expect(rows.map((r) => [r.index, r.item, r.status, r.level, r.escalationsSent, r.acknowledgedBy])).toEqual([
      [1, '定期报送（2022年5月）', '已确认，办理中', '正常', 0, ''],
      [2, '限时办结', '未办结（已关闭）', '红（逾期）', 3, ''],
    ]);
  });
});

describe('writing the 台账 file', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'duban-ledger-file-'));
  const rows = ledgerRows(plan, [entry({})]);
  const meta = { title: '测试台账', generatedAt: '2022-07-01 09:00' };

  it('never writes over an existing file (say the filled-in units.xlsx) unless --force', async () => {
    const file = join(dir(), 'units.xlsx');
    writeFileSync(file, '已填好的单位通讯录');
    await expect(writeLedgerFile(file, rows, meta)).rejects.toThrow(`${file} 已存在，不会覆盖；加 --force 覆盖，或换一个文件名`);
    await expect(ledgerCommand(['--xlsx', file])).rejects.toThrow(`${file} 已存在，不会覆盖；加 --force 覆盖`);
    await expect(simulateCommand(['--xlsx', file])).rejects.toThrow(`${file} 已存在，不会覆盖；加 --force 覆盖`);
    expect(readFileSync(file, 'utf8')).toBe('已填好的单位通讯录');
    await writeLedgerFile(file, rows, meta, { force: true });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    expect(wb.getWorksheet('台账')!.getCell('C2').text).toBe('县委编办');
  });

  it('leaves no temporary file behind when the replacement fails', async () => {
    const parent = dir();
    mkdirSync(join(parent, '台账.xlsx')); // a folder of that name: the rename fails
    await expect(writeLedgerFile(join(parent, '台账.xlsx'), rows, meta, { force: true })).rejects.toThrow();
    expect(readdirSync(parent)).toEqual(['台账.xlsx']);
  });

  it('prints a title with & as written (in a page header & starts a code: &D is the date)', async () => {
    const file = join(dir(), '台账.xlsx');
    await ledgerWorkbook(rows, { ...meta, title: '产业发展&D类项目 督办台账' }).xlsx.writeFile(file);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    expect(wb.getWorksheet('台账')!.headerFooter.oddHeader).toBe('&L产业发展&&D类项目 督办台账&R导出时间 2022-07-01 09:00（北京时间）');
  });

  it('duban ledger reads the plan as npm start does, and refuses a campaign of another plan', async () => {
    const other = join(dir(), 'other-plan.yaml');
    writePlan(other, loadCampaign({ year: 2022 }).input.plan);
    // DUBAN_PLAN and DUBAN_YEAR, as for npm start: the campaign is that plan's.
    expect(ledgerSource({}, { DUBAN_PLAN: other, DUBAN_YEAR: '2022' }).workflowId).toBe('duban/other-plan/2022');
    expect(ledgerSource({ campaign: 'duban/dazhu-2022-28/2023' }, {}).workflowId).toBe('duban/dazhu-2022-28/2023');
    // A campaign run from another plan would get this plan's task titles: refused before anything is read.
    const out = join(dir(), '台账.xlsx');
    await expect(ledgerCommand(['--xlsx', out, '--campaign', 'duban/other-plan/2022'])).rejects.toThrow(
      `--campaign duban/other-plan/2022：该督办批次按计划「other-plan」运行，而载入的计划是「dazhu-2022-28」`,
    );
    const saved = process.env.DUBAN_PLAN;
    process.env.DUBAN_PLAN = other;
    try {
      await expect(ledgerCommand(['--xlsx', out, '--campaign', 'duban/dazhu-2022-28/2022'])).rejects.toThrow('请用 --plan 指定该批次的计划文件');
    } finally {
      if (saved === undefined) delete process.env.DUBAN_PLAN;
      else process.env.DUBAN_PLAN = saved;
    }
  });
});

