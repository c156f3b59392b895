/**
 * The outbox records a message only once it is written (issue #27): an append that fails throws, and the
 * activity's retry writes it, instead of finding its key taken and counting it delivered.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecordingChannel } from '../activities/outbox';
import type { OutgoingMessage } from '../workflows/types';

const msg: OutgoingMessage = {
  key: 'c/t1/d1/县民政局/reminder/1',
  kind: 'reminder',
  toUnits: ['县民政局'],
  recipients: [{ unit: '县民政局', role: 'coordinators' }],
  level: 'none',
  at: Date.parse('2022-06-10T09:00:00+08:00'),
  subject: '【催办提醒】任务1',
  text: '请于 6 月 15 日前报送。',
};

describe('the outbox file', () => {
  it('a failed append is not remembered as delivered: the retry writes the message', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'duban-outbox-')), 'not-yet');
    const file = join(dir, 'outbox.jsonl');
    const outbox = new RecordingChannel(file);
    // The folder is missing: the append fails, and the activity sees it fail.
    await expect(outbox.deliver(msg)).rejects.toThrow(/ENOENT/);
    mkdirSync(dir);
    // The retry, once the folder is back.
    await outbox.deliver(msg);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as OutgoingMessage).key)).toEqual([msg.key]);
    expect(outbox.messages).toHaveLength(1);
  });
});
