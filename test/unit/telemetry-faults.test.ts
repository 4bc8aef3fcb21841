/**
 * When Powertools Metrics cannot be loaded or cannot write (a fault that cannot be caused for real
 * here, so its constructor is made to fail once), the invocation still ends normally: the API's
 * answer is not lost to a count. The failure is logged, and the next invocation loads Metrics again.
 */
import { describe, expect, it, vi } from 'vitest';
import { METRICS } from '../../lambdas/contract/metrics.ts';
import { createTelemetry } from '../../lambdas/runtime/telemetry.ts';
import { lambdaContext } from '../../local/server.ts';
import { captured } from '../helpers/output.ts';

const failures = vi.hoisted(() => ({ left: 1 }));

vi.mock('@aws-lambda-powertools/metrics', async (importActual) => {
  const actual = await importActual<typeof import('@aws-lambda-powertools/metrics')>();
  class FailingOnceMetrics extends actual.Metrics {
    constructor(...args: ConstructorParameters<typeof actual.Metrics>) {
      super(...args);
      if (failures.left > 0) {
        failures.left -= 1;
        throw new Error('Metrics could not start');
      }
    }
  }
  return { ...actual, Metrics: FailingOnceMetrics };
});

describe('telemetry when Metrics fails', () => {
  it('ends the invocation, logs that its metrics were not written, and writes them on the next one', async () => {
    // Prepare
    const t = createTelemetry();
    // Act
    const out = await captured(async () => {
      t.begin(lambdaContext('support-access-grants'), { requestId: 'r-1' });
      t.count(METRICS.grantsActivated);
      await expect(t.end()).resolves.toBeUndefined();
      t.begin(lambdaContext('support-access-grants'), { requestId: 'r-2' });
      t.count(METRICS.grantsActivated);
      await t.end();
    });
    // Assess
    expect(out.logs()).toEqual([
      expect.objectContaining({ level: 'ERROR', message: 'metrics not written', requestId: 'r-1', metrics: ['GrantsActivated'] }),
    ]);
    expect(out.emf()).toEqual([expect.objectContaining({ GrantsActivated: 1 })]);
  });
});
