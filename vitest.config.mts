import { defineConfig } from 'vitest/config';
import SlowestFirst from './test/sequencer';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The slow drills run with `npm run drills`.
    exclude: ['test/drills/slow/**', 'test/drills/cluster/**', 'node_modules/**'],
    // One dev server and one time-skipping server per run, shared by every test file.
    globalSetup: ['test/global-setup.ts'],
    // The slowest files first, so that neither fork waits on the other at the end (test/sequencer.ts).
    sequence: { sequencer: SlowestFirst },
    pool: 'forks',
    // Two files at a time (2 cores): each file starts its own time-skipping server (test/env.ts), whose clock is
    // global to it, and the dev server is shared with a fresh task queue per test. Measured: 894 s one at a time,
    // 550 s two at a time, same 1,266 tests (2026-12-06).
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
