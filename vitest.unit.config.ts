import { defineConfig } from 'vitest/config';

/** Unit tests only (no DynamoDB Local): what the mutation run (`npm run mutate`) executes per mutant. */
export default defineConfig({
  test: { include: ['test/unit/**/*.test.ts', 'packages/*/test/**/*.test.ts'], exclude: ['test/unit/mail-samples.test.ts'] },
});
