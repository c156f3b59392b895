/**
 * The desk drills' campaign (issue #27): a plan of `units × perUnit` tasks, each led by one unit of the seed
 * directory and due on Wednesday 15 June 2022 with a reminder on the day only, started as `duban campaign start`
 * starts one (startCampaignWorkflow: the campaign on the campaigns' queue, its duties on the main one, the
 * deployment's desk). The campaign runs on a shifted clock (clockOffsetMs) whose 09:00 that day is a few minutes
 * from now in real time, and its start instant (startAt) is 08:20, before office hours: every duty's request to
 * acknowledge and its reminder are then both for 09:00, and each duty hands both to the desk as soon as it starts
 * (less than 12 hours ahead). Each unit is owed exactly one message, for 09:00, listing each of its tasks.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import { SEED_DIRECTORY, campaignWorkflowId, loadCampaign } from '../../../cli/campaign-input';
import { startCampaignWorkflow } from '../../../cli/campaign';
import { deskIdFor } from '../../../campaigns/registry';
import { loadDirectory, writePlan } from '../../../plan/files';
import { expandCampaign } from '../../../workflows/expand';
import { deskQuery } from '../../../workflows/messages';
import type { DeskInput } from '../../../workflows/desk';
import type { SmtpSink } from '../../smtp-sink';

export const DRILL_DATE = '2022-06-15';
/** The instant every unit is owed its message for, on the campaign's clock. */
export const DRILL_INSTANT = Date.parse(`${DRILL_DATE}T09:00:00+08:00`);
const DRILL_START = Date.parse(`${DRILL_DATE}T08:20:00+08:00`);

export interface DrillCampaign {
  /** The client the drill acts through: on the campaign's clock for any desk it starts (deskOnDrillClock). */
  client: Client;
  taskQueue: string;
  campaignId: string;
  workflowId: string;
  deskId: string;
  /** The instant in real time (ms since the epoch). */
  instant: number;
  clockOffsetMs: number;
  /** Task numbers each unit leads. */
  tasksOf: Map<string, number[]>;
  dutyIds: string[];
  /** Items the desk holds once every duty has handed over: a request to acknowledge and a reminder each. */
  items: number;
}

/**
 * The desk a drill's client starts (`campaign start` when it finds none, `desk ensure`) runs on the drill's clock.
 * campaigns/desk.ts ensureDesk starts a desk without the campaigns' clockOffsetMs, which a deployment never sets
 * (its clock is the real one); on the drill's shifted clock such a desk would take 09:00 on 15 June 2022 for an
 * instant four years past and send at once. Everything else about the start is ensureDesk's own.
 */
export function deskOnDrillClock(clockOffsetMs: number): WorkflowClientInterceptor {
  return {
    async startWithDetails(input, next) {
      if (input.workflowType !== 'deskWorkflow') return next(input);
      const [desk, ...rest] = input.options.args as [DeskInput, ...unknown[]];
      return next({ ...input, options: { ...input.options, args: [{ ...desk, clockOffsetMs }, ...rest] } });
    },
  };
}

/** Units of the seed directory that can lead a task and be reached by email (not the groups, not the digest readers). */
export function drillUnits(n: number): string[] {
  const directory = loadDirectory(SEED_DIRECTORY);
  const offices = new Set([...directory.supervisors, directory.ruralWorkOffice, directory.disciplineOffice]);
  const units = Object.entries(directory.units)
    .filter(([name, u]) => !(name in directory.groups) && !offices.has(name) && u.coordinators.some((c) => c.email))
    .map(([name]) => name);
  if (units.length < n) throw new Error(`the seed directory has ${units.length} units a drill can use, not ${n}`);
  return units.slice(0, n);
}

export interface DrillOptions {
  connection: Connection;
  address: string;
  tag: string;
  taskQueue: string;
  /** Real milliseconds from now to the instant. */
  leadMs: number;
  units: string[];
  perUnit: number;
}

