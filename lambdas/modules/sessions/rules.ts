/**
 * Support sessions (the login history) and the access check: the pure rules. Each takes the
 * records its orchestration (`service.ts`) read and the moment (`now`), and gives back the decision
 * (the session to write and the change it owes, the access, the page) or throws the problem. No
 * store, no `Deps`.
 */
import { createHash } from 'node:crypto';
import type { Access, AuditEvent, Grant, Session } from '../../contract/schemas.ts';
import { AccessNotGrantedError, ConflictError, ForbiddenError, NotFoundError } from '../../kernel/errors.ts';
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
import type { Change, Ids, Page, PageInput, Principal } from '../../kernel/ports.ts';
import type { AccessEntry, EntryBacking, SessionRecord } from './entity.ts';

/** Where a rule's new ids (sessions, events, messages) come from: `deps` satisfies it. */
export interface IdSource {
  ids: Ids;
}

export interface SignInInput {
  reason: string;
  grantId?: string | undefined;
  sourceIp: string;
  userAgent: string;
}

/** Orders candidate grants: standing first, then the one that lasts longest, then the newest. */
export function preferred(a: AccessEntry, b: AccessEntry): number {
  if (a.expiresAt !== b.expiresAt) {
    if (a.expiresAt === null) return -1;
    if (b.expiresAt === null) return 1;
    return a.expiresAt > b.expiresAt ? -1 : 1;
  }
  return a.grantId > b.grantId ? -1 : 1;
}

/**
 * The caller's effective access to a tenant now, from the access entries read (the agent's and the
 * team's): the widest scope of the live grants that cover the caller; `expiresAt` the latest end,
 * null when a standing grant covers it.
 */
export function accessOf(entries: AccessEntry[], caller: Principal, now: Date): Access {
  const live = entries.filter((e) => entryIsLive(e, now) && covers(e, caller));
  return {
    allowed: live.length > 0,
    scope: widestScope(live.map((e) => e.scope)),
    expiresAt: live.length > 0 ? latestEnd(live.map((e) => e.expiresAt)) : null,
    grantIds: [...new Set(live.map((e) => e.grantId))].sort(),
  };
}

/**
 * The entry a sign-in goes in under: among those live now that cover the caller (a named grant by
 * `sub` and canonical email) and are not known to be unbacked (`skip`), only `grantId`'s when it is
 * given, the preferred one (`preferred`). None: undefined.
 */
export function entryFor(
  entries: AccessEntry[],
  caller: Principal,
  now: Date,
  grantId: string | undefined,
  skip: (e: AccessEntry) => boolean = () => false,
): AccessEntry | undefined {
  return entries
    .filter((e) => entryIsLive(e, now) && covers(e, caller) && !skip(e))
    .filter((e) => grantId === undefined || e.grantId === grantId)
    .sort(preferred)[0];
}

/** The refusal of a sign-in that no live grant covers (403 ACCESS_NOT_GRANTED). */
export function notGranted(grantId: string | undefined): AccessNotGrantedError {
  return new AccessNotGrantedError(
    grantId ? `grant ${grantId} does not give you access to this tenant now` : 'no active grant gives you access to this tenant',
  );
}

/** What the grant must say for `entry` to have admitted `caller`: its scope, its end, and whom it covers them as. */
export function backingOf(entry: AccessEntry, caller: Principal): EntryBacking {
  if (entry.audience === 'support-team') return { entry, grantee: null };
  const grantee = granteeOf(entry, caller)!; // the entry covers the caller (`covers`)
  return { entry, grantee: { id: grantee.id, email: grantee.email } };
}

/** What a sign-in under `entry` writes: the open session, and `session.started` with the sign-in email. */
export interface SignInDecision {
  session: SessionRecord;
  change: Change;
  /** What the grant item must say for the write to go through (see `backing.ts`). */
  backing: EntryBacking;
}

/**
 * Opens a session under `entry` now: stamped with the grant's end (the login history shows it
 * ending there), audited `session.started`, and the sign-in email queued (sent only with the
 * policy's `notifyOnSignIn`, decided at delivery, which keeps the policy read off the sign-in path).
 */
