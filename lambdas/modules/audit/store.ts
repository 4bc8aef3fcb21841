import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { attr, keys } from '../../contract/table.ts';
import { eventMac } from '../../kernel/audit-mac.ts';
import type { Store } from '../../kernel/ports.ts';
import { type Item, parseAudit, strip } from '../../kernel/store/items.ts';
import { type StoreOptions, type TableAccess } from '../../kernel/store/table.ts';

/** The audit events: written with a change, refusals counted, listed (`AuditStore`): the DynamoDB side of the audit module. */
export type AuditStore = Pick<Store, 'appendAudit' | 'countRefusal' | 'listAudit' | 'hasAuditTrail'>;

export function createAuditStore(t: TableAccess, options: StoreOptions): AuditStore {
  const { doc, TableName, changeItems, transact, queryPage, baseKey, prefixQuery, rangeQuery } = t;
  const { eventKey } = options;
  return {
    // ---- audit and due items ----
    async appendAudit(tenantId, change) {
      await transact(changeItems(tenantId, change));
    },
    async countRefusal(tenantId, event, sealAfter) {
      const { eventId, at, actor, action, targetId, details } = event;
      // The MAC is the first refusal's (the count is left out of it; the seal covers the final count).
      const mac = eventKey ? { mac: eventMac(await eventKey(), tenantId, event) } : {};
      const fields: Item = {
        [attr.type]: 'audit',
        tenantId,
        eventId,
        at,
        actor,
        action,
        targetId,
        details,
        sealAfter,
        ...mac,
      };
      // Keyed by when it may be sealed (set every time, which also moves an event counted before
      // `SEALAFTER#n` existed out of the tenant-sorted `SEAL#n`).
      const due = keys.due('SEALAFTER', tenantId, sealAfter, `${tenantId}#${eventId}`);
      const names = Object.fromEntries(Object.keys(fields).map((f, n) => [`#f${n}`, f]));
      const values = Object.fromEntries(Object.values(fields).map((v, n) => [`:f${n}`, v]));
      try {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: keys.audit(tenantId, eventId),
            // The first refusal of the window writes the event; every one adds to its count.
            UpdateExpression: `SET ${Object.keys(names)
              .map((n, k) => `${n} = if_not_exists(${n}, :f${k})`)
              .join(', ')}, #duepk = :duepk, #duesk = :duesk ADD #refusals :one`,
            // Never once sealed: its hash covers the count it had then.
            ConditionExpression: 'attribute_not_exists(#chain)',
            ExpressionAttributeNames: {
              ...names,
              '#refusals': 'refusals',
              '#chain': 'chain',
              '#duepk': attr.gsi2pk,
              '#duesk': attr.gsi2sk,
            },
            ExpressionAttributeValues: { ...values, ':one': 1, ':duepk': due.GSI2PK, ':duesk': due.GSI2SK },
          }),
        );
        return true;
      } catch (e) {
        if (e instanceof ConditionalCheckFailedException) return false;
        throw e;
      }
    },
    async hasAuditTrail(tenantId) {
      // One key of the tenant's first audit event, if any: one read unit, whatever the trail's size.
      const prefix = keys.auditPrefix(tenantId);
      const res = await doc.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :sk)',
          ExpressionAttributeNames: { '#pk': attr.pk, '#sk': attr.sk },
          ExpressionAttributeValues: { ':pk': prefix.PK, ':sk': prefix.SK },
          ProjectionExpression: '#pk',
          Limit: 1,
          ConsistentRead: true,
        }),
      );
      return (res.Items ?? []).length > 0;
    },
    async listAudit(tenantId, page, range) {
      const q = range ? rangeQuery(keys.auditPrefix(tenantId), range) : prefixQuery(keys.auditPrefix(tenantId));
      return queryPage(q, page, (i) => parseAudit(strip(i)), baseKey);
    },
  };
}
