/**
 * What the dashboard's /healthz says: Temporal answers, a worker polls the campaign's task queue, and when
 * the campaign last sent its morning messages. Booleans and a time only: no units, no people, no ids, since
 * it answers without a token.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { forEachLineFrom } from '../activities/outbox-file';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/**
 * A poller the server saw this recently is a polling worker. A long poll lasts up to about 70 s and the
 * server notes a poller when its poll begins; it keeps listing pollers of a stopped worker for minutes.
 */
export const POLLER_FRESH_MS = 2 * 60_000;

/** A monitor's check must not hang on a Temporal that does not answer (the client would keep retrying). */
export const HEALTH_TIMEOUT_MS = 5_000;

export interface Health {
  ok: boolean;
  temporal: boolean;
  worker: boolean;
  /** ISO instant of the last morning message in the outbox; null when none was sent yet. */
  lastMorningRun: string | null;
}

export interface HealthDeps {
  client: Client;
  taskQueue: string;
  /** The last morning run (see OutboxMornings); undefined when there is no outbox. */
  lastMorningRun?: () => number | undefined;
  now?: () => number;
}

/** Whether a worker polled the queue for workflow tasks lately; throws when Temporal does not answer. */
export async function workerPolling(client: Client, taskQueue: string, now = Date.now()): Promise<boolean> {
  const res = await client.withDeadline(Date.now() + HEALTH_TIMEOUT_MS, () =>
    client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    }),
  );
  return res.pollers.some((p) => {
    const seconds = Number(p.lastAccessTime?.seconds ?? 0);
    return now - seconds * 1000 < POLLER_FRESH_MS;
  });
}

export async function checkHealth(deps: HealthDeps): Promise<Health> {
  const now = (deps.now ?? Date.now)();
  let reachable = true;
  let polling = false;
  try {
    polling = await workerPolling(deps.client, deps.taskQueue, now);
  } catch {
    reachable = false;
  }
  const morning = deps.lastMorningRun?.();
  return { ok: reachable && polling, temporal: reachable, worker: polling, lastMorningRun: morning === undefined ? null : new Date(morning).toISOString() };
}

/**
 * A morning message as the outbox holds it: it carries its duties' items, and its key has `/morning/`. Its kind
 * says nothing: a unit whose items are all reminders gets kind 'reminder' (workflows/morning.ts), 'morning'
 * only when they are mixed.
 */
export function isMorningMessage(msg: { key?: unknown; kind?: unknown; items?: unknown }): boolean {
  return Array.isArray(msg.items) || (typeof msg.key === 'string' && msg.key.includes('/morning/')) || msg.kind === 'morning';
}

/** The instant of the newest morning message among outbox lines (JSON lines of OutgoingMessage). */
export function lastMorningIn(lines: string, after?: number): number | undefined {
  let last = after;
  for (const line of lines.split('\n')) {
    // Most lines are single messages: skip them without parsing (a JSON string cannot hold `"items":` unescaped).
    if (!line.includes('"items":') && !line.includes('/morning/') && !line.includes('"kind":"morning"')) continue;
    try {
      const msg = JSON.parse(line) as { key?: unknown; kind?: unknown; items?: unknown; at?: unknown };
      if (isMorningMessage(msg) && typeof msg.at === 'number' && (last === undefined || msg.at > last)) last = msg.at;
    } catch {
      // A torn last line: the recording channel moves it aside on its next start.
    }
  }
  return last;
}

/**
 * The last morning run, from the outbox every message is recorded in (the campaign's state does not say
 * when it last sent one). The file only grows, so each call reads only what was appended since the last.
 */
export class OutboxMornings {
  private readBytes = 0;
  private last: number | undefined;

  constructor(
    private readonly file: string,
    /** Bytes read at a time: an outbox of any size is never read into one string (it fails past about 512 MB). */
    private readonly window = 8 * 1024 * 1024,
  ) {}

  lastMorningRun(): number | undefined {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return this.last;
    }
    const read = (from: number, length: number) => {
      const buf = Buffer.alloc(length);
      return buf.subarray(0, readSync(fd, buf, 0, length, from));
    };
    try {
      const size = fstatSync(fd).size;
      // Shorter than before: cut back (a torn line moved aside); read it again from the start.
      if (size < this.readBytes) {
        this.readBytes = 0;
        this.last = undefined;
      }
      // The first look at a long outbox: the newest morning is near its end, so it is looked for a window at a time
      // from there, and from then on only what is appended is read.
      if (this.readBytes === 0 && size > this.window) {
        const tail = read(size - this.window, this.window);
        const through = size - this.window + tail.lastIndexOf(0x0a) + 1;
        for (let end = through; end > 0 && this.last === undefined; ) {
          const from = Math.max(0, end - this.window);
          const buf = read(from, end - from);
          const start = from === 0 ? 0 : buf.indexOf(0x0a) + 1;
          this.last = lastMorningIn(buf.subarray(start).toString('utf8'), this.last);
          end = start > 0 ? from + start : from;
        }
        this.readBytes = through;
      }
      // Whole lines only: a line still being written is read next time.
      if (this.readBytes < size) this.readBytes = forEachLineFrom(this.file, this.readBytes, (line) => (this.last = lastMorningIn(line, this.last))).end;
      return this.last;
    } finally {
      closeSync(fd);
    }
  }
}
