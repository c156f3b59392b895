/**
 * 「首月工作量」: how many duties the plan makes and how many messages its first month sends, from the simulator
 * (cli/simulate.ts: the plan's whole year on a time-skipping server, nobody replying — the most it can send). A
 * year takes 10–40 s, too long for a request: the page asks for it, a job runs in the background (one at a time:
 * the machine's cores are the worker's too) and the page shows the figure once it is there. Each job is keyed by
 * the plan file's and the directory's contents, so an edit asks for a new figure and an unchanged plan reuses one.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isValidDate } from '../calendar/working-days';
import type { Directory } from '../plan/directory';
import { writePlan } from '../plan/files';
import type { Plan } from '../plan/schema';
import type { SimulationResult } from '../cli/simulation-result';
import { createLog } from '../ops/log';

const log = createLog();

/** The first month: 30 days from the campaign's nominal start (the notice's date in the plan year). */
export const FIRST_MONTH_DAYS = 30;

export interface FirstMonth {
  /** Duties the plan makes in all (each lead, each unit of a group, each period of a cadence). */
  duties: number;
  /** Duties due within the first month. */
  dueInMonth: number;
  /** Messages sent in the first month (a morning message to a unit is one message). */
  messages: number;
  /** Units those messages reach. */
  units: number;
  from: string;
  to: string;
  /** Tasks not simulated: they cannot start yet (no lead, an unknown unit). */
  leftOut: number[];
  wallMs: number;
}

export type Simulate = (o: { planFile: string; directory: Directory; year: number }) => Promise<SimulationResult>;

/** The simulator as `duban simulate --replies none` runs it, on a test server of its own. */
export const simulateWithOwnServer: Simulate = async (o) => {
  const { simulateYear } = await import('../cli/simulate');
  return simulateYear({ year: o.year, plan: o.planFile, directory: o.directory, replies: 'none' });
};

const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** The first month's figures out of a simulated year (pure). */
export function firstMonthOf(result: SimulationResult, start: string, leftOut: number[]): FirstMonth {
  const to = addDays(start, FIRST_MONTH_DAYS);
  const from = Date.parse(`${start}T00:00:00+08:00`);
  const until = Date.parse(`${to}T00:00:00+08:00`);
  const sent = result.messages.filter((m) => m.at >= from && m.at < until);
  return {
    duties: result.ledger.length,
    dueInMonth: result.ledger.filter((e) => e.deadline >= start && e.deadline < to).length,
    messages: sent.length,
    units: new Set(sent.flatMap((m) => m.toUnits)).size,
    from: start,
    to: addDays(to, -1),
    leftOut,
    wallMs: result.wallMs,
  };
}

/** The campaign's nominal start in the plan year, as the simulator starts it. */
export function startOf(plan: Pick<Plan, 'year' | 'noticeDate'>): string {
  if (!plan.noticeDate) return `${plan.year}-01-04`;
  const moved = `${plan.year}${plan.noticeDate.slice(4)}`;
  return isValidDate(moved) ? moved : `${plan.year}-${plan.noticeDate.slice(5, 7)}-28`;
}

export type JobState = { state: 'running' | 'queued'; since: number } | { state: 'done'; figures: FirstMonth } | { state: 'failed'; why: string };

export class FirstMonthJobs {
  private readonly jobs = new Map<string, JobState>();
  /** The newest key asked for per plan: a plan edited five times is simulated once, as it stands, not five times. */
  private readonly latest = new Map<string, string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly workDir: string,
    private readonly simulate: Simulate = simulateWithOwnServer,
  ) {}

  status(key: string): JobState | undefined {
    return this.jobs.get(key);
  }

  /** Asks for the figure of `plan` (only its startable tasks); a job already asked for is not asked again. */
  request(key: string, plan: Plan, directory: Directory, leftOut: number[], group = key): JobState {
    this.latest.set(group, key);
    const known = this.jobs.get(key);
    if (known && known.state !== 'failed') return known;
    const tasks = plan.tasks.filter((t) => !leftOut.includes(t.number));
    if (!tasks.length) {
      const none: JobState = { state: 'failed', why: '没有可以模拟的任务：请先补齐牵头单位、改正通讯录中没有的单位' };
      this.jobs.set(key, none);
      return none;
    }
    const queued: JobState = { state: 'queued', since: Date.now() };
    this.jobs.set(key, queued);
    // Bounded: the oldest figures go first.
    while (this.jobs.size > 50) this.jobs.delete(this.jobs.keys().next().value!);
    this.queue = this.queue.then(async () => {
      // Edited again before its turn: the newer version's job runs instead.
      if (this.latest.get(group) !== key) {
        this.jobs.delete(key);
        return;
      }
      this.jobs.set(key, { state: 'running', since: Date.now() });
      const dir = join(this.workDir, key);
      try {
        mkdirSync(dir, { recursive: true });
        const file = join(dir, 'plan.yaml');
        // A notice of another year run for this one (「--year」): its first month is the notice's month and day this year.
        writePlan(file, { ...plan, tasks, noticeDate: startOf(plan) });
        const result = await this.simulate({ planFile: file, directory, year: plan.year });
        this.jobs.set(key, { state: 'done', figures: firstMonthOf(result, startOf(plan), leftOut) });
      } catch (err) {
        log.error('first-month simulation', { error: err });
        this.jobs.set(key, { state: 'failed', why: `模拟未能完成（${err instanceof Error ? err.message.slice(0, 200) : String(err)}）` });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
    return queued;
  }

  /** Resolves when every job asked for so far has finished (tests). */
  idle(): Promise<void> {
    return this.queue;
  }
}
