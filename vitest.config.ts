import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One DynamoDB Local for the whole run, on a free port, stopped at the end (also on failure).
    globalSetup: ['test/helpers/global-setup.ts'],
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    // Patience, not retries: on a machine with both cores busy an integration test that takes 5 s
    // quiet can take 30 s. A test waits for the condition it means; this only bounds a hang.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
