/** Support sessions (the login history) and the access check. */
import { createHash } from 'node:crypto';
import type { Access, AuditEvent, Grant, Session } from '../../contract/schemas.ts';
import { canonicalJson } from '../../kernel/canonical-json.ts';
import {
  AccessNotGrantedError,
  ConcurrentUpdateError,
  ConflictError,
  ForbiddenError,
  GrantMismatchError,
  NotFoundError,
} from '../../kernel/errors.ts';
import { retrying } from '../../kernel/retry.ts';
import {
  actorOf,
  auditEvent,
  covers,
  entryIsLive,
  granteeOf,
  grantView,
  iso,
  latestEnd,
  outboxMessage,
  sessionView,
  widestScope,
} from '../../kernel/model.ts';
import type { AccessEntry, Deps, EntryBacking, Page, PageInput, Principal, SessionFilter, SessionRecord } from '../../kernel/ports.ts';

export interface SignInInput {
  reason: string;
  grantId?: string | undefined;
  sourceIp: string;
  userAgent: string;
}

/** Orders candidate grants: standing first, then the one that lasts longest, then the newest. */
function preferred(a: AccessEntry, b: AccessEntry): number {
  if (a.expiresAt !== b.expiresAt) {
    if (a.expiresAt === null) return -1;
    if (b.expiresAt === null) return 1;
    return a.expiresAt > b.expiresAt ? -1 : 1;
  }
  return a.grantId > b.grantId ? -1 : 1;
}

/**
 * The caller's effective access to a tenant now: one read of the access entries.
 * The widest scope of its live grants; `expiresAt` null when a standing grant covers it.
 */
export async function getAccess(deps: Deps, caller: Principal, tenantId: string): Promise<Access> {
  const now = deps.clock.now();
  const live = (await deps.store.accessEntries(tenantId, caller.id)).filter((e) => entryIsLive(e, now) && covers(e, caller));
  return {
    allowed: live.length > 0,
    scope: widestScope(live.map((e) => e.scope)),
    expiresAt: live.length > 0 ? latestEnd(live.map((e) => e.expiresAt)) : null,
    grantIds: [...new Set(live.map((e) => e.grantId))].sort(),
  };
}

/**
 * Signs a support person in to a tenant.
 * 1. Find the live grants that cover the caller (one read); with `grantId`, only that one. A named
 *    grant covers its grantee by `sub` and canonical email: a token with another email is refused.
 * 2. None: count the refusal in the agent's `session.denied` event of this minute (see
 *    `recordRefusal`; none at a tenant that has no audit trail, which does not exist) and refuse
 *    with ACCESS_NOT_GRANTED.
 * 3. Open the session in one transaction that re-checks the grant is ACTIVE and unexpired, and
 *    that the grant item itself says the scope and end the entry gave and covers the caller as the
 *    entry did, and records the session on it; so a concurrent revoke either ends it or makes the
 *    sign-in fail, and an entry the grant does not back (a copy edited or added by hand) is no
 *    access: the re-read finds it unchanged, leaves it out, and refuses if nothing else covers.
 * 4. Audit `session.started` and queue the sign-in email (sent only with the policy's
 *    `notifyOnSignIn`, decided at delivery).
 */
export async function signIn(deps: Deps, caller: Principal, tenantId: string, input: SignInInput): Promise<Session> {
  return (await openSession(deps, caller, tenantId, input)).session;
}

