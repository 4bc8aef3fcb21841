import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { attr, keys } from '../../contract/table.ts';
import { eventMac } from '../../kernel/audit-mac.ts';
import type { Store } from '../../kernel/ports.ts';
import { type Item, parseAudit, strip } from '../../kernel/store/items.ts';
import { type StoreOptions, type TableAccess } from '../../kernel/store/table.ts';

/** The audit events: written with a change, refusals counted, listed (`AuditStore`): the DynamoDB side of the audit module. */
export type AuditStore = Pick<Store, 'appendAudit' | 'countRefusal' | 'listAudit'>;

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
        ...keys.due('SEAL', tenantId, sealAfter, `${tenantId}#${eventId}`),
      };
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
              .join(', ')} ADD #refusals :one`,
            // Never once sealed: its hash covers the count it had then.
            ConditionExpression: 'attribute_not_exists(#chain)',
            ExpressionAttributeNames: { ...names, '#refusals': 'refusals', '#chain': 'chain' },
            ExpressionAttributeValues: { ...values, ':one': 1 },
          }),
        );
        return true;
      } catch (e) {
        if (e instanceof ConditionalCheckFailedException) return false;
        throw e;
      }
    },
    async listAudit(tenantId, page, range) {
      const q = range ? rangeQuery(keys.auditPrefix(tenantId), range) : prefixQuery(keys.auditPrefix(tenantId));
      return queryPage(q, page, (i) => parseAudit(strip(i)), baseKey);
    },
  };
}
