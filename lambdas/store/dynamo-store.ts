/**
 * The DynamoDB repository: the `Store` port over one table, built from `{ doc, tableName }`.
 * Every key comes from `contract/table.ts`; every transition is a conditional write; every change
 * and its audit events and outbox messages go in one `TransactWriteItems`.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  ExecuteStatementCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { encodeTime } from 'ulid';
import * as z from 'zod';
import {
  AccessRequest,
  Actor,
  AuditEvent,
  Contact,
  Grant,
  type Grantee,
  Policy,
  Scope,
  Session,
} from '../contract/schemas.ts';
import { attr, indexes, keys, type AccessPrincipal, type DueKind } from '../contract/table.ts';
import { eventMac } from '../domain/audit-integrity.ts';
import { auditVerifyMethods } from './audit-verify-store.ts';
import { canonicalEmail } from '../domain/identity.ts';
import { ConcurrentUpdateError, LimitReachedError, NotFoundError, WriteOutcomeUnknownError } from '../domain/errors.ts';
import type {
  AccessEntry,
  AuditChainStore,
  AuditVerifyStore,
  Change,
  ChainHead,
  ChainLink,
  DueItem,
  GrantRecord,
  OutboxMessage,
  OutboxRecord,
  OutboxStore,
  Page,
  PageInput,
  PageKey,
  RequestRecord,
  SessionEnd,
  SessionRecord,
  Store,
  StoredAuditEvent,
  TimeRange,
} from '../domain/ports.ts';

type TxItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type Item = Record<string, unknown>;

/** DynamoDB's cap on the items of one transaction. */
const MAX_TX_ITEMS = 100;

// ---- parsing items back into records (zod, not casts) ----------------------------------------

const GrantRecordSchema = Grant.extend({
  version: z.int(),
  openSessions: z.array(z.string()),
  pendingExtensions: z.array(z.string()).optional(),
  warnAt: z.string().nullable().optional(),
  warned: z.boolean().optional(),
});
const SessionRecordSchema = Session.extend({ grantExpiresAt: z.string().nullable() });
const RequestRecordSchema = AccessRequest.extend({ version: z.int(), escalateAt: z.string().nullable().optional(), escalated: z.boolean().optional() });
const AccessEntrySchema = z.object({
  tenantId: z.string(),
  grantId: z.string(),
  scope: Scope,
  expiresAt: z.string().nullable(),
  grantedBy: Actor,
  createdAt: z.string(),
  ticketId: z.string().nullable().optional(),
  reason: z.string().optional(),
  audience: Grant.shape.audience,
  grantees: z.array(z.object({ id: z.string(), email: z.string() })),
});

/** String sets come back as `Set`; absent when empty. */
const toArray = (v: unknown): string[] => (v instanceof Set ? [...(v as Set<string>)] : Array.isArray(v) ? v : []);

const parseGrant = (i: Item): GrantRecord =>
  GrantRecordSchema.parse({ ...i, openSessions: toArray(i.openSessions), ...(i.pendingExtensions ? { pendingExtensions: toArray(i.pendingExtensions) } : {}) });
const parseSession = (i: Item): SessionRecord => SessionRecordSchema.parse(i);
const parseRequest = (i: Item): RequestRecord => RequestRecordSchema.parse(i);
const parseEntry = (i: Item): AccessEntry => AccessEntrySchema.parse(i);
const parseContact = (i: Item): Contact => Contact.parse(i);
const parseAudit = (i: Item): AuditEvent => AuditEvent.parse(withRefusals(i));

/**
 * A `session.denied` event that counts refusals keeps its count in a top-level `refusals` number
 * (an atomic `ADD` cannot create a field inside a map the same write creates); it reads, is
 * sealed and is verified as `details.count`.
 */
function withRefusals(i: Item): Item {
  if (typeof i.refusals !== 'number' || typeof i.details !== 'object' || i.details === null) return i;
  const { refusals, sealAfter: _s, ...rest } = i;
  return { ...rest, details: { ...(i.details as Item), count: refusals } };
}

/** Drops the key attributes and the type tag so only the record's own fields are left. */
function strip(item: Item): Item {
  const { PK: _a, SK: _b, GSI1PK: _c, GSI1SK: _d, GSI2PK: _e, GSI2SK: _f, type: _g, ttl: _h, ...rest } = item;
  return rest;
}

