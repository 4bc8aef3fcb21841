/**
 * Deployed, Powertools Metrics is loaded by an invocation's first count, through a dynamic
 * `import()` that esbuild keeps inside the one bundle, unevaluated until then (docs/performance.md,
 * "Loading on first use"). An operator still gets the EMF document from the bundled code, which is
 * what CloudWatch turns into the metrics the alarms read. The bundle runs in a Node process of its
 * own, in a directory without `node_modules`, as in Lambda: whatever it did not bundle is missing.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { deployedOptions, NODE, ROOT } from '../../bench/cold-start.ts';

/** Two invocations, the second counting a grant activated, as a function's handler runs them. */
const DRIVER = `
import { createTelemetry } from './telemetry.mjs';
const context = { functionName: 'support-access-grants', awsRequestId: 'r', getRemainingTimeInMillis: () => 1000 };
const t = createTelemetry();
t.begin(context, { requestId: 'r-1' });
await t.end();
t.begin(context, { requestId: 'r-2' });
t.count('GrantsActivated');
await t.end();
`;

describe('telemetry as the stack bundles it', () => {
  it('writes the EMF document of an invocation that counted, from Metrics loaded on that first count', async () => {
    // Prepare: the composition root's telemetry, built with the stack's bundling options
    const dir = mkdtempSync(join(tmpdir(), 'support-access-telemetry-'));
    try {
      await build({
        ...deployedOptions(),
        entryPoints: [join(ROOT, 'lambdas/runtime/telemetry.ts')],
        outfile: join(dir, 'telemetry.mjs'),
        logLevel: 'silent',
      });
      writeFileSync(join(dir, 'driver.mjs'), DRIVER);

      // Act
      const { stdout } = await promisify(execFile)(NODE, ['driver.mjs'], { cwd: dir, env: { PATH: process.env.PATH } });

      // Assess: one EMF document, for the invocation that counted
      const emf = stdout
        .split('\n')
        .filter((l) => l.includes('"_aws"'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(emf).toEqual([expect.objectContaining({ GrantsActivated: 1, service: 'support-access' })]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
