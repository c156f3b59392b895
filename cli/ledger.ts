/**
 * `duban ledger --xlsx FILE [--force] [--campaign ID] [--year Y] [--plan F] [--directory F]`: the running
 * campaign's 台账, one row per duty, written as an Excel file. Reaches the server as `duban reply` and
 * `duban calendar` do; reads the plan as `npm start` does (the flags, else DUBAN_PLAN, DUBAN_YEAR, …).
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { readLedger } from '../ledger/read';
import { beijingMinute, ledgerRows } from '../ledger/rows';
import { OVERWRITE_HINT, writeLedgerFile } from '../ledger/xlsx';
import { FileExistsError } from '../plan/errors';
import { campaignWorkflowId, loadCampaign, SEED_PLAN, type LoadedCampaign } from './campaign-input';
import { connectOptions, temporalTargetFromEnv } from './connection';

const USAGE = '用法 usage: duban ledger --xlsx FILE.xlsx [--force] [--campaign ID] [--year Y] [--plan plan.yaml] [--directory units.yaml]';

export interface LedgerFlags {
  campaign?: string;
  year?: string;
  plan?: string;
  directory?: string;
}

/** The plan part of a campaign id: `duban/dazhu-2022-28/2022` → `dazhu-2022-28`. */
function planPart(campaignId: string): string {
  const id = campaignId.replace(/^duban\//, '');
  return id.includes('/') ? id.slice(0, id.lastIndexOf('/')) : id;
}

/**
 * The campaign to read and the plan whose task titles go in the 台账: the flags, else the environment `npm start`
 * reads (DUBAN_PLAN or DUBAN_NOTICE, DUBAN_YEAR, DUBAN_DIRECTORY). A --campaign run from another plan is refused:
 * its task numbers would get this plan's titles.
 */
export function ledgerSource(flags: LedgerFlags, env: NodeJS.ProcessEnv = process.env): { loaded: LoadedCampaign; workflowId: string } {
  const campaignYear = flags.campaign?.match(/\/(\d{4})$/)?.[1];
  const year = flags.year ?? env.DUBAN_YEAR ?? campaignYear ?? String(new Date().getFullYear());
  if (!/^\d{4}$/.test(year)) throw new Error(`${flags.year ? '--year' : 'DUBAN_YEAR='}${year}: 须为四位年份 (a four-digit year)`);
  const plan = flags.plan ?? env.DUBAN_PLAN;
  const notice = plan ? undefined : env.DUBAN_NOTICE;
  const directory = flags.directory ?? env.DUBAN_DIRECTORY;
  const loaded = loadCampaign({ year: Number(year), ...(plan ? { plan } : {}), ...(notice ? { notice } : {}), ...(directory ? { directory } : {}) });
  if (flags.campaign && planPart(flags.campaign) !== planPart(loaded.input.campaignId)) {
    const from = plan ?? notice ?? SEED_PLAN;
    throw new Error(
      `--campaign ${flags.campaign}：该督办批次按计划「${planPart(flags.campaign)}」运行，而载入的计划是「${planPart(loaded.input.campaignId)}」（${from}），` +
        `台账的任务名称会对不上：请用 --plan 指定该批次的计划文件（或设置 DUBAN_PLAN）(the campaign runs another plan: pass --plan with its plan file)`,
    );
  }
  return { loaded, workflowId: flags.campaign ?? campaignWorkflowId(loaded.input.campaignId) };
}

export async function ledgerCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      xlsx: { type: 'string' },
      force: { type: 'boolean', default: false },
      campaign: { type: 'string' },
      year: { type: 'string' },
      plan: { type: 'string' },
      directory: { type: 'string' },
    },
  });
  if (!values.xlsx) throw new Error(`--xlsx: 请给出要写入的 Excel 文件名 (the output file is missing)\n${USAGE}`);
  if (!/\.xlsx$/i.test(values.xlsx)) throw new Error(`--xlsx ${values.xlsx}: 文件名须以 .xlsx 结尾 (an .xlsx file)`);
  // Refused before anything is read: `--xlsx units.xlsx` must not cost the filled-in directory.
  if (!values.force && existsSync(values.xlsx)) throw new FileExistsError(values.xlsx, OVERWRITE_HINT);
  const { loaded, workflowId } = ledgerSource(values);
  const target = temporalTargetFromEnv();
  const connection = await Connection.connect(connectOptions(target));
  try {
    const client = new Client({ connection, namespace: target.namespace });
    const data = await readLedger(client, workflowId);
    const rows = ledgerRows(loaded.input.plan, data.entries, data.states);
    await writeLedgerFile(values.xlsx, rows, { title: `${loaded.input.plan.title} 督办台账`, generatedAt: beijingMinute(Date.now()), unread: data.unread }, { force: values.force });
    const done = rows.filter((r) => r.status.startsWith('已办结')).length;
    process.stdout.write(`台账已写入 ledger written: ${values.xlsx}（${workflowId}：${rows.length} 项，已办结 ${done} 项）\n`);
    if (data.unread.length) process.stderr.write(`注意：${data.unread.length} 项任务的办理详情读取失败，其确认人、办结人、办结说明和延期栏为空，已在工作表“说明”中列出 (${data.unread.length} duties' details could not be read)\n`);
  } finally {
    await connection.close();
  }
  return 0;
}
