/** The `AuditChainStore` port: the audit events as the sealer and the verifier see them, and each tenant's chain head. */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { attr, indexes, keys } from '../contract/table.ts';
import type { AuditChainStore, ChainHead, ChainLink } from '../domain/ports.ts';
import { ChainHeadSchema, parseStoredAudit } from './items.ts';
import { queryAll, type StoreOptions, tableAccess, type TxItem } from './table.ts';

export function createAuditChainStore(options: StoreOptions): AuditChainStore {
  const { doc, TableName, transact } = tableAccess(options);
  return {
    async unsealedAudit(shard, afterTenant, limit) {
      const res = await doc.send(
        new QueryCommand({
          TableName,
          IndexName: indexes.byDueAt.name,
          KeyConditionExpression: afterTenant === null ? '#pk = :pk' : '#pk = :pk AND #sk > :after',
          ExpressionAttributeNames: { '#pk': indexes.byDueAt.pk, ...(afterTenant === null ? {} : { '#sk': indexes.byDueAt.sk }) },
          ExpressionAttributeValues: {
            ':pk': keys.duePartition('SEAL', shard),
            ...(afterTenant === null ? {} : { ':after': keys.sealQueueAfter(afterTenant) }),
          },
          Limit: limit,
        }),
      );
      return (res.Items ?? []).map(parseStoredAudit);
    },
    async chainHead(tenantId) {
      const res = await doc.send(new GetCommand({ TableName, Key: keys.chainHead(tenantId), ConsistentRead: true }));
      return res.Item ? ChainHeadSchema.parse(res.Item) : null;
    },
    async sealAudit(tenantId, expected, links, head: ChainHead) {
      const items: TxItem[] = links.map(({ eventId, link }: { eventId: string; link: ChainLink }) => ({
        Update: {
          TableName,
          Key: keys.audit(tenantId, eventId),
          UpdateExpression: `SET #chain = :link REMOVE ${attr.gsi2pk}, ${attr.gsi2sk}`,
          ConditionExpression: `attribute_exists(${attr.pk}) AND attribute_not_exists(#chain)`,
          ExpressionAttributeNames: { '#chain': 'chain' },
          ExpressionAttributeValues: { ':link': link },
        },
      }));
      items.push({
        Put: {
          TableName,
          Item: { ...keys.chainHead(tenantId), [attr.type]: 'chain', tenantId, ...head },
          ...(expected
            ? {
                ConditionExpression: '#seq = :seq AND #hash = :hash',
                ExpressionAttributeNames: { '#seq': 'seq', '#hash': 'hash' },
                ExpressionAttributeValues: { ':seq': expected.seq, ':hash': expected.hash },
              }
            : { ConditionExpression: `attribute_not_exists(${attr.pk})` }),
        },
      });
      await transact(items);
    },
    async allAudit(tenantId) {
      const prefix = keys.auditPrefix(tenantId);
      const items = await queryAll(doc, {
        TableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :sk)',
        ExpressionAttributeNames: { '#pk': attr.pk, '#sk': attr.sk },
        ExpressionAttributeValues: { ':pk': prefix.PK, ':sk': prefix.SK },
        ConsistentRead: true,
      });
      return items.map(parseStoredAudit);
    },
  };
}
