/**
 * `duban simulate --year 2022 [--replies none|prompt|mixed] [--json]`: runs a plan's whole year on the
 * time-skipping test server with simulated coordinators, printing every outgoing message (and the
 * replies). Also the engine of the year-long tests and of the demo.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkerOptions } from '@temporalio/worker';
import { RecordingChannel } from '../activities/outbox';
import { formatShanghai, isOfficeHours, shanghaiDate } from '../calendar/working-days';
import { startTestServer } from '../servers/processes';
import { watchProgress } from '../servers/progress-watch';
import { countLeakedTimeLocks } from '../servers/time-lock-leak';
import { attachTimeSkipping } from '../servers/time-skipping';
import { createWorker } from '../worker';
import type { CampaignSummary, campaignWorkflow } from '../workflows/campaign';
import type { deskWorkflow } from '../workflows/desk';
import { deskQuery } from '../workflows/messages';
import { deskIdFor } from '../campaigns/registry';
import { CODE_PREFIXES } from '../workflows/codes';
import { expandCampaign } from '../workflows/expand';
import { byDuty, itemsOf } from '../workflows/morning';
import type { DutyState, LedgerEntry, OutgoingMessage } from '../workflows/types';
import { readLedger } from '../ledger/read';
import { beijingMinute, ledgerRows } from '../ledger/rows';
import { OVERWRITE_HINT, writeLedgerFile } from '../ledger/xlsx';
import { FileExistsError } from '../plan/errors';
import { campaignWorkflowId, loadCampaign, type CampaignSource, type LoadedCampaign } from './campaign-input';
import { renderReport } from './report';
import { repliesTo, type RepliesMode, type SimulatedReply } from './simulated-people';
import type { SimulationEvent, SimulationResult } from './simulation-result';
import { readCampaignLedger } from '../campaigns/ledger-read';

// The result's types live in their own file (the report and the charts read them); re-exported for callers here.
export type { SimulationEvent, SimulationResult } from './simulation-result';

export interface SimulateOptions extends CampaignSource {
  replies: RepliesMode;
  /** An environment on a running test server (tests); otherwise one is started. */
  env?: TestWorkflowEnvironment;
  workflowBundle?: WorkerOptions['workflowBundle'];
  taskQueue?: string;
  onEvent?: (e: SimulationEvent) => void;
  /** Real seconds without progress before the run fails naming the stuck workflow (default 60). */
  stallSeconds?: number;
  /** Called with each message sent, after the simulated people answered it (recording runs add to them). */
  onMessage?: (msg: OutgoingMessage, client: TestWorkflowEnvironment['client'], campaignWorkflowId: string) => Promise<void>;
  /** Read every duty's final state once the year is over (for the 台账). */
  dutyStates?: boolean;
  /**
   * More campaigns run beside the first, on the same clock (a county's year: several notices). Each later one's
   * reply codes carry a letter (b, c, …), as `duban campaign start` gives them.
   */
  also?: CampaignSource[];
  /**
   * The campaigns hand their morning messages and digests to one desk (workflows/desk.ts), as campaigns started
   * by `npm start` and `duban campaign start` do: one message per unit and instant across campaigns. Default: on
   * when there are several campaigns, off for one (a single campaign's year, as 0.4.0 printed it).
   */
  desk?: boolean;
}

const STATUS_CN: Record<string, string> = { open: '待确认', acknowledged: '已确认，办理中', completed: '已办结', closed: '已关闭' };
const WEEKDAY = ['日', '一', '二', '三', '四', '五', '六'];

export function formatEvent(e: SimulationEvent): string {
  const day = WEEKDAY[new Date(`${e.at.slice(0, 10)}T00:00:00Z`).getUTCDay()];
  const task = e.task ? `任务${e.task} ` : '';
  const to = e.toUnits.length ? ` → ${e.toUnits.join('、')}` : '';
  const level = e.level && e.level !== 'none' ? ` (${e.level})` : '';
  return `${e.at.slice(0, 16).replace('T', ' ')} 周${day} [${e.kind}] ${task}${e.unit ?? ''}${to}${level}${e.text ? ` “${e.text}”` : ''}`;
}

/**
 * Events in a canonical order: by instant, then by duty (digests last), each duty's own events in the order
 * they happened. Duties woken at the same instant run concurrently and finish in any order; holding an
 * instant's events until a later instant begins makes the printed year the same on every run.
 */
