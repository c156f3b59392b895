import { defineConfig } from 'vitest/config';

// `npm run drills:cluster`: drills on the real Temporal cluster (`duban cluster up` builds and starts it).
export default defineConfig({
  test: {
    include: ['test/drills/cluster/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 1_200_000,
    hookTimeout: 900_000,
  },
});