export function decideSignIn(
  make: IdSource,
  now: Date,
  caller: Principal,
  tenantId: string,
  entry: AccessEntry,
  input: SignInInput,
): SignInDecision {
  const actor = actorOf(caller);
  const session: SessionRecord = {
    sessionId: make.ids.next(),
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
  const change: Change = {
    audit: [
      auditEvent(make.ids, now, actor, 'session.started', session.sessionId, {
        grantId: entry.grantId,
        reason: input.reason,
        sourceIp: input.sourceIp,
      }),
    ],
    outbox: [
      outboxMessage(make, now, tenantId, 'session.started', {
        session: view,
        scope: entry.scope,
        expiresAt: entry.expiresAt,
        ticketId: entry.ticketId ?? null,
        grantReason: entry.reason ?? null,
      }),
    ],
  };
  return { session, change, backing: backingOf(entry, caller) };
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

const deniedDetails = (input: SignInInput) => ({
  reason: input.reason,
  grantId: input.grantId ?? null,
  sourceIp: input.sourceIp,
  userAgent: input.userAgent,
});

/**
 * The refusal's counted event: the agent's `session.denied` of this minute (its fixed id, see
 * `deniedEventId`), with what this refusal said, not to be sealed before `sealAfter` (the window's
 * end and `DENIED_SEAL_DELAY_MS`).
 */
export function deniedInWindow(
  make: IdSource,
  now: Date,
  caller: Principal,
  tenantId: string,
  input: SignInInput,
): { event: AuditEvent; sealAfter: string } {
  const windowStart = Math.floor(now.getTime() / DENIED_WINDOW_MS) * DENIED_WINDOW_MS;
  const event: AuditEvent = {
    ...auditEvent(make.ids, now, actorOf(caller), 'session.denied', input.grantId ?? caller.id, deniedDetails(input)),
    eventId: deniedEventId(tenantId, caller.id, windowStart),
  };
  return { event, sealAfter: iso(new Date(windowStart + DENIED_WINDOW_MS + DENIED_SEAL_DELAY_MS)) };
}

/** A refusal whose window's event is sealed already: an event of its own, counting one. */
export function deniedAlone(make: IdSource, now: Date, caller: Principal, input: SignInInput): Change {
  const details = deniedDetails(input);
  return {
    audit: [
      {
        ...auditEvent(make.ids, now, actorOf(caller), 'session.denied', input.grantId ?? caller.id, details),
        details: { ...details, count: 1 },
      },
    ],
    outbox: [],
  };
}

/** A session as read, of the caller: another agent's, or none, is a 404. */
export function ownSession(s: SessionRecord | null, caller: Principal, sessionId: string): SessionRecord {
  if (!s || s.accessedBy.id !== caller.id) throw new NotFoundError(`no session ${sessionId}`);
  return s;
}

/**
 * Signs out now: only the session's own agent may (403; none: 404), and only while it is open as of
 * now (409). The ended session and its `session.ended`.
 */
export function decideEndSession(
  make: IdSource,
  now: Date,
  caller: Principal,
  s: SessionRecord | null,
  sessionId: string,
): { ended: SessionRecord; change: Change } {
  if (!s) throw new NotFoundError(`no session ${sessionId}`);
  if (s.accessedBy.id !== caller.id) throw new ForbiddenError('only the agent of a session can end it');
  if (sessionView(s, now).signOutAt !== null) throw new ConflictError('the session has already ended');
  const ended: SessionRecord = { ...s, signOutAt: iso(now), endedBy: 'agent' };
  const change: Change = {
    audit: [auditEvent(make.ids, now, actorOf(caller), 'session.ended', sessionId, { grantId: s.grantId, endedBy: 'agent' })],
    outbox: [],
  };
  return { ended, change };
}

/** A page of records as they are now. */
export const sessionsPage = (page: Page<SessionRecord>, now: Date): Page<Session> => ({
  items: page.items.map((s) => sessionView(s, now)),
  next: page.next,
});

/**
 * The caller's page of the grants read for them (their own and the team's, across tenants): each
 * once, only those covering the caller and ACTIVE now, newest first (by grant, then tenant); the
 * position is the last grant's `tenantId#grantId` in that order.
 */
export function myGrantsPage(covering: Grant[], caller: Principal, now: Date, page: PageInput): Page<Grant> {
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
