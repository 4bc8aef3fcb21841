import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Policy } from '../../contract/schemas.ts';
import { attr, keys } from '../../contract/table.ts';
import { ConcurrentUpdateError, NotFoundError } from '../../kernel/errors.ts';
import type { Store } from '../../kernel/ports.ts';
import { parseContact, strip } from '../../kernel/store/items.ts';
import { type StoreOptions, type TableAccess } from '../../kernel/store/table.ts';

/** The contacts and policy: the authorized contacts and the tenant policy (`ContactStore`): the DynamoDB side of the settings module. */
export type ContactStore = Pick<Store, 'listContacts' | 'getContact' | 'saveContact' | 'deleteContact' | 'getPolicy' | 'putPolicy'>;

export function createContactStore(t: TableAccess, _options: StoreOptions): ContactStore {
  const { doc, TableName, put, changeItems, transact, prefixQuery, get } = t;
  return {
    // ---- contacts and policy ----
    async listContacts(tenantId) {
      const res = await doc.send(new QueryCommand({ TableName, ...prefixQuery(keys.contactPrefix(tenantId)), ScanIndexForward: true }));
      return (res.Items ?? []).map((i) => parseContact(strip(i)));
    },
    async getContact(tenantId, email) {
      const i = await get(keys.contact(tenantId, email));
      return i ? parseContact(strip(i)) : null;
    },
    async saveContact(tenantId, contact, expected, change) {
      const item = { ...keys.contact(tenantId, contact.email), [attr.type]: 'contact', tenantId, ...contact };
      await transact([
        expected === null
          ? put(item)
          : put(item, `attribute_exists(${attr.pk}) AND #name = :name`, { ':name': expected.name }, { '#name': 'name' }),
        ...changeItems(tenantId, change),
      ]);
    },
    async deleteContact(tenantId, email, change) {
      try {
        await transact([
          { Delete: { TableName, Key: keys.contact(tenantId, email), ConditionExpression: `attribute_exists(${attr.pk})` } },
          ...changeItems(tenantId, change),
        ]);
      } catch (e) {
        if (e instanceof ConcurrentUpdateError) throw new NotFoundError(`no contact ${email}`, { cause: e });
        throw e;
      }
    },
    async getPolicy(tenantId) {
      const i = await get(keys.policy(tenantId));
      return i ? Policy.parse(strip(i)) : null;
    },
    async putPolicy(tenantId, policy, change) {
      await transact([put({ ...keys.policy(tenantId), [attr.type]: 'policy', ...policy }, null), ...changeItems(tenantId, change)]);
    },
  };
}
