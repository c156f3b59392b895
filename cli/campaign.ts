/**
 * A county's year as commands: `duban import NOTICE` proposes a plan into data/plans/ for review;
 * `duban campaign start PLAN` starts it on the running server beside the campaigns already there;
 * `duban campaign list` and `duban campaign stop ID`. Every campaign of a deployment hands its morning messages
 * to one desk (workflows/desk.ts), so a unit hears once per instant whatever the number of notices, and each
 * later campaign's reply codes carry a letter of their own (b5, c19a).
 */
import { checkCampaignSize } from '../campaigns/size';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { campaignQueueOf } from '../worker';
import { CAMPAIGN_STATUS_CN, deskIdFor, levelCounts, ledgerOf, listCampaigns, nextCodePrefix, type CampaignListing } from '../campaigns/registry';
import { CampaignNotRunningError, describeStop, stopCampaign } from '../campaigns/stop';
import { readNoticeFile } from '../notice/read';
import { parseNotice } from '../notice/parse';
import { FileExistsError } from '../plan/errors';
import { checkPlanUnits, loadDirectory, loadPlan, writePlan } from '../plan/files';
import { planSchema } from '../plan/schema';
import type { Directory } from '../plan/directory';
import { dataDir } from '../links/config';
import { ensureSearchAttributes } from '../servers/search-attributes';
import { DUBAN_CAMPAIGN } from '../workflows/search-attributes';
import { campaignWorkflowId, loadCampaign, SEED_DIRECTORY, type LoadedCampaign } from './campaign-input';
import { connectOptions, temporalTargetFromEnv, type TemporalTarget } from './connection';
import { missingLines, planTable } from './plan';
import { isKnownUnitOrGroup } from '../plan/directory';
import { channelSettingsFromEnv, deploymentChannels } from '../campaigns/deployment';
import { ensureDesk } from '../campaigns/desk';

export function plansDir(): string {
  return join(dataDir(), 'plans');
}

export interface StartedCampaign {
  workflowId: string;
  started: boolean;
  codePrefix: string;
  /** Lines for the operator (search attributes, prefix). */
  notes: string[];
}

/**
 * Starts a loaded campaign on the campaigns' queue (its duties on the main queue), with the deployment's desk and
 * the next free code prefix; one already running under the same id simply continues.
 */
