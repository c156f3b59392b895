/**
 * Tests that can fail: an expectation inside a scripted coordinator (run from the recording channel, inside
 * an activity that Temporal would retry) fails its test. Before, the channel recorded the message's key first,
 * the failed expectation failed the activity, and the retry found the key and succeeded: the test passed.
 */
import { describe, expect, it } from 'vitest';
import { RecordingChannel } from '../activities/outbox';
import { dutyInput } from './duty-fixtures';
import { runDuty } from './harness';
import type { OutgoingMessage } from '../workflows/types';

const msg = (key: string): OutgoingMessage => ({ key, kind: 'reminder', toUnits: [], recipients: [], level: 'none', at: 0, subject: 's', text: 't' });

describe('a failure in a channel callback', () => {
  it('is kept, not thrown into the activity, and rethrown by whoever runs the channel', async () => {
    const channel = new RecordingChannel(undefined, async (m) => {
      if (m.key === 'b') throw new Error('scripted expectation failed');
    });
    await channel.deliver(msg('a'));
    await expect(channel.deliver(msg('b'))).resolves.toBeUndefined();
    expect(channel.failures.map((f) => f.key)).toEqual(['b']);
    expect(() => channel.throwIfFailed()).toThrow('while delivering b: scripted expectation failed');
  });

  it('fails the duty run whose scripted coordinator expected something else', async () => {
    const input = dutyInput('can-fail/t1/d1/县民政局', '2022-05-31');
    await expect(
      runDuty(input, '2022-04-29T10:00', async (m) => {
        // The first message is a request to acknowledge: this expectation fails.
        expect(m.kind).toBe('supervision-notice');
      }),
    ).rejects.toThrow(/while delivering can-fail\/t1\/d1\/县民政局\/ack-request\/first: .*supervision-notice/);
  }, 60_000);
});
