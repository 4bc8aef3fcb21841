import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One DynamoDB Local for the whole run, on a free port, stopped at the end (also on failure).
    globalSetup: ['test/helpers/global-setup.ts'],
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
