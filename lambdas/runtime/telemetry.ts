/**
 * Logs and metrics, with Powertools for AWS Lambda (TypeScript): one `Logger` and one `Metrics` per
 * function, made here and handed to the handlers and jobs in their dependencies (`AppDeps.telemetry`).
 * Nothing else imports Powertools (ESLint enforces it).
 *
 * - Every log line is one JSON object with Powertools' keys (`level`, `message`, `timestamp`,
 *   `service`, the Lambda context's `function_request_id`, `cold_start`...) and the invocation's
 *   own keys (`requestId`, `correlationId`, `tenantId` for an HTTP request), which `begin` adds and
 *   `end` removes. Fields are ids and figures only: no emails, names, reasons or IP addresses.
 * - Metrics are counted during an invocation and written by `end` as one EMF document on stdout
 *   (CloudWatch turns it into metrics: `lambdas/contract/metrics.ts`); nothing when none were counted.
 *   Most invocations count nothing, so Powertools Metrics is loaded by the first one that does, not
 *   at cold start (in a bundle, esbuild keeps a dynamic import's module unevaluated until then).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { METRICS_NAMESPACE, SERVICE_NAME, type MetricName } from '../contract/metrics.ts';
import type { Log } from '../kernel/ports.ts';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

export interface TelemetryOptions {
  /**
   * The lowest level written. Default: what Powertools reads from the function's configuration
   * (`POWERTOOLS_LOG_LEVEL`, or Lambda's advanced logging controls), else INFO.
   */
  logLevel?: LogLevel;
  /** Write the metrics (EMF on stdout); off, `end` drops them (the local stack). Default on. */
  metrics?: boolean;
}

/** Keys added to every log line of one invocation (ids only). */
export type LogKeys = Record<string, string>;

export interface Telemetry {
  /** The logger, also as the domain's `Log` port (the store's warnings). */
  readonly log: Logger & Log;
  /** Adds `value` to a count of this invocation. */
  count(name: MetricName, value?: number): void;
  /** Starts an invocation: its Lambda context and `keys` on every log line until `end`. */
  begin(context: Context, keys?: LogKeys): void;
  /** Ends it: writes its counts as one EMF document (if any; a failure is logged, never thrown), drops its keys. */
  end(): Promise<void>;
}

/** An email address inside any logged text (an SDK error's message, say). */
const EMAIL_IN_TEXT = /[^\s@"'<>()[\],;:]+@[^\s@"'<>()[\],;:]+\.[A-Za-z]{2,}/g;

/**
 * Masks every email address in the strings of a log line, the error messages and stacks included:
 * the code logs ids only, and this keeps an address that a dependency's message carries out too.
 */
export const maskEmails = (_key: string, value: unknown): unknown =>
  typeof value === 'string' && value.includes('@') ? value.replace(EMAIL_IN_TEXT, '[email]') : value;

/** The logger and metrics of one function. */
export function createTelemetry(options: TelemetryOptions = {}): Telemetry {
  const log = new Logger({
    serviceName: SERVICE_NAME,
    jsonReplacerFn: maskEmails,
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
  });
  let metrics: Promise<Metrics> | undefined;
  const loadMetrics = () =>
    (metrics ??= import('@aws-lambda-powertools/metrics').then(
      ({ Metrics }) => new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, logger: log }),
    ));
  // Summed here, so each metric is one value per invocation (Powertools would list every add).
  const counts = new Map<MetricName, number>();
  return {
    log,
    count(name, value = 1) {
      counts.set(name, (counts.get(name) ?? 0) + value);
    },
    begin(context, keys = {}) {
      counts.clear();
      log.addContext(context);
      log.appendKeys(keys);
    },
    async end() {
      const counted = [...counts];
      counts.clear();
      if (counted.length > 0 && options.metrics !== false) {
        try {
          const emf = await loadMetrics();
          for (const [name, value] of counted) emf.addMetric(name, 'Count', value);
          emf.publishStoredMetrics();
        } catch (error) {
          // A count is not worth the answer it would cost: logged, and Metrics loaded again next time.
          metrics = undefined;
          log.error('metrics not written', { error, metrics: counted.map(([name]) => name) });
        }
      }
      log.resetKeys();
    },
  };
}

/**
 * The telemetry of a deployed function without other dependencies (meta, JWKS), made on first use.
 * The others take theirs from `buildDeps`.
 */
export function lambdaTelemetry(): () => Telemetry {
  let made: Telemetry | undefined;
  return () => (made ??= createTelemetry());
}

/** A job's middy middleware: `begin` before the handler, `end` after it, also when it fails. */
export function observe<E, R>(source: () => Telemetry, keys?: (event: E) => LogKeys): MiddlewareObj<E, R> {
  return {
    before: (request) => source().begin(request.context, keys?.(request.event)),
    after: () => source().end(),
    onError: () => source().end(),
  };
}

/** A job's middy stack, observed: `middy(...).use(observe(source))`, then its `.handler(...)`. */
export const observedJob = <E, R = unknown>(source: () => Telemetry) => middy<E, R>({ timeoutEarlyInMillis: 0 }).use(observe<E, R>(source));
