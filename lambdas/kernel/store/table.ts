/**
 * What every part of the store shares, built the same way from `{ doc, tableName }`: the one
 * transaction helper (MACs on new audit events, lost races as `ConcurrentUpdateError`, an answer
 * lost after a commit), consistent reads, paged and prefix queries.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { encodeTime } from 'ulid';
import { AuditEvent } from '../../contract/schemas.ts';
import { attr, indexes, keys, tableKeyOf, type DueKind, type TableKey } from '../../contract/table.ts';
import { eventMac } from '../audit-mac.ts';
import { ConcurrentUpdateError, WriteOutcomeUnknownError } from '../errors.ts';
import type { Change, Log, Page, PageInput, PageKey, TimeRange } from '../ports.ts';
import { auditItem, type Item, outboxItem, strip } from './items.ts';

export type TxItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB's cap on the items of one transaction. */
export const MAX_TX_ITEMS = 100;

/** How every part of the store is built. */
export interface StoreOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /**
   * The key of the audit events' MACs (read once per container); every audit event written gets
   * its MAC (`mac`). Without it events are written unMACed, and the verifier reports them.
   */
  eventKey?: () => Promise<string>;
  /** Where the store writes what the caller is not told (a commit whose answer was lost); default nowhere. */
  log?: Log;
}

/**
 * One shard of the sparse due-at index, up to `now` inclusive (`$` sorts after the `#` that follows
 * every due time), oldest deadline first.
 */
export function dueQuery(TableName: string, kind: DueKind, shard: number, now: string, limit: number, after?: PageKey) {
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
export async function queryAll(doc: DynamoDBDocumentClient, input: Omit<QueryCommandInput, 'ExclusiveStartKey'>): Promise<Item[]> {
  const out: Item[] = [];
  let start: Item | undefined;
  do {
    const res = await doc.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    out.push(...(res.Items ?? []));
    start = res.LastEvaluatedKey;
  } while (start);
  return out;
}

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

/** The shared helpers over one table. */
export function tableAccess({ doc, tableName: TableName, eventKey, log }: StoreOptions) {
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
    const witness = items.find(
      (i) => i.Put?.Item?.[attr.type] === 'audit' && i.Put.ConditionExpression === `attribute_not_exists(${attr.pk})`,
    )?.Put;
    if (!witness) return false;
    const key = tableKeyOf(witness.Item!);
    let found: Item | null;
    try {
      found = await get(key);
    } catch (readError) {
      throw new WriteOutcomeUnknownError('a write failed and whether it was applied could not be checked', { cause: [error, readError] });
    }
    if (!found) return false;
    log?.warn('a transaction committed but its answer was lost; carrying on', { key, error });
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

  const baseKey = (i: Item): PageKey => ({ ...tableKeyOf(i) });
  /** The position of an item read from `index`: its table key and its key in the index. */
  const indexKey =
    (index: { pk: string; sk: string }) =>
    (i: Item): PageKey => ({ ...baseKey(i), [index.pk]: i[index.pk], [index.sk]: i[index.sk] });

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
    const after = typeof page.after?.[attr.sk] === 'string' ? page.after[attr.sk] : undefined;
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
      .sort((a, b) => (String(a.raw[attr.sk]) < String(b.raw[attr.sk]) ? 1 : -1))
      .slice(0, page.limit + 1);
    const items = found.slice(0, page.limit);
    const last = items.at(-1);
    return { items: items.map((f) => f.item), next: found.length > page.limit && last ? baseKey(last.raw) : null };
  }
  const prefixQuery = (k: TableKey) => ({
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
  const rangeQuery = (k: TableKey, range: TimeRange) => ({
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

  async function get(key: TableKey): Promise<Item | null> {
    const res = await doc.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }));
    return res.Item ?? null;
  }

  return {
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
  };
}
export type TableAccess = ReturnType<typeof tableAccess>;