/** `signIn`, also answering the grant entry it signed in under (its scope and end make the session token). */
export async function openSession(
  deps: Deps,
  caller: Principal,
  tenantId: string,
  input: SignInInput,
): Promise<{ session: Session; entry: AccessEntry }> {
  const actor = actorOf(caller);
  // Entries whose grant did not say what they say. A grant that changed since the read (ended,
  // extended) had its entries deleted or rewritten with it, so the re-read sees them changed; an
  // entry read again unchanged was never backed by its grant.
  const unbacked = new Set<string>();
  // A lost race means the grant ended or changed between the read and the write: look again,
  // which denies if nothing is left.
  return retrying(async () => {
    const now = deps.clock.now();
    const entries = (await deps.store.accessEntries(tenantId, caller.id))
      .filter((e) => entryIsLive(e, now) && covers(e, caller) && !unbacked.has(canonicalJson(e)))
      .filter((e) => input.grantId === undefined || e.grantId === input.grantId)
      .sort(preferred);
    const entry = entries[0];
    if (!entry) {
      await recordRefusal(deps, now, caller, tenantId, input);
      throw new AccessNotGrantedError(
        input.grantId
          ? `grant ${input.grantId} does not give you access to this tenant now`
          : 'no active grant gives you access to this tenant',
      );
    }
    const session: SessionRecord = {
      sessionId: deps.ids.next(),
      tenantId,
      grantId: entry.grantId,
      accessedBy: actor,
      reason: input.reason,
      signInAt: iso(now),
      signOutAt: null,
      endedBy: null,
      grantedBy: entry.grantedBy,
      sourceIp: input.sourceIp,
      userAgent: input.userAgent,
      grantExpiresAt: entry.expiresAt,
    };
    const view = sessionView(session, now);
    const change = {
      audit: [
        auditEvent(deps.ids, now, actor, 'session.started', session.sessionId, {
          grantId: entry.grantId,
          reason: input.reason,
          sourceIp: input.sourceIp,
        }),
      ],
      // Always queued: delivery reads `notifyOnSignIn` and drops it when the tenant opted out,
      // which keeps the policy read off the sign-in path (two requests, not three).
      outbox: [
        outboxMessage(deps, now, tenantId, 'session.started', {
          session: view,
          scope: entry.scope,
          expiresAt: entry.expiresAt,
          ticketId: entry.ticketId ?? null,
          grantReason: entry.reason ?? null,
        }),
      ],
    };
    try {
      await deps.store.startSession(session, iso(now), change, backingOf(entry, caller));
    } catch (e) {
      if (e instanceof GrantMismatchError) unbacked.add(canonicalJson(entry));
      throw e;
    }
    return { session: view, entry };
  });
}

/** What the grant must say for `entry` to have admitted `caller`: its scope, its end, and whom it covers them as. */
function backingOf(entry: AccessEntry, caller: Principal): EntryBacking {
  if (entry.audience === 'support-team') return { entry, grantee: null };
  const grantee = granteeOf(entry, caller)!; // the entry covers the caller (`covers`)
  return { entry, grantee: { id: grantee.id, email: grantee.email } };
}

// ---- refused sign-ins: one counted event per agent per tenant per minute ----------------------

/** Refused sign-ins of one agent at one tenant within one such window share one `session.denied`. */
export const DENIED_WINDOW_MS = 60_000;
/**
 * A window's event is sealed into the chain only this long after the window ended, so that a
 * refusal decided at the window's last instant and written a little later still counts in it
 * (a refusal that arrives after the seal gets an event of its own, so none is ever lost).
 */
export const DENIED_SEAL_DELAY_MS = 60_000;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The id of an agent's `session.denied` event for a window: a ULID whose time is the window's last
 * millisecond and whose random part is a hash of the tenant and the agent, so every refusal of the
 * window names the same event, and the trail (newest first) lists it above the window's other
 * events, as the summary of its minute.
 */
export function deniedEventId(tenantId: string, agentId: string, windowStart: number): string {
  let time = '';
  for (let t = windowStart + DENIED_WINDOW_MS - 1, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32]! + time;
  const digest = createHash('sha256').update(`${tenantId}\n${agentId}`).digest();
  let random = '';
  for (let i = 0; i < 16; i++) random += CROCKFORD[digest[i]! % 32]!;
  return time + random;
}

/**
 * Records a refused sign-in without letting one agent flood the tenant's trail: the first refusal
 * of the agent in a minute writes `session.denied` (with what that refusal said) and `count: 1`;
 * every later one of the same minute adds one to its `count`, in one atomic write, so concurrent
 * refusals are all counted. The event is sealed into the hash chain once its minute (and
 * `DENIED_SEAL_DELAY_MS`) has passed, with its final count; a refusal that finds it sealed
 * already is written as an event of its own.
 */
async function recordRefusal(deps: Deps, now: Date, caller: Principal, tenantId: string, input: SignInInput): Promise<void> {
  // A tenant that has never had a change (no contact, policy, grant or request: each is audited)
  // does not exist. Its refusals are counted by the `SignInsRefused` metric alone, never in a
  // trail of their own: else any agent could make trails for made-up tenants at will, and fill
  // a shard of the sealer's queue with them.
  if (!(await deps.store.hasAuditTrail(tenantId))) return;
  const windowStart = Math.floor(now.getTime() / DENIED_WINDOW_MS) * DENIED_WINDOW_MS;
  const details = { reason: input.reason, grantId: input.grantId ?? null, sourceIp: input.sourceIp, userAgent: input.userAgent };
  const event: AuditEvent = {
    ...auditEvent(deps.ids, now, actorOf(caller), 'session.denied', input.grantId ?? caller.id, details),
    eventId: deniedEventId(tenantId, caller.id, windowStart),
  };
  const sealAfter = iso(new Date(windowStart + DENIED_WINDOW_MS + DENIED_SEAL_DELAY_MS));
  if (await deps.store.countRefusal(tenantId, event, sealAfter)) return;
  await deps.store.appendAudit(tenantId, {
    audit: [
      {
        ...auditEvent(deps.ids, now, actorOf(caller), 'session.denied', input.grantId ?? caller.id, details),
        details: { ...details, count: 1 },
      },
    ],
    outbox: [],
  });
}

