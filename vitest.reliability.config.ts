import { defineConfig } from 'vitest/config';

// Long reliability tests (crash loop, outage, disk and store trouble, soak): `npm run test:reliability`.
// One file at a time: they measure CPU and memory of child processes and must not compete.
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    testTimeout: 15 * 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    env: { REBOUND_RELIABILITY: '1' },
    globalSetup: ['test/reliability/summary.ts'],
  },
});
