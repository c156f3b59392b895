/**
 * The recording channel: keeps every outgoing message, once per idempotency key, optionally in a JSON-lines outbox
 * file. Used when no real channel is configured, and by tests. With a file, its keys are in an index beside it
 * (outbox-index.ts) and only the newest OUTBOX_TAIL messages are in memory: a city's year of messages neither fills
 * the worker's memory nor is read whole at every start.
 */
import { appendFileSync, existsSync, statSync, truncateSync } from 'node:fs';
import { dirname } from 'node:path';
import type { OutgoingMessage } from '../workflows/types';
import { forEachLineFrom, readOutboxPage } from './outbox-file';
import { OutboxIndex } from './outbox-index';
import type { Channel } from './index';

/** Messages kept in memory when they are written to a file (all of them without one: the simulator reads them). */
export const OUTBOX_TAIL = 1_000;
/** Keys indexed per transaction while catching up with a long outbox. */
const BATCH = 10_000;

export class RecordingChannel implements Channel {
  /** The messages recorded, oldest first: the newest OUTBOX_TAIL of them when there is a file. */
  readonly messages: OutgoingMessage[] = [];
  /**
   * What the `onDeliver` callback threw. Never thrown into the activity: a retry would find the key recorded
   * and succeed, and the failure would vanish. Whoever runs the channel calls `throwIfFailed()` at the end.
   */
  readonly failures: { key: string; error: unknown }[] = [];
  /** Rejects at the first failure of the `onDeliver` callback, for a run to end at once (race it). */
  readonly failed: Promise<never>;
  private failNow: (err: Error) => void = () => undefined;
  /** Keys without a file; with one, the index holds them. */
  private readonly keys = new Set<string>();
  private index?: OutboxIndex;
  private indexed = { bytes: 0, lines: 0 };

  /**
   * @param file JSON-lines outbox to append to (and to reload keys from after a restart).
   * @param onDeliver called after each new message is recorded, before the activity completes
   *   (the simulator's coordinators reply from here, while the server holds time still).
   */
  constructor(
    private readonly file?: string,
    private readonly onDeliver?: (message: OutgoingMessage) => Promise<void>,
  ) {
    this.failed = new Promise<never>((_, reject) => (this.failNow = reject));
    // Nobody need be racing it.
    this.failed.catch(() => undefined);
    // A folder that is not there yet: the first append says so (and the index opens once it is there).
    if (file && existsSync(dirname(file))) this.catchUp(file);
  }

  /** Indexes what the index has not seen of the file, moves a line cut off mid-write aside, and loads the tail. */
  private catchUp(file: string, loadTail = true): void {
    const index = (this.index = new OutboxIndex(`${file}.index.sqlite`));
    let { bytes, lines } = index.indexed();
    const size = existsSync(file) ? statSync(file).size : 0;
    // Shorter than what was indexed (cut back or replaced by hand): indexed again from its start.
    if (size < bytes) {
      index.clear();
      bytes = lines = 0;
    }
    let batch: string[] = [];
    const parse = (line: string, n: number): OutgoingMessage => {
      try {
        return JSON.parse(line) as OutgoingMessage;
      } catch {
        throw new Error(`outbox ${file} 第 ${n} 行不是有效的 JSON (line ${n} is not valid JSON); 请修复或移走该文件: ${line.slice(0, 80)}`);
      }
    };
    const { end, rest } =
      size > bytes
        ? forEachLineFrom(file, bytes, (line, endOffset) => {
            lines++;
            if (line.trim()) batch.push(parse(line, lines).key);
            if (batch.length >= BATCH) {
              index.add(batch, { bytes: endOffset, lines });
              batch = [];
            }
          })
        : { end: bytes, rest: '' };
    let upTo = end;
    if (rest.trim()) {
      let whole: OutgoingMessage | undefined;
      try {
        whole = JSON.parse(rest) as OutgoingMessage;
      } catch {
        // Never fully recorded (the process died mid-write): its key is not taken, and the activity's retry records
        // it again. The fragment moves to <file>.torn, so the outbox is whole lines again.
        process.stderr.write(`outbox ${file}: 最后一行不完整，已移至 ${file}.torn (the last line was cut off mid-write): ${rest.slice(0, 80)}\n`);
        appendFileSync(`${file}.torn`, `${rest}\n`);
        truncateSync(file, end);
      }
      if (whole) {
        // A whole line that only lacks its newline: later appends start on a line of their own.
        appendFileSync(file, '\n');
        batch.push(whole.key);
        lines++;
        upTo = end + Buffer.byteLength(rest) + 1;
      }
    }
    index.add(batch, { bytes: upTo, lines });
    this.indexed = { bytes: upTo, lines };
    if (loadTail && size > 0) this.messages.push(...readOutboxPage(file, OUTBOX_TAIL).messages.reverse());
  }

  private recorded(key: string): boolean {
    return this.file ? (this.index?.has(key) ?? false) : this.keys.has(key);
  }

  private remember(message: OutgoingMessage): void {
    this.messages.push(message);
    if (this.file && this.messages.length > OUTBOX_TAIL) this.messages.shift();
  }

  async deliver(message: OutgoingMessage): Promise<void> {
    if (this.recorded(message.key)) return;
    // Recorded only once written: an append that fails (disk full, the folder gone) throws into the activity, whose
    // retry writes it again, instead of finding the key taken and reporting a message nobody can read as delivered.
    if (this.file) {
      const line = JSON.stringify(message) + '\n';
      appendFileSync(this.file, line);
      // The folder was missing at start: the index opens now, and indexes the file (this message included).
      if (!this.index) this.catchUp(this.file, false);
      else {
        this.indexed = { bytes: this.indexed.bytes + Buffer.byteLength(line), lines: this.indexed.lines + 1 };
        this.index.add([message.key], this.indexed);
      }
    } else {
      this.keys.add(message.key);
    }
    this.remember(message);
    try {
      await this.onDeliver?.(message);
    } catch (error) {
      this.failures.push({ key: message.key, error });
      try {
        this.throwIfFailed();
      } catch (err) {
        this.failNow(err as Error);
      }
    }
  }

  /** Rethrows the first failure of the `onDeliver` callback (a scripted coordinator's failed expectation). */
  throwIfFailed(): void {
    const first = this.failures[0];
    if (!first) return;
    const reason = first.error instanceof Error ? first.error.message : String(first.error);
    throw new Error(`while delivering ${first.key}${this.failures.length > 1 ? ` (and ${this.failures.length - 1} more)` : ''}: ${reason}`, { cause: first.error });
  }
}
