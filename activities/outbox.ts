/**
 * The recording channel: keeps every outgoing message, once per idempotency key, optionally in a JSON-lines outbox
 * file. Used when no real channel is configured, and by tests. With a file, its keys are in an index beside it
 * (outbox-index.ts) and only the newest OUTBOX_TAIL messages are in memory: a city's year of messages neither fills
 * the worker's memory nor is read whole at every start.
 */
import { appendFileSync, existsSync, statSync, truncateSync } from 'node:fs';
import { dirname } from 'node:path';
import type { OutgoingMessage } from '../workflows/types';
import { forEachLineFrom, outboxMarks, readOutboxPage } from './outbox-file';
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
  /** Keys without a file; with one, the index holds them (and this, any it could not take). */
  private readonly keys = new Set<string>();
  private index?: OutboxIndex;
  /** Lines of the file indexed, for error messages that name a line. */
  private indexedLines = 0;
  /** The index has the fingerprint of the file's first line (set once the file has one). */
  private headKnown = false;

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
    const known = index.indexed();
    let { bytes, lines } = known;
    const size = existsSync(file) ? statSync(file).size : 0;
    const marks = size > 0 ? outboxMarks(file, Math.min(bytes, size)) : undefined;
    // Shorter than what was indexed or another file (replaced by hand): its keys are not this file's. An offset inside
    // a line (another process appended to it): the keys stand, the file is read again from its start.
    const replaced = size < bytes || (marks !== undefined && known.head !== undefined && known.head !== marks.head);
    if (replaced) index.clear();
    if (replaced || (marks && !marks.atLineEnd)) bytes = lines = 0;
    if (marks) index.setHead(marks.head);
    this.headKnown = marks !== undefined;
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
    this.indexedLines = lines;
    if (loadTail && size > 0) this.messages.push(...readOutboxPage(file, OUTBOX_TAIL).messages.reverse());
  }

  /**
   * The key of a line just appended, in the index. False when the index is busy or broken: the caller keeps the key
   * in memory, so a retry does not write it again, and the next start indexes it from the file.
   */
  private indexAppended(file: string, index: OutboxIndex, key: string): boolean {
    try {
      // The file's own size, not a running total: another process appending to the same outbox moves it too.
      this.indexedLines++;
      index.add([key], { bytes: statSync(file).size, lines: this.indexedLines });
      if (!this.headKnown) {
        index.setHead(outboxMarks(file, 0).head);
        this.headKnown = true;
      }
      return true;
    } catch {
      return false;
    }
  }

  private recorded(key: string): boolean {
    return this.keys.has(key) || (this.index?.has(key) ?? false);
  }

  private remember(message: OutgoingMessage): void {
    this.messages.push(message);
    if (this.file && this.messages.length > OUTBOX_TAIL) this.messages.shift();
  }

  async deliver(message: OutgoingMessage): Promise<void> {
    // The folder was missing at start and is there now: the index opens, and indexes what the file already holds.
    if (this.file && !this.index && existsSync(dirname(this.file))) this.catchUp(this.file, false);
    if (this.recorded(message.key)) return;
    // Recorded only once written: an append that fails (disk full, the folder gone) throws into the activity, whose
    // retry writes it again, instead of finding the key taken and reporting a message nobody can read as delivered.
    if (this.file) appendFileSync(this.file, JSON.stringify(message) + '\n');
    if (!this.file || !this.index || !this.indexAppended(this.file, this.index, message.key)) this.keys.add(message.key);
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