export class InstantOrder {
  private held: SimulationEvent[] = [];

  constructor(
    private readonly out: (e: SimulationEvent) => void,
    private readonly seqOf?: (e: SimulationEvent) => number | undefined,
  ) {}

  push(e: SimulationEvent): void {
    if (this.held.length && this.held[0] && this.held[0].at < e.at) this.flush(e.at);
    this.held.push(e);
  }

  /** Emits every held event before `until` (all of them when omitted). */
  flush(until?: string): void {
    const ready = this.held.filter((e) => until === undefined || e.at < until);
    this.held = this.held.filter((e) => !ready.includes(e));
    for (const e of sortEvents(ready, this.seqOf)) this.out(e);
  }
}

/**
 * Events in a stable order: by instant, then by duty (morning messages, about no single duty, by the unit they go
 * to), then in the order they happened — `seqOf` gives that order where arrival alone would race (a reply's
 * confirmation and the message its update made the duty send).
 */
export function sortEvents(events: SimulationEvent[], seqOf?: (e: SimulationEvent) => number | undefined): SimulationEvent[] {
  // Morning messages (no single duty) of one instant go out concurrently: ordered by the unit they go to.
  const group = (e: SimulationEvent) => e.dutyId ?? `~${e.kind}/${e.toUnits.join('、')}`;
  return events
    .map((e, i) => ({ e, i: seqOf?.(e) ?? i }))
    .sort((a, b) => (a.e.at < b.e.at ? -1 : a.e.at > b.e.at ? 1 : group(a.e) < group(b.e) ? -1 : group(a.e) > group(b.e) ? 1 : a.i - b.i))
    .map(({ e }) => e);
}

function sumSummaries(all: CampaignSummary[]): CampaignSummary {
  const [first] = all;
  if (all.length === 1 && first) return first;
  return {
    campaignId: all.map((s) => s.campaignId).join(' + '),
    duties: all.reduce((n, s) => n + s.duties, 0),
    completed: all.reduce((n, s) => n + s.completed, 0),
    closedUnresolved: all.reduce((n, s) => n + s.closedUnresolved, 0),
    escalated: all.reduce((n, s) => n + s.escalated, 0),
  };
}

