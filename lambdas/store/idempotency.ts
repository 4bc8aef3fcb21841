/** The `IdempotencyStore` port: the records of `Idempotency-Key`s, claimed, completed or released. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { attr, keys } from '../contract/table.ts';
import { IdempotencyRecord } from '../contract/records.ts';
import type { IdempotencyStore } from '../domain/ports.ts';
import { strip } from './items.ts';
import { type StoreOptions, tableAccess } from './table.ts';

export function createIdempotencyStore(options: StoreOptions): IdempotencyStore {
  const { doc, TableName } = tableAccess(options);
  return {
    async beginIdempotent(tenantId, scope, key, hash, nowSeconds, ttlSeconds) {
      const Key = keys.idempotency(tenantId, scope, key);
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: { ...Key, [attr.type]: 'idempotency', status: 'IN_PROGRESS', hash, expiresAt: nowSeconds + ttlSeconds, [attr.ttl]: nowSeconds + ttlSeconds },
            // A record past its 24 h is as good as absent, whether or not TTL has removed it.
            ConditionExpression: `attribute_not_exists(${attr.pk}) OR expiresAt < :now`,
            ExpressionAttributeValues: { ':now': nowSeconds },
          }),
        );
        return null;
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
      }
      const res = await doc.send(new GetCommand({ TableName, Key, ConsistentRead: true }));
      if (!res.Item) return null;
      return IdempotencyRecord.parse(strip(res.Item));
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
    async releaseIdempotent(tenantId, scope, key) {
      await doc.send(new DeleteCommand({ TableName, Key: keys.idempotency(tenantId, scope, key) }));
    },
  };
}
