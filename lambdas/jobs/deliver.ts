/**
 * The notifier, the only function that sends email. Two triggers:
 * - the table's stream: every new outbox item is delivered at once. A send that fails is put back
 *   in line by `deliver` with a backoff, so the stream never blocks; only an unexpected error fails
 *   the batch item, which the event source mapping retries and then sends to its dead-letter queue.
 * - a schedule (EventBridge, every minute): delivers what is due, i.e. retries whose backoff has
 *   passed and anything the stream consumer missed.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import { deliver, type DeliveryResult, drainOutbox, type DrainReport } from '../modules/mail/delivery.ts';
import { type AppDeps, deliveryDeps, type DepsSource, lambdaDeps, observedJob } from '../runtime/index.ts';
import { sesWiring } from '../runtime/mailer.ts';
import { countDeliveries } from './figures.ts';

const isStream = (event: DynamoDBStreamEvent | ScheduledEvent): event is DynamoDBStreamEvent =>
  Array.isArray((event as Partial<DynamoDBStreamEvent>).Records);

async function fromStream(app: AppDeps, event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const failures: DynamoDBBatchResponse['batchItemFailures'] = [];
  const deps = deliveryDeps(app);
  const results: Partial<Record<DeliveryResult, number>> = {};
  for (const record of event.Records) {
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== 'INSERT' || image?.type?.S !== 'outbox' || !image.messageId?.S) continue;
    try {
      const result = await deliver(deps, image.messageId.S);
      results[result] = (results[result] ?? 0) + 1;
      // The cause is on the message (`npm run outbox -- failed`); here only that it happened.
      if (result === 'retry' || result === 'failed') app.telemetry.log.warn('email not sent', { messageId: image.messageId.S, result });
    } catch (e) {
      app.telemetry.log.error('delivery failed', { messageId: image.messageId.S, error: e });
      failures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' });
    }
  }
  countDeliveries(app.telemetry, results);
  return { batchItemFailures: failures };
}

async function drain(app: AppDeps): Promise<DrainReport> {
  const report = await drainOutbox(deliveryDeps(app));
  // Most runs find nothing due; log and count only the ones that did something.
  if (report.sent + report.retry + report.failed + report.skipped > 0) {
    app.telemetry.log.info('outbox drained', { ...report });
    countDeliveries(app.telemetry, report);
  }
  return report;
}

/** The function over the given dependencies (the local stack and tests bring their own). */
export const createHandler = (deps: DepsSource) =>
  observedJob<DynamoDBStreamEvent | ScheduledEvent, DynamoDBBatchResponse | DrainReport>(() => deps().telemetry).handler((event) =>
    isStream(event) ? fromStream(deps(), event) : drain(deps()),
  );
export const handler = createHandler(lambdaDeps(sesWiring));
