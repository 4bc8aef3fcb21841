/**
 * The publisher, the only function allowed `events:PutEvents` (on the stack's bus only). The
 * table's stream feeds it the new audit items: each is the record of a change that committed,
 * written once in that change's transaction, so it publishes the change's event (see
 * `lambdas/domain/events.ts`). When the bus fails, `publishAuditEvents` tries again; still
 * failing, the record (and those after it) is reported failed, the event source mapping retries
 * from it (same `eventId`s), and after its last try puts it in the dead-letter queue (alarmed).
 */
import middy from '@middy/core';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { AuditEvent } from '../contract/schemas.ts';
import { isPublished, publishAuditEvents, type EventBus } from '../domain/events.ts';
import { getRuntime, requiredEnv } from '../http/runtime.ts';
import { createEventBridgeBus } from './eventbridge-bus.ts';

let bus: EventBus | undefined;

/** Replaces the bus (the local stack keeps the events in memory; fault tests break it). */
export function setEventBus(next: EventBus | undefined): void {
  bus = next;
}

const eventBus = () => (bus ??= createEventBridgeBus(new EventBridgeClient({}), requiredEnv('EVENT_BUS_NAME')));

/** The audit event of a stream record, when it is a new audit item of a published action. */
export function auditOf(record: DynamoDBStreamEvent['Records'][number]): { tenantId: string; event: AuditEvent } | null {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || image?.type?.S !== 'audit') return null;
  const item = unmarshall(image as Record<string, AttributeValue>);
  if (typeof item.tenantId !== 'string' || typeof item.action !== 'string' || !isPublished(item.action)) return null;
  const parsed = AuditEvent.safeParse({ eventId: item.eventId, at: item.at, actor: item.actor, action: item.action, targetId: item.targetId, details: item.details ?? {} });
  return parsed.success ? { tenantId: item.tenantId, event: parsed.data } : null;
}

async function fromStream(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const runtime = getRuntime();
  const deps = { store: runtime.store, clock: runtime.clock, bus: eventBus() };
  const records = event.Records;
  for (let i = 0; i < records.length; i++) {
    const audit = auditOf(records[i]!);
    if (!audit) continue;
    try {
      await publishAuditEvents(deps, [audit]);
    } catch (e) {
      console.error(JSON.stringify({ level: 'ERROR', message: 'publishing failed', eventId: audit.event.eventId, error: String(e) }));
      // In order: this record and every one after it are retried (a consumer sees a change's
      // events in the order of the stream, give or take a redelivery).
      return { batchItemFailures: records.slice(i).map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber ?? '' })) };
    }
  }
  return { batchItemFailures: [] };
}

export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse>({ timeoutEarlyInMillis: 0 }).handler(fromStream);
