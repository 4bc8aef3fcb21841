/**
 * Pure rules over the records: what a grant, session or request *is* at a given instant, whatever
 * the stored state says, and who a caller is to a tenant.
 */
import type { AccessRequest, Actor, AuditAction, AuditEvent, Grant, Scope, Session } from '../contract/schemas.ts';
import type { Role } from '../contract/routes.ts';
import { canonicalEmail, isAsciiEmail } from './identity.ts';
import type { AccessEntry, GrantRecord, Ids, OutboxMessage, Principal, RequestRecord, SessionRecord } from './ports.ts';

export const SYSTEM = { id: 'system' } as const;

export const iso = (d: Date) => d.toISOString();
export const addHours = (d: Date, hours: number) => new Date(d.getTime() + hours * 3_600_000);

export function actorOf(p: Principal): Actor {
  return { id: p.id, email: p.email, name: p.name };
}

export const hasRole = (p: Principal, ...roles: Role[]) => roles.some((r) => p.roles.includes(r));
export const isSupport = (p: Principal) => hasRole(p, 'support-agent', 'support-lead');
/** A tenant admin or user of this very tenant. */
export const isMemberOf = (p: Principal, tenantId: string) => p.tenantId === tenantId && hasRole(p, 'tenant-admin', 'tenant-user');
export const isAdminOf = (p: Principal, tenantId: string) => p.tenantId === tenantId && hasRole(p, 'tenant-admin');

/**
 * Which of `roles` a caller acts in at a tenant, for a route whose body differs by role: the
 * tenant's admin first (a tenant role counts only for its own tenant), else the caller's first
 * other role among them; null if none.
 */
export function actingRole<R extends Role>(p: Principal, tenantId: string | null, roles: readonly R[]): R | null {
  const admin = roles.find((r) => r === 'tenant-admin');
  if (admin && tenantId !== null && isAdminOf(p, tenantId)) return admin;
  return roles.find((r) => r !== 'tenant-admin' && p.roles.includes(r)) ?? null;
}

/**
 * The caller's email may carry contact rights (approve, deny, read requests as a contact): the
 * token says it is verified, and it is ASCII after NFKC.
 */
export const hasVerifiedEmail = (p: Principal) => p.emailVerified && isAsciiEmail(p.email);

/** Same person: the same `sub`, or the same canonical email. */
export const samePerson = (p: Principal, a: Actor) => a.id === p.id || canonicalEmail(a.email) === p.email;

/**
 * A grant covers the caller: a support-team grant covers all support; a named grant covers each
 * grantee by `sub` **and** canonical email, so a token whose email differs from the grantee entry's
 * is no grantee.
 */
export const covers = (g: Pick<Grant, 'audience'> & { grantees: { id: string; email: string }[] }, p: Principal) =>
  g.audience === 'support-team' || granteeOf(g, p) !== undefined;
/** The grantee a grant names the caller as (by `sub` and canonical email), if any. */
export const granteeOf = <G extends { id: string; email: string }>(g: { grantees: G[] }, p: Principal): G | undefined =>
  g.grantees.find((x) => x.id === p.id && canonicalEmail(x.email) === p.email);

/** A deadline has passed at `now` (a standing grant has none). */
export const isPast = (deadline: string | null, now: Date) => deadline !== null && Date.parse(deadline) <= now.getTime();

/** The grant as every answer shows it: past its `expiresAt` it is EXPIRED, job or no job. */
export function grantView(g: Grant | GrantRecord, now: Date): Grant {
  const { version: _v, openSessions: _o, pendingExtensions: _p, warnAt: _w, warned: _d, ...grant } = g as GrantRecord;
  if (grant.status === 'ACTIVE' && isPast(grant.expiresAt, now)) {
    return { ...grant, status: 'EXPIRED', endedAt: grant.expiresAt, endedBy: null, endReason: 'expired' };
  }
  return grant;
}

/** The session as the login history shows it: an open session ends when its grant expires. */
export function sessionView(s: SessionRecord, now: Date): Session {
  const { grantExpiresAt, ...session } = s;
  if (session.signOutAt === null && isPast(grantExpiresAt, now)) {
    return { ...session, signOutAt: grantExpiresAt, endedBy: 'expired' };
  }
  return session;
}

/** The request as every answer shows it: PENDING past its `expiresAt` is EXPIRED. */
export function requestView(r: RequestRecord, now: Date): AccessRequest {
  const { version: _v, escalateAt: _e, escalated: _d, ...request } = r;
  if (request.status === 'PENDING' && isPast(request.expiresAt, now)) {
    return { ...request, status: 'EXPIRED' };
  }
  return request;
}

/**
 * When a grant ending at `expiresAt` warns its grantees: `minutes` before its end; null when the
 * warning is off, or when that point is not after `now` (a grant shorter than the warning window
 * is not warned the moment it starts).
 */
export function warnAtFor(expiresAt: string | null, now: Date, minutes: number): string | null {
  if (expiresAt === null || minutes <= 0) return null;
  const at = Date.parse(expiresAt) - minutes * 60_000;
  return at > now.getTime() ? iso(new Date(at)) : null;
}

/** When a request made at `now` escalates to the backup contacts; null when escalation is off. */
export const escalateAtFor = (now: Date, minutes: number): string | null =>
  minutes > 0 ? iso(new Date(now.getTime() + minutes * 60_000)) : null;

export const entryIsLive = (e: AccessEntry, now: Date) => !isPast(e.expiresAt, now);

/**
 * The widest of several scopes: the highest level; at that level every module if any grant
 * leaves modules open, else the union of the named modules.
 */
export function widestScope(scopes: Scope[]): Scope | null {
  if (scopes.length === 0) return null;
  const level = scopes.some((s) => s.level === 'full') ? 'full' : 'read-only';
  const atLevel = scopes.filter((s) => s.level === level);
  if (atLevel.some((s) => s.modules === undefined)) return { level };
  const modules = [...new Set(atLevel.flatMap((s) => s.modules ?? []))].sort();
  return { level, modules };
}

/** The latest end among live grants; null when a standing grant is among them. */
export function latestEnd(expiries: (string | null)[]): string | null {
  if (expiries.length === 0 || expiries.includes(null)) return null;
  return (expiries as string[]).reduce((a, b) => (a > b ? a : b));
}

/** Builds an audit event stamped now. */
export function auditEvent(
  ids: Ids,
  at: Date,
  actor: Actor | typeof SYSTEM,
  action: AuditAction,
  targetId: string,
  details: Record<string, unknown>,
): AuditEvent {
  return { eventId: ids.next(), at: iso(at), actor, action, targetId, details };
}

/** Builds an outbox message (the mail a change owes) stamped now; `to` names its recipients when not the contacts. */
export function outboxMessage(
  deps: { ids: Ids },
  now: Date,
  tenantId: string,
  kind: OutboxMessage['kind'],
  payload: Record<string, unknown>,
  to?: string[],
): OutboxMessage {
  return { messageId: deps.ids.next(), tenantId, kind, createdAt: iso(now), payload, ...(to ? { to } : {}) };
}
