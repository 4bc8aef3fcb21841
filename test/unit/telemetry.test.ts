/**
 * The functions' telemetry (`lambdas/runtime/telemetry.ts`) as CloudWatch reads it from stdout and
 * stderr: JSON log lines with the invocation's keys and no email address, and one EMF document per
 * invocation with each metric summed.
 */
import { describe, expect, it } from 'vitest';
import { METRICS, METRICS_NAMESPACE } from '../../lambdas/contract/metrics.ts';
import { createTelemetry } from '../../lambdas/runtime/telemetry.ts';
import { lambdaContext } from '../../local/server.ts';
import { captured } from '../helpers/output.ts';

describe('telemetry', () => {
  it("masks an email address in anything logged, an error's message and stack included", async () => {
    // Prepare
    const t = createTelemetry();
    const error = new Error('MessageRejected: Email address is not verified: jane.doe@example.com (sandbox)');
    // Act
    const out = await captured(async () => {
      t.begin(lambdaContext('support-access-notifier'), { requestId: 'r-1' });
      t.log.error('delivery failed', { messageId: 'M1', error, note: 'to Jane <jane.doe@example.com>, cc ops@example.org' });
      await t.end();
    });
    // Assess
    expect(out.lines.join('\n')).not.toMatch(/@example\./);
    expect(out.logs()).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        requestId: 'r-1',
        messageId: 'M1',
        note: 'to Jane <[email]>, cc [email]',
        error: expect.objectContaining({ message: 'MessageRejected: Email address is not verified: [email] (sandbox)' }),
      }),
    ]);
  });

  it('writes one EMF document per invocation with each metric summed, none for an invocation that counted nothing, and drops its keys', async () => {
    // Prepare
    const t = createTelemetry();
    // Act
    const out = await captured(async () => {
      t.begin(lambdaContext('support-access-grants'), { requestId: 'r-1', tenantId: 't-1' });
      t.count(METRICS.grantsActivated);
      t.count(METRICS.grantsActivated);
      t.count(METRICS.signInsRefused, 0);
      await t.end();
      t.begin(lambdaContext('support-access-grants'), { requestId: 'r-2' });
      t.log.info('request');
      await t.end();
    });
    // Assess
    expect(out.emf()).toEqual([
      expect.objectContaining({
        _aws: expect.objectContaining({
          CloudWatchMetrics: [
            expect.objectContaining({
              Namespace: METRICS_NAMESPACE,
              Metrics: [
                { Name: 'GrantsActivated', Unit: 'Count' },
                { Name: 'SignInsRefused', Unit: 'Count' },
              ],
            }),
          ],
        }),
        GrantsActivated: 2,
        SignInsRefused: 0,
      }),
    ]);
    const [line] = out.logs();
    expect(line).toMatchObject({ message: 'request', requestId: 'r-2' });
    expect(line).not.toHaveProperty('tenantId');
  });
});
