/**
 * Fast seeding for the benchmark. The items are built here from `keys` and `attr` of the key
 * design, mirroring the shape `lambdas/store/dynamo-store.ts` writes (its `grantItem`, `entryItem`
 * and `sessionItem` are private): a grant with its GSI2 due keys while ACTIVE with an expiry, one
 * access entry per principal with its GSI1 keys, and sessions. They are written with
 * `BatchWriteItem` (25 a request, a few requests at once) instead of one transaction per grant.
 * The check of this mirroring is that the store reads them back and the job acts on them: the hot
 * path asserts that `getAccess` sees the seeded grants, and the expiry tables assert that
 * `runExpiry` expires exactly the seeded due grants (and ends their sessions).
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { attr, keys, type AccessPrincipal } from '../lambdas/contract/table.ts';
import type { GrantRecord, SessionRecord } from '../lambdas/domain/ports.ts';

type Item = Record<string, unknown>;

const AGENTS = 50;
export const agentId = (n: number) => `agent-${n % AGENTS}`;
export const GRANTOR = { id: 'admin-1', email: 'admin@tenant.example', name: 'Tenant Admin' };

/** A grant as the store keeps it. Even numbers: the whole support team; odd: one named agent. */
export function grantRecord(tenantId: string, grantId: string, n: number, createdAt: string, expiresAt: string | null): GrantRecord {
  const named = n % 2 === 1;
  return {
    grantId,
    tenantId,
    status: 'ACTIVE',
    origin: 'tenant-admin',
    requestId: null,
    ticketId: null,
    reason: 'benchmark seed',
    scope: { level: 'read-only' },
    audience: named ? 'named' : 'support-team',
    grantees: named ? [{ id: agentId(n), email: `${agentId(n)}@vendor.example`, name: 'Agent', addedAt: createdAt, addedBy: GRANTOR }] : [],
    grantedBy: GRANTOR,
    approvedBy: [],
    createdAt,
    expiresAt,
    endedAt: null,
    endedBy: null,
    endReason: null,
    version: 1,
    openSessions: [],
  };
}

const principalsOf = (g: GrantRecord): AccessPrincipal[] =>
  g.audience === 'support-team' ? [{ kind: 'team' }] : g.grantees.map((x) => ({ kind: 'agent', id: x.id }));

/** The grant item (mirrors the store's `grantItem`). */
export function grantItem(g: GrantRecord): Item {
  const { openSessions, ...rest } = g;
  return {
    ...keys.grant(g.tenantId, g.grantId),
    [attr.type]: 'grant',
    ...rest,
    ...(openSessions.length ? { openSessions: new Set(openSessions) } : {}),
    ...(g.status === 'ACTIVE' && g.expiresAt ? keys.due('EXPIRY', g.grantId, g.expiresAt, `GRANT#${g.tenantId}#${g.grantId}`) : {}),
  };
}

/** The access entry items of a live grant (mirrors the store's `entryItem`). */
export function entryItems(g: GrantRecord): Item[] {
  return principalsOf(g).map((p) => ({
    ...keys.accessEntry(g.tenantId, p, g.grantId),
    [attr.gsi1pk]: keys.principalIndex(p),
    [attr.gsi1sk]: `${g.tenantId}#${g.grantId}`,
    [attr.type]: 'access',
    tenantId: g.tenantId,
    grantId: g.grantId,
    scope: g.scope,
    expiresAt: g.expiresAt,
    grantedBy: g.grantedBy,
    createdAt: g.createdAt,
  }));
}

/** An open session under a grant (mirrors the store's `sessionItem`). */
export function sessionItem(g: GrantRecord, sessionId: string, signInAt: string): Item {
  const s: SessionRecord = {
    sessionId,
    tenantId: g.tenantId,
    grantId: g.grantId,
    accessedBy: { id: agentId(0), email: `${agentId(0)}@vendor.example`, name: 'Agent' },
    reason: 'benchmark seed',
    signInAt,
    signOutAt: null,
    endedBy: null,
    grantedBy: g.grantedBy,
    sourceIp: '127.0.0.1',
    userAgent: 'bench',
    grantExpiresAt: g.expiresAt,
  };
  return { ...keys.session(s.tenantId, s.sessionId), [attr.type]: 'session', ...s };
}

/**
 * Writes `items` with `BatchWriteItem`, 25 a request and `parallel` requests at once, retrying
 * what DynamoDB leaves unprocessed. Reports progress every `every` items.
 */
export async function batchWrite(
  doc: DynamoDBDocumentClient,
  tableName: string,
  items: Iterable<Item>,
  opts: { parallel?: number; total?: number; onProgress?: (done: number, total: number) => void; every?: number } = {},
): Promise<number> {
  const parallel = opts.parallel ?? 6;
  const every = opts.every ?? 20_000;
  const iterator = items[Symbol.iterator]();
  let done = 0;
  let nextReport = every;
  const nextBatch = (): Item[] => {
    const batch: Item[] = [];
    while (batch.length < 25) {
      const r = iterator.next();
      if (r.done) break;
      batch.push(r.value);
    }
    return batch;
  };
  const worker = async () => {
    for (let batch = nextBatch(); batch.length; batch = nextBatch()) {
      let requests = batch.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; requests.length; attempt++) {
        if (attempt > 10) throw new Error(`BatchWriteItem left ${requests.length} items unprocessed after 10 retries`);
        if (attempt) await new Promise((r) => setTimeout(r, 50 * 2 ** Math.min(attempt, 5)));
        const res = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
        requests = (res.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      }
      done += batch.length;
      if (done >= nextReport) {
        opts.onProgress?.(done, opts.total ?? Number.NaN);
        nextReport += every;
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return done;
}
