/**
 * The recording channel: keeps every outgoing message, once per idempotency key, in memory and optionally
 * in a JSON-lines outbox file. Used when no real channel is configured, and by tests.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { OutgoingMessage } from '../workflows/types';
import type { Channel } from './index';

export class RecordingChannel implements Channel {
  readonly messages: OutgoingMessage[] = [];
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
    await this.onDeliver?.(message);
  }
}