// ---- items: the one shape of each entity in the table ---------------------------------------


/** An audit event, marked to be sealed into its tenant's hash chain (the sparse `SEAL#n` keys). */
export const auditItem = (tenantId: string, e: AuditEvent): Item => ({
  ...keys.audit(tenantId, e.eventId),
  ...keys.sealQueue(tenantId, e.at, e.eventId),
  type: 'audit',
  tenantId,
  ...e,
});

/** Who a grant covers: the whole support team, or each named grantee. */
export const principalsOf = (g: { audience: Grant['audience']; grantees: { id: string }[] }): AccessPrincipal[] =>
  g.audience === 'support-team' ? [{ kind: 'team' }] : g.grantees.map((x) => ({ kind: 'agent', id: x.id }));

/**
 * The access entry of a live grant for one principal. The access check reads its scope and end;
 * it carries a copy of the whole grant (as of its last change) so that `GET /v1/me/grants` is one
 * read of GSI1, with no second read of the grants.
 */
export const entryItem = (g: GrantRecord, p: AccessPrincipal): Item => {
  const { version: _v, openSessions: _o, pendingExtensions: _p, warnAt: _w, warned: _d, ...grant } = g;
  return {
    ...keys.accessEntry(g.tenantId, p, g.grantId),
    [attr.gsi1pk]: keys.principalIndex(p),
    [attr.gsi1sk]: keys.principalSort(g.expiresAt, g.tenantId, g.grantId),
    type: 'access',
    ...grant,
  };
};

/**
 * When the expiry job next has something to do for a grant: its warning while that is owed, else
 * its end. One due entry per item, always the next action, keeps the index sparse.
 */
export const grantDueAt = (g: GrantRecord): string | null =>
  g.status !== 'ACTIVE' || !g.expiresAt ? null : g.warnAt && !g.warned && g.warnAt < g.expiresAt ? g.warnAt : g.expiresAt;
/** When the expiry job next has something to do for a request: its escalation, else its lapse. */
export const requestDueAt = (r: RequestRecord): string | null =>
  r.status !== 'PENDING' ? null : r.escalateAt && !r.escalated && r.escalateAt < r.expiresAt ? r.escalateAt : r.expiresAt;

/** A grant; while ACTIVE with an end it carries its GSI2 due keys (see `grantDueAt`). */
export const grantItem = (g: GrantRecord): Item => {
  const { openSessions, pendingExtensions, ...rest } = g;
  const dueAt = grantDueAt(g);
  return {
    ...keys.grant(g.tenantId, g.grantId),
    ...keys.byStatus(g.tenantId, 'GRANT', g.status, g.grantId),
    type: 'grant',
    ...rest,
    ...(openSessions.length ? { openSessions: new Set(openSessions) } : {}),
    ...(pendingExtensions?.length ? { pendingExtensions: new Set(pendingExtensions) } : {}),
    ...(dueAt ? keys.due('EXPIRY', g.grantId, dueAt, `GRANT#${g.tenantId}#${g.grantId}`) : {}),
  };
};

/** An access request; while PENDING it carries its GSI2 due keys (see `requestDueAt`). */
export const requestItem = (r: RequestRecord): Item => {
  const dueAt = requestDueAt(r);
  return {
    ...keys.request(r.tenantId, r.requestId),
    ...keys.byStatus(r.tenantId, 'REQUEST', r.status, r.requestId),
    type: 'request',
    ...r,
    ...(dueAt ? keys.due('EXPIRY', r.requestId, dueAt, `REQUEST#${r.tenantId}#${r.requestId}`) : {}),
  };
};

export const sessionItem = (s: SessionRecord): Item => ({
  ...keys.session(s.tenantId, s.sessionId),
  ...keys.byGrant(s.tenantId, s.grantId, s.sessionId),
  ...keys.sessionByPerson(s.tenantId, canonicalEmail(s.accessedBy.email), s.sessionId),
  type: 'session',
  ...s,
});

/**
 * One shard of the sparse due-at index, up to `now` inclusive (`$` sorts after the `#` that follows
 * every due time), oldest deadline first.
 */
