import { ExecuteStatementCommand } from '@aws-sdk/lib-dynamodb';
import { Grant } from '../../contract/schemas.ts';
import { attr, indexes, keys } from '../../contract/table.ts';
import { canonicalEmail } from '../../kernel/identity.ts';
import { ConcurrentUpdateError, GrantMismatchError } from '../../kernel/errors.ts';
import { backedBy } from './backing.ts';
import type { SessionEnd, SessionRecord, Store } from '../../kernel/ports.ts';
import { type Item, strip } from '../../kernel/store/items.ts';
import { parseEntry } from '../grants/index.ts';
import { parseSession, sessionItem } from './entity.ts';
import { type StoreOptions, type TableAccess, type TxItem } from '../../kernel/store/table.ts';

/** The the access check and the sessions (`SessionStore`): the DynamoDB side of the sessions module. */
export type SessionStore = Pick<Store, 'accessEntries' | 'grantsCovering' | 'startSession' | 'endSession' | 'getSession' | 'listSessions'>;

export function createSessionStore(t: TableAccess, _options: StoreOptions): SessionStore {
  const { doc, TableName, put, changeItems, transact, queryPage, baseKey, indexKey, get, cancelledFirst } = t;
  return {
    // ---- access and sessions ----
    async accessEntries(tenantId, agentId) {
      // Two exact partitions (the agent's, the team's) in one request: no scan, nothing thrown away.
      const res = await doc.send(
        new ExecuteStatementCommand({
          Statement: `SELECT * FROM "${TableName}" WHERE ${attr.pk} IN [?, ?]`,
          Parameters: [keys.accessPartition(tenantId, { kind: 'agent', id: agentId }), keys.accessPartition(tenantId, { kind: 'team' })],
          ConsistentRead: true,
        }),
      );
      return (res.Items ?? []).map((i) => parseEntry(strip(i)));
    },
    async grantsCovering(agentId, now) {
      // Both GSI1 partitions (the agent's, the team's) in one request; the entries carry the grant.
      const items: Item[] = [];
      let NextToken: string | undefined;
      do {
        const res = await doc.send(
          new ExecuteStatementCommand({
            // A key condition on the end: nothing ended by its time is read, job or no job.
            Statement: `SELECT * FROM "${TableName}"."${indexes.byPrincipal.name}" WHERE ${indexes.byPrincipal.pk} IN [?, ?] AND ${indexes.byPrincipal.sk} > ?`,
            Parameters: [keys.principalIndex({ kind: 'agent', id: agentId }), keys.principalIndex({ kind: 'team' }), now],
            ReturnConsumedCapacity: 'TOTAL',
            NextToken,
          }),
        );
        items.push(...(res.Items ?? []));
        NextToken = res.NextToken;
      } while (NextToken);
      return items.map((i) => Grant.parse(strip(i)));
    },
    async startSession(session, now, change, backing) {
      const backed = backedBy(backing);
      try {
        await transact([
          {
            Update: {
              TableName,
              Key: keys.grant(session.tenantId, session.grantId),
              UpdateExpression: 'ADD openSessions :s, version :one',
              ConditionExpression: `#status = :active AND (expiresAt = :null OR expiresAt > :now) AND ${backed.expression}`,
              ExpressionAttributeNames: { '#status': 'status', ...backed.names },
              ExpressionAttributeValues: {
                ...{ ':s': new Set([session.sessionId]), ':one': 1, ':active': 'ACTIVE', ':null': null, ':now': now },
                ...backed.values,
              },
            },
          },
          put(sessionItem(session)),
          ...changeItems(session.tenantId, change),
        ]);
      } catch (e) {
        // The grant's own condition failed (not a conflicting write): ended, changed, or never so.
        if (e instanceof ConcurrentUpdateError && cancelledFirst(e)) throw new GrantMismatchError(e.message, { cause: e });
        throw e;
      }
    },
    async endSession(session, change) {
      await transact([
        put(sessionItem(session), `attribute_exists(${attr.pk}) AND signOutAt = :null`, { ':null': null }),
        {
          Update: {
            TableName,
            Key: keys.grant(session.tenantId, session.grantId),
            UpdateExpression: 'DELETE openSessions :s ADD version :one',
            ExpressionAttributeValues: { ':s': new Set([session.sessionId]), ':one': 1 },
          },
        },
        ...changeItems(session.tenantId, change),
      ]);
    },
    async getSession(tenantId, sessionId) {
      const i = await get(keys.session(tenantId, sessionId));
      return i ? parseSession(strip(i)) : null;
    },
    async listSessions(tenantId, page, filter = {}) {
      // Dates bound the sort key (session ids are ULIDs of the sign-in time); a person is a GSI1
      // partition. Either way a key condition: nothing is read that the answer leaves out.
      const { low, high } = keys.sessionRange(filter.from, filter.to);
      // The range is exact but for the id's moment after `signInAt` (see `sessionRange`); `to` is exclusive.
      const [from, to] = [filter.from, filter.to].map((t) => (t === undefined ? undefined : new Date(t).toISOString()));
      const keep = (s: SessionRecord) => (from === undefined || s.signInAt >= from) && (to === undefined || s.signInAt < to);
      if (filter.accessedBy === undefined) {
        return queryPage(
          {
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :low AND :high',
            ExpressionAttributeNames: { '#pk': attr.pk, '#sk': attr.sk },
            ExpressionAttributeValues: { ':pk': keys.sessionPrefix(tenantId).PK, ':low': low, ':high': high },
            ScanIndexForward: false,
          },
          page,
          (i) => parseSession(strip(i)),
          baseKey,
          keep,
        );
      }
      const index = indexes.byPrincipal;
      return queryPage(
        {
          IndexName: index.name,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :low AND :high',
          ExpressionAttributeNames: { '#pk': index.pk, '#sk': index.sk },
          ExpressionAttributeValues: {
            ':pk': keys.sessionPersonPartition(tenantId, canonicalEmail(filter.accessedBy)),
            ':low': low,
            ':high': high,
          },
          ScanIndexForward: false,
        },
        page,
        (i) => parseSession(strip(i)),
        indexKey(index),
        keep,
      );
    },
  };
}

/** The write that ends one open session (an ending grant's transaction carries one per session). */
export const endSessionTx = (TableName: string, tenantId: string, sessionId: string, end: SessionEnd): TxItem => ({
  Update: {
    TableName,
    Key: keys.session(tenantId, sessionId),
    UpdateExpression: 'SET signOutAt = :at, endedBy = :by',
    ConditionExpression: `attribute_exists(${attr.pk}) AND signOutAt = :null`,
    ExpressionAttributeValues: { ':at': end.at, ':by': end.endedBy, ':null': null },
  },
});
