/**
 * The DynamoDB side of incremental audit verification (`lambdas/modules/audit/verify.ts`): the
 * tenant's events from an id on, its verification checkpoint, and its grants' stored state and
 * their access entries read leniently (an item edited by hand into something that no longer
 * parses is still compared).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { lazily } from '../../contract/schemas.ts';
import { type AccessPrincipal, attr, indexes, keys } from '../../contract/table.ts';
import type { AuditCheckpoint, AuditVerifyStore, StoredAccessEntry, StoredGrantState, StoredScope } from '../../kernel/ports.ts';
import { type Item, parseStoredAudit } from '../../kernel/store/items.ts';
import type { StoreOptions } from '../../kernel/store/table.ts';

const CheckpointSchema = lazily(() =>
  z.object({
    seq: z.int().nonnegative(),
    hash: z.string(),
    eventId: z.string(),
    fromEventId: z.string(),
    at: z.string(),
    mac: z.string(),
  }),
);

/** `AUDIT$` sorts after every `AUDIT#…` key: the end of a tenant's events. */
const AUDIT_END = 'AUDIT$';
const GRANT_END = 'GRANT$';

const granteesOf = (i: Item) =>
  (Array.isArray(i.grantees) ? (i.grantees as Item[]) : []).map((g) => ({
    id: String(g?.id),
    email: String(g?.email),
    addedAt: String(g?.addedAt ?? ''),
  }));

function scopeOf(i: Item): StoredScope | null {
  const s = i.scope as Item | undefined;
  if (typeof s !== 'object' || s === null) return null;
  return { level: String(s.level), modules: Array.isArray(s.modules) ? s.modules.map(String) : undefined };
}

/** Reads a grant's state leniently: missing or mistyped fields read as what they would mean. */
function grantState(i: Item): StoredGrantState {
  return {
    grantId: String(i.grantId ?? String(i[attr.sk]).slice('GRANT#'.length)),
    status: String(i.status),
    expiresAt: typeof i.expiresAt === 'string' ? i.expiresAt : null,
    grantees: granteesOf(i),
    endedAt: typeof i.endedAt === 'string' ? i.endedAt : null,
    audience: String(i.audience),
    scope: scopeOf(i),
  };
}

/** Reads an access entry leniently, with the principal and grant its key names (not its fields). */
const entryState = (i: Item, principal: AccessPrincipal, grantId: string): StoredAccessEntry => ({
  principal,
  grantId,
  audience: String(i.audience),
  scope: scopeOf(i),
  expiresAt: typeof i.expiresAt === 'string' ? i.expiresAt : null,
  grantees: granteesOf(i),
});

/** GetItem each key, 25 at a time (the store never uses batch reads: its role is not granted them). */
async function getEach(doc: StoreOptions['doc'], TableName: string, all: Item[]): Promise<Item[]> {
  const found: Item[] = [];
  for (let i = 0; i < all.length; i += 25) {
    const got = await Promise.all(
      all.slice(i, i + 25).map(async (Key) => (await doc.send(new GetCommand({ TableName, Key, ConsistentRead: true }))).Item),
    );
    found.push(...got.filter((x): x is Item => x !== undefined));
  }
  return found;
}

