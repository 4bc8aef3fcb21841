/** The `OutboxStore` port: the mail a change owes, its tries, its dead letter and re-drive. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { attr, indexes, keys } from '../../contract/table.ts';
import type { OutboxStore } from '../../kernel/ports.ts';
import { parseOutbox } from '../../kernel/store/items.ts';
import { dueQuery, type StoreOptions, tableAccess } from '../../kernel/store/table.ts';

export function createOutboxStore(options: StoreOptions): OutboxStore {
  const { doc, TableName } = tableAccess(options);
  const isLost = (e: unknown) => e instanceof ConditionalCheckFailedException;
  const outbox: OutboxStore = {
    async getOutbox(messageId) {
      const res = await doc.send(new GetCommand({ TableName, Key: keys.outbox(messageId), ConsistentRead: true }));
      return res.Item ? parseOutbox(res.Item) : null;
    },
    async dueOutbox(shard, now, limit) {
      const res = await doc.send(dueQuery(TableName, 'OUTBOX', shard, now, limit));
      return (res.Items ?? []).map((i) => String(i.messageId));
    },
    async claimOutbox(messageId, now, leaseUntil) {
      try {
        const res = await doc.send(
          new UpdateCommand({
            TableName,
            Key: keys.outbox(messageId),
            UpdateExpression: 'SET #status = :sending, leaseUntil = :lease, attempts = attempts + :one',
            ConditionExpression: '(#status = :pending AND nextAttemptAt <= :now) OR (#status = :sending AND leaseUntil < :now)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':sending': 'SENDING', ':pending': 'PENDING', ':lease': leaseUntil, ':now': now, ':one': 1 },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return res.Attributes ? parseOutbox(res.Attributes) : null;
      } catch (e) {
        if (isLost(e)) return null;
        throw e;
      }
    },
    async markRecipientSent(messageId, email) {
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: keys.outbox(messageId),
          UpdateExpression: 'ADD sentTo :e',
          ExpressionAttributeValues: { ':e': new Set([email]) },
        }),
      );
    },
    async markSent(messageId, now, ttl) {
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: keys.outbox(messageId),
          UpdateExpression: `SET #status = :sent, sentAt = :now, #ttl = :ttl, lastError = :null REMOVE ${attr.gsi2pk}, ${attr.gsi2sk}, leaseUntil`,
          ExpressionAttributeNames: { '#status': 'status', '#ttl': attr.ttl },
          ExpressionAttributeValues: { ':sent': 'SENT', ':now': now, ':ttl': ttl, ':null': null },
        }),
      );
    },
    async markFailed(messageId, error, nextAttemptAt) {
      const msg = await outbox.getOutbox(messageId);
      if (!msg) return;
      const retry = nextAttemptAt !== null;
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: keys.outbox(messageId),
          UpdateExpression: retry
            ? `SET #status = :pending, lastError = :err, nextAttemptAt = :next, ${attr.gsi2pk} = :gpk, ${attr.gsi2sk} = :gsk REMOVE leaseUntil`
            : `SET #status = :failed, lastError = :err, ${attr.gsi1pk} = :fpk, ${attr.gsi1sk} = :fsk REMOVE ${attr.gsi2pk}, ${attr.gsi2sk}, leaseUntil`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: retry
            ? {
                ':pending': 'PENDING',
                ':err': error,
                ':next': nextAttemptAt,
                ':gpk': keys.due('OUTBOX', messageId, nextAttemptAt, messageId)[attr.gsi2pk],
                ':gsk': keys.due('OUTBOX', messageId, nextAttemptAt, messageId)[attr.gsi2sk],
              }
            : { ':failed': 'FAILED', ':err': error, ':fpk': keys.outboxFailedIndex(), ':fsk': `${msg.createdAt}#${messageId}` },
        }),
      );
    },
    async listFailedOutbox(limit) {
      const res = await doc.send(
        new QueryCommand({
          TableName,
          IndexName: indexes.byPrincipal.name,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': indexes.byPrincipal.pk },
          ExpressionAttributeValues: { ':pk': keys.outboxFailedIndex() },
          Limit: limit,
        }),
      );
      return (res.Items ?? []).map(parseOutbox);
    },
    async redriveOutbox(messageId, now) {
      const due = keys.due('OUTBOX', messageId, now, messageId);
      try {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: keys.outbox(messageId),
            UpdateExpression: `SET #status = :pending, attempts = :zero, nextAttemptAt = :now, ${attr.gsi2pk} = :gpk, ${attr.gsi2sk} = :gsk REMOVE ${attr.gsi1pk}, ${attr.gsi1sk}`,
            ConditionExpression: '#status = :failed',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':pending': 'PENDING',
              ':failed': 'FAILED',
              ':zero': 0,
              ':now': now,
              ':gpk': due[attr.gsi2pk],
              ':gsk': due[attr.gsi2sk],
            },
          }),
        );
        return true;
      } catch (e) {
        if (isLost(e)) return false;
        throw e;
      }
    },
  };
  return outbox;
}
