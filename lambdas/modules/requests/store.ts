import { attr, indexes, keys } from '../../contract/table.ts';
import { ConcurrentUpdateError, LimitReachedError } from '../../kernel/errors.ts';
import type { Store } from '../../kernel/ports.ts';
import { strip } from '../../kernel/store/items.ts';
import { entryItem, grantItem, principalsOf } from '../grants/index.ts';
import { parseRequest, pendingCountUpdate, type RequestRecord, requestItem, requestKey, requestsOf } from './entity.ts';
import { type StoreOptions, type TableAccess, type TxItem } from '../../kernel/store/table.ts';

/** The access requests and the count of a requester's PENDING ones (`RequestStore`): the DynamoDB side of the requests module. */
export type RequestStore = Pick<Store, 'createRequest' | 'getRequest' | 'listRequests' | 'listRequestsBy' | 'updateRequest'>;

export function createRequestStore(t: TableAccess, _options: StoreOptions): RequestStore {
  const { TableName, put, STATUS, changeItems, cancelledFirst, transact, queryPage, baseKey, indexKey, statusPage, prefixQuery, get } = t;
  const pendingCountAdd = (r: RequestRecord, maxPending: number | null): TxItem => pendingCountItem(TableName, r, maxPending);
  return {
    // ---- access requests ----
    async createRequest(request, change, maxPending) {
      try {
        await transact([pendingCountAdd(request, maxPending), put(requestItem(request)), ...changeItems(request.tenantId, change)]);
      } catch (e) {
        if (e instanceof ConcurrentUpdateError && cancelledFirst(e)) {
          throw new LimitReachedError(`${maxPending} requests are PENDING already`, { cause: e });
        }
        throw e;
      }
    },
    async getRequest(tenantId, requestId) {
      const i = await get(requestKey(tenantId, requestId));
      return i ? parseRequest(strip(i)) : null;
    },
    async listRequests(tenantId, page, keep, filter) {
      if (filter) return statusPage(tenantId, 'REQUEST', 'PENDING', filter, page, (i) => parseRequest(strip(i)), keep);
      return queryPage(prefixQuery(requestsOf(tenantId)), page, (i) => parseRequest(strip(i)), baseKey, keep);
    },
    async listRequestsBy(requesterId, page, keep) {
      const index = indexes.byRequester;
      return queryPage(
        {
          IndexName: index.name,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': index.pk },
          ExpressionAttributeValues: { ':pk': keys.requesterPartition(requesterId) },
          ScanIndexForward: false,
        },
        page,
        (i) => parseRequest(strip(i)),
        indexKey(index),
        keep,
      );
    },
    async updateRequest(expected, next, grant, change) {
      const items: TxItem[] = [
        put(requestItem(next), '#status = :pending AND version = :v', { ':pending': 'PENDING', ':v': expected.version }, STATUS),
        ...changeItems(expected.tenantId, change),
      ];
      if (grant) items.push(put(grantItem(grant)), ...principalsOf(grant).map((p) => put(entryItem(grant, p))));
      if (next.status !== 'PENDING') items.push(pendingCountAdd(expected, null));
      // An extension that ends undecided for its grant (denied, cancelled, lapsed) leaves the
      // grant's list of PENDING extensions; the version bump makes a racing end of the grant re-read.
      if (next.kind === 'extension' && next.status !== 'PENDING' && next.grantId) {
        items.push({
          Update: {
            TableName,
            Key: keys.grant(expected.tenantId, next.grantId),
            UpdateExpression: 'DELETE pendingExtensions :r ADD version :one',
            ConditionExpression: `attribute_exists(${attr.pk})`,
            ExpressionAttributeValues: { ':r': new Set([expected.requestId]), ':one': 1 },
          },
        });
      }
      await transact(items);
    },
  };
}

/** The count of the requester's PENDING requests at the tenant, as a transaction item (see `pendingCountUpdate`). */
export const pendingCountItem = (TableName: string, r: RequestRecord, maxPending: number | null): TxItem => ({
  Update: { TableName, ...pendingCountUpdate(r, maxPending) },
});
