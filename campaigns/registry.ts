/**
 * The campaigns of a deployment, as Temporal knows them: every campaign workflow in the namespace (visibility
 * list), each asked what it is. The dashboard, the bot, `duban campaign list` and `duban campaign start` (which
 * picks the next free reply-code prefix) read the same list; no file of our own can disagree with the server.
 */
import type { Client } from '@temporalio/client';
import { campaignQueueOf } from '../worker';
import { CODE_PREFIXES } from '../workflows/codes';
import { dutiesByLevel } from '../ops/metrics';
import { campaignInfoQuery, type CampaignInfo } from '../workflows/messages';
import type { LedgerEntry, Level } from '../workflows/types';
import { readCampaignLedger } from './ledger-read';

export interface CampaignListing {
  workflowId: string;
  /** Temporal's word for it: RUNNING, COMPLETED, TERMINATED, … */
  status: string;
  startTime: Date;
  /** What the campaign says it is; absent when it cannot answer (no worker, or a campaign from before 0.5.0). */
  info?: CampaignInfo;
}

/** Campaign workflows have ids `duban/<notice>/<year>` (cli/campaign-input.ts); simulations and tests add a suffix. */
const QUERY = `WorkflowType = 'campaignWorkflow'`;

export interface ListOptions {
  /**
   * The deployment's task queue (`TEMPORAL_TASK_QUEUE`, default `duban`): its campaigns run on `<queue>-campaigns`
   * (before 0.4.0, on the queue itself). Another deployment in the same namespace is not this one's business.
   */
  taskQueue: string;
  running?: boolean;
  withInfo?: boolean;
}

export async function listCampaigns(client: Client, o: ListOptions): Promise<CampaignListing[]> {
  const out: CampaignListing[] = [];
  const queues = `(TaskQueue = '${o.taskQueue}' OR TaskQueue = '${campaignQueueOf(o.taskQueue)}')`;
  const query = `${QUERY} AND ${queues}${o.running ? ` AND ExecutionStatus = 'Running'` : ''}`;
  // A campaign continued as new is listed once per run: only its latest run counts.
  const seen = new Set<string>();
  for await (const w of client.workflow.list({ query })) {
    if (seen.has(w.workflowId)) continue;
    seen.add(w.workflowId);
    out.push({ workflowId: w.workflowId, status: w.status.name, startTime: w.startTime });
  }
  if (o.withInfo !== false) {
    await Promise.all(
      out.map(async (c) => {
        if (c.status !== 'RUNNING') return;
        const info = await client.workflow
          .getHandle(c.workflowId)
          .query(campaignInfoQuery)
          .catch(() => undefined);
        if (info) c.info = info;
      }),
    );
  }
  return out.sort((a, b) => a.startTime.getTime() - b.startTime.getTime() || a.workflowId.localeCompare(b.workflowId));
}

/** The deployment's morning desk: one per task queue (a test's queue, a county's `duban`). */
export function deskIdFor(taskQueue: string): string {
  return `duban/desk/${taskQueue}`;
}

/** Temporal's word for a campaign's state, as offices read it (`campaign list`, the dashboard). */
export const CAMPAIGN_STATUS_CN: Record<string, string> = { RUNNING: '运行中', COMPLETED: '已结束', TERMINATED: '已停止', FAILED: '失败', CANCELLED: '已取消', CONTINUED_AS_NEW: '运行中', TIMED_OUT: '超时' };

/** Ids of the running campaigns: the bot's duties come from all of them. */
export async function runningCampaignIds(client: Client, taskQueue: string): Promise<string[]> {
  return (await listCampaigns(client, { taskQueue, running: true, withInfo: false })).map((c) => c.workflowId);
}


/**
 * The reply-code prefix for a new campaign: none for the deployment's first (its codes stay as 0.4.0 printed
 * them), else the first letter no running campaign uses. Letters easy to misread next to digits (i, l, o) are
 * skipped. Throws when every letter is taken.
 */
