/**
 * What an attacker with write access to the table can do to the audit trail: put an audit event by
 * hand, shaped as the API writes one and marked for sealing, but without the API's MAC (the key
 * is not in the table). Verification must report it.
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../lambdas/contract/table.ts';
import type { Who } from './people.ts';

export interface ForgedEvent {
  tenantId: string;
  eventId: string;
  /** ISO time of the event. */
  at: string;
  /** Who the event claims did it. */
  actor: Who;
  details?: Record<string, unknown>;
}

/** Puts a `grant.revoked` audit event with the sealing marker and no MAC. */
export async function putForgedAuditEvent(doc: DynamoDBDocumentClient, tableName: string, e: ForgedEvent): Promise<void> {
  await doc.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...keys.audit(e.tenantId, e.eventId),
        ...keys.sealQueue(e.tenantId, e.at, e.eventId),
        type: 'audit',
        tenantId: e.tenantId,
        eventId: e.eventId,
        at: e.at,
        actor: { id: e.actor.sub, email: e.actor.email, name: e.actor.name },
        action: 'grant.revoked',
        targetId: 'g-1',
        details: e.details ?? {},
      },
    }),
  );
}
