import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The slow drills run with `npm run drills`.
    exclude: ['test/drills/slow/**', 'test/drills/cluster/**', 'node_modules/**'],
    // One dev server and one time-skipping server per run, shared by every test file.
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // Files run one after another: they share one time-skipping server, whose clock is global.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
