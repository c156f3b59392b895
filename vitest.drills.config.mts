import { defineConfig } from 'vitest/config';

// `npm run drills`: the slow reliability drills (a worker killed mid-storm, the server restarted).
export default defineConfig({
  test: {
    include: ['test/drills/slow/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
