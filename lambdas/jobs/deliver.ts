/**
 * The outbox consumer on the table's stream: every new outbox item is delivered at once. A send
 * that fails is put back in line by `deliver` (the scheduled job retries it with backoff), so the
 * stream never blocks; only an unexpected error fails the batch item, which the event source
 * mapping retries and then sends to its dead-letter queue.
 */
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { deliver } from '../domain/delivery.ts';
import { deliveryDeps } from './runtime.ts';

export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse>({ timeoutEarlyInMillis: 0 }).handler(async (event) => {
  const failures: DynamoDBBatchResponse['batchItemFailures'] = [];
  const deps = deliveryDeps();
  for (const record of event.Records) {
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== 'INSERT' || image?.type?.S !== 'outbox' || !image.messageId?.S) continue;
    try {
      await deliver(deps, image.messageId.S);
    } catch (e) {
      console.error(JSON.stringify({ level: 'ERROR', message: 'delivery failed', messageId: image.messageId.S, error: String(e) }));
      failures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' });
    }
  }
  return { batchItemFailures: failures };
});
