/**
 * In-memory fakes of the domain's ports for unit tests: a `Store & OutboxStore` with the same
 * semantics as `lambdas/store/dynamo-store.ts` (every write an all-or-nothing transaction whose
 * conditions are checked before anything changes; a lost condition is `ConcurrentUpdateError`),
 * a clock the test moves, and time-ordered ids from that clock.
 *
 * Records go in and come out as copies, as they would through DynamoDB, so a service that mutates
 * what it read never changes what is stored.
 */
import { monotonicFactory } from 'ulid';
import type { AuditEvent, Contact, Grantee, Policy } from '../../lambdas/contract/schemas.ts';
import { shardOf } from '../../lambdas/contract/table.ts';
import { grantDueAt, requestDueAt } from '../../lambdas/store/dynamo-store.ts';
import { ConcurrentUpdateError, LimitReachedError, NotFoundError } from '../../lambdas/domain/errors.ts';
import { canonicalEmail } from '../../lambdas/domain/identity.ts';
import type {
  AccessEntry,
  Change,
  Clock,
  DueItem,
  GrantRecord,
  Ids,
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
} from '../../lambdas/domain/ports.ts';

// ---- clock and ids -------------------------------------------------------------------------------

/** A clock that stands still until the test sets or advances it. */
export class FakeClock implements Clock {
  private t: number;
  constructor(start: Date | string = '2026-11-23T14:00:00.000Z') {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  set(at: Date | string): void {
    this.t = new Date(at).getTime();
  }
  advanceMs(ms: number): Date {
    this.t += ms;
    return this.now();
  }
  advanceSeconds(s: number): Date {
    return this.advanceMs(s * 1000);
  }
  advanceHours(h: number): Date {
    return this.advanceMs(h * 3_600_000);
  }
}

/** A small deterministic PRNG (mulberry32), so the random part of the ids repeats run to run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Monotonic ULIDs stamped with the fake clock's time: ids sort in the order they were made. */
export function fakeIds(clock: Clock, seed = 42): Ids {
  const next = monotonicFactory(seeded(seed));
  return { next: () => next(clock.now().getTime()) };
}

// ---- the store ----------------------------------------------------------------------------------

const copy = <T>(v: T): T => structuredClone(v);

/** One condition-checked write of a transaction: `check` runs for all before any `apply`. */
interface TxOp {
  check(): boolean;
  apply(): void;
}

type Principal = { kind: 'team' } | { kind: 'agent'; id: string };
const principalKey = (p: Principal) => (p.kind === 'team' ? 'TEAM' : `AGENT#${p.id}`);
const principalsOf = (g: Pick<GrantRecord, 'audience' | 'grantees'>): Principal[] =>
  g.audience === 'support-team' ? [{ kind: 'team' }] : g.grantees.map((x) => ({ kind: 'agent', id: x.id }));

interface StoredOutbox extends OutboxRecord {
  /** The due-at index position (sparse): set while the message waits for a (re)try. */
  dueAt: string | null;
  ttl: number | null;
}

/** Everything the fake holds, exposed read-only for assertions that a user could make elsewhere. */
export interface MemoryStore extends Store, OutboxStore {
  /** Every audit event of a tenant, oldest first. */
  auditOf(tenantId: string): AuditEvent[];
  /** Every outbox record (any status), oldest first. */
  outboxOf(tenantId?: string): OutboxRecord[];
  /** How many access entries exist for a grant (one per principal while it is live). */
  entriesOf(tenantId: string, grantId: string): AccessEntry[];
  /** Whether a record sits in the sparse due-at index (grants and requests with a live deadline). */
  isDue(kind: 'grant' | 'request', tenantId: string, id: string): boolean;
}

/** Builds an empty in-memory store. */
export function createMemoryStore(): MemoryStore {
  const contacts = new Map<string, Map<string, Contact>>();
  const policies = new Map<string, Policy>();
  const grants = new Map<string, GrantRecord>();
  const requests = new Map<string, RequestRecord>();
  const sessions = new Map<string, SessionRecord>();
  /** Access entries keyed `tenant|principal|grant`. */
  const entries = new Map<string, AccessEntry & { principal: string }>();
  const audit = new Map<string, AuditEvent & { tenantId: string }>();
  const outbox = new Map<string, StoredOutbox>();
  /** PENDING requests per `tenant|agent`, as the table's count item keeps them. */
  const pendingCounts = new Map<string, number>();
  const countOf = (r: RequestRecord) => k(r.tenantId, r.requestedBy.id);

  const k = (tenantId: string, id: string) => `${tenantId}|${id}`;
  const entryKey = (tenantId: string, p: Principal, grantId: string) => `${tenantId}|${principalKey(p)}|${grantId}`;

  /** Yields to the event loop, as a network round trip would, so concurrent calls interleave. */
  const tick = () => new Promise<void>((r) => setImmediate(r));

  /** All conditions first, then all writes: one atomic transaction, or a lost race. */
  function transact(ops: TxOp[]): void {
    if (!ops.every((op) => op.check())) throw new ConcurrentUpdateError('the write lost a race (ConditionalCheckFailed)');
    for (const op of ops) op.apply();
  }

  const changeOps = (tenantId: string, change: Change): TxOp[] => [
    ...change.audit.map((e) => ({
      check: () => !audit.has(k(tenantId, e.eventId)),
      apply: () => void audit.set(k(tenantId, e.eventId), { ...copy(e), tenantId }),
    })),
    ...change.outbox.map((m) => ({
      check: () => !outbox.has(m.messageId),
      apply: () => void outbox.set(m.messageId, newOutbox(m)),
    })),
  ];

  const newOutbox = (m: OutboxMessage): StoredOutbox => ({
    ...copy(m),
    status: 'PENDING',
    attempts: 0,
    nextAttemptAt: m.createdAt,
    lastError: null,
    sentAt: null,
    leaseUntil: null,
    sentTo: [],
    dueAt: m.createdAt,
    ttl: null,
  });

  const entryOf = (g: GrantRecord): AccessEntry => ({
    tenantId: g.tenantId,
    grantId: g.grantId,
    scope: copy(g.scope),
    expiresAt: g.expiresAt,
    grantedBy: copy(g.grantedBy),
    createdAt: g.createdAt,
    ticketId: g.ticketId,
    reason: g.reason,
    audience: g.audience,
    grantees: g.grantees.map((x) => ({ id: x.id, email: x.email })),
  });
  const putEntryOp = (g: GrantRecord, p: Principal): TxOp => ({
    check: () => !entries.has(entryKey(g.tenantId, p, g.grantId)),
    apply: () => void entries.set(entryKey(g.tenantId, p, g.grantId), { ...entryOf(g), principal: principalKey(p) }),
  });
  const putNewGrantOps = (g: GrantRecord): TxOp[] => [
    { check: () => !grants.has(k(g.tenantId, g.grantId)), apply: () => void grants.set(k(g.tenantId, g.grantId), copy(g)) },
    ...principalsOf(g).map((p) => putEntryOp(g, p)),
  ];

  /**
   * One page, newest first by id, of the records that `keep` accepts. Looks one past the page so
   * that `next` is null exactly when nothing is left.
   */
  function pageOf<T>(all: { id: string; item: T }[], page: PageInput, keep: (t: T) => boolean = () => true): Page<T> {
    const after = page.after?.id as string | undefined;
    const found = all
      .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .filter((x) => after === undefined || x.id < after)
      .filter((x) => keep(x.item))
      .slice(0, page.limit + 1);
    const items = found.slice(0, page.limit);
    const last = items.at(-1);
    return { items: items.map((x) => copy(x.item)), next: found.length > page.limit && last ? { id: last.id } : null };
  }

  const ofTenant = <T>(map: Map<string, T>, tenantId: string, idOf: (t: T) => string) =>
    [...map.entries()].filter(([key]) => key.startsWith(`${tenantId}|`)).map(([, v]) => ({ id: idOf(v), item: v }));

  /** An open session's end, conditioned on it being open. */
  const endSessionOp = (tenantId: string, sessionId: string, end: SessionEnd): TxOp => ({
    check: () => sessions.get(k(tenantId, sessionId))?.signOutAt === null,
    apply: () => {
      const s = sessions.get(k(tenantId, sessionId))!;
      sessions.set(k(tenantId, sessionId), { ...s, signOutAt: end.at, endedBy: end.endedBy });
    },
  });

  const store: MemoryStore = {
    // ---- contacts and policy ----
    async listContacts(tenantId) {
      await tick();
      return [...(contacts.get(tenantId)?.values() ?? [])].sort((a, b) => (a.email < b.email ? -1 : 1)).map(copy);
    },
    async getContact(tenantId, email) {
      await tick();
      const c = contacts.get(tenantId)?.get(email);
      return c ? copy(c) : null;
    },
    async saveContact(tenantId, contact, expected, change) {
      await tick();
      const list = contacts.get(tenantId) ?? new Map<string, Contact>();
      contacts.set(tenantId, list);
      const unchanged = () => (expected === null ? !list.has(contact.email) : list.get(contact.email)?.name === expected.name);
      transact([{ check: unchanged, apply: () => void list.set(contact.email, copy(contact)) }, ...changeOps(tenantId, change)]);
    },
    async deleteContact(tenantId, email, change) {
      await tick();
      const list = contacts.get(tenantId);
      try {
        transact([{ check: () => list?.has(email) === true, apply: () => void list!.delete(email) }, ...changeOps(tenantId, change)]);
      } catch (e) {
        if (e instanceof ConcurrentUpdateError) throw new NotFoundError(`no contact ${email}`, { cause: e });
        throw e;
      }
    },
    async getPolicy(tenantId) {
      await tick();
      const p = policies.get(tenantId);
      return p ? copy(p) : null;
    },
    async putPolicy(tenantId, policy, change) {
      await tick();
      transact([{ check: () => true, apply: () => void policies.set(tenantId, copy(policy)) }, ...changeOps(tenantId, change)]);
    },

    // ---- grants ----
    async createGrant(grant, change) {
      await tick();
      transact([...putNewGrantOps(grant), ...changeOps(grant.tenantId, change)]);
    },
    async getGrant(tenantId, grantId) {
      await tick();
      const g = grants.get(k(tenantId, grantId));
      return g ? copy(g) : null;
    },
    async listGrants(tenantId, page, keep) {
      await tick();
      return pageOf(
        ofTenant(grants, tenantId, (g) => g.grantId),
        page,
        keep,
      );
    },
    async addGrantee(expected, grantee: Grantee, change) {
      await tick();
      const key = k(expected.tenantId, expected.grantId);
      const next: GrantRecord = { ...copy(expected), grantees: [...expected.grantees, copy(grantee)], version: expected.version + 1 };
      transact([
        {
          check: () => {
            const g = grants.get(key);
            return g?.status === 'ACTIVE' && g.version === expected.version;
          },
          apply: () => {
            const g = grants.get(key)!;
            grants.set(key, { ...g, grantees: [...g.grantees, copy(grantee)], version: next.version });
          },
        },
        putEntryOp(next, { kind: 'agent', id: grantee.id }),
        ...changeOps(expected.tenantId, change),
      ]);
      return copy(next);
    },
    async endGrant(expected, ended, sessionEnd, change, lapsed = []) {
      await tick();
      const key = k(expected.tenantId, expected.grantId);
      transact([
        ...lapsed.map((r) => ({
          check: () => requests.get(k(r.tenantId, r.requestId))?.status === 'PENDING',
          apply: () => {
            requests.set(k(r.tenantId, r.requestId), copy(r));
            pendingCounts.set(countOf(r), (pendingCounts.get(countOf(r)) ?? 0) - 1);
          },
        })),
        {
          check: () => {
            const g = grants.get(key);
            return g?.status === 'ACTIVE' && g.version === expected.version;
          },
          apply: () => void grants.set(key, copy(ended)),
        },
        ...principalsOf(expected).map((p) => ({
          check: () => true,
          apply: () => void entries.delete(entryKey(expected.tenantId, p, expected.grantId)),
        })),
        ...expected.openSessions.map((id) => endSessionOp(expected.tenantId, id, sessionEnd)),
        ...changeOps(expected.tenantId, { audit: [...change.audit, ...Object.values(sessionEnd.audit)], outbox: change.outbox }),
      ]);
    },

    async extendGrant(expected, next, now, change, request) {
      await tick();
      const key = k(expected.tenantId, expected.grantId);
      transact([
        {
          check: () => {
            const g = grants.get(key);
            return g?.status === 'ACTIVE' && g.version === expected.version && g.expiresAt !== null && g.expiresAt > now;
          },
          apply: () => {
            grants.set(key, copy(next));
            for (const p of principalsOf(next))
              entries.set(entryKey(next.tenantId, p, next.grantId), { ...entryOf(next), principal: principalKey(p) });
            for (const id of expected.openSessions) {
              const s = sessions.get(k(expected.tenantId, id));
              if (s) sessions.set(k(expected.tenantId, id), { ...s, grantExpiresAt: next.expiresAt });
            }
          },
        },
        ...(request
          ? [
              {
                check: () => {
                  const r = requests.get(k(request.expected.tenantId, request.expected.requestId));
                  return r?.status === 'PENDING' && r.version === request.expected.version;
                },
                apply: () => {
                  requests.set(k(request.expected.tenantId, request.expected.requestId), copy(request.next));
                  if (request.next.status !== 'PENDING')
                    pendingCounts.set(countOf(request.expected), (pendingCounts.get(countOf(request.expected)) ?? 0) - 1);
                },
              },
            ]
          : []),
        ...changeOps(expected.tenantId, change),
      ]);
    },
    async createExtensionRequest(request, now, change, maxPending) {
      await tick();
      const countKey = k(request.tenantId, request.requestedBy.id);
      if ((pendingCounts.get(countKey) ?? 0) >= maxPending) throw new LimitReachedError(`${maxPending} requests are PENDING already`);
      const gkey = k(request.tenantId, request.grantId!);
      transact([
        {
          check: () => {
            const g = grants.get(gkey);
            return g?.status === 'ACTIVE' && g.expiresAt !== null && g.expiresAt > now;
          },
          apply: () => {
            const g = grants.get(gkey)!;
            grants.set(gkey, { ...g, pendingExtensions: [...(g.pendingExtensions ?? []), request.requestId], version: g.version + 1 });
          },
        },
        {
          check: () => !requests.has(k(request.tenantId, request.requestId)),
          apply: () => void requests.set(k(request.tenantId, request.requestId), copy(request)),
        },
        { check: () => true, apply: () => void pendingCounts.set(countKey, (pendingCounts.get(countKey) ?? 0) + 1) },
        ...changeOps(request.tenantId, change),
      ]);
    },
    async saveGrant(expected, next, change) {
      await tick();
      const key = k(expected.tenantId, expected.grantId);
      transact([
        {
          check: () => {
            const g = grants.get(key);
            return g?.status === 'ACTIVE' && g.version === expected.version;
          },
          apply: () => void grants.set(key, copy(next)),
        },
        ...changeOps(expected.tenantId, change),
      ]);
    },
    async grantSessions(tenantId, grantId) {
      await tick();
      return [...sessions.values()]
        .filter((x) => x.tenantId === tenantId && x.grantId === grantId)
        .sort((a, b) => (a.sessionId < b.sessionId ? -1 : 1))
        .map(copy);
    },
    async listGrantSessions(tenantId, grantId, page) {
      await tick();
      return pageOf(
        ofTenant(sessions, tenantId, (s) => s.sessionId).filter((x) => x.item.grantId === grantId),
        page,
      );
    },

    // ---- access and sessions ----
    async accessEntries(tenantId, agentId) {
      await tick();
      const wanted = [`${tenantId}|AGENT#${agentId}|`, `${tenantId}|TEAM|`];
      return wanted.flatMap((prefix) =>
        [...entries.entries()]
          .filter(([key]) => key.startsWith(prefix))
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([, { principal: _p, ...e }]) => copy(e)),
      );
    },
    async grantsCovering(agentId, now) {
      await tick();
      const covered = new Set(
        [...entries.values()]
          .filter((e) => (e.principal === `AGENT#${agentId}` || e.principal === 'TEAM') && (e.expiresAt === null || e.expiresAt > now))
          .map((e) => k(e.tenantId, e.grantId)),
      );
      return [...covered].flatMap((key) => {
        const g = grants.get(key);
        return g ? [copy(g)] : [];
      });
    },
    async startSession(session, now, change) {
      await tick();
      const gkey = k(session.tenantId, session.grantId);
      const skey = k(session.tenantId, session.sessionId);
      transact([
        {
          check: () => {
            const g = grants.get(gkey);
            return g?.status === 'ACTIVE' && (g.expiresAt === null || g.expiresAt > now);
          },
          apply: () => {
            const g = grants.get(gkey)!;
            grants.set(gkey, { ...g, openSessions: [...new Set([...g.openSessions, session.sessionId])], version: g.version + 1 });
          },
        },
        { check: () => !sessions.has(skey), apply: () => void sessions.set(skey, copy(session)) },
        ...changeOps(session.tenantId, change),
      ]);
    },
    async endSession(session, change) {
      await tick();
      const gkey = k(session.tenantId, session.grantId);
      const skey = k(session.tenantId, session.sessionId);
      transact([
        { check: () => sessions.get(skey)?.signOutAt === null, apply: () => void sessions.set(skey, copy(session)) },
        {
          check: () => true,
          apply: () => {
            const g = grants.get(gkey);
            if (g)
              grants.set(gkey, { ...g, openSessions: g.openSessions.filter((id) => id !== session.sessionId), version: g.version + 1 });
          },
        },
        ...changeOps(session.tenantId, change),
      ]);
    },
    async getSession(tenantId, sessionId) {
      await tick();
      const s = sessions.get(k(tenantId, sessionId));
      return s ? copy(s) : null;
    },
    async listSessions(tenantId, page, filter = {}) {
      await tick();
      const keep = (s: SessionRecord) =>
        (!filter.from || s.signInAt >= new Date(filter.from).toISOString()) &&
        (!filter.to || s.signInAt <= new Date(filter.to).toISOString()) &&
        (!filter.accessedBy || canonicalEmail(s.accessedBy.email) === canonicalEmail(filter.accessedBy));
      return pageOf(
        ofTenant(sessions, tenantId, (s) => s.sessionId),
        page,
        keep,
      );
    },

    // ---- access requests ----
    async createRequest(request, change, maxPending) {
      await tick();
      const key = k(request.tenantId, request.requestId);
      const countKey = k(request.tenantId, request.requestedBy.id);
      // The count's condition first, as the table's transaction has it.
      if ((pendingCounts.get(countKey) ?? 0) >= maxPending) throw new LimitReachedError(`${maxPending} requests are PENDING already`);
      transact([
        { check: () => !requests.has(key), apply: () => void requests.set(key, copy(request)) },
        { check: () => true, apply: () => void pendingCounts.set(countKey, (pendingCounts.get(countKey) ?? 0) + 1) },
        ...changeOps(request.tenantId, change),
      ]);
    },
    async getRequest(tenantId, requestId) {
      await tick();
      const r = requests.get(k(tenantId, requestId));
      return r ? copy(r) : null;
    },
    async listRequests(tenantId, page, keep) {
      await tick();
      return pageOf(
        ofTenant(requests, tenantId, (r) => r.requestId),
        page,
        keep,
      );
    },
    async listRequestsBy(requesterId, page, keep) {
      await tick();
      const mine = [...requests.values()].filter((r) => r.requestedBy.id === requesterId).map((r) => ({ id: r.requestId, item: r }));
      return pageOf(mine, page, keep);
    },
    async updateRequest(expected, next, grant, change) {
      await tick();
      const key = k(expected.tenantId, expected.requestId);
      transact([
        {
          check: () => {
            const r = requests.get(key);
            return r?.status === 'PENDING' && r.version === expected.version;
          },
          apply: () => void requests.set(key, copy(next)),
        },
        ...changeOps(expected.tenantId, change),
        ...(grant ? putNewGrantOps(grant) : []),
        ...(next.status === 'PENDING'
          ? []
          : [
              {
                check: () => true,
                apply: () => void pendingCounts.set(countOf(expected), (pendingCounts.get(countOf(expected)) ?? 0) - 1),
              },
            ]),
        ...(next.kind === 'extension' && next.status !== 'PENDING' && next.grantId
          ? [
              {
                check: () => true,
                apply: () => {
                  const gkey = k(expected.tenantId, next.grantId!);
                  const g = grants.get(gkey);
                  if (g)
                    grants.set(gkey, {
                      ...g,
                      pendingExtensions: (g.pendingExtensions ?? []).filter((id) => id !== expected.requestId),
                      version: g.version + 1,
                    });
                },
              },
            ]
          : []),
      ]);
    },

    // ---- audit and due items ----
    async appendAudit(tenantId, change) {
      await tick();
      transact(changeOps(tenantId, change));
    },
    async hasAuditTrail(tenantId) {
      await tick();
      return [...audit.values()].some((e) => e.tenantId === tenantId);
    },
    async countRefusal(tenantId, event, _sealAfter) {
      await tick();
      // Nothing here seals, so a window's event always counts on.
      const held = audit.get(k(tenantId, event.eventId));
      const count = typeof held?.details.count === 'number' ? held.details.count + 1 : 1;
      audit.set(
        k(tenantId, event.eventId),
        held ? { ...held, details: { ...held.details, count } } : { ...copy(event), details: { ...event.details, count }, tenantId },
      );
      return true;
    },
    async listAudit(tenantId, page) {
      await tick();
      const events = [...audit.values()]
        .filter((e) => e.tenantId === tenantId)
        .map(({ tenantId: _t, ...e }) => ({ id: e.eventId, item: e }));
      return pageOf(events, page);
    },
    async dueItems(shard, now, page) {
      await tick();
      // The sparse index: ACTIVE grants with an end, PENDING requests; keyed `${dueAt}#${ref}`.
      const all: { sk: string; item: DueItem }[] = [
        ...[...grants.values()]
          .filter((g) => grantDueAt(g) !== null && shardOf(g.grantId) === shard)
          .map((g) => ({
            sk: `${grantDueAt(g)}#GRANT#${g.tenantId}#${g.grantId}`,
            item: { kind: 'grant' as const, tenantId: g.tenantId, id: g.grantId },
          })),
        ...[...requests.values()]
          .filter((r) => requestDueAt(r) !== null && shardOf(r.requestId) === shard)
          .map((r) => ({
            sk: `${requestDueAt(r)}#REQUEST#${r.tenantId}#${r.requestId}`,
            item: { kind: 'request' as const, tenantId: r.tenantId, id: r.requestId },
          })),
      ];
      const after = page.after?.sk as string | undefined;
      const found = all
        .filter((x) => x.sk < `${now}$` && (after === undefined || x.sk > after))
        .sort((a, b) => (a.sk < b.sk ? -1 : 1))
        .slice(0, page.limit + 1);
      const items = found.slice(0, page.limit);
      const last = items.at(-1);
      return { items: items.map((x) => x.item), next: found.length > page.limit && last ? ({ sk: last.sk } as PageKey) : null };
    },

    // ---- the outbox ----
    async getOutbox(messageId) {
      await tick();
      const m = outbox.get(messageId);
      return m ? publicOutbox(m) : null;
    },
    async dueOutbox(shard, now, limit) {
      await tick();
      return [...outbox.values()]
        .filter((m) => m.dueAt !== null && shardOf(m.messageId) === shard && `${m.dueAt}#${m.messageId}` < `${now}$`)
        .sort((a, b) => (`${a.dueAt}#${a.messageId}` < `${b.dueAt}#${b.messageId}` ? -1 : 1))
        .slice(0, limit)
        .map((m) => m.messageId);
    },
    async claimOutbox(messageId, now, leaseUntil) {
      await tick();
      // Check and set with no await between them: the conditional update of DynamoDB.
      const m = outbox.get(messageId);
      if (!m) return null;
      const free =
        (m.status === 'PENDING' && m.nextAttemptAt <= now) || (m.status === 'SENDING' && m.leaseUntil !== null && m.leaseUntil < now);
      if (!free) return null;
      const next: StoredOutbox = { ...m, status: 'SENDING', leaseUntil, attempts: m.attempts + 1 };
      outbox.set(messageId, next);
      return publicOutbox(next);
    },
    async markRecipientSent(messageId, email) {
      await tick();
      const m = outbox.get(messageId);
      if (m && !m.sentTo.includes(email)) outbox.set(messageId, { ...m, sentTo: [...m.sentTo, email] });
    },
    async markSent(messageId, now, ttl) {
      await tick();
      const m = outbox.get(messageId);
      if (m) outbox.set(messageId, { ...m, status: 'SENT', sentAt: now, ttl, lastError: null, dueAt: null, leaseUntil: null });
    },
    async markFailed(messageId, error, nextAttemptAt) {
      await tick();
      const m = outbox.get(messageId);
      if (!m) return;
      outbox.set(
        messageId,
        nextAttemptAt !== null
          ? { ...m, status: 'PENDING', lastError: error, nextAttemptAt, dueAt: nextAttemptAt, leaseUntil: null }
          : { ...m, status: 'FAILED', lastError: error, dueAt: null, leaseUntil: null },
      );
    },
    async listFailedOutbox(limit) {
      await tick();
      return [...outbox.values()]
        .filter((m) => m.status === 'FAILED')
        .sort((a, b) => (`${a.createdAt}#${a.messageId}` < `${b.createdAt}#${b.messageId}` ? -1 : 1))
        .slice(0, limit)
        .map(publicOutbox);
    },
    async redriveOutbox(messageId, now) {
      await tick();
      const m = outbox.get(messageId);
      if (m?.status !== 'FAILED') return false;
      outbox.set(messageId, { ...m, status: 'PENDING', attempts: 0, nextAttemptAt: now, dueAt: now });
      return true;
    },

    // ---- for assertions ----
    auditOf(tenantId) {
      return [...audit.values()]
        .filter((e) => e.tenantId === tenantId)
        .sort((a, b) => (a.eventId < b.eventId ? -1 : 1))
        .map(({ tenantId: _t, ...e }) => copy(e));
    },
    outboxOf(tenantId) {
      return [...outbox.values()]
        .filter((m) => tenantId === undefined || m.tenantId === tenantId)
        .sort((a, b) => (a.messageId < b.messageId ? -1 : 1))
        .map(publicOutbox);
    },
    entriesOf(tenantId, grantId) {
      return [...entries.values()]
        .filter((e) => e.tenantId === tenantId && e.grantId === grantId)
        .map(({ principal: _p, ...e }) => copy(e));
    },
    isDue(kind, tenantId, id) {
      if (kind === 'grant') {
        const g = grants.get(k(tenantId, id));
        return g?.status === 'ACTIVE' && g.expiresAt !== null;
      }
      return requests.get(k(tenantId, id))?.status === 'PENDING';
    },
  };

  function publicOutbox(m: StoredOutbox): OutboxRecord {
    const { dueAt: _d, ttl: _t, ...rest } = m;
    return copy(rest);
  }

  return store;
}