function dueQuery(TableName: string, kind: DueKind, shard: number, now: string, limit: number, after?: PageKey) {
  return new QueryCommand({
    TableName,
    IndexName: indexes.byDueAt.name,
    KeyConditionExpression: '#pk = :pk AND #sk < :until',
    ExpressionAttributeNames: { '#pk': indexes.byDueAt.pk, '#sk': indexes.byDueAt.sk },
    ExpressionAttributeValues: { ':pk': keys.duePartition(kind, shard), ':until': `${now}$` },
    Limit: limit,
    ExclusiveStartKey: after as Item | undefined,
  });
}

/** Every item a query matches, page after page. */
async function queryAll(doc: DynamoDBDocumentClient, input: Omit<QueryCommandInput, 'ExclusiveStartKey'>): Promise<Item[]> {
  const out: Item[] = [];
  let start: Item | undefined;
  do {
    const res = await doc.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    out.push(...(res.Items ?? []));
    start = res.LastEvaluatedKey;
  } while (start);
  return out;
}

// ---- the repository ------------------------------------------------------------------------------

export interface DynamoStoreOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /**
   * The key of the audit events' MACs (read once per container); every audit event written gets
   * its MAC (`mac`). Without it events are written unMACed, and the verifier reports them.
   */
  eventKey?: () => Promise<string>;
}

