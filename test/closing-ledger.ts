/**
 * A simulated year's closing 台账 written and read back: one row per duty, completed duties with who and when,
 * extensions and rejections as a clerk would record them — as `duban simulate --xlsx` and the dashboard's
 * /ledger.xlsx give it. Registered by campaign.test.ts, on the mixed year it runs (test/seed-year.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCampaign } from '../cli/campaign-input';
import type { SimulationResult } from '../cli/simulate';
import { createDashboard } from '../dashboard/server';
import { ledgerRows } from '../ledger/rows';
import { LEDGER_COLUMNS, writeLedgerFile } from '../ledger/xlsx';
import { ledgerPage, type LedgerPageRequest } from '../workflows/ledger-page';
import { seedYear } from './seed-year';

const hasOpenpyxl = spawnSync('python3', ['-c', 'import openpyxl'], { stdio: 'ignore' }).status === 0;

export function describeClosingLedger() {
  describe('the closing 台账 of a simulated year (2022, mixed replies)', () => {
    let result: SimulationResult;
    let file: string;
    let sheet: ExcelJS.Worksheet;
    /** Header → cell text, per data row. */
    let rows: Record<string, ExcelJS.Cell>[];
    const { plan: seedPlan } = loadCampaign({ year: 2022 }).input;

    beforeAll(async () => {
      result = await seedYear('mixed');
      file = join(mkdtempSync(join(tmpdir(), 'duban-ledger-')), '台账.xlsx');
      await writeLedgerFile(file, ledgerRows(seedPlan, result.ledger, result.dutyStates), { title: '测试台账', generatedAt: '2023-03-31 09:00' });
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(file);
      sheet = wb.getWorksheet('台账')!;
      const headers = (sheet.getRow(1).values as unknown[]).slice(1) as string[];
      rows = [];
      sheet.eachRow((row, n) => {
        if (n > 1) rows.push(Object.fromEntries(headers.map((h, i) => [h, row.getCell(i + 1)])));
      });
    }, 240_000);

    it('has one row per duty under a frozen header', () => {
      // 32 dated duties, 15 year-end ones of tasks the notice gives no time limit and task 1's 22 co-units' parts
      // (issue #15).
      expect(result.dutyStates?.size).toBe(69);
      expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual(LEDGER_COLUMNS.map((c) => c.header));
      expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
      expect(rows).toHaveLength(69);
      expect(new Set(rows.map((r) => `${r['单位']!.text}/${r['回复码']!.text}/${r['截止日期']!.text}`)).size).toBe(69);
    });

    it('shows completed duties as 已办结 with who and when, and the unresolved as closed', () => {
      const done = rows.filter((r) => r['状态']!.text.startsWith('已办结'));
      expect(done).toHaveLength(result.summary.completed);
      for (const r of done) {
        expect(r['办结人']!.text).toMatch(/联络员（模拟）$/);
        expect(r['办结时间']!.value).toBeInstanceOf(Date);
      }
      expect(rows.filter((r) => r['状态']!.text === '未办结（已关闭）')).toHaveLength(result.summary.closedUnresolved);
      // The deadline is a real date a clerk can sort by, shown as the day.
      expect(rows[0]!['截止日期']!.value).toBeInstanceOf(Date);
      expect(rows[0]!['截止日期']!.numFmt).toBe('yyyy-mm-dd');
    });

    it('records the year’s extensions, rejections and escalations', () => {
      const extended = rows.filter((r) => r['延期']!.text.includes('已同意（督查员（模拟））'));
      expect(extended.length).toBeGreaterThan(0);
      expect(extended.every((r) => r['延期']!.text.includes('原截止日期'))).toBe(true);
      // A completion the supervisor rejected, then completed again with more material.
      expect(rows.some((r) => r['办结说明']!.text === '已补充材料')).toBe(true);
      expect(rows.some((r) => Number(r['已发督办（次）']!.value) > 0)).toBe(true);
    });

    it.runIf(hasOpenpyxl)('opens in openpyxl: sheet 台账, header frozen, deadlines as dates', () => {
      const script = 'import sys, openpyxl; ws = openpyxl.load_workbook(sys.argv[1])["台账"]; print(ws.max_row, ws.freeze_panes, type(ws["F2"].value).__name__, ws["G1"].value)';
      const py = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
      expect(py.stderr).toBe('');
      // The header and the 69 duties' rows.
      expect(py.stdout.trim()).toBe('70 A2 datetime 状态');
    });

    describe('the dashboard’s /ledger.xlsx', () => {
      let base: string;
      const close: (() => void)[] = [];
      beforeAll(async () => {
        // The year's final answers, as Temporal would give them to the dashboard's queries.
        const client = {
          workflow: {
            getHandle: (id: string) => ({
              query: async (q: { name: string }, req?: LedgerPageRequest) =>
                q.name === 'ledgerPage' ? ledgerPage(result.ledger, req!) : q.name === 'ledger' ? result.ledger : result.dutyStates!.get(id),
            }),
          },
        } as unknown as Client;
        const server = createDashboard({ client, campaignWorkflowId: 'c', plan: seedPlan, calendar: result.calendar, token: 'secret-token-123' });
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        close.push(() => server.close());
      });
      afterAll(() => close.forEach((c) => c()));

      it('needs the token, and gives the same 台账', async () => {
        expect((await fetch(`${base}/ledger.xlsx`)).status).toBe(401);
        const res = await fetch(`${base}/ledger.xlsx`, { headers: { authorization: 'Bearer secret-token-123' } });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
        expect(res.headers.get('content-disposition')).toContain('attachment');
        const wb = new ExcelJS.Workbook();
        await wb.xlsx.load(await res.arrayBuffer());
        const s = wb.getWorksheet('台账')!;
        expect(s.rowCount).toBe(70);
        expect(s.getColumn(7).values.slice(2)).toEqual(rows.map((r) => r['状态']!.value));
        // The home page links to it.
        const home = await (await fetch(`${base}/`, { headers: { authorization: 'Bearer secret-token-123' } })).text();
        expect(home).toContain('href="/ledger.xlsx"');
      });

      it('says which duties’ details could not be read, on a sheet the workbook opens on', async () => {
        const lost = [...result.dutyStates!.keys()].slice(0, 2);
        const client = {
          workflow: {
            getHandle: (id: string) => ({
              query: async (q: { name: string }, req?: LedgerPageRequest) => {
                if (q.name === 'ledgerPage') return ledgerPage(result.ledger, req!);
                if (q.name === 'ledger') return result.ledger;
                if (lost.includes(id)) throw new Error('workflow not found');
                return result.dutyStates!.get(id);
              },
            }),
          },
        } as unknown as Client;
        const server = createDashboard({ client, campaignWorkflowId: 'c', plan: seedPlan, calendar: result.calendar });
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
        close.push(() => server.close());
        const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/ledger.xlsx`);
        const wb = new ExcelJS.Workbook();
        await wb.xlsx.load(await res.arrayBuffer());
        expect(wb.worksheets.map((w) => w.name)).toEqual(['台账', '说明']);
        expect(wb.getWorksheet('台账')!.rowCount).toBe(70);
        const note = wb.getWorksheet('说明')!;
        expect(wb.views[0]?.activeTab).toBe(wb.worksheets.indexOf(note));
        expect(note.getCell('A1').text).toMatch(/^注意：以下 2 项任务的办理详情未能读取.*确认人、办结人、办结说明和延期栏为空，不表示无人确认或办结/);
        const listed = [3, 4].map((n) => (note.getRow(n).values as unknown[]).slice(1, 4));
        const expected = ledgerRows(seedPlan, result.ledger, result.dutyStates).filter((r) => lost.includes(r.dutyId));
        expect(listed).toEqual(expected.map((r) => [r.index, r.task, r.unit]));
        expect(expected).toHaveLength(2);
      });
    });
  });
}
