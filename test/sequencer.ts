/**
 * Longest files first. Vitest orders a clean clone's files by size (it has no durations cached yet), which started
 * the two-minute campaign year at 149 s and the replays at 398 s of a 476 s run, with one fork idle at the end. These
 * are the slowest files of a measured run (docs/benchmarks.md, "Where the test run's time goes"), longest first; the
 * rest follow in vitest's own order.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const SLOWEST_FIRST = [
  'test/campaign.test.ts',
  'test/campaigns.test.ts',
  'test/campaign-silent.test.ts',
  'test/replay.test.ts',
  'test/reply-corpus-bot.test.ts',
  'test/ops.test.ts',
  'test/calendar-update.test.ts',
  'test/undelivered.test.ts',
  'test/drills/bad-files.test.ts',
  'test/notice-xlsx.test.ts',
  'test/plan-files.test.ts',
  'test/desk-ensure.test.ts',
  'test/drills/smtp-outage.test.ts',
  'test/notice-pdf.test.ts',
  'test/duty.test.ts',
];

export default class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const i = SLOWEST_FIRST.findIndex((f) => spec.moduleId.endsWith(`/${f}`));
      return i < 0 ? SLOWEST_FIRST.length : i;
    };
    // Array.prototype.sort is stable: files off the list keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
