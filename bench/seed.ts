/**
 * Fast seeding for the benchmark: the items come from the store's own item builders (a grant with
 * its GSI2 due keys while ACTIVE with an expiry, one access entry per principal with its GSI1
 * keys, sessions), written with `BatchWriteItem` (25 a request, a few requests at once) instead of
 * one transaction per grant. The hot path still asserts that `getAccess` sees the seeded grants,
 * and the expiry tables that `runExpiry` expires exactly the seeded due grants.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory, type ULIDFactory } from 'ulid';
import {
  createDynamoStore,
  entryItem,
  grantItem as storeGrantItem,
  principalsOf,
  sessionItem as storeSessionItem,
} from '../lambdas/runtime/dynamo-store.ts';
import { indexes } from '../lambdas/contract/table.ts';
import type { Deps, GrantRecord, SessionRecord, Store } from '../lambdas/kernel/ports.ts';
import { ensureTable } from '../local/dynamodb.ts';
import { meteredClients, type MeteredClients } from './meter.ts';
import { timed } from './stats.ts';

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

/** The grant item, exactly as the store writes it. */
export const grantItem = storeGrantItem;

/** The access entry items of a live grant, exactly as the store writes them. */
export const entryItems = (g: GrantRecord): Item[] => principalsOf(g).map((p) => entryItem(g, p));

/** An open session under a grant, written as the store writes sessions. */
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
  return storeSessionItem(s);
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

/** A section's table on DynamoDB Local: metered clients over it, the store, and one id source. */
export interface BenchTable {
  tableName: string;
  m: MeteredClients;
  store: Store;
  /** Monotonic ULIDs; pass a time to stamp an id as made then (`ids(t0 - HOUR)`). */
  ids: ULIDFactory;
}

/** Creates `tableName` on `endpoint` and runs `body` over it with metered clients, closed afterwards. */
export async function withBenchTable<T>(
  endpoint: string,
  tableName: string,
  body: (t: BenchTable) => Promise<T>,
  opts: { stream?: boolean } = {},
): Promise<T> {
  await ensureTable(endpoint, tableName, opts);
  const m = meteredClients(endpoint);
  try {
    return await body({ tableName, m, store: createDynamoStore({ doc: m.doc, tableName }), ids: monotonicFactory() });
  } finally {
    m.destroy();
  }
}

/** The domain's dependencies with the clock stopped at `at` and ids stamped at `at` (as a job run sees them). */
export function depsAt(t: BenchTable, at: Date): Deps {
  const next = monotonicFactory();
  return { store: t.store, clock: { now: () => at }, ids: { next: () => next(at.getTime()) } };
}

/** What one metered call cost: its answer, its wall time and the meter's readings over it. */
export interface Measured<T> {
  value: T;
  wallMs: number;
  requests: number;
  byCommand: string;
  capacity: number;
  readUnits: number;
  writeUnits: number;
  capacityByCommand: string;
  /** Items the `Query` requests evaluated. */
  queryScanned: number;
  /** Of those, the items evaluated by queries of the due index (`GSI2`). */
  dueIndexScanned: number;
  transactions: number;
  retries: number;
}

/** Runs `f` with the meter reset and asking DynamoDB for consumed capacity; reads the meter after. */
export async function measured<T>(m: MeteredClients, f: () => Promise<T>): Promise<Measured<T>> {
  m.meter.reset();
  m.meter.returnCapacity = true;
  try {
    const { ms: wallMs, value } = await timed(f);
    return {
      value,
      wallMs,
      requests: m.meter.totalRequests,
      byCommand: m.meter.describeRequests(),
      capacity: m.meter.totalCapacity,
      readUnits: m.meter.readUnits,
      writeUnits: m.meter.writeUnits,
      capacityByCommand: m.meter.describeCapacity(),
      queryScanned: m.meter.queryScanned,
      dueIndexScanned: m.meter.queryScannedBy.get(indexes.byDueAt.name) ?? 0,
      transactions: m.meter.requests.get('TransactWriteItems') ?? 0,
      retries: m.meter.retries,
    };
  } finally {
    m.meter.returnCapacity = false;
  }
}