/** Builds the repository over a document client and a table name. */
export function createDynamoStore({ doc, tableName: TableName, eventKey }: DynamoStoreOptions): Store & OutboxStore & IdempotencyStore & AuditChainStore & AuditVerifyStore {
  /** A transactional put; by default only of a new item. */
  const put = (
    Item: Item,
    condition: string | null = `attribute_not_exists(${attr.pk})`,
    values?: Record<string, unknown>,
    names?: Record<string, string>,
  ): TxItem => ({
    Put: {
      TableName,
      Item,
      ...(condition ? { ConditionExpression: condition } : {}),
      ...(values ? { ExpressionAttributeValues: values } : {}),
      ...(names ? { ExpressionAttributeNames: names } : {}),
    },
  });
  const STATUS = { '#status': 'status' };

  /** The audit events and outbox messages of a change, as items of its transaction. */
  const changeItems = (tenantId: string, change: Change): TxItem[] => [
    ...change.audit.map((e) => put(auditItem(tenantId, e))),
    ...change.outbox.map((m) => put(outboxItem(m))),
  ];

  /** Whether a cancelled transaction failed the condition of its first item. */
  const cancelledFirst = (e: ConcurrentUpdateError): boolean =>
    e.cause instanceof TransactionCanceledException && e.cause.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed';

  /** Runs a transaction; a failed condition or a conflicting transaction is a lost race. */
  async function transact(items: TxItem[]): Promise<void> {
    if (eventKey) await macAuditPuts(items, await eventKey());
    try {
      await doc.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (e) {
      if (e instanceof TransactionCanceledException) {
        const reasons = (e.CancellationReasons ?? []).map((r) => r.Code).filter((c) => c && c !== 'None');
        // Only a failed condition or a concurrent transaction is a lost race. A transaction
        // cancelled for throttling (or any other reason) did not lose to anybody: it fails as
        // itself (a 5xx), not as a 409 that tells the caller something else changed.
        if (reasons.every((c) => c === 'ConditionalCheckFailed' || c === 'TransactionConflict')) {
          throw new ConcurrentUpdateError(`the write lost a race (${reasons.join(', ') || 'cancelled'})`, { cause: e });
        }
        throw e;
      }
      if (await committedAnyway(items, e)) return;
      throw e;
    }
  }

  /**
   * After a failure that is not a cancellation (a timeout, a dropped connection, a 5xx), the
   * transaction may have committed and only its answer been lost: the SDK's retries reuse its
   * `ClientRequestToken`, so a later attempt may have been told nothing new. One consistent read of
   * the change's audit event (created by this transaction only: its key holds a fresh id) tells
   * which. If that read fails too, the outcome is unknown, and the caller must not be told it is
   * safe to retry. A transaction without an audit event (sealing) is simply retried by its caller.
   */
  async function committedAnyway(items: TxItem[], error: unknown): Promise<boolean> {
    const witness = items.find((i) => i.Put?.Item?.[attr.type] === 'audit' && i.Put.ConditionExpression === `attribute_not_exists(${attr.pk})`)?.Put;
    if (!witness) return false;
    const key = { [attr.pk]: witness.Item![attr.pk], [attr.sk]: witness.Item![attr.sk] } as { PK: string; SK: string };
    let found: Item | null;
    try {
      found = await get(key);
    } catch (readError) {
      throw new WriteOutcomeUnknownError('a write failed and whether it was applied could not be checked', { cause: [error, readError] });
    }
    if (!found) return false;
    console.warn(JSON.stringify({ level: 'WARN', message: 'a transaction committed but its answer was lost; carrying on', key, error: String(error) }));
    return true;
  }

  /**
   * One page of a query, newest first, keeping only what `keep` accepts. Reads one item past the
   * page so that `next` is null exactly when nothing is left.
   */
  async function queryPage<T>(
    input: Omit<QueryCommandInput, 'TableName' | 'Limit' | 'ExclusiveStartKey'>,
    page: PageInput,
    parse: (i: Item) => T,
    keyOf: (i: Item) => PageKey,
    keep: (t: T) => boolean = () => true,
  ): Promise<Page<T>> {
    const found: { item: T; key: PageKey }[] = [];
    let start = page.after;
    for (;;) {
      const res = await doc.send(
        new QueryCommand({ ...input, TableName, Limit: page.limit + 1, ExclusiveStartKey: start as Item | undefined }),
      );
      for (const raw of res.Items ?? []) {
        const item = parse(raw);
        if (keep(item)) found.push({ item, key: keyOf(raw) });
        if (found.length > page.limit) break;
      }
      if (found.length > page.limit || !res.LastEvaluatedKey) break;
      start = res.LastEvaluatedKey;
    }
    const items = found.slice(0, page.limit);
    const last = items.at(-1);
    return { items: items.map((f) => f.item), next: found.length > page.limit && last ? last.key : null };
  }

  const baseKey = (i: Item): PageKey => ({ PK: i.PK, SK: i.SK });

  /**
   * A page of a tenant's grants or requests in one status as of `now`, newest first, read from the
   * status partitions of GSI1 rather than from every item:
   * - a status that storage and time agree on (REVOKED, DENIED, ...): its partition, exactly;
   * - the live status (ACTIVE, PENDING): its partition; an item past its `expiresAt` that the
   *   expiry job has not ended yet is read and dropped (at most what fell due since the job ran);
   * - EXPIRED: the EXPIRED partition, merged with the live partition's items past `expiresAt` (a
   *   filter on the live partition: it reads the tenant's live items to find those).
   * The position is the last item's table key, as for the unfiltered list.
   */
  async function statusPage<T>(
    tenantId: string,
    entity: 'GRANT' | 'REQUEST',
    live: string,
    filter: { status: string; now: string },
    page: PageInput,
    parse: (i: Item) => T,
    keep: (t: T) => boolean,
  ): Promise<Page<T>> {
    const after = typeof page.after?.SK === 'string' ? page.after.SK : undefined;
    const sources = [{ status: filter.status, pastEnd: false }];
    if (filter.status === 'EXPIRED') sources.push({ status: live, pastEnd: true });
    const found = (
      await Promise.all(
        sources.map(async ({ status, pastEnd }) => {
          const kept: { raw: Item; item: T }[] = [];
          let start: Item | undefined;
          do {
            const res = await doc.send(
              new QueryCommand({
                TableName,
                IndexName: indexes.byPrincipal.name,
                KeyConditionExpression: `#pk = :pk${after ? ' AND #sk < :after' : ''}`,
                ...(pastEnd ? { FilterExpression: 'expiresAt <= :now' } : {}),
                ExpressionAttributeNames: { '#pk': indexes.byPrincipal.pk, ...(after ? { '#sk': indexes.byPrincipal.sk } : {}) },
                ExpressionAttributeValues: {
                  ':pk': keys.statusPartition(tenantId, entity, status),
                  ...(after ? { ':after': after } : {}),
                  ...(pastEnd ? { ':now': filter.now } : {}),
                },
                ScanIndexForward: false,
                Limit: page.limit + 1,
                ExclusiveStartKey: start,
              }),
            );
            for (const raw of res.Items ?? []) {
              const item = parse(raw);
              if (keep(item)) kept.push({ raw, item });
            }
            start = res.LastEvaluatedKey;
          } while (start && kept.length <= page.limit);
          return kept;
        }),
      )
    )
      .flat()
      .sort((a, b) => (String(a.raw.SK) < String(b.raw.SK) ? 1 : -1))
      .slice(0, page.limit + 1);
    const items = found.slice(0, page.limit);
    const last = items.at(-1);
    return { items: items.map((f) => f.item), next: found.length > page.limit && last ? baseKey(last.raw) : null };
  }
  const prefixQuery = (k: { PK: string; SK: string }) => ({
    KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :sk)',
    ExpressionAttributeNames: { '#pk': attr.pk, '#sk': attr.sk },
    ExpressionAttributeValues: { ':pk': k.PK, ':sk': k.SK },
    ScanIndexForward: false,
  });

  /**
   * Items of a prefix whose ULID id was made in `[from, to)`, newest first: ids are stamped with
   * the time they were made (sessions at sign-in, events when they happened), so the window is a
   * key range and nothing outside it is read.
   */
  const rangeQuery = (k: { PK: string; SK: string }, range: TimeRange) => ({
    KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
    ExpressionAttributeNames: { '#pk': attr.pk, '#sk': attr.sk },
    ExpressionAttributeValues: {
      ':pk': k.PK,
      ':lo': `${k.SK}${encodeTime(Date.parse(range.from), 10)}`,
      // The last id made before `to`: its time is `to` - 1 ms, then the highest random part.
      ':hi': `${k.SK}${encodeTime(Date.parse(range.to) - 1, 10)}~`,
    },
    ScanIndexForward: false,
  });

  async function get(key: { PK: string; SK: string }): Promise<Item | null> {
    const res = await doc.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }));
    return res.Item ?? null;
  }


  const store: Store & OutboxStore & IdempotencyStore & AuditChainStore & AuditVerifyStore = {
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
      const item = { ...keys.contact(tenantId, contact.email), type: 'contact', tenantId, ...contact };
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
      await transact([put({ ...keys.policy(tenantId), type: 'policy', ...policy }, null), ...changeItems(tenantId, change)]);
    },

    // ---- grants ----
    async createGrant(grant, change) {
      await transact([put(grantItem(grant)), ...principalsOf(grant).map((p) => put(entryItem(grant, p))), ...changeItems(grant.tenantId, change)]);
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
        return [endSessionItem(expected.tenantId, id, sessionEnd), ...changeItems(expected.tenantId, { audit: audit ? [audit] : [], outbox: [] })];
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
        put(grantItem({ ...ended, version: ended.version + extra.length }), '#status = :active AND version = :v', { ':active': 'ACTIVE', ':v': version }, STATUS),
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
        put(grantItem(next), '#status = :active AND version = :v AND expiresAt > :now', { ':active': 'ACTIVE', ':v': expected.version, ':now': now }, STATUS),
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
              put(requestItem(request.next), '#status = :pending AND version = :v', { ':pending': 'PENDING', ':v': request.expected.version }, STATUS),
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
    async startSession(session, now, change) {
      await transact([
        {
          Update: {
            TableName,
            Key: keys.grant(session.tenantId, session.grantId),
            UpdateExpression: 'ADD openSessions :s, version :one',
            ConditionExpression: '#status = :active AND (expiresAt = :null OR expiresAt > :now)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':s': new Set([session.sessionId]), ':one': 1, ':active': 'ACTIVE', ':null': null, ':now': now },
          },
        },
        put(sessionItem(session)),
        ...changeItems(session.tenantId, change),
      ]);
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
          ExpressionAttributeValues: { ':pk': keys.sessionPersonPartition(tenantId, canonicalEmail(filter.accessedBy)), ':low': low, ':high': high },
          ScanIndexForward: false,
        },
        page,
        (i) => parseSession(strip(i)),
        (i) => ({ ...baseKey(i), [index.pk]: i[index.pk], [index.sk]: i[index.sk] }),
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
      const fields: Item = { [attr.type]: 'audit', tenantId, eventId, at, actor, action, targetId, details, sealAfter, ...mac, ...keys.due('SEAL', tenantId, sealAfter, `${tenantId}#${eventId}`) };
      const names = Object.fromEntries(Object.keys(fields).map((f, n) => [`#f${n}`, f]));
      const values = Object.fromEntries(Object.values(fields).map((v, n) => [`:f${n}`, v]));
      try {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: keys.audit(tenantId, eventId),
            // The first refusal of the window writes the event; every one adds to its count.
            UpdateExpression: `SET ${Object.keys(names).map((n, k) => `${n} = if_not_exists(${n}, :f${k})`).join(', ')} ADD #refusals :one`,
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
    async dueItems(shard, now, page) {
      const res = await doc.send(dueQuery(TableName, 'EXPIRY', shard, now, page.limit, page.after));
      const items: DueItem[] = (res.Items ?? []).map((i) => {
        const [, kind, tenantId, id] = String(i[attr.gsi2sk]).split('#');
        return { kind: kind === 'GRANT' ? 'grant' : 'request', tenantId: tenantId!, id: id! };
      });
      return { items, next: (res.LastEvaluatedKey as PageKey | undefined) ?? null };
    },

    ...outboxMethods(doc, TableName),
    ...idempotencyMethods(doc, TableName),
    ...chainMethods(doc, TableName, transact),
    // Incremental verification (checkpoints, grant states): lambdas/store/audit-verify-store.ts.
    ...auditVerifyMethods(doc, TableName, parseStoredAudit),
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
      ExpressionAttributeValues: { ':delta': maxPending === null ? -1 : 1, ':type': 'pendingCount', ...(maxPending === null ? {} : { ':max': maxPending }) },
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

// ---- the audit hash chain --------------------------------------------------------------------------

/**
 * Adds its MAC to every new audit event a transaction puts (computed in memory: no extra request).
 * Only the puts of new events (`attribute_not_exists`) are events the API writes.
 */
async function macAuditPuts(items: TxItem[], key: string): Promise<void> {
  for (const { Put } of items) {
    if (Put?.Item?.[attr.type] !== 'audit' || Put.ConditionExpression !== `attribute_not_exists(${attr.pk})`) continue;
    const item = Put.Item;
    Put.Item = { ...item, mac: eventMac(key, String(item.tenantId), AuditEvent.parse(strip(item))) };
  }
}

const ChainLinkSchema = z.object({ seq: z.int().positive(), prev: z.string(), hash: z.string() });
const ChainHeadSchema = z.object({ seq: z.int().positive(), hash: z.string(), eventId: z.string(), sealedAt: z.string() });
/**
 * Reads an audit item leniently: what was edited into something that no longer parses is kept as
 * stored (its hash will not match, so the verifier reports it), instead of failing the whole read.
 */
const parseStoredAudit = (i: Item): StoredAuditEvent => {
  const raw = withRefusals(strip(i));
  const event = AuditEvent.safeParse(raw);
  const link = i.chain === undefined ? null : ChainLinkSchema.safeParse(i.chain);
  return {
    tenantId: String(i.tenantId),
    event: event.success ? event.data : ({ ...raw, eventId: String(i[attr.sk]).slice('AUDIT#'.length) } as AuditEvent),
    link: link === null ? null : link.success ? link.data : 'malformed',
    mac: typeof i.mac === 'string' ? i.mac : null,
    ...(typeof i.sealAfter === 'string' ? { sealAfter: i.sealAfter } : {}),
  };
};

function chainMethods(doc: DynamoDBDocumentClient, TableName: string, transact: (items: TxItem[]) => Promise<void>): AuditChainStore {
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
          Item: { ...keys.chainHead(tenantId), type: 'chain', tenantId, ...head },
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

// ---- the outbox ----------------------------------------------------------------------------------

export function outboxItem(m: OutboxMessage): Item {
  return {
    ...keys.outbox(m.messageId),
    ...keys.due('OUTBOX', m.messageId, m.createdAt, m.messageId),
    type: 'outbox',
    ...m,
    status: 'PENDING',
    attempts: 0,
    nextAttemptAt: m.createdAt,
    lastError: null,
    sentAt: null,
    leaseUntil: null,
  };
}

const OutboxRecordSchema = z.object({
  messageId: z.string(),
  tenantId: z.string(),
  kind: z.string(),
  createdAt: z.string(),
  payload: z.record(z.string(), z.unknown()),
  to: z.array(z.string()).optional(),
  toTier: z.enum(['primary', 'backup']).optional(),
  status: z.enum(['PENDING', 'SENDING', 'SENT', 'FAILED']),
  attempts: z.int(),
  nextAttemptAt: z.string(),
  lastError: z.string().nullable(),
  sentAt: z.string().nullable(),
  // Removed once a try ends (sent, failed or put back in line): absent reads as no lease.
  leaseUntil: z.string().nullable().default(null),
  sentTo: z.array(z.string()),
});
const parseOutbox = (i: Item) => OutboxRecordSchema.parse({ ...strip(i), sentTo: toArray(i.sentTo) }) as OutboxRecord;

function outboxMethods(doc: DynamoDBDocumentClient, TableName: string): OutboxStore {
  const isLost = (e: unknown) => e instanceof ConditionalCheckFailedException;
  return {
    async getOutbox(messageId) {
      const res = await doc.send(new GetCommand({ TableName, Key: keys.outbox(messageId), ConsistentRead: true }));
      return res.Item ? parseOutbox(res.Item) : null;
    },
    async dueOutbox(shard, now, limit) {
      const res = await doc.send(dueQuery(TableName, 'OUTBOX', shard, now, limit));
      return (res.Items ?? []).map((i) => String(i.messageId));
    },
    async claimOutbox(messageId, now, leaseUntil) {
      try {
        const res = await doc.send(
          new UpdateCommand({
            TableName,
            Key: keys.outbox(messageId),
            UpdateExpression: 'SET #status = :sending, leaseUntil = :lease, attempts = attempts + :one',
            ConditionExpression: '(#status = :pending AND nextAttemptAt <= :now) OR (#status = :sending AND leaseUntil < :now)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':sending': 'SENDING', ':pending': 'PENDING', ':lease': leaseUntil, ':now': now, ':one': 1 },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return res.Attributes ? parseOutbox(res.Attributes) : null;
      } catch (e) {
        if (isLost(e)) return null;
        throw e;
      }
    },
    async markRecipientSent(messageId, email) {
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: keys.outbox(messageId),
          UpdateExpression: 'ADD sentTo :e',
          ExpressionAttributeValues: { ':e': new Set([email]) },
        }),
      );
    },
    async markSent(messageId, now, ttl) {
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: keys.outbox(messageId),
          UpdateExpression: `SET #status = :sent, sentAt = :now, #ttl = :ttl, lastError = :null REMOVE ${attr.gsi2pk}, ${attr.gsi2sk}, leaseUntil`,
          ExpressionAttributeNames: { '#status': 'status', '#ttl': attr.ttl },
          ExpressionAttributeValues: { ':sent': 'SENT', ':now': now, ':ttl': ttl, ':null': null },
        }),
      );
    },
    async markFailed(messageId, error, nextAttemptAt) {
      const msg = await this.getOutbox(messageId);
      if (!msg) return;
      const retry = nextAttemptAt !== null;
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: keys.outbox(messageId),
          UpdateExpression: retry
            ? `SET #status = :pending, lastError = :err, nextAttemptAt = :next, ${attr.gsi2pk} = :gpk, ${attr.gsi2sk} = :gsk REMOVE leaseUntil`
            : `SET #status = :failed, lastError = :err, ${attr.gsi1pk} = :fpk, ${attr.gsi1sk} = :fsk REMOVE ${attr.gsi2pk}, ${attr.gsi2sk}, leaseUntil`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: retry
            ? {
                ':pending': 'PENDING',
                ':err': error,
                ':next': nextAttemptAt,
                ':gpk': keys.due('OUTBOX', messageId, nextAttemptAt, messageId).GSI2PK,
                ':gsk': keys.due('OUTBOX', messageId, nextAttemptAt, messageId).GSI2SK,
              }
            : { ':failed': 'FAILED', ':err': error, ':fpk': keys.outboxFailedIndex(), ':fsk': `${msg.createdAt}#${messageId}` },
        }),
      );
    },
    async listFailedOutbox(limit) {
      const res = await doc.send(
        new QueryCommand({
          TableName,
          IndexName: indexes.byPrincipal.name,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': indexes.byPrincipal.pk },
          ExpressionAttributeValues: { ':pk': keys.outboxFailedIndex() },
          Limit: limit,
        }),
      );
      return (res.Items ?? []).map(parseOutbox);
    },
    async redriveOutbox(messageId, now) {
      const due = keys.due('OUTBOX', messageId, now, messageId);
      try {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: keys.outbox(messageId),
            UpdateExpression: `SET #status = :pending, attempts = :zero, nextAttemptAt = :now, ${attr.gsi2pk} = :gpk, ${attr.gsi2sk} = :gsk REMOVE ${attr.gsi1pk}, ${attr.gsi1sk}`,
            ConditionExpression: '#status = :failed',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':pending': 'PENDING', ':failed': 'FAILED', ':zero': 0, ':now': now, ':gpk': due.GSI2PK, ':gsk': due.GSI2SK },
          }),
        );
        return true;
      } catch (e) {
        if (isLost(e)) return false;
        throw e;
      }
    },
  };
}

