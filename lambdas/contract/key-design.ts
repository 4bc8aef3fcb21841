/**
 * The key design's shared part: attribute names, indexes, shards and the key builders of the
 * entities that have no module entity file yet. A module's own keys live in its `entity.ts`
 * (grants and access entries, sessions), built from these; `table.ts` assembles them all.
 */

export const attr = {
  pk: 'PK',
  sk: 'SK',
  gsi1pk: 'GSI1PK',
  gsi1sk: 'GSI1SK',
  gsi2pk: 'GSI2PK',
  gsi2sk: 'GSI2SK',
  gsi3pk: 'GSI3PK',
  gsi3sk: 'GSI3SK',
  ttl: 'ttl',
  type: 'type',
} as const;

/** An item's table key. */
export interface TableKey {
  PK: string;
  SK: string;
}

/** The table key of an item. */
export const tableKeyOf = (item: Record<string, unknown>): TableKey => ({ PK: String(item[attr.pk]), SK: String(item[attr.sk]) });

/** Every attribute the key design adds to an item (keys, index keys, TTL, type tag). */
export const keyAttributes: readonly string[] = Object.values(attr);

export const indexes = {
  /**
   * Caller-centric look-ups: the grants that name an agent, every support-team grant, failed mail;
   * and a tenant's grants or requests by stored status (`STATUS#t#GRANT#ACTIVE` / `GRANT#id`).
   */
  byPrincipal: { name: 'GSI1', pk: attr.gsi1pk, sk: attr.gsi1sk },
  /** Sparse "due at" index: only items with a deadline still to act on carry these keys. */
  byDueAt: { name: 'GSI2', pk: attr.gsi2pk, sk: attr.gsi2sk },
  /**
   * Sparse "by requester" index: only access requests carry its keys (v1.1.1), so a support
   * person's own requests across tenants are one partition, newest first (`GET /v1/me/requests`).
   * An index of its own because a request's GSI1 keys are its tenant's status partition and its
   * GSI2 keys its due date while PENDING.
   */
  byRequester: { name: 'GSI3', pk: attr.gsi3pk, sk: attr.gsi3sk },
} as const;

/** Shards of the due-at index, so that no partition of it is hot. */
export const DUE_SHARDS = 16;

/** A stable shard for an id (FNV-1a), so a rerun finds an item where the write put it. */
export function shardOf(id: string, shards = DUE_SHARDS): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

