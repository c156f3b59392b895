/**
 * The seed plan's simulated 2022, run once per reply mode in a test file and shared by the checks that read it:
 * the campaign's year (campaign.test.ts, campaign-silent.test.ts), the closing 台账 (closing-ledger.ts) and the
 * second run that must be the same (below). Three files ran the same year seven times between them, about a
 * quarter of the full test run (docs/benchmarks.md, "Where the test run's time goes").
 */
import { describe, expect, it } from 'vitest';
import { formatShanghai } from '../calendar/working-days';
import { simulateYear, type SimulationResult } from '../cli/simulate';
import type { RepliesMode } from '../cli/simulated-people';
import type { OutgoingMessage } from '../workflows/types';
import { quietRuntime, workflowBundle } from './env';

/**
 * A year on a server of its own, as `duban simulate` runs it (the duty ids are the same in every run), with the
 * duties' closing states read (the 台账 needs them).
 */
export function runSeedYear(replies: RepliesMode): Promise<SimulationResult> {
  quietRuntime();
  return simulateYear({ year: 2022, replies, workflowBundle: workflowBundle(), dutyStates: true });
}

/** The year of this reply mode, run at the first call of this test file and shared by every later one. */
export function seedYear(replies: RepliesMode): Promise<SimulationResult> {
  let run = years.get(replies);
  if (!run) years.set(replies, (run = runSeedYear(replies)));
  return run;
}
const years = new Map<RepliesMode, Promise<SimulationResult>>();

/** The seed notice's tasks without a date of any kind: their only duty is the implied year-end one (issue #15). */
export const UNDATED = new Set([2, 3, 6, 7, 8, 9, 10, 11, 13, 14, 16, 17, 18, 22, 23]);

const line = (m: OutgoingMessage) =>
  JSON.stringify({ at: formatShanghai(m.at), kind: m.kind, key: m.key, level: m.level, to: m.recipients, subject: m.subject, text: m.text });

/**
 * A simulated year is a function of its inputs: the same plan, directory, calendar and replies give the same
 * messages at the same instants, with the same text, on every run. The shared year is the first run; a second
 * runs here on a server of its own.
 */
export function describeSameEveryRun(replies: RepliesMode) {
  describe(`a simulated year is the same every run (--replies ${replies})`, () => {
    it('a second run sends the same messages at the same instants', async () => {
      const first = await seedYear(replies);
      const second = await runSeedYear(replies);
      const [a, b] = [first.messages.map(line), second.messages.map(line)];
      expect(a.length).toBeGreaterThan(150);
      // Message for message, so a difference names the first message that differs.
      for (let i = 0; i < Math.max(a.length, b.length); i++) expect(b[i], `message ${i}`).toBe(a[i]);
      expect(second.events.map((e) => JSON.stringify(e))).toEqual(first.events.map((e) => JSON.stringify(e)));
    }, 240_000);
  });
}
