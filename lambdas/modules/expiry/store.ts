import { attr } from '../../contract/table.ts';
import type { DueItem, PageKey, Store } from '../../kernel/ports.ts';
import { dueQuery, type StoreOptions, type TableAccess } from '../../kernel/store/table.ts';

/** The the due-at index the expiry job reads (`DueStore`): the DynamoDB side of the expiry module. */
export type DueStore = Pick<Store, 'dueItems'>;

export function createDueStore(t: TableAccess, _options: StoreOptions): DueStore {
  const { doc, TableName } = t;
  return {
    async dueItems(shard, now, page) {
      const res = await doc.send(dueQuery(TableName, 'EXPIRY', shard, now, page.limit, page.after));
      const items: DueItem[] = (res.Items ?? []).map((i) => {
        const [, kind, tenantId, id] = String(i[attr.gsi2sk]).split('#');
        return { kind: kind === 'GRANT' ? 'grant' : 'request', tenantId: tenantId!, id: id! };
      });
      return { items, next: (res.LastEvaluatedKey as PageKey | undefined) ?? null };
    },
  };
}
