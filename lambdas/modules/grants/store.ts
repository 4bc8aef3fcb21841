import { type Grantee } from '../../contract/schemas.ts';
import { attr, indexes, keys } from '../../contract/table.ts';
import { ConcurrentUpdateError, LimitReachedError } from '../../kernel/errors.ts';
import type { GrantRecord, RequestRecord, SessionEnd, Store } from '../../kernel/ports.ts';
import { strip } from '../../kernel/store/items.ts';
import { entryItem, grantItem, parseGrant, principalsOf } from './entity.ts';
import { MAX_TX_ITEMS, queryAll, type StoreOptions, type TableAccess, type TxItem } from '../../kernel/store/table.ts';

/** The grants and their access entries, their extensions and their sessions (`GrantStore`): the DynamoDB side of the grants module. */
import { pendingCountItem, requestItem } from '../requests/index.ts';
import { endSessionTx, parseSession } from '../sessions/index.ts';

export type GrantStore = Pick<
  Store,
  | 'createGrant'
  | 'getGrant'
  | 'listGrants'
  | 'addGrantee'
  | 'endGrant'
  | 'extendGrant'
  | 'createExtensionRequest'
  | 'saveGrant'
  | 'grantSessions'
  | 'listGrantSessions'
>;

export function createGrantStore(t: TableAccess, _options: StoreOptions): GrantStore {
  const { doc, TableName, put, STATUS, changeItems, cancelledFirst, transact, queryPage, baseKey, indexKey, statusPage, prefixQuery, get } =
    t;
  const pendingCountAdd = (r: RequestRecord, maxPending: number | null): TxItem => pendingCountItem(TableName, r, maxPending);
  const endSessionItem = (tenantId: string, sessionId: string, end: SessionEnd): TxItem =>
    endSessionTx(TableName, tenantId, sessionId, end);
  return {
    // ---- grants ----
    async createGrant(grant, change) {
      await transact([
        put(grantItem(grant)),
        ...principalsOf(grant).map((p) => put(entryItem(grant, p))),
        ...changeItems(grant.tenantId, change),
      ]);
    },
    async getGrant(tenantId, grantId) {
      const i = await get(keys.grant(tenantId, grantId));
      return i ? parseGrant(strip(i)) : null;
    },
    async listGrants(tenantId, page, keep, filter) {
      if (filter) return statusPage(tenantId, 'GRANT', 'ACTIVE', filter, page, (i) => parseGrant(strip(i)), keep);
      return queryPage(prefixQuery(keys.grantPrefix(tenantId)), page, (i) => parseGrant(strip(i)), baseKey, keep);
    },
    async addGrantee(expected, grantee: Grantee, change) {
      const next: GrantRecord = { ...expected, grantees: [...expected.grantees, grantee], version: expected.version + 1 };
      await transact([
        {
          Update: {
            TableName,
            Key: keys.grant(expected.tenantId, expected.grantId),
            UpdateExpression: 'SET grantees = list_append(grantees, :g), version = :next',
            ConditionExpression: '#status = :active AND version = :v',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':g': [grantee], ':next': next.version, ':v': expected.version, ':active': 'ACTIVE' },
          },
        },
        put(entryItem(next, { kind: 'agent', id: grantee.id })),
        // The other entries' copies of the grant name the new grantee too (rewritten, never resurrected).
        ...principalsOf(expected).map((p) => put(entryItem(next, p), `attribute_exists(${attr.pk})`)),
        ...changeItems(expected.tenantId, change),
      ]);
      return next;
    },
    async endGrant(expected, ended, sessionEnd, change, lapsed = []) {
      const pairs = expected.openSessions.map((id) => {
        const audit = sessionEnd.audit[id];
        return [
          endSessionItem(expected.tenantId, id, sessionEnd),
          ...changeItems(expected.tenantId, { audit: audit ? [audit] : [], outbox: [] }),
        ];
      });
      // Its PENDING extensions lapse with it (each: the request and its requester's count).
      const lapsedItems = lapsed.flatMap((r) => [
        put(requestItem(r), '#status = :pending AND version = :v', { ':pending': 'PENDING', ':v': r.version - 1 }, STATUS),
        pendingCountAdd(r, null),
      ]);
      const headOnly = principalsOf(expected).length + change.audit.length + change.outbox.length + lapsedItems.length + 1;
      const room = Math.floor((MAX_TX_ITEMS - headOnly) / 2);
      // A grant with more open sessions than fit in one transaction with it first ends the extra
      // ones, each in a transaction that also takes it off the grant, which must still be ACTIVE.
      // Should this stop half-way (a throttled write, a job that dies), the grant is still ACTIVE
      // with exactly its open sessions recorded, and the next try (the caller's retry, the next
      // expiry run) finishes; no session is ever left open under an ended grant.
      const extra = pairs.slice(room);
      for (let i = 0; i < extra.length; i += 25) {
        await Promise.all(
          extra.slice(i, i + 25).map((pair, j) =>
            transact([
              ...pair,
              {
                Update: {
                  TableName,
                  Key: keys.grant(expected.tenantId, expected.grantId),
                  UpdateExpression: 'DELETE openSessions :s ADD version :one',
                  ConditionExpression: '#status = :active',
                  ExpressionAttributeNames: STATUS,
                  ExpressionAttributeValues: { ':s': new Set([expected.openSessions[room + i + j]!]), ':one': 1, ':active': 'ACTIVE' },
                },
              },
            ]),
          ),
        );
      }
      // Then the grant, its entries, its events and the sessions left, in one transaction.
      const version = expected.version + extra.length;
      await transact([
        put(
          grantItem({ ...ended, version: ended.version + extra.length }),
          '#status = :active AND version = :v',
          { ':active': 'ACTIVE', ':v': version },
          STATUS,
        ),
        ...principalsOf(expected).map((p) => ({
          Delete: { TableName, Key: keys.accessEntry(expected.tenantId, p, expected.grantId) },
        })),
        ...changeItems(expected.tenantId, change),
        ...lapsedItems,
        ...pairs.slice(0, room).flat(),
      ]);
    },
    async extendGrant(expected, next, now, change, request) {
      await transact([
        put(
          grantItem(next),
          '#status = :active AND version = :v AND expiresAt > :now',
          { ':active': 'ACTIVE', ':v': expected.version, ':now': now },
          STATUS,
        ),
        // The entries carry the grant's end in their sort key: rewritten, never resurrected.
        ...principalsOf(next).map((p) => put(entryItem(next, p), `attribute_exists(${attr.pk})`)),
        // Its open sessions keep the grant's end, which the login history shows them ending at.
        ...expected.openSessions.map((id) => ({
          Update: {
            TableName,
            Key: keys.session(expected.tenantId, id),
            UpdateExpression: 'SET grantExpiresAt = :end',
            ConditionExpression: `attribute_exists(${attr.pk})`,
            ExpressionAttributeValues: { ':end': next.expiresAt },
          },
        })),
        ...(request
          ? [
              put(
                requestItem(request.next),
                '#status = :pending AND version = :v',
                { ':pending': 'PENDING', ':v': request.expected.version },
                STATUS,
              ),
              ...(request.next.status === 'PENDING' ? [] : [pendingCountAdd(request.expected, null)]),
            ]
          : []),
        ...changeItems(expected.tenantId, change),
      ]);
    },
    async createExtensionRequest(request, now, change, maxPending) {
      try {
        await transact([
          pendingCountAdd(request, maxPending),
          put(requestItem(request)),
          {
            Update: {
              TableName,
              Key: keys.grant(request.tenantId, request.grantId!),
              UpdateExpression: 'ADD pendingExtensions :r, version :one',
              ConditionExpression: '#status = :active AND expiresAt > :now',
              ExpressionAttributeNames: STATUS,
              ExpressionAttributeValues: { ':r': new Set([request.requestId]), ':one': 1, ':active': 'ACTIVE', ':now': now },
            },
          },
          ...changeItems(request.tenantId, change),
        ]);
      } catch (e) {
        if (e instanceof ConcurrentUpdateError && cancelledFirst(e)) {
          throw new LimitReachedError(`${maxPending} requests are PENDING already`, { cause: e });
        }
        throw e;
      }
    },
    async saveGrant(expected, next, change) {
      await transact([
        put(grantItem(next), '#status = :active AND version = :v', { ':active': 'ACTIVE', ':v': expected.version }, STATUS),
        ...changeItems(expected.tenantId, change),
      ]);
    },
    async grantSessions(tenantId, grantId) {
      const items = await queryAll(doc, {
        TableName,
        IndexName: indexes.byDueAt.name,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': indexes.byDueAt.pk },
        ExpressionAttributeValues: { ':pk': keys.grantSessionsPartition(tenantId, grantId) },
      });
      return items.map((i) => parseSession(strip(i)));
    },

    async listGrantSessions(tenantId, grantId, page) {
      const index = indexes.byDueAt;
      return queryPage(
        {
          IndexName: index.name,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': index.pk },
          ExpressionAttributeValues: { ':pk': keys.grantSessionsPartition(tenantId, grantId) },
          ScanIndexForward: false,
        },
        page,
        (i) => parseSession(strip(i)),
        indexKey(index),
      );
    },
  };
}