/**
 * A session of the caller as it is now: what an `Idempotency-Key` replay of a sign-in answers, so a
 * session that has ended since is never shown open.
 */
export async function currentSession(deps: Deps, caller: Principal, tenantId: string, sessionId: string): Promise<Session> {
  const s = await deps.store.getSession(tenantId, sessionId);
  if (!s || s.accessedBy.id !== caller.id) throw new NotFoundError(`no session ${sessionId}`);
  return sessionView(s, deps.clock.now());
}

/**
 * Signs out. Only the session's own agent may; a session that already ended is a conflict.
 */
export async function endSession(deps: Deps, caller: Principal, tenantId: string, sessionId: string): Promise<Session> {
  const now = deps.clock.now();
  const s = await deps.store.getSession(tenantId, sessionId);
  if (!s) throw new NotFoundError(`no session ${sessionId}`);
  if (s.accessedBy.id !== caller.id) throw new ForbiddenError('only the agent of a session can end it');
  if (sessionView(s, now).signOutAt !== null) throw new ConflictError('the session has already ended');
  const ended: SessionRecord = { ...s, signOutAt: iso(now), endedBy: 'agent' };
  const change = {
    audit: [auditEvent(deps.ids, now, actorOf(caller), 'session.ended', sessionId, { grantId: s.grantId, endedBy: 'agent' })],
    outbox: [],
  };
  try {
    await deps.store.endSession(ended, change);
  } catch (e) {
    if (e instanceof ConcurrentUpdateError) throw new ConflictError('the session has already ended', { cause: e });
    throw e;
  }
  return sessionView(ended, now);
}

/** The login history, newest first; optionally only sign-ins between two times, or of one person. */
export async function listSessions(deps: Deps, tenantId: string, page: PageInput, filter: SessionFilter = {}): Promise<Page<Session>> {
  const now = deps.clock.now();
  const result = await deps.store.listSessions(tenantId, page, filter);
  return { items: result.items.map((s) => sessionView(s, now)), next: result.next };
}

/**
 * The sessions opened under one grant of the tenant, newest first (a grant of another tenant, or
 * none: 404). Who may read them is who may read the login history (the route's roles).
 */
export async function listGrantSessions(deps: Deps, tenantId: string, grantId: string, page: PageInput): Promise<Page<Session>> {
  if (!(await deps.store.getGrant(tenantId, grantId))) throw new NotFoundError(`no grant ${grantId}`);
  const now = deps.clock.now();
  const result = await deps.store.listGrantSessions(tenantId, grantId, page);
  return { items: result.items.map((s) => sessionView(s, now)), next: result.next };
}

/**
 * The ACTIVE grants that cover the caller, in every tenant, newest first: one read. The caller's
 * grants and the team's are few, so they are read whole and paged here; the position is the last
 * grant's `tenantId#grantId` in that order.
 */
export async function listMyGrants(deps: Deps, caller: Principal, page: PageInput = { limit: 100 }): Promise<Page<Grant>> {
  const now = deps.clock.now();
  const covering = await deps.store.grantsCovering(caller.id, iso(now));
  const unique = [...new Map(covering.map((g) => [`${g.tenantId}#${g.grantId}`, g])).values()];
  const sorted = unique
    .filter((g) => covers(g, caller))
    .map((g) => grantView(g, now))
    .filter((g) => g.status === 'ACTIVE')
    .sort((a, b) => (a.grantId === b.grantId ? (a.tenantId > b.tenantId ? -1 : 1) : a.grantId > b.grantId ? -1 : 1));
  const after = typeof page.after?.position === 'string' ? page.after.position : undefined;
  const start = after === undefined ? 0 : sorted.findIndex((g) => `${g.tenantId}#${g.grantId}` === after) + 1;
  const items = sorted.slice(start, start + page.limit);
  const last = items.at(-1);
  const more = start + page.limit < sorted.length;
  return { items, next: more && last ? { position: `${last.tenantId}#${last.grantId}` } : null };
}
