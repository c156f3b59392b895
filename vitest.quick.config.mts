import { defineConfig } from 'vitest/config';

/**
 * `npm run test:quick`: the unit tests and one end-to-end path per area, for a quick check while developing (about
 * 2 minutes here). Left out, and run by `npm test` (what CI runs): the simulated years (campaign, campaign-silent,
 * calendar-update), the office commands end to end (campaigns, campaign, deployment-channels, desk-ensure,
 * reply-dry-run-channels, ops), the recorded-history replays, the reply corpus through the bot, the long duty
 * scenarios (duty, timer-race), the Excel, PDF and LibreOffice round trips (ledger-xlsx, notice-xlsx, notice-pdf,
 * plan-files, ledger-libreoffice) and the drills under test/drills/.
 */
export const QUICK_LEAVES_OUT = [
  'test/campaign-silent.test.ts',
  'test/calendar-update.test.ts',
  'test/campaigns.test.ts',
  'test/campaign.test.ts',
  'test/deployment-channels.test.ts',
  'test/desk-ensure.test.ts',
  'test/reply-dry-run-channels.test.ts',
  'test/ops.test.ts',
  'test/replay.test.ts',
  'test/reply-corpus-bot.test.ts',
  'test/duty.test.ts',
  'test/timer-race.test.ts',
  'test/ledger-xlsx.test.ts',
  'test/notice-xlsx.test.ts',
  'test/notice-pdf.test.ts',
  'test/plan-files.test.ts',
  'test/ledger-libreoffice.test.ts',
  'test/drills/**',
  'test/mail-replies.test.ts',
];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...QUICK_LEAVES_OUT, 'node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
