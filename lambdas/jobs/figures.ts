/**
 * What the jobs' reports say, as the metrics an operator watches (`lambdas/contract/metrics.ts`),
 * counted into the invocation's telemetry. Every figure of a run is written, zeros included, so a
 * graph of the job has a point for every run.
 */
import { METRICS, type MetricName } from '../contract/metrics.ts';
import type { SealReport } from '../domain/audit-chain.ts';
import type { DeliveryResult } from '../domain/delivery.ts';
import type { ExpiryReport } from '../domain/expiry.ts';
import type { Telemetry } from '../runtime/telemetry.ts';

/** One run of the expiry-and-seal job. */
export function countExpiryRun(t: Telemetry, expiry: ExpiryReport, audit: Pick<SealReport, 'sealed'>): void {
  t.count(METRICS.grantsExpired, expiry.grantsExpired);
  t.count(METRICS.requestsExpired, expiry.requestsExpired);
  t.count(METRICS.expiryWarningsSent, expiry.grantsWarned);
  t.count(METRICS.escalationsSent, expiry.requestsEscalated);
  t.count(METRICS.sessionsEnded, expiry.sessionsEnded);
  t.count(METRICS.expiryRunsIncomplete, expiry.incomplete ? 1 : 0);
  t.count(METRICS.auditEventsSealed, audit.sealed);
}

/** The deliveries that count (a skipped one was another sender's, or sent already). */
const DELIVERY = { sent: METRICS.emailsSent, retry: METRICS.emailsRetried, failed: METRICS.emailsFailed } satisfies Partial<
  Record<DeliveryResult, MetricName>
>;

/** Deliveries of the notifier, by result. */
export function countDeliveries(t: Telemetry, results: Partial<Record<DeliveryResult, number>>): void {
  for (const result of ['sent', 'retry', 'failed'] as const) t.count(DELIVERY[result], results[result] ?? 0);
}
