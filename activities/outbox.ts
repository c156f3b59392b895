/**
 * The recording channel: keeps every outgoing message, once per idempotency key, in memory and optionally
 * in a JSON-lines outbox file. Used when no real channel is configured, and by tests.
 */
import { appendFileSync, existsSync, readFileSync, truncateSync } from 'node:fs';
import type { OutgoingMessage } from '../workflows/types';
import type { Channel } from './index';

export class RecordingChannel implements Channel {
  readonly messages: OutgoingMessage[] = [];
  /**
   * What the `onDeliver` callback threw. Never thrown into the activity: a retry would find the key recorded
   * and succeed, and the failure would vanish. Whoever runs the channel calls `throwIfFailed()` at the end.
   */
  readonly failures: { key: string; error: unknown }[] = [];
  /** Rejects at the first failure of the `onDeliver` callback, for a run to end at once (race it). */
  readonly failed: Promise<never>;
  private failNow: (err: Error) => void = () => undefined;
  private readonly keys = new Set<string>();

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
    if (file && existsSync(file)) {
      const lines = readFileSync(file, 'utf8').split('\n');
      // The last line has no newline only when an append was cut off (the process died mid-write).
      const torn = lines.at(-1) !== '' ? lines.length - 1 : -1;
      let cutOff = false;
      lines.forEach((line, i) => {
        if (!line.trim()) return;
        let msg: OutgoingMessage;
        try {
          msg = JSON.parse(line) as OutgoingMessage;
        } catch {
          if (i === torn) {
            // Never fully recorded: its key is not taken, and the activity's retry records it again. The
            // fragment moves to <file>.torn, so the outbox is whole lines again.
            process.stderr.write(`outbox ${file}: 最后一行不完整，已移至 ${file}.torn (the last line was cut off mid-write): ${line.slice(0, 80)}\n`);
            cutOff = true;
            return;
          }
          throw new Error(`outbox ${file} 第 ${i + 1} 行不是有效的 JSON (line ${i + 1} is not valid JSON); 请修复或移走该文件: ${line.slice(0, 80)}`);
        }
        this.keys.add(msg.key);
        this.messages.push(msg);
      });
      if (cutOff) {
        appendFileSync(`${file}.torn`, `${lines[torn]}\n`);
        truncateSync(file, Buffer.byteLength(lines.slice(0, torn).map((l) => `${l}\n`).join('')));
      } else if (torn >= 0) {
        // A whole line that only lacks its newline: later appends start on a line of their own.
        appendFileSync(file, '\n');
      }
    }
  }

  async deliver(message: OutgoingMessage): Promise<void> {
    if (this.keys.has(message.key)) return;
    // Recorded only once written: an append that fails (disk full, the folder gone) throws into the activity, whose
    // retry writes it again, instead of finding the key taken and reporting a message nobody can read as delivered.
    if (this.file) appendFileSync(this.file, JSON.stringify(message) + '\n');
    this.keys.add(message.key);
    this.messages.push(message);
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
