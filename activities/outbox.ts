/**
 * The recording channel: keeps every outgoing message, once per idempotency key, in memory and optionally
 * in a JSON-lines outbox file. Used when no real channel is configured, and by tests.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { OutgoingMessage } from '../workflows/types';
import type { Channel } from './index';

export class RecordingChannel implements Channel {
  readonly messages: OutgoingMessage[] = [];
  /**
   * What the `onDeliver` callback threw. Never thrown into the activity: a retry would find the key recorded
   * and succeed, and the failure would vanish. Whoever runs the channel calls `throwIfFailed()` at the end.
   */
  readonly failures: { key: string; error: unknown }[] = [];
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
    if (file && existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const msg = JSON.parse(line) as OutgoingMessage;
        this.keys.add(msg.key);
        this.messages.push(msg);
      }
    }
  }

  async deliver(message: OutgoingMessage): Promise<void> {
    if (this.keys.has(message.key)) return;
    this.keys.add(message.key);
    this.messages.push(message);
    if (this.file) appendFileSync(this.file, JSON.stringify(message) + '\n');
    try {
      await this.onDeliver?.(message);
    } catch (error) {
      this.failures.push({ key: message.key, error });
    }
  }

  /** Rethrows the first failure of the `onDeliver` callback (a scripted coordinator's failed expectation). */
  throwIfFailed(): void {
    const first = this.failures[0];
    if (!first) return;
    const err = first.error instanceof Error ? first.error : new Error(String(first.error));
    err.message = `while delivering ${first.key}${this.failures.length > 1 ? ` (and ${this.failures.length - 1} more)` : ''}: ${err.message}`;
    throw err;
  }
}
