/** The `IdempotencyStore` port: the records of `Idempotency-Key`s, claimed, completed or released. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { attr, keys } from '../../contract/table.ts';
import { IdempotencyRecord } from '../../contract/records.ts';
import type { IdempotencyStore } from '../ports.ts';
import { strip } from './items.ts';
import { type StoreOptions, tableAccess } from './table.ts';

export function createIdempotencyStore(options: StoreOptions): IdempotencyStore {
  const { doc, TableName } = tableAccess(options);
  return {
    async beginIdempotent(tenantId, scope, key, hash, nowSeconds, ttlSeconds) {
      const Key = keys.idempotency(tenantId, scope, key);
      // Twice at most: a record released between the failed claim and the read is claimed again.
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          await doc.send(
            new PutCommand({
              TableName,
              Item: {
                ...Key,
                [attr.type]: 'idempotency',
                status: 'IN_PROGRESS',
                hash,
                expiresAt: nowSeconds + ttlSeconds,
                [attr.ttl]: nowSeconds + ttlSeconds,
              },
              // A record past its 24 h, or released, is as good as absent, whether or not TTL has removed it.
              ConditionExpression: `attribute_not_exists(${attr.pk}) OR expiresAt < :now`,
              ExpressionAttributeValues: { ':now': nowSeconds },
            }),
          );
          return null;
        } catch (e) {
          if (!(e instanceof ConditionalCheckFailedException)) throw e;
        }
        const res = await doc.send(new GetCommand({ TableName, Key, ConsistentRead: true }));
        if (!res.Item || Number(res.Item.expiresAt) < nowSeconds) continue;
        return IdempotencyRecord.parse(strip(res.Item));
      }
      return null;
    },
    async completeIdempotent(tenantId, scope, key, response) {
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: keys.idempotency(tenantId, scope, key),
          UpdateExpression: 'SET #status = :done, #response = :r',
          ExpressionAttributeNames: { '#status': 'status', '#response': 'response' },
          ExpressionAttributeValues: { ':done': 'COMPLETED', ':r': response },
        }),
      );
    },
    /**
     * Releases a claim by marking it expired, not by deleting it: the functions that take
     * Idempotency-Keys then need no DeleteItem, which could delete an audit event. Only a claim
     * still in progress is released (never a completed one, never another kind of item).
     */
    async releaseIdempotent(tenantId, scope, key) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: keys.idempotency(tenantId, scope, key),
            UpdateExpression: 'SET #status = :released, expiresAt = :zero',
            ConditionExpression: '#type = :idempotency AND #status = :progress',
            ExpressionAttributeNames: { '#status': 'status', '#type': attr.type },
            ExpressionAttributeValues: { ':released': 'RELEASED', ':zero': 0, ':idempotency': 'idempotency', ':progress': 'IN_PROGRESS' },
          }),
        );
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
      }
    },
  };
}
