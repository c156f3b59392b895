/**
 * `duban ledger --xlsx FILE [--campaign ID] [--year Y] [--plan F] [--directory F]`: the running campaign's 台账,
 * one row per duty, written as an Excel file. Reaches the server as `duban reply` and `duban calendar` do.
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { readLedger } from '../ledger/read';
import { beijingMinute, ledgerRows } from '../ledger/rows';
import { writeLedgerFile } from '../ledger/xlsx';
import { campaignWorkflowId, loadCampaign } from './campaign-input';
import { connectOptions, temporalTargetFromEnv } from './connection';

const USAGE = '用法 usage: duban ledger --xlsx FILE.xlsx [--campaign ID] [--year Y] [--plan plan.yaml] [--directory units.yaml]';

export async function ledgerCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      xlsx: { type: 'string' },
      campaign: { type: 'string' },
      year: { type: 'string', default: String(new Date().getFullYear()) },
      plan: { type: 'string' },
      directory: { type: 'string' },
    },
  });
  if (!values.xlsx) throw new Error(`--xlsx: 请给出要写入的 Excel 文件名 (the output file is missing)\n${USAGE}`);
  if (!/\.xlsx$/i.test(values.xlsx)) throw new Error(`--xlsx ${values.xlsx}: 文件名须以 .xlsx 结尾 (an .xlsx file)`);
  if (!/^\d{4}$/.test(values.year)) throw new Error(`--year ${values.year}: 须为四位年份 (a four-digit year)`);
  // The plan gives the tasks' titles and, unless --campaign says otherwise, the campaign's id.
  const loaded = loadCampaign({ year: Number(values.year), ...(values.plan ? { plan: values.plan } : {}), ...(values.directory ? { directory: values.directory } : {}) });
  const workflowId = values.campaign ?? campaignWorkflowId(loaded.input.campaignId);
  const target = temporalTargetFromEnv();
  const connection = await Connection.connect(connectOptions(target));
  try {
    const client = new Client({ connection, namespace: target.namespace });
    const data = await readLedger(client, workflowId);
    const rows = ledgerRows(loaded.input.plan, data.entries, data.states);
    await writeLedgerFile(values.xlsx, rows, { title: `${loaded.input.plan.title} 督办台账`, generatedAt: beijingMinute(Date.now()) });
    const done = rows.filter((r) => r.status.startsWith('已办结')).length;
    process.stdout.write(`台账已写入 ledger written: ${values.xlsx}（${workflowId}：${rows.length} 项，已办结 ${done} 项）\n`);
    if (data.unread.length) process.stderr.write(`注意：${data.unread.length} 项任务的办理详情读取失败，其确认人、办结人、办结说明和延期栏为空 (${data.unread.length} duties' details could not be read)\n`);
  } finally {
    await connection.close();
  }
  return 0;
}
