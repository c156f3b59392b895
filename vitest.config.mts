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
    // Three files at a time on 2 cores: each file starts its own time-skipping server (test/env.ts), whose clock is
    // global to it, and the dev server is shared with a fresh task queue per test. Much of a file's time is waiting
    // (real-time dev-server tests, JVM starts), so a third fork uses the idle CPU. Measured with
    // `npx vitest run` on the work tree, vitest's cache removed: 476 s two at a time, 434 s three at a time, all
    // passing (2026-12-07; 894 s one at a time and 550 s two at a time for 1,266 tests on 2026-12-06).
    fileParallelism: true,
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
