import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The long ones run in `npm run test:reliability` (vitest.reliability.config.ts).
    exclude: ['test/reliability/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real sockets and fsync: two cores, so keep parallelism modest.
    maxWorkers: 2,
    pool: 'forks',
  },
});