/** Writes the drill's plan and starts its campaign through `campaign start`'s own path. */
export async function startDrillCampaign(o: DrillOptions): Promise<DrillCampaign> {
  const file = join(mkdtempSync(join(tmpdir(), 'duban-desk-drill-')), `${o.tag}-${randomUUID().slice(0, 8)}.yaml`);
  const n = o.units.length * o.perUnit;
  writePlan(file, {
    year: 2022,
    title: `演练：${o.tag}`,
    source: 'test/drills/cluster/desk-campaign.ts',
    tasks: Array.from({ length: n }, (_, i) => ({
      number: i + 1,
      title: `演练任务${i + 1}`,
      lead: o.units[i % o.units.length]!,
      deadlines: [{ date: DRILL_DATE, text: '6月15日前完成。', reminderOffsets: [0] }],
    })),
  });
  const loaded = loadCampaign({ year: 2022, plan: file });
  const instant = Date.now() + o.leadMs;
  const clockOffsetMs = DRILL_INSTANT - instant;
  loaded.input.clockOffsetMs = clockOffsetMs;
  loaded.input.startAt = DRILL_START;
  const client = new Client({ connection: o.connection, interceptors: { workflow: [deskOnDrillClock(clockOffsetMs)] } });
  const started = await startCampaignWorkflow(client, { address: o.address, namespace: 'default', taskQueue: o.taskQueue }, loaded);
  if (!started.started) throw new Error(`campaign ${started.workflowId} was not started: ${started.notes.join('; ')}`);
  const duties = expandCampaign(loaded.input, DRILL_DATE);
  const tasksOf = new Map<string, number[]>(o.units.map((u) => [u, []]));
  for (const d of duties) tasksOf.get(d.duty.unit)?.push(d.duty.taskNumber);
  return {
    client,
    taskQueue: o.taskQueue,
    campaignId: loaded.input.campaignId,
    workflowId: campaignWorkflowId(loaded.input.campaignId),
    deskId: deskIdFor(o.taskQueue),
    instant,
    clockOffsetMs,
    tasksOf,
    dutyIds: duties.map((d) => d.duty.dutyId),
    items: 2 * duties.length,
  };
}

/** Items the desk holds, or undefined when it does not answer (not running, no worker, the store restarting). */
export async function deskHolds(c: DrillCampaign): Promise<number | undefined> {
  return c.client
    .withDeadline(Date.now() + 5000, () => c.client.workflow.getHandle(c.deskId).query(deskQuery))
    .then((s) => s.pending)
    .catch(() => undefined);
}

export async function waitUntil<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms: number, everyMs = 500): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got !== undefined && got !== false) return got;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** When each mail the sink received was first seen (polled every 50 ms), by its index in `received`. */
export function watchArrivals(sink: SmtpSink): { at: number[]; stop(): void } {
  const at: number[] = [];
  const timer = setInterval(() => {
    while (at.length < sink.received.length) at.push(Date.now());
  }, 50);
  return { at, stop: () => clearInterval(timer) };
}

export interface MorningCount {
  units: number;
  /** Units that got exactly one message (one key, arrived once) listing every task they lead. */
  exactlyOne: number;
  /** Units that got nothing about the morning. */
  missing: string[];
  /** Units that got more than one message about it (a second, late message; or a duty's own mail beside the desk's). */
  second: string[];
  /** The same message arriving again (a send in flight when its worker was killed): key, copies, same Message-ID. */
  repeats: { key: string; copies: number; sameMessageId: boolean }[];
  /** `unit 任务N`: a task the unit leads that no message it got lists. */
  lostItems: string[];
  /** Mails that are neither (alerts to the administrators, …). */
  other: number;
  mails: number;
  /** First and last arrival after the instant, ms. */
  firstMs?: number;
  lastMs?: number;
}

const keyOf = (m: SmtpSink['received'][number]) => decodeURIComponent(String(m.headers.get('x-duban-key') ?? ''));

