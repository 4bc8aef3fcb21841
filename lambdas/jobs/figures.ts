/**
 * What the jobs' reports say, as the metrics an operator watches (`lambdas/contract/metrics.ts`),
 * counted into the invocation's telemetry. Every figure of a run is written, zeros included, so a
 * graph of the job has a point for every run.
 */
import { METRICS } from '../contract/metrics.ts';
import type { SealReport } from '../modules/audit/chain.ts';
import type { WatchReport } from '../modules/audit/watch.ts';
import type { DeliveryResult } from '../modules/mail/delivery.ts';
import type { ExpiryReport } from '../modules/expiry/rules.ts';
import type { Telemetry } from '../runtime/telemetry.ts';

/** One run of the expiry-and-seal job. */
export function countExpiryRun(
  t: Telemetry,
  expiry: ExpiryReport,
  audit: Pick<SealReport, 'sealed'> & { verify: Pick<WatchReport, 'problems' | 'failed'> },
): void {
  t.count(METRICS.grantsExpired, expiry.grantsExpired);
  t.count(METRICS.requestsExpired, expiry.requestsExpired);
  t.count(METRICS.expiryWarningsSent, expiry.grantsWarned);
  t.count(METRICS.escalationsSent, expiry.requestsEscalated);
  t.count(METRICS.expiryRunsIncomplete, expiry.incomplete ? 1 : 0);
  t.count(METRICS.auditEventsSealed, audit.sealed);
  t.count(METRICS.auditTrailProblems, audit.verify.problems.length + audit.verify.failed.length);
}

/**
 * The notifier's deliveries: emails sent, and given up on after every try. A send put back in line
 * (`retry`) is not counted: the notifier's logs have it, and only a give-up needs someone.
 */
export function countDeliveries(t: Telemetry, results: Partial<Record<DeliveryResult, number>>): void {
  t.count(METRICS.emailsSent, results.sent ?? 0);
  t.count(METRICS.emailsFailed, results.failed ?? 0);
}