export async function simulateYear(options: SimulateOptions): Promise<SimulationResult> {
  const loaded = loadCampaign(options);
  const extra = (options.also ?? []).map((source) => loadCampaign({ ...source, year: source.year, directory: loaded.directory }));
  const ids = [loaded, ...extra].map((l) => l.input.campaignId);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) throw new Error(`同一通知不能作为两个督办批次模拟 (the same campaign twice): ${twice}`);
  const ownServer = options.env ? undefined : await startTestServer();
  const env = options.env ?? (await attachTimeSkipping(ownServer?.address ?? ''));
  const arrived: SimulationEvent[] = [];
  // Where each event stands in the run: its arrival, except that a reply's confirmation stands right after the
  // reply. The update's answer and the messages the update makes the duty send arrive in either order (the
  // client hears the answer while the worker may already be sending), and a year must read the same every run.
  const seq = new WeakMap<SimulationEvent, number>();
  const seqOf = (e: SimulationEvent) => seq.get(e);
  const order = new InstantOrder((e) => options.onEvent?.(e), seqOf);
  const emit = (e: SimulationEvent, at: number = arrived.length) => {
    seq.set(e, at);
    arrived.push(e);
    order.push(e);
  };
  const seen = new Map<string, number>();
  const client = env.client;
  const apply = async (reply: SimulatedReply, at: number) => {
    const who = { task: reply.task, unit: reply.unit, dutyId: reply.dutyId };
    const replyAt = arrived.length;
    emit({ at: formatShanghai(at), kind: 'reply', toUnits: [], ...who, text: reply.says });
    const answered = replyAt + 0.5;
    try {
      const state = (await client.workflow.getHandle(reply.dutyId).executeUpdate(reply.update, { args: [reply.arg] })) as { status: string; level: string };
      emit({ at: formatShanghai(at), kind: 'confirmation', toUnits: [reply.unit], ...who, level: state.level, text: `已受理：${STATUS_CN[state.status] ?? state.status}` }, answered);
    } catch (err) {
      const reason = (err as { cause?: Error }).cause?.message ?? String(err);
      emit({ at: formatShanghai(at), kind: 'confirmation', toUnits: [reply.unit], ...who, text: `未受理：${reason}` }, answered);
    }
  };
  const messages: OutgoingMessage[] = [];
  const runTag = `sim-${options.replies}-${Date.now()}`;
  const workflowId = `${campaignWorkflowId(loaded.input.campaignId)}/${runTag}`;
  const extraIds = extra.map((l) => `${campaignWorkflowId(l.input.campaignId)}/${runTag}`);
  const useDesk = options.desk ?? extra.length > 0;
  const channel = new RecordingChannel(undefined, async (msg) => {
    messages.push(msg);
    emit({
      at: formatShanghai(msg.at),
      kind: msg.kind,
      ...(msg.taskNumber ? { task: msg.taskNumber } : {}),
      ...(msg.unit ? { unit: msg.unit } : {}),
      toUnits: msg.toUnits,
      level: msg.level,
      ...(msg.dutyId ? { dutyId: msg.dutyId } : {}),
      ...(msg.code ? { code: msg.code } : {}),
      ...(itemsOf(msg).some((i) => i.dutyId)
        ? {
            duties: byDuty(itemsOf(msg)).flatMap(({ primary: i }) =>
              i.dutyId && i.unit && i.taskNumber ? [{ task: i.taskNumber, unit: i.unit, dutyId: i.dutyId, code: i.code ?? String(i.taskNumber), kind: i.kind }] : [],
            ),
          }
        : {}),
    });
    // The server holds time still while this activity runs, so replies land at the message's instant. Each
    // duty of a morning message is answered as if it had come alone, by its own unit (a copy of an escalation
    // in the supervising office's message is not answered twice).
    for (const item of itemsOf(msg)) {
      if (msg.items && !(item.unit && msg.toUnits.includes(item.unit))) continue;
      for (const reply of repliesTo({ ...item, at: msg.at }, options.replies, seen)) await apply(reply, msg.at);
    }
    await options.onMessage?.(msg, client, workflowId);
  });
  const taskQueue = options.taskQueue ?? 'duban-simulate';
  const worker = await createWorker({
    connection: env.nativeConnection,
    taskQueue,
    channel,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : {}),
    shutdownForceTime: '10 seconds',
  });
  const wall = Date.now();
  try {
    let clockOffsetMs = 0;
    const deskId = `${deskIdFor(taskQueue)}/${runTag}`;
    const workflowIds = [
      workflowId,
      ...extraIds,
      ...[loaded, ...extra].flatMap((l) => expandCampaign(l.input, loaded.nominalStart.slice(0, 10)).map((d) => d.duty.dutyId)),
    ];
    const watch = watchProgress({
      client,
      clock: () => env.currentTimeMs(),
      workflowIds: () => workflowIds,
      // Messages and replies, and the campaign's history: duties reporting to it are busy work too.
      activity: async () => arrived.length + Number((await client.workflow.getHandle(workflowId).describe().catch(() => undefined))?.historyLength ?? 0),
      stallMs: (options.stallSeconds ?? 60) * 1000,
      // A campaign that continued as new while its duties ran on leaves the test server's clock held when they end.
      timeLocks: {
        leaked: () => countLeakedTimeLocks(client, workflowIds),
        unlock: async () => {
          await env.connection.testService?.unlockTimeSkipping({});
        },
      },
      get clockOffsetMs() {
        return clockOffsetMs;
      },
    });
    let outcome: { summary: CampaignSummary; ledger: LedgerEntry[]; dutyStates?: Map<string, DutyState> };
    try {
      outcome = await worker.runUntil(async () => {
        const startAt = Date.parse(`${loaded.nominalStart}:00+08:00`);
        clockOffsetMs = startAt - (await env.currentTimeMs());
        const withDesk = (l: LoadedCampaign, prefix: string) => ({
          ...l.input,
          clockOffsetMs,
          startAt,
          ...(useDesk || prefix ? { options: { ...l.input.options, ...(useDesk ? { morningDesk: deskId } : {}), ...(prefix ? { codePrefix: prefix } : {}) } } : {}),
        });
        if (useDesk) {
          // Started here, not as the first campaign's child (as in a deployment): the Java test server has stopped
          // its clock for good when a child ended or continued as new after its parent had (a recording run with
          // the desk as a child hung right after the year, its desk having continued as new).
          await client.workflow.start<typeof deskWorkflow>('deskWorkflow', {
            taskQueue,
            workflowId: deskId,
            args: [{ deskId, calendar: loaded.input.calendar, campaigns: [], clockOffsetMs }],
          });
        }
        const handle = await client.workflow.start<typeof campaignWorkflow>('campaignWorkflow', { taskQueue, workflowId, args: [withDesk(loaded, '')] });
        // Later campaigns once the first has started the desk (each would find it anyway).
        const others: (typeof handle)[] = [];
        for (const [i, l] of extra.entries()) {
          others.push(await client.workflow.start<typeof campaignWorkflow>('campaignWorkflow', { taskQueue, workflowId: extraIds[i]!, args: [withDesk(l, CODE_PREFIXES[i]!)] }));
        }
        // A failure in the simulated people ends the run at once.
        // One result at a time: the time-skipping client unlocks the server's clock while it waits for a result and
        // locks it again when the result comes, so two waits at once left the clock locked (a run stalled at its
        // first minute, 2 of 4 runs of two campaigns).
        const allResults = async () => {
          const out: CampaignSummary[] = [];
          for (const h of [handle, ...others]) out.push(await h.result());
          return out;
        };
        const results = await Promise.race([allResults(), watch.stalled, channel.failed]);
        const result = sumSummaries(results);
        if (useDesk) {
          // What the desk still holds when the last duty ended goes once its instant settles; then the desk (no
          // child of a campaign here) is stopped, leaving a shared test server as it found it.
          const desk = client.workflow.getHandle(deskId);
          for (let i = 0; i < 30; i++) {
            const held = await desk.query(deskQuery);
            if (!held.pending && !held.digests) break;
            await env.sleep(60_000);
          }
          await desk.terminate('simulation over').catch(() => undefined);
        }
        if (extra.length) {
          const ledgers = await Promise.all([handle, ...others].map((h) => readCampaignLedger(h)));
          return { summary: result, ledger: ledgers.flat() };
        }
        // The duties have ended; their states are read while this worker still runs to answer the queries.
        if (options.dutyStates) {
          const { entries, states } = await readLedger(client, workflowId);
          return { summary: result, ledger: entries, dutyStates: states };
        }
        return { summary: result, ledger: await readCampaignLedger(handle) };
      });
    } finally {
      watch.stop();
    }
    const { summary, ledger, dutyStates } = outcome;
    // A failure in the simulated people (not a refused reply: those are answered) is a failure of the run.
    channel.throwIfFailed();
    order.flush();
    const cal = loaded.input.calendar;
    // Stable: a duty's own messages at one instant keep the order it sent them in.
    messages.sort((a, b) => a.at - b.at || (a.dutyId ?? '~').localeCompare(b.dutyId ?? '~') || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const dutyMessages = [...new Map(messages.flatMap(itemsOf).map((m) => [m.key, m])).values()];
    return {
      campaignWorkflowId: workflowId,
      campaignWorkflowIds: [workflowId, ...extraIds],
      ...(useDesk ? { deskWorkflowId: `${deskIdFor(taskQueue)}/${runTag}` } : {}),
      events: sortEvents(arrived, seqOf),
      messages,
      dutyMessages,
      summary,
      ledger,
      ...(dutyStates ? { dutyStates } : {}),
      calendar: cal,
      offHours: messages.filter((m) => !isOfficeHours(cal, m.at)),
      wallMs: Date.now() - wall,
      warnings: [...loaded.warnings, ...(loaded.yearNote ? [loaded.yearNote] : [])],
    };
  } finally {
    if (ownServer) {
      await env.teardown();
      await ownServer.stop();
    }
  }
}