/** Counts, per unit, what arrived about the morning: the desk's messages, and any duty's own mail about it. */
export function countMorning(sink: SmtpSink, c: DrillCampaign, arrivals?: number[]): MorningCount {
  const morning = `${c.deskId}/morning/${DRILL_DATE}/`;
  const unitOfDuty = new Map<string, string>();
  for (const id of c.dutyIds) unitOfDuty.set(id, id.slice(id.lastIndexOf('/') + 1));
  const byUnit = new Map<string, { key: string; messageId: string; text: string }[]>();
  let other = 0;
  const times: number[] = [];
  sink.received.forEach((m, i) => {
    const key = keyOf(m);
    let unit: string | undefined;
    if (key.startsWith(morning)) unit = key.slice(key.lastIndexOf('/') + 1);
    else {
      const dutyId = key.slice(0, key.lastIndexOf('/', key.lastIndexOf('/') - 1));
      unit = unitOfDuty.get(dutyId);
    }
    if (!unit) {
      other++;
      return;
    }
    byUnit.set(unit, [...(byUnit.get(unit) ?? []), { key, messageId: m.messageId ?? '', text: m.text ?? '' }]);
    const t = arrivals?.[i];
    if (t !== undefined) times.push(t - c.instant);
  });
  const missing: string[] = [];
  const second: string[] = [];
  const repeats: MorningCount['repeats'] = [];
  const lostItems: string[] = [];
  let exactlyOne = 0;
  for (const [unit, tasks] of c.tasksOf) {
    const got = byUnit.get(unit) ?? [];
    const keys = new Map<string, { copies: number; ids: Set<string> }>();
    for (const g of got) {
      const k = keys.get(g.key) ?? { copies: 0, ids: new Set<string>() };
      k.copies++;
      k.ids.add(g.messageId);
      keys.set(g.key, k);
    }
    if (!keys.size) missing.push(unit);
    if (keys.size > 1) second.push(unit);
    for (const [key, k] of keys) if (k.copies > 1) repeats.push({ key, copies: k.copies, sameMessageId: k.ids.size === 1 });
    // What the unit read: the tasks its messages list (「【请确认、催办提醒·蓝色】任务12 · 回复编号 12」), or a duty's own mail.
    const heard = new Set<number>();
    for (const g of got) {
      for (const match of g.text.matchAll(/】任务(\d+)/g)) heard.add(Number(match[1]));
      if (!g.key.startsWith(morning)) heard.add(Number(/\/t(\d+)\//.exec(g.key)?.[1]));
    }
    for (const t of tasks) if (!heard.has(t)) lostItems.push(`${unit} 任务${t}`);
    if (keys.size === 1 && got.length === 1 && tasks.every((t) => heard.has(t))) exactlyOne++;
  }
  return {
    units: c.tasksOf.size,
    exactlyOne,
    missing,
    second,
    repeats,
    lostItems,
    other,
    mails: sink.received.length,
    ...(times.length ? { firstMs: Math.min(...times), lastMs: Math.max(...times) } : {}),
  };
}

/** One line for the drill's log (and the report). */
export function countLine(r: MorningCount): string {
  const s = (ms?: number) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);
  return (
    `${r.exactlyOne}/${r.units} units got exactly one message; missing ${r.missing.length}, second messages ${r.second.length}, ` +
    `repeated copies ${r.repeats.reduce((n, x) => n + x.copies - 1, 0)}, tasks not listed ${r.lostItems.length}, other mails ${r.other}; ` +
    `${r.mails} mails, first ${s(r.firstMs)} / last ${s(r.lastMs)} after the instant`
  );
}

/** Terminates what the drill started on the cluster: its duties, its campaign, its desk. */
export async function endDrillCampaign(c: DrillCampaign): Promise<void> {
  const ids = [...c.dutyIds, c.workflowId, c.deskId];
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(ids.slice(i, i + 50).map((id) => c.client.workflow.getHandle(id).terminate('drill over').catch(() => undefined)));
  }
}