export async function startCampaignWorkflow(client: Client, target: TemporalTarget, loaded: LoadedCampaign, o: { main?: boolean } = {}): Promise<StartedCampaign> {
  const notes: string[] = [];
  const workflowId = campaignWorkflowId(loaded.input.campaignId);
  // A campaign stopped (or over) is not started again under its id: its duties were terminated or have ended,
  // so a new run would find them all ended and end at once, having done nothing.
  const earlier = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch(() => undefined);
  if (earlier && earlier.status.name !== 'RUNNING') {
    // npm start keeps serving the dashboard and the other campaigns; it says why its own did not start.
    if (o.main) {
      notes.push(`督办批次 ${workflowId} 已${earlier.status.name === 'TERMINATED' ? '停止' : '结束'}（${earlier.status.name}），未重新启动；看板仍可查看`);
      return { workflowId, started: false, codePrefix: '', notes };
    }
    throw new Error(
      `督办批次 ${workflowId} 已${earlier.status.name === 'TERMINATED' ? '停止' : '结束'}（${earlier.status.name}），不能在同一编号下重新启动：` +
        `如需重新督办，请把计划文件另存为新名称（如 ${loaded.input.campaignId.split('/')[0]}-2.yaml）后启动，成为新的批次 (a stopped or finished campaign is not restarted under its id)`,
    );
  }
  // Running already (npm start again): it continues; nothing to choose.
  if (earlier) return { workflowId, started: false, codePrefix: '', notes };
  // A plan too large for one campaign is refused before anything starts (campaigns/size.ts).
  checkCampaignSize(loaded.input, loaded.input.startAt ?? Date.now() + (loaded.input.clockOffsetMs ?? 0));
  let running: CampaignListing[];
  try {
    running = (await listCampaigns(client, { taskQueue: target.taskQueue, running: true })).filter((c) => c.workflowId !== workflowId);
  } catch (err) {
    // The main job's own campaign is the deployment's first: it needs no list (a server without visibility still runs it).
    if (!o.main) throw new Error(`无法列出运行中的督办批次 (cannot list campaigns: ${String(err)})：回复编号前缀无法确定，未启动`, { cause: err });
    notes.push(`无法列出其他督办批次（${String(err)}），按首个批次启动（回复编号不带前缀）`);
    running = [];
  }
  // A campaign that does not say what it is (no worker, or busy) might hold any prefix: guessing could give two the same.
  const silent = running.filter((c) => !c.info);
  if (silent.length) {
    throw new Error(`督办批次 ${silent.map((c) => c.workflowId).join('、')} 未应答（worker 是否在运行？）：无法确定回复编号前缀，未启动；请确认 npm start 或 duban worker 在运行后重试`);
  }
  const codePrefix = nextCodePrefix(running);
  const channels = o.main ? { settings: channelSettingsFromEnv(process.env) } : deploymentChannels(dataDir(), process.env);
  if (channels.note) notes.push(channels.note);
  const indexed = await ensureSearchAttributes(client.connection as Connection, target.namespace);
  if (indexed.ok && indexed.added.length) notes.push(`已在命名空间 ${target.namespace} 注册搜索属性 registered search attributes: ${indexed.added.join(', ')}`);
  if (!indexed.ok) notes.push(`任务不带搜索属性 duties without search attributes（${indexed.reason}）：Temporal Web UI 中不能按单位、等级查找`);
  const options = {
    ...loaded.input.options,
    // The worker's channel settings, not this shell's (campaigns/deployment.ts).
    ...(channels.settings.wechatTaskQueue ? { wechatTaskQueue: channels.settings.wechatTaskQueue } : {}),
    ...(indexed.ok ? { searchAttributes: true } : {}),
    dutyTaskQueue: target.taskQueue,
    morningDesk: deskIdFor(target.taskQueue),
    ...(channels.settings.deskShards ? { deskShards: channels.settings.deskShards } : {}),
    ...(codePrefix ? { codePrefix } : {}),
  };
  try {
    await client.workflow.start('campaignWorkflow', {
      taskQueue: campaignQueueOf(target.taskQueue),
      workflowId,
      args: [{ ...loaded.input, options }],
      ...(indexed.ok ? { typedSearchAttributes: [{ key: DUBAN_CAMPAIGN, value: loaded.input.campaignId }] } : {}),
    });
    if (!o.main) {
      // A desk lost before this campaign started is rebuilt with every campaign's digest readers, not this one's only.
      const desk = await ensureDesk(client, target.taskQueue, channels.settings).catch((err: unknown) => ({ error: String(err) }));
      if ('error' in desk) notes.push(`未能核对督办台（desk）：${desk.error}；可稍后运行 npx duban desk ensure`);
      else if (desk.silent.length) notes.push(`督办批次 ${desk.silent.join('、')} 未应答，未加入督办台；worker 运行后请运行 npx duban desk ensure`);
    }
    if (codePrefix) notes.push(`本批次回复编号以 ${codePrefix} 开头（如 ${codePrefix}1），与其他批次的编号不重复 (reply codes of this campaign start with ${codePrefix})`);
    return { workflowId, started: true, codePrefix, notes };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return { workflowId, started: false, codePrefix: '', notes };
  }
}

async function connect(): Promise<{ client: Client; target: TemporalTarget }> {
  const target = temporalTargetFromEnv();
  const options = connectOptions(target);
  try {
    const connection = await Connection.connect({ ...options, connectTimeout: '5 seconds' });
    return { client: new Client({ connection, namespace: target.namespace }), target };
  } catch (cause) {
    throw new Error(`无法连接 Temporal ${options.address} (cannot reach Temporal)：请先运行 npm start（内置服务器），或设置 TEMPORAL_ADDRESS 指向集群`, { cause });
  }
}

const USAGE_IMPORT = '用法 usage: duban import NOTICE [--year Y] [--directory units.yaml] [--force]';

