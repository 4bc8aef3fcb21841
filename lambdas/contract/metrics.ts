/**
 * The figures an operator watches, as the functions write them (CloudWatch embedded metric format,
 * `lambdas/runtime/telemetry.ts`) and as the alarms read them (`lib/alarms.ts`): one namespace, one
 * dimension (`service`), these names. Data only, so CDK reads the same constants the code emits.
 */

/** The CloudWatch namespace of every metric the functions write. */
export const METRICS_NAMESPACE = 'SupportAccess';

/** The `service` of every log line and the one dimension of every metric. */
export const SERVICE_NAME = 'support-access';

/** The dimensions of every metric, exactly as emitted (an alarm must name the same). */
export const METRIC_DIMENSIONS = { service: SERVICE_NAME } as const;

/**
 * Every metric, by what it counts (all are counts, summed per invocation). Each is a CloudWatch
 * custom metric (about $0.30 a month each): only what an operator watches or alarms on.
 */
export const METRICS = {
  /** Grants switched on: an admin's or an upfront grant (`CreateGrant`) or a request's deciding approval. */
  grantsActivated: 'GrantsActivated',
  /** Sign-ins refused for want of a live grant (each one counted into a `session.denied` event). */
  signInsRefused: 'SignInsRefused',
  /** Emails sent (one per outbox message, whatever its number of recipients). */
  emailsSent: 'EmailsSent',
  /** Emails given up on after every try (kept as FAILED; `npm run outbox -- failed`). */
  emailsFailed: 'EmailsFailed',
  /** The expiry job's run: grants ended at their `expiresAt`. */
  grantsExpired: 'GrantsExpired',
  /** ... PENDING requests that lapsed. */
  requestsExpired: 'RequestsExpired',
  /** ... grantees warned that their grant ends soon. */
  expiryWarningsSent: 'ExpiryWarningsSent',
  /** ... requests escalated to the backup contacts. */
  escalationsSent: 'EscalationsSent',
  /** ... runs that stopped for lack of time (the next run takes up the rest). */
  expiryRunsIncomplete: 'ExpiryRunsIncomplete',
  /** Audit events sealed into their tenants' hash chains. */
  auditEventsSealed: 'AuditEventsSealed',
  /**
   * Tenants whose audit trail the job's verification found a problem in (forged, altered or
   * missing events, a grant unlike its events) or could not verify, in this run: someone other
   * than the API wrote the table, or the job cannot read it. Reported again every run until mended.
   */
  auditTrailProblems: 'AuditTrailProblems',
  /** Stream records whose event the bus refused after the publisher's own retries (the mapping retries them). */
  eventPublishFailures: 'EventPublishFailures',
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];
