/**
 * The publisher, the only function allowed `events:PutEvents` (on the stack's bus only). The
 * table's stream feeds it the new audit items: each is the record of a change that committed,
 * written once in that change's transaction, so it publishes the change's event (see
 * `lambdas/modules/events/rules.ts`). When the bus fails, `publishAuditEvents` tries again; still
 * failing, the record (and those after it) is reported failed, the event source mapping retries
 * from it (same `eventId`s), and after its last try puts it in the dead-letter queue (alarmed).
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { AuditEvent } from '../contract/schemas.ts';
import { isPublished, publishAuditEvents } from '../modules/events/rules.ts';
import { eventBridgeWiring } from '../runtime/eventbridge-bus.ts';
import { METRICS } from '../contract/metrics.ts';
import { type DepsSource, lambdaDeps, observedJob } from '../runtime/index.ts';
import { itemOfImage } from '../runtime/stream.ts';

/** The audit event of a stream record, when it is a new audit item of a published action. */
export function auditOf(record: DynamoDBStreamEvent['Records'][number]): { tenantId: string; event: AuditEvent } | null {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || image?.type?.S !== 'audit') return null;
  const item = itemOfImage(image);
  if (typeof item.tenantId !== 'string' || typeof item.action !== 'string' || !isPublished(item.action)) return null;
  const parsed = AuditEvent.safeParse({
    eventId: item.eventId,
    at: item.at,
    actor: item.actor,
    action: item.action,
    targetId: item.targetId,
    details: item.details ?? {},
  });
  return parsed.success ? { tenantId: item.tenantId, event: parsed.data } : null;
}

async function fromStream(source: DepsSource, event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const app = source();
  const deps = { store: app.store, clock: app.clock, bus: app.bus };
  const records = event.Records;
  for (let i = 0; i < records.length; i++) {
    const audit = auditOf(records[i]!);
    if (!audit) continue;
    try {
      await publishAuditEvents(deps, [audit]);
    } catch (e) {
      app.telemetry.log.error('publishing failed', { eventId: audit.event.eventId, tenantId: audit.tenantId, error: e });
      app.telemetry.count(METRICS.eventPublishFailures);
      // In order: this record and every one after it are retried (a consumer sees a change's
      // events in the order of the stream, give or take a redelivery).
      return { batchItemFailures: records.slice(i).map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber ?? '' })) };
    }
  }
  return { batchItemFailures: [] };
}

/** The function over the given dependencies (the local stack and tests bring their own, bus included). */
export const createHandler = (deps: DepsSource) =>
  observedJob<DynamoDBStreamEvent, DynamoDBBatchResponse>(() => deps().telemetry).handler((event) => fromStream(deps, event));
export const handler = createHandler(lambdaDeps(eventBridgeWiring));
