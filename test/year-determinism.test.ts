/**
 * A simulated year is a function of its inputs: the same plan, directory, calendar and replies give the same
 * messages at the same instants, with the same text, on every run. Each run gets a server of its own, as
 * `duban simulate` does (duty ids are the same in both runs).
 */
import { describe, expect, it } from 'vitest';
import { formatShanghai } from '../calendar/working-days';
import { simulateYear } from '../cli/simulate';
import type { RepliesMode } from '../cli/simulated-people';
import type { OutgoingMessage } from '../workflows/types';
import { quietRuntime, workflowBundle } from './env';

const line = (m: OutgoingMessage) =>
  JSON.stringify({ at: formatShanghai(m.at), kind: m.kind, key: m.key, level: m.level, to: m.recipients, subject: m.subject, text: m.text });

async function year(replies: RepliesMode) {
  const result = await simulateYear({ year: 2022, replies, workflowBundle: workflowBundle() });
  return { lines: result.messages.map(line), events: result.events.map((e) => JSON.stringify(e)) };
}

describe('a simulated year is the same every run', () => {
  for (const replies of ['none', 'mixed'] as const) {
    it(`--replies ${replies}: two runs send the same messages at the same instants`, async () => {
      quietRuntime();
      const first = await year(replies);
      const second = await year(replies);
      expect(first.lines.length).toBeGreaterThan(150);
      // Message for message, so a difference names the first message that differs.
      for (let i = 0; i < Math.max(first.lines.length, second.lines.length); i++) expect(second.lines[i], `message ${i}`).toBe(first.lines[i]);
      expect(second.events).toEqual(first.events);
    }, 240_000);
  }
});