/** Every tenant-owned key starts with the tenant. */
export const tenantPk = (tenantId: string) => `TENANT#${tenantId}`;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** The 10-character time prefix of a ULID made at `iso` (ULID's Crockford base32, 48-bit ms). */
export function ulidTime(iso: string): string {
  let ms = Math.max(0, Date.parse(iso));
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[ms % 32]! + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}
/** Key builders of the entities without an entity file of their own, and the shared ones (status, due). */
export const designKeys = {
  contact: (tenantId: string, email: string) => ({ PK: tenantPk(tenantId), SK: `CONTACT#${email}` }),
  contactPrefix: (tenantId: string) => ({ PK: tenantPk(tenantId), SK: 'CONTACT#' }),
  policy: (tenantId: string) => ({ PK: tenantPk(tenantId), SK: 'POLICY' }),
  request: (tenantId: string, requestId: string) => ({ PK: tenantPk(tenantId), SK: `REQUEST#${requestId}` }),
  requestPrefix: (tenantId: string) => ({ PK: tenantPk(tenantId), SK: 'REQUEST#' }),
  audit: (tenantId: string, eventId: string) => ({ PK: tenantPk(tenantId), SK: `AUDIT#${eventId}` }),
  auditPrefix: (tenantId: string) => ({ PK: tenantPk(tenantId), SK: 'AUDIT#' }),
  /**
   * How many PENDING requests an agent has at a tenant: `ADD`ed by a create (conditioned on the
   * bound), taken back by the transition that ends the request, in the same transactions.
   */
  pendingCount: (tenantId: string, agentId: string) => ({ PK: tenantPk(tenantId), SK: `PENDING#${agentId}` }),
  /** The head of a tenant's audit hash chain: the last sealed link. */
  chainHead: (tenantId: string) => ({ PK: tenantPk(tenantId), SK: 'CHAIN' }),
  /** The tenant's audit verification checkpoint: how far the chain was last verified whole. */
  auditCheckpoint: (tenantId: string) => ({ PK: tenantPk(tenantId), SK: 'CHECKPOINT' }),
  idempotency: (tenantId: string, scope: string, key: string) => ({
    PK: tenantPk(tenantId),
    SK: `IDEMPOTENCY#${scope}#${key}`,
  }),
  /**
   * GSI1 keys of a grant or request by its *stored* status, newest first like the table: a
   * filtered list reads the partition of the status it asks for.
   */
  byStatus: (tenantId: string, entity: 'GRANT' | 'REQUEST', status: string, id: string) => ({
    GSI1PK: designKeys.statusPartition(tenantId, entity, status),
    GSI1SK: `${entity}#${id}`,
  }),
  statusPartition: (tenantId: string, entity: 'GRANT' | 'REQUEST', status: string) => `STATUS#${tenantId}#${entity}#${status}`,
  /**
   * GSI3 keys of a request by its requester (the `sub` of who asked), every tenant in one
   * partition: request ids are ULIDs, so the sort key is time order across tenants.
   */
  byRequester: (requesterId: string, requestId: string) => ({
    GSI3PK: designKeys.requesterPartition(requesterId),
    GSI3SK: `REQUEST#${requestId}`,
  }),
  requesterPartition: (requesterId: string) => `REQUESTER#${requesterId}`,
  outbox: (messageId: string) => ({ PK: `OUTBOX#${messageId}`, SK: 'OUTBOX' }),
  outboxFailedIndex: () => 'OUTBOX#FAILED',
  /**
   * GSI2 keys of something that falls due: `EXPIRY#n` for grants and requests, `OUTBOX#n` for
   * mail, `SEALAFTER#n` for audit events that may not be sealed before a time (a `session.denied`
   * still counting; sharded by tenant, like `SEAL#n`). Sorted by the due time, so a reader asks
   * for what is due (`< now$`) and never reads what is not.
   */
  due: (kind: DueKind, id: string, dueAt: string, ref: string) => ({
    GSI2PK: `${kind}#${shardOf(id)}`,
    GSI2SK: `${dueAt}#${ref}`,
  }),
  duePartition: (kind: DueKind, shard: number) => `${kind}#${shard}`,
  /**
   * GSI2 keys of an audit event waiting to be sealed, due the moment it is written: sorted by
   * tenant, then time, so the sealer can take a bounded share of each tenant and skip past a busy
   * one (fair sealing). Only events due now are keyed here: one that must wait (`sealAfter`) is
   * keyed by that time in `SEALAFTER#n` (`due`), so nothing in this partition is ever skipped
   * over for not being due.
   */
  sealQueue: (tenantId: string, at: string, eventId: string) => ({
    GSI2PK: `SEAL#${shardOf(tenantId)}`,
    GSI2SK: `${tenantId}#${at}#${eventId}`,
  }),
  /** The first GSI2 sort key after every waiting event of `tenantId` (`$` sorts after `#`). */
  sealQueueAfter: (tenantId: string) => `${tenantId}$`,
  /**
   * GSI2 keys of a chain head whose tenant waits for the job's verification (`audit-watch.ts`):
   * set by every seal (keeping the time the tenant first waited), moved to the back when a
   * verification stops short, removed once the checkpoint reaches the head. Sorted by that time,
   * so the tenant waiting longest is verified first.
   */
  verifyQueue: (tenantId: string, since: string) => ({
    GSI2PK: designKeys.verifyQueuePartition(shardOf(tenantId)),
    GSI2SK: `${since}#${tenantId}`,
  }),
  verifyQueuePartition: (shard: number) => `VERIFY#${shard}`,
} as const;

export type DueKind = 'EXPIRY' | 'OUTBOX' | 'SEAL' | 'SEALAFTER';

/** The attribute definitions, key schema and indexes of the table, shared by CDK and CreateTable. */
export const tableDefinition = {
  partitionKey: attr.pk,
  sortKey: attr.sk,
  timeToLiveAttribute: attr.ttl,
  globalSecondaryIndexes: [indexes.byPrincipal, indexes.byDueAt, indexes.byRequester],
} as const;

/**
 * The `CreateTable` input for DynamoDB Local (and any test) built from the definition above.
 * `stream: false` is for tests: nothing reads the stream locally (the outbox is drained), and
 * DynamoDB Local slows down with many stream-enabled tables.
 */
export function createTableInput(tableName: string, { stream = true }: { stream?: boolean } = {}) {
  const keyAttrs = [attr.pk, attr.sk, ...tableDefinition.globalSecondaryIndexes.flatMap((i) => [i.pk, i.sk])];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: keyAttrs.map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
    KeySchema: [
      { AttributeName: attr.pk, KeyType: 'HASH' as const },
      { AttributeName: attr.sk, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: tableDefinition.globalSecondaryIndexes.map((i) => ({
      IndexName: i.name,
      KeySchema: [
        { AttributeName: i.pk, KeyType: 'HASH' as const },
        { AttributeName: i.sk, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    })),
    ...(stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' as const } } : {}),
  };
}