/** The `AuditVerifyStore` port (audit items read leniently with `parseStoredAudit`). */
export function createAuditVerifyStore({ doc, tableName: TableName }: StoreOptions): AuditVerifyStore {
  /** Items of the tenant's partition with sort keys in [from, to), page after page, at most `limit`. */
  async function range(tenantId: string, from: string, to: string, limit: number): Promise<{ items: Item[]; more: boolean }> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const res = await doc.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': attr.pk, '#sk': attr.sk },
          ExpressionAttributeValues: { ':pk': keys.auditPrefix(tenantId).PK, ':from': from, ':to': to },
          ConsistentRead: true,
          Limit: limit - items.length,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start && items.length < limit);
    // A full read may have stopped exactly at the end: `more` is then a harmless extra call.
    return { items: items.filter((i) => String(i[attr.sk]) !== to), more: start !== undefined };
  }

  /** Sends a conditional update; a condition that no longer holds (the head moved on, or left the queue) is no error. */
  async function ifStill(command: UpdateCommand): Promise<void> {
    try {
      await doc.send(command);
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
    }
  }

  return {
    async auditFrom(tenantId, fromEventId, limit) {
      const from = fromEventId === null ? keys.auditPrefix(tenantId).SK : keys.audit(tenantId, fromEventId).SK;
      const { items, more } = await range(tenantId, from, AUDIT_END, limit);
      return { items: items.map(parseStoredAudit), more };
    },
    async auditCheckpoint(tenantId) {
      const res = await doc.send(new GetCommand({ TableName, Key: keys.auditCheckpoint(tenantId), ConsistentRead: true }));
      if (!res.Item) return null;
      const parsed = CheckpointSchema.safeParse(res.Item);
      return parsed.success ? (parsed.data as AuditCheckpoint) : 'malformed';
    },
    async putAuditCheckpoint(tenantId, checkpoint, queuedSince) {
      const queued = queuedSince ? keys.verifyQueue(tenantId, queuedSince) : {};
      await doc.send(
        new PutCommand({
          TableName,
          Item: { ...keys.auditCheckpoint(tenantId), [attr.type]: 'checkpoint', tenantId, ...checkpoint, ...queued },
        }),
      );
    },
    async grantStates(tenantId, which) {
      if ('ids' in which) {
        return (
          await getEach(
            doc,
            TableName,
            which.ids.map((id) => keys.grant(tenantId, id)),
          )
        ).map(grantState);
      }
      if ('active' in which) {
        const items: Item[] = [];
        let start: Item | undefined;
        do {
          const res = await doc.send(
            new QueryCommand({
              TableName,
              IndexName: indexes.byPrincipal.name,
              KeyConditionExpression: '#pk = :pk',
              ExpressionAttributeNames: { '#pk': indexes.byPrincipal.pk },
              ExpressionAttributeValues: { ':pk': keys.statusPartition(tenantId, 'GRANT', 'ACTIVE') },
              ExclusiveStartKey: start,
            }),
          );
          items.push(...(res.Items ?? []));
          start = res.LastEvaluatedKey;
        } while (start);
        return items.map(grantState);
      }
      const from = which.fromGrantId === null ? keys.grantPrefix(tenantId).SK : keys.grant(tenantId, which.fromGrantId).SK;
      const { items } = await range(tenantId, from, GRANT_END, 1_000_000);
      return items.map(grantState);
    },
    async accessEntryStates(tenantId, principals) {
      const read = await Promise.all(
        principals.map(async (p) => {
          const items: Item[] = [];
          let start: Item | undefined;
          do {
            const res = await doc.send(
              new QueryCommand({
                TableName,
                KeyConditionExpression: '#pk = :pk',
                ExpressionAttributeNames: { '#pk': attr.pk },
                ExpressionAttributeValues: { ':pk': keys.accessPartition(tenantId, p) },
                ConsistentRead: true,
                ExclusiveStartKey: start,
              }),
            );
            items.push(...(res.Items ?? []));
            start = res.LastEvaluatedKey;
          } while (start);
          return items.map((i) => entryState(i, p, String(i[attr.sk]).slice('GRANT#'.length)));
        }),
      );
      return read.flat();
    },
    async tenantsToVerify(shard, limit) {
      const res = await doc.send(
        new QueryCommand({
          TableName,
          IndexName: indexes.byDueAt.name,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': indexes.byDueAt.pk },
          ExpressionAttributeValues: { ':pk': keys.verifyQueuePartition(shard) },
          Limit: limit,
        }),
      );
      return (res.Items ?? [])
        .filter((i) => typeof i.tenantId === 'string')
        .map((i) => ({ tenantId: i.tenantId as string, since: String(i[attr.gsi2sk]).split('#')[0]! }));
    },
    async verifiedToHead(tenantId, head) {
      await ifStill(
        new UpdateCommand({
          TableName,
          Key: keys.chainHead(tenantId),
          UpdateExpression: 'REMOVE #qpk, #qsk',
          ConditionExpression: '#seq = :seq AND #hash = :hash',
          ExpressionAttributeNames: { '#qpk': attr.gsi2pk, '#qsk': attr.gsi2sk, '#seq': 'seq', '#hash': 'hash' },
          ExpressionAttributeValues: { ':seq': head.seq, ':hash': head.hash },
        }),
      );
    },
    async requeueVerify(tenantId, since) {
      await ifStill(
        new UpdateCommand({
          TableName,
          Key: keys.chainHead(tenantId),
          UpdateExpression: 'SET #qsk = :qsk',
          ConditionExpression: 'attribute_exists(#qpk)',
          ExpressionAttributeNames: { '#qpk': attr.gsi2pk, '#qsk': attr.gsi2sk },
          ExpressionAttributeValues: { ':qsk': keys.verifyQueue(tenantId, since).GSI2SK },
        }),
      );
    },
  };
}
