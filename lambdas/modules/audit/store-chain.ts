/** The `AuditChainStore` port: the audit events as the sealer and the verifier see them, and each tenant's chain head. */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { attr, indexes, keys } from '../../contract/table.ts';
import type { AuditChainStore, ChainHead, ChainLink, PageKey } from '../../kernel/ports.ts';
import { ChainHeadSchema, parseStoredAudit } from '../../kernel/store/items.ts';
import { dueQuery, queryAll, type StoreOptions, tableAccess, type TxItem } from '../../kernel/store/table.ts';

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
    async dueDeferredAudit(shard, now, page) {
      const res = await doc.send(dueQuery(TableName, 'SEALAFTER', shard, now, page.limit, page.after));
      return { items: (res.Items ?? []).map(parseStoredAudit), next: (res.LastEvaluatedKey as PageKey | undefined) ?? null };
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
      // The head, and the tenant in the verification queue: a tenant already waiting keeps its
      // place (`if_not_exists`), so a tenant sealed every run is not pushed back every run.
      const queued = keys.verifyQueue(tenantId, head.sealedAt);
      items.push({
        Update: {
          TableName,
          Key: keys.chainHead(tenantId),
          UpdateExpression:
            'SET #type = :type, tenantId = :tenant, #seq = :nseq, #hash = :nhash, eventId = :event, sealedAt = :sealedAt, ' +
            '#qpk = :qpk, #qsk = if_not_exists(#qsk, :qsk)',
          ExpressionAttributeNames: { '#type': attr.type, '#seq': 'seq', '#hash': 'hash', '#qpk': attr.gsi2pk, '#qsk': attr.gsi2sk },
          ExpressionAttributeValues: {
            ':type': 'chain',
            ':tenant': tenantId,
            ':nseq': head.seq,
            ':nhash': head.hash,
            ':event': head.eventId,
            ':sealedAt': head.sealedAt,
            ':qpk': queued.GSI2PK,
            ':qsk': queued.GSI2SK,
            ...(expected ? { ':seq': expected.seq, ':hash': expected.hash } : {}),
          },
          ConditionExpression: expected ? '#seq = :seq AND #hash = :hash' : `attribute_not_exists(${attr.pk})`,
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
