import { defineConfig } from 'vitest/config';

/**
 * Unit tests of `lambdas/` only (no DynamoDB Local): what the mutation run (`npm run mutate`)
 * executes per mutant. The packages' tests import nothing from `lambdas/` (and build and start
 * Redis), so they would only slow it down; the root run has them.
 */
export default defineConfig({
  test: { include: ['test/unit/**/*.test.ts'], exclude: ['test/unit/mail-samples.test.ts'] },
});