// ---- idempotency records -------------------------------------------------------------------------

export interface IdempotencyRecord {
  status: 'IN_PROGRESS' | 'COMPLETED';
  hash: string;
  expiresAt: number;
  response?: { statusCode: number; body: string };
}

export interface IdempotencyStore {
  /** Claims the key; returns the existing record when there is a live one. */
  beginIdempotent(tenantId: string, scope: string, key: string, hash: string, nowSeconds: number, ttlSeconds: number): Promise<IdempotencyRecord | null>;
  completeIdempotent(tenantId: string, scope: string, key: string, response: { statusCode: number; body: string }): Promise<void>;
  releaseIdempotent(tenantId: string, scope: string, key: string): Promise<void>;
}

function idempotencyMethods(doc: DynamoDBDocumentClient, TableName: string): IdempotencyStore {
  return {
    async beginIdempotent(tenantId, scope, key, hash, nowSeconds, ttlSeconds) {
      const Key = keys.idempotency(tenantId, scope, key);
      // Twice at most: a record released between the failed claim and the read is claimed again.
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          await doc.send(
            new PutCommand({
              TableName,
              Item: { ...Key, type: 'idempotency', status: 'IN_PROGRESS', hash, expiresAt: nowSeconds + ttlSeconds, [attr.ttl]: nowSeconds + ttlSeconds },
              // A record past its 24 h, or released, is as good as absent, whether or not TTL has removed it.
              ConditionExpression: `attribute_not_exists(${attr.pk}) OR expiresAt < :now`,
              ExpressionAttributeValues: { ':now': nowSeconds },
            }),
          );
          return null;
        } catch (e) {
          if (!(e instanceof ConditionalCheckFailedException)) throw e;
        }
        const res = await doc.send(new GetCommand({ TableName, Key, ConsistentRead: true }));
        if (!res.Item || Number(res.Item.expiresAt) < nowSeconds) continue;
        return {
          status: res.Item.status as IdempotencyRecord['status'],
          hash: String(res.Item.hash),
          expiresAt: Number(res.Item.expiresAt),
          ...(res.Item.response ? { response: res.Item.response as IdempotencyRecord['response'] } : {}),
        } as IdempotencyRecord;
      }
      return null;
    },
    async completeIdempotent(tenantId, scope, key, response) {
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: keys.idempotency(tenantId, scope, key),
          UpdateExpression: 'SET #status = :done, #response = :r',
          ExpressionAttributeNames: { '#status': 'status', '#response': 'response' },
          ExpressionAttributeValues: { ':done': 'COMPLETED', ':r': response },
        }),
      );
    },
    /**
     * Releases a claim by marking it expired, not by deleting it: the functions that take
     * Idempotency-Keys then need no DeleteItem, which could delete an audit event. Only a claim
     * still in progress is released (never a completed one, never another kind of item).
     */
    async releaseIdempotent(tenantId, scope, key) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: keys.idempotency(tenantId, scope, key),
            UpdateExpression: 'SET #status = :released, expiresAt = :zero',
            ConditionExpression: '#type = :idempotency AND #status = :progress',
            ExpressionAttributeNames: { '#status': 'status', '#type': attr.type },
            ExpressionAttributeValues: { ':released': 'RELEASED', ':zero': 0, ':idempotency': 'idempotency', ':progress': 'IN_PROGRESS' },
          }),
        );
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
      }
    },
  };
}
