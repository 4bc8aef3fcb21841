/** The `Store` port: contacts, policy, grants and their access entries, sessions, requests, audit events, due items. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ExecuteStatementCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Grant, type Grantee, Policy } from '../contract/schemas.ts';
import { attr, indexes, keys } from '../contract/table.ts';
import { eventMac } from '../domain/audit-integrity.ts';
import { ConcurrentUpdateError, GrantMismatchError, LimitReachedError, NotFoundError } from '../domain/errors.ts';
import { canonicalEmail } from '../domain/identity.ts';
import type { DueItem, GrantRecord, PageKey, RequestRecord, SessionEnd, SessionRecord, Store } from '../domain/ports.ts';
import {
  entryItem,
  grantItem,
  type Item,
  parseAudit,
  parseContact,
  parseEntry,
  parseGrant,
  parseRequest,
  parseSession,
  principalsOf,
  requestItem,
  sessionItem,
  strip,
} from './items.ts';
import { backedBy } from './backing.ts';
import { dueQuery, MAX_TX_ITEMS, queryAll, type StoreOptions, tableAccess, type TxItem } from './table.ts';

export function createEntityStore(options: StoreOptions): Store {
  const {
    doc,
    TableName,
    put,
    STATUS,
    changeItems,
    cancelledFirst,
    transact,
    queryPage,
    baseKey,
    indexKey,
    statusPage,
    prefixQuery,
    rangeQuery,
    get,
  } = tableAccess(options);
  const { eventKey } = options;
  const store: Store = {
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
      const i = await get(keys.request(tenantId, requestId));
      return i ? parseRequest(strip(i)) : null;
    },
    async listRequests(tenantId, page, keep, filter) {
      if (filter) return statusPage(tenantId, 'REQUEST', 'PENDING', filter, page, (i) => parseRequest(strip(i)), keep);
      return queryPage(prefixQuery(keys.requestPrefix(tenantId)), page, (i) => parseRequest(strip(i)), baseKey, keep);
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
    async dueItems(shard, now, page) {
      const res = await doc.send(dueQuery(TableName, 'EXPIRY', shard, now, page.limit, page.after));
      const items: DueItem[] = (res.Items ?? []).map((i) => {
        const [, kind, tenantId, id] = String(i[attr.gsi2sk]).split('#');
        return { kind: kind === 'GRANT' ? 'grant' : 'request', tenantId: tenantId!, id: id! };
      });
      return { items, next: (res.LastEvaluatedKey as PageKey | undefined) ?? null };
    },
  };

  /**
   * The count of the requester's PENDING requests at the tenant: +1 conditioned on staying within
   * `maxPending`, or -1 (`maxPending` null) when a request leaves PENDING. The transition it rides
   * with is itself conditioned (new request, or PENDING at the version read), so each request is
   * counted in and out exactly once, whatever runs concurrently.
   */
  const pendingCountAdd = (r: RequestRecord, maxPending: number | null): TxItem => ({
    Update: {
      TableName,
      Key: keys.pendingCount(r.tenantId, r.requestedBy.id),
      UpdateExpression: 'ADD #pending :delta SET #type = :type',
      ExpressionAttributeNames: { '#pending': 'pending', '#type': attr.type },
      ExpressionAttributeValues: {
        ':delta': maxPending === null ? -1 : 1,
        ':type': 'pendingCount',
        ...(maxPending === null ? {} : { ':max': maxPending }),
      },
      ...(maxPending === null ? {} : { ConditionExpression: 'attribute_not_exists(#pending) OR #pending < :max' }),
    },
  });

  const endSessionItem = (tenantId: string, sessionId: string, end: SessionEnd): TxItem => ({
    Update: {
      TableName,
      Key: keys.session(tenantId, sessionId),
      UpdateExpression: 'SET signOutAt = :at, endedBy = :by',
      ConditionExpression: `attribute_exists(${attr.pk}) AND signOutAt = :null`,
      ExpressionAttributeValues: { ':at': end.at, ':by': end.endedBy, ':null': null },
    },
  });

  return store;
}