/** `duban import NOTICE`: the proposed plan into data/plans/<notice>.yaml, printed for review. */
export async function importCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { year: { type: 'string' }, directory: { type: 'string' }, force: { type: 'boolean', default: false }, out: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file) throw new Error(USAGE_IMPORT);
  if (!existsSync(file)) throw new Error(`${file}: 文件不存在 (no such file)`);
  if (values.year !== undefined && !/^\d{4}$/.test(values.year)) throw new Error(`--year ${values.year}: 须为四位年份，如 2026 (a four-digit year)`);
  const out = values.out ?? join(plansDir(), `${basename(file, extname(file))}.yaml`);
  // A plan under review carries people's corrections: never replaced without --force.
  if (existsSync(out) && !values.force) throw new FileExistsError(out, '它可能已有人工核对的修改；确需重新生成请加 --force');
  const directory: Directory = loadDirectory(values.directory ?? process.env.DUBAN_DIRECTORY ?? SEED_DIRECTORY);
  const { text } = await readNoticeFile(file);
  const proposed = parseNotice(text, { file, ...(values.year ? { year: Number(values.year) } : {}), isUnit: (n) => isKnownUnitOrGroup(directory, n) });
  mkdirSync(join(out, '..'), { recursive: true });
  // Written even with a lead to fill in or a name the directory does not know: that is what review is for, and
  // `campaign start` refuses the file, naming the task and field, until they are corrected (here or in the directory).
  const plan = writePlan(out, proposed, { draft: true });
  process.stdout.write(`${planTable(plan)}\n\n`);
  process.stdout.write(`已写入计划 plan written: ${out}\n`);
  const blocking = missingLines(proposed);
  const parsed = planSchema.safeParse(proposed);
  let unknown: string | undefined;
  try {
    if (parsed.success) checkPlanUnits(parsed.data, directory, out);
  } catch (err) {
    unknown = err instanceof Error ? err.message : String(err);
  }
  if (blocking.length || unknown) {
    for (const line of blocking) process.stderr.write(`${line}\n`);
    if (unknown && !blocking.length) process.stderr.write(`${unknown}\n`);
    process.stderr.write(`请在 ${out} 中补齐牵头单位、改正单位名称（或在单位通讯录中登记），再启动：npx duban campaign start ${out}\n`);
    return 1;
  }
  process.stdout.write(`请核对（牵头单位、截止日期、推定的年底期限），修改后启动：npx duban campaign start ${out}\n`);
  return 0;
}

const USAGE_CAMPAIGN = '用法 usage: duban campaign start PLAN [--year Y] | list [--json] | stop ID --yes';

export function campaignTable(rows: (CampaignListing & { counts?: ReturnType<typeof levelCounts> })[]): string {
  if (!rows.length) return '没有督办批次 (no campaigns)。启动：npx duban campaign start data/plans/<通知>.yaml';
  const lines = rows.map((r) => {
    const c = r.counts;
    const figures = c ? `任务 ${c.duties}：红 ${c.byLevel.red} 黄 ${c.byLevel.yellow} 蓝 ${c.byLevel.blue} 常规 ${c.byLevel.none + c.byLevel.green}，已办结 ${c.completed}，已关闭 ${c.closed}` : '';
    const prefix = r.info ? `编号前缀 ${r.info.codePrefix || '（无）'}` : '';
    return [`${r.workflowId}  ${CAMPAIGN_STATUS_CN[r.status] ?? r.status}`, r.info ? `  ${r.info.title}（${r.info.year} 年）${prefix ? ` · ${prefix}` : ''}` : '', figures ? `  ${figures}` : ''].filter(Boolean).join('\n');
  });
  return lines.join('\n');
}