export async function simulateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      year: { type: 'string', default: '2022' },
      replies: { type: 'string', default: 'mixed' },
      json: { type: 'boolean', default: false },
      plan: { type: 'string' },
      notice: { type: 'string' },
      directory: { type: 'string' },
      report: { type: 'string' },
      xlsx: { type: 'string' },
      force: { type: 'boolean', default: false },
      'stall-seconds': { type: 'string', default: '60' },
      also: { type: 'string', multiple: true },
      desk: { type: 'string' },
    },
  });
  if (!/^\d{4}$/.test(values.year)) throw new Error(`--year ${values.year}: 须为四位年份 (a four-digit year)`);
  if (!['none', 'prompt', 'mixed'].includes(values.replies)) throw new Error(`--replies ${values.replies}: 可选 none | prompt | mixed`);
  if (values.desk !== undefined && !['on', 'off'].includes(values.desk)) throw new Error(`--desk ${values.desk}: 可选 on | off`);
  const stallSeconds = Number(values['stall-seconds']);
  if (!Number.isFinite(stallSeconds) || stallSeconds < 5) throw new Error(`--stall-seconds ${values['stall-seconds']}: 须为不小于 5 的秒数 (at least 5 seconds)`);
  const json = values.json;
  if (values.xlsx !== undefined && !/\.xlsx$/i.test(values.xlsx)) throw new Error(`--xlsx ${values.xlsx}: 文件名须以 .xlsx 结尾 (an .xlsx file)`);
  // Refused before the year is simulated: `--xlsx units.xlsx` must not cost the filled-in directory.
  if (values.xlsx !== undefined && !values.force && existsSync(values.xlsx)) throw new FileExistsError(values.xlsx, OVERWRITE_HINT);
  const result = await simulateYear({
    year: Number(values.year),
    replies: values.replies as RepliesMode,
    ...(values.plan ? { plan: values.plan } : {}),
    ...(values.notice ? { notice: values.notice } : {}),
    ...(values.directory ? { directory: values.directory } : {}),
    stallSeconds,
    ...(values.also?.length ? { also: values.also.map((f) => ({ year: Number(values.year), ...(/\.ya?ml$/i.test(f) ? { plan: f } : { notice: f }) })) } : {}),
    ...(values.desk !== undefined ? { desk: values.desk === 'on' } : {}),
    ...(values.xlsx ? { dutyStates: true } : {}),
    onEvent: (e) => process.stdout.write(`${json ? JSON.stringify(e) : formatEvent(e)}\n`),
  });
  for (const w of result.warnings) process.stderr.write(`${w}\n`);
  const s = result.summary;
  const byKind = new Map<string, number>();
  for (const m of result.messages) byKind.set(m.kind, (byKind.get(m.kind) ?? 0) + 1);
  const days = new Set(result.messages.map((m) => shanghaiDate(m.at))).size;
  const summary =
    `模拟完成 simulated: ${s.duties} 项时限任务，办结 ${s.completed}，未办结关闭 ${s.closedUnresolved}，曾升级督办 ${s.escalated}；` +
    `发出消息 ${result.messages.length} 条（${[...byKind].map(([k, n]) => `${k} ${n}`).join('，')}），分布在 ${days} 个工作日；` +
    `非工作时间消息 ${result.offHours.length} 条；耗时 ${(result.wallMs / 1000).toFixed(1)} s`;
  process.stderr.write(`${summary}\n`);
  if (values.report) {
    const { plan } = loadCampaign({ year: Number(values.year), ...(values.plan ? { plan: values.plan } : {}), ...(values.notice ? { notice: values.notice } : {}), ...(values.directory ? { directory: values.directory } : {}) }).input;
    writeFileSync(values.report, renderReport(result, plan, values.replies));
    process.stderr.write(`报告已写入 report written: ${values.report}\n`);
  }
  if (values.xlsx) {
    const { plan } = loadCampaign({ year: Number(values.year), ...(values.plan ? { plan: values.plan } : {}), ...(values.notice ? { notice: values.notice } : {}), ...(values.directory ? { directory: values.directory } : {}) }).input;
    // Taken at the year's close: the simulated campaign's last instant, not today's clock.
    const closedAt = Math.max(0, ...result.ledger.map((e) => e.updatedAt));
    const unread = result.ledger.filter((e) => !result.dutyStates?.has(e.dutyId)).map((e) => e.dutyId);
    await writeLedgerFile(values.xlsx, ledgerRows(plan, result.ledger, result.dutyStates), { title: `${plan.title} 督办台账（模拟 ${values.year} 年）`, generatedAt: beijingMinute(closedAt), unread }, { force: values.force });
    process.stderr.write(`台账已写入 ledger written: ${values.xlsx}（${result.ledger.length} 项）\n`);
  }
  return result.offHours.length === 0 ? 0 : 1;
}
