/**
 * The 台账 .xlsx opened in LibreOffice Calc (issue #15: it must open there as well as in Excel and openpyxl).
 * Headless Calc converts the workbook to one CSV per sheet, which is what a user opening it would see: the
 * Chinese column titles, one row per duty, the cells as displayed. The ledger is the year's 69 duties of the seed
 * plan (expanded as the campaign does, without running the year in Temporal) in the states a closing 台账 has.
 * Skipped when `soffice` is missing; .ci/run installs Debian's libreoffice-calc-nogui.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCampaign } from '../cli/campaign-input';
import { ledgerRows } from '../ledger/rows';
import { LEDGER_COLUMNS, writeLedgerFile } from '../ledger/xlsx';
import { expandCampaign } from '../workflows/expand';
import type { DutyState, LedgerEntry } from '../workflows/types';

const SOFFICE = process.env.SOFFICE_PATH ?? 'soffice';
const hasSoffice = spawnSync(SOFFICE, ['--version'], { stdio: 'ignore' }).status === 0;
const at = (iso: string) => Date.parse(iso);

/** The seed plan's duties for 2022 at the campaign's close: most completed, some closed unresolved, one still open. */
function closingLedger() {
  const { input } = loadCampaign({ year: 2022 });
  const duties = expandCampaign(input, '2022-04-29');
  const closed = new Set(['1', '20c']);
  const ledger: LedgerEntry[] = duties.map(({ duty, deadline }) => {
    const code = duty.code ?? String(duty.taskNumber);
    const base = { dutyId: duty.dutyId, code, kind: duty.kind, taskNumber: duty.taskNumber, unit: duty.unit, ...(duty.period ? { period: duty.period } : {}), deadline, remindersSent: 2, ended: true, updatedAt: 0 };
    if (closed.has(code)) return { ...base, status: 'closed', level: 'red', escalationsSent: 3 };
    if (code === '23') return { ...base, status: 'acknowledged', level: 'red', acknowledgedAt: at('2022-05-05T01:00:00Z'), escalationsSent: 1 };
    return { ...base, status: 'completed', level: 'green', acknowledgedAt: at('2022-05-05T01:00:00Z'), completedAt: at(`${deadline}T02:00:00Z`), escalationsSent: 0 };
  });
  // Task 15's duty, extended and completed with a note holding a comma: the cells a CSV must quote.
  const t15 = ledger.find((e) => e.code === '15')!;
  Object.assign(t15, { deadline: '2022-07-15', acknowledgedAt: at('2022-04-29T02:05:00Z'), completedAt: at('2022-07-14T07:30:00Z'), remindersSent: 4 });
  const states = new Map<string, DutyState>([
    [
      t15.dutyId,
      {
        acknowledgedBy: '郝雪梅',
        completedAt: t15.completedAt,
        completionNote: '批复已下达，见附件1,2',
        deadline: '2022-07-15',
        originalDeadline: '2022-06-30',
        history: [
          { at: at('2022-06-20T02:00:00Z'), event: 'extension-requested', by: '郝雪梅', detail: '2022-07-15：等待编办批复' },
          { at: at('2022-06-21T02:00:00Z'), event: 'extension-approved', by: '张海燕' },
          { at: t15.completedAt!, event: 'completed', by: '孔文斌', detail: '批复已下达' },
        ],
      } as unknown as DutyState,
    ],
  ]);
  return { plan: input.plan, ledger, states };
}

describe.runIf(hasSoffice)('the 台账 opened in LibreOffice Calc (headless)', () => {
  const { plan, ledger, states } = closingLedger();
  let csvFiles: string[];
  /** The sheet 台账 as Calc shows it: each row's cells as text. */
  let shown: string[][];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duban-ledger-lo-'));
    const file = join(dir, '台账.xlsx');
    await writeLedgerFile(file, ledgerRows(plan, ledger, states), { title: '测试台账', generatedAt: '2023-03-31 09:00' });
    const out = join(dir, 'csv');
    // Comma, double quote, UTF-8, cells as shown (token 9), every sheet to its own file (token 12 = -1).
    const filter = 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1';
    // A private profile: parallel runs (and a desktop LibreOffice) never share or lock one.
    const profile = pathToFileURL(join(dir, 'lo-profile')).href;
    const lo = spawnSync(SOFFICE, [`-env:UserInstallation=${profile}`, '--headless', '--convert-to', filter, '--outdir', out, file], { encoding: 'utf8', timeout: 150_000 });
    if (lo.status !== 0) throw new Error(`soffice exited with ${lo.status ?? lo.signal}: ${lo.stderr}`);
    // A file Calc cannot load still exits 0 (「Error: source file could not be loaded」), with no CSV written.
    const csv = join(out, '台账-台账.csv');
    if (!existsSync(csv)) throw new Error(`LibreOffice did not open ${file} (no sheet 台账 written): ${lo.stdout}${lo.stderr}`);
    csvFiles = readdirSync(out);
    const wb = new ExcelJS.Workbook();
    // Every field kept as the text Calc wrote (no re-typing of numbers or dates).
    const sheet = await wb.csv.readFile(csv, { map: (value: unknown) => value, parserOptions: { delimiter: ',', quote: '"' } });
    shown = [];
    sheet.eachRow((row) => shown.push((row.values as string[]).slice(1).map((v) => v ?? '')));
  }, 180_000);

  it('opens on the single sheet 台账 with the Chinese column titles', () => {
    expect(csvFiles).toEqual(['台账-台账.csv']);
    expect(shown[0]).toEqual(LEDGER_COLUMNS.map((c) => c.header));
    expect(shown[0]!.slice(0, 8)).toEqual(['序号', '任务', '单位', '回复码', '事项', '截止日期', '状态', '督办等级']);
  });

  it('has one row per duty of the ledger', () => {
    expect(ledger).toHaveLength(69);
    expect(shown.slice(1)).toHaveLength(ledger.length);
    expect(shown.slice(1).map((r) => r[0])).toEqual(ledger.map((_, i) => String(i + 1)));
    // A code is unique per unit: task 1's 22 co-units' parts all answer to 「1」.
    expect(new Set(shown.slice(1).map((r) => `${r[2]}/${r[3]}`)).size).toBe(69);
  });

  it('shows a known duty’s code, unit, status, dates and multi-line extension as written', () => {
    const col = (name: string) => LEDGER_COLUMNS.findIndex((c) => c.header === name);
    const row = shown.find((r) => r[col('回复码')] === '15')!;
    expect(row[col('单位')]).toBe('县委组织部');
    expect(row[col('状态')]).toBe('已办结');
    expect(row[col('截止日期')]).toBe('2022-07-15');
    expect(row[col('办结时间')]).toBe('2022-07-14 15:30');
    expect(row[col('办结人')]).toBe('孔文斌');
    expect(row[col('办结说明')]).toBe('批复已下达，见附件1,2');
    expect(row[col('延期')]).toBe('申请延至 2022-07-15：等待编办批复（郝雪梅） → 已同意（张海燕）\n原截止日期 2022-06-30');
    const closed = shown.find((r) => r[col('回复码')] === '20c')!;
    expect([closed[col('单位')], closed[col('事项')], closed[col('状态')], closed[col('督办等级')]]).toEqual(['县纪委监委', '定期报送（2022年6月）', '未办结（已关闭）', '红（逾期）']);
  });
});