export async function campaignCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'start') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { year: { type: 'string' }, directory: { type: 'string' } } });
    const file = positionals[0];
    if (!file) throw new Error(USAGE_CAMPAIGN);
    if (!existsSync(file)) throw new Error(`${file}: 文件不存在 (no such file)；先用 npx duban import NOTICE 生成计划`);
    if (values.year !== undefined && !/^\d{4}$/.test(values.year)) throw new Error(`--year ${values.year}: 须为四位年份 (a four-digit year)`);
    const isPlan = /\.ya?ml$/i.test(file);
    const directory = loadDirectory(values.directory ?? process.env.DUBAN_DIRECTORY ?? SEED_DIRECTORY);
    // The plan's own year unless told otherwise (a notice file is read for this year, as npm start does).
    const year = values.year ? Number(values.year) : isPlan ? loadPlan(file, directory).year : new Date().getFullYear();
    const loaded = loadCampaign({ year, ...(isPlan ? { plan: file } : { notice: file }), directory });
    for (const w of loaded.warnings) process.stderr.write(`${w}\n`);
    if (loaded.yearNote) process.stderr.write(`${loaded.yearNote}\n`);
    const { client } = await connect();
    try {
      const started = await startCampaignWorkflow(client, temporalTargetFromEnv(), loaded);
      for (const n of started.notes) process.stdout.write(`${n}\n`);
      process.stdout.write(
        started.started
          ? `督办批次已启动 campaign started: ${started.workflowId}（${loaded.input.plan.tasks.length} 项任务；由运行中的 npm start 或 duban worker 执行）\n`
          : `督办批次已在运行 campaign already running: ${started.workflowId}（未重复启动）\n`,
      );
      return 0;
    } finally {
      await client.connection.close();
    }
  }
  if (sub === 'list') {
    const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } } });
    const { client } = await connect();
    try {
      const rows = await Promise.all(
        (await listCampaigns(client, { taskQueue: temporalTargetFromEnv().taskQueue })).map(async (r) => {
          const ledger = r.status === 'RUNNING' ? await ledgerOf(client, r.workflowId) : undefined;
          return { ...r, ...(ledger ? { counts: levelCounts(ledger) } : {}) };
        }),
      );
      process.stdout.write(values.json ? `${JSON.stringify(rows, null, 2)}\n` : `${campaignTable(rows)}\n`);
      return 0;
    } finally {
      await client.connection.close();
    }
  }
  if (sub === 'stop') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { yes: { type: 'boolean', default: false } } });
    const id = positionals[0];
    if (!id) throw new Error(USAGE_CAMPAIGN);
    const { client } = await connect();
    try {
      const taskQueue = temporalTargetFromEnv().taskQueue;
      // One implementation of what stops and in which order, shared with the dashboard (campaigns/stop.ts). It
      // refuses (and stops nothing) when neither the campaign's ledger nor visibility can say what its duties are.
      const preview = await describeStop(client, taskQueue, id).catch((err: unknown) => {
        if (err instanceof CampaignNotRunningError) throw new Error(`没有名为 ${id} 的运行中督办批次 (no running campaign)；npx duban campaign list 查看`, { cause: err });
        throw err;
      });
      const found = preview.campaign;
      if (!values.yes) {
        process.stdout.write(`将停止 ${found.workflowId}（${found.info?.title ?? ''}）及其 ${preview.dutyIds.length} 项未结束的任务：不再提醒、不再督办，历史保留。确认请加 --yes\n`);
        if (preview.fromVisibilityOnly) process.stdout.write('（批次未应答：任务按编号从 Temporal 检索得到）\n');
        return 2;
      }
      const stopped = await stopCampaign(client, taskQueue, preview, '管理员停止督办批次 (stopped by an administrator: duban campaign stop)');
      process.stdout.write(`已停止 stopped: ${found.workflowId}，任务 ${stopped} 项\n`);
      return 0;
    } finally {
      await client.connection.close();
    }
  }
  throw new Error(USAGE_CAMPAIGN);
}

export const USAGE_DESK = '用法 usage: duban desk ensure —— 按运行中的督办批次重建督办台（发送每天上午消息的 desk），并请各任务重新交付已提前交付的提醒 (rebuild the desk from the running campaigns)';

/** `duban desk ensure`: the desk running, with every running campaign's digest readers, on the worker's channels. */
export async function deskCommand(args: string[]): Promise<number> {
  if (args[0] !== 'ensure') {
    process.stderr.write(`${USAGE_DESK}\n`);
    return 2;
  }
  const { client, target } = await connect();
  try {
    const { settings, note } = deploymentChannels(dataDir(), process.env);
    if (note) process.stdout.write(`${note}\n`);
    const r = await ensureDesk(client, target.taskQueue, settings);
    if (!r.campaigns.length && !r.started) process.stdout.write(`没有使用督办台的运行中督办批次 (no running campaign uses the desk ${r.deskId})\n`);
    else process.stdout.write(`${r.started ? '督办台已重新启动 desk started' : '督办台运行中 desk running'}: ${r.deskId}，督办批次 ${r.campaigns.join('、')}${r.started ? '；各任务将重新交付已提前交付的提醒' : ''}\n`);
    if (r.silent.length) {
      process.stdout.write(`未应答的督办批次（未加入）not answering: ${r.silent.join('、')}：worker 是否在运行？\n`);
      return 1;
    }
    return 0;
  } finally {
    await client.connection.close();
  }
}