export function nextCodePrefix(running: CampaignListing[]): string {
  const used = new Set(running.map((c) => c.info?.codePrefix ?? ''));
  if (!running.length) return '';
  const free = CODE_PREFIXES.find((p) => !used.has(p));
  if (!free) throw new Error(`已有 ${running.length} 个督办批次在运行，回复编号前缀已用完：请先停止已结束的批次（npx duban campaign stop ID）`);
  return free;
}

export interface LevelCounts {
  duties: number;
  open: number;
  completed: number;
  closed: number;
  byLevel: Record<Level, number>;
}

/** Counts by status, and the open duties' by level, of a campaign's ledger (the campaign list on the dashboard and the CLI). */
export function levelCounts(ledger: LedgerEntry[]): LevelCounts {
  const open = ledger.filter((e) => e.status !== 'completed' && e.status !== 'closed');
  const completed = ledger.filter((e) => e.status === 'completed').length;
  return { duties: ledger.length, open: open.length, completed, closed: ledger.length - open.length - completed, byLevel: dutiesByLevel(open) };
}

/**
 * A campaign's ledger, or undefined when it does not answer within `timeoutMs` (a query to a workflow with no
 * worker waits for one: the CLI would hang as long).
 */
export async function ledgerOf(client: Client, workflowId: string, timeoutMs = 10_000): Promise<LedgerEntry[] | undefined> {
  return client
    .withDeadline(Date.now() + timeoutMs, () => readCampaignLedger(client.workflow.getHandle(workflowId)))
    .catch(() => undefined);
}

/** A campaign's duties still running, found by their ids (`<campaignId>/t…`) in Temporal's visibility. */
export async function runningDutyIds(client: Client, campaignId: string): Promise<string[]> {
  const ids = new Set<string>();
  const prefix = `${campaignId}/`.replace(/'/g, "\\'");
  for await (const w of client.workflow.list({ query: `WorkflowType = 'dutyWorkflow' AND ExecutionStatus = 'Running' AND WorkflowId STARTS_WITH '${prefix}'` })) {
    ids.add(w.workflowId);
  }
  return [...ids].sort();
}

/** Why a campaign cannot be stopped safely: its duties cannot be read, so stopping the campaign alone would leave them sending. */
export class CampaignDutiesUnknownError extends Error {
  readonly code = 'CAMPAIGN_DUTIES_UNKNOWN';
  constructor(workflowId: string, cause: unknown) {
    super(
      `无法读取督办批次 ${workflowId} 的任务：批次未应答，Temporal 的检索也未返回结果（${(cause as Error)?.message ?? String(cause)}）。` +
        `未停止任何工作流：只停批次会让其任务继续发送提醒。请确认 worker（npm start）和 Temporal 在运行后重试 ` +
        `(cannot read the campaign's duties; nothing was stopped)`,
    );
    this.cause = cause;
  }
}

export interface StopPlan {
  /** Every running duty of the campaign: from its ledger and from visibility (either may miss some). */
  dutyIds: string[];
  /** Where the duties were found, for the operator. */
  sources: ('ledger' | 'visibility')[];
}

/**
 * What `campaign stop` will stop. A campaign that does not answer (its worker down) has no ledger to give: its
 * duties are found by id in visibility instead, and when neither can be read nothing is stopped.
 */
export async function planStop(client: Client, workflowId: string, campaignId: string, list: typeof runningDutyIds = runningDutyIds, timeoutMs = 10_000): Promise<StopPlan> {
  const ledger = await ledgerOf(client, workflowId, timeoutMs);
  let listed: string[] | undefined;
  let listError: unknown;
  try {
    listed = await list(client, campaignId);
  } catch (err) {
    listError = err;
  }
  if (!ledger && !listed) throw new CampaignDutiesUnknownError(workflowId, listError);
  const ids = new Set<string>([...(ledger ?? []).filter((e) => !e.ended).map((e) => e.dutyId), ...(listed ?? [])]);
  return { dutyIds: [...ids].sort(), sources: [...(ledger ? (['ledger'] as const) : []), ...(listed ? (['visibility'] as const) : [])] };
}
