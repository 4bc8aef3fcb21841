/**
 * Grants, the pure rules of switching access on, widening it and ending it: the records `service.ts`
 * read, `now` and an id source in; the records to write and the change they owe, or the problem, out.
 */
import { MAX_GRANTEES } from '../../contract/schemas.ts';
import type {
  Actor,
  AdminGrantBody,
  Contact,
  Grant,
  Grantee,
  GranteeInput,
  Policy,
  Scope,
  UpfrontGrantBody,
} from '../../contract/schemas.ts';
import { ConflictError, ForbiddenError, NoAuthorizedContactError, NotFoundError, ValidationError } from '../../kernel/errors.ts';
import { digestOf, lapse } from './endings.ts';
import { canonicalEmail, isSupportEmail } from '../../kernel/identity.ts';
import {
  actingRole,
  actorOf,
  addHours,
  auditEvent,
  grantView,
  hasRole,
  isAdminOf,
  isPast,
  iso,
  outboxMessage,
  SYSTEM,
  warnAtFor,
} from '../../kernel/model.ts';
import type { Change, Ids, Principal, RequestRecord, SessionEnd, SessionRecord } from '../../kernel/ports.ts';
import type { GrantRecord } from './entity.ts';

/** Where a rule's new ids (grants, events, messages) come from: `deps` satisfies it. */
export type IdSource = { ids: Ids };

export interface NewGrant {
  origin: Grant['origin'];
  requestId: string | null;
  ticketId: string | null;
  reason: string;
  scope: Scope;
  grantees: GranteeInput[] | undefined;
  grantedBy: Actor;
  approvedBy: Actor[];
  durationHours: number | null;
  /** The policy's `expiryWarningMinutes` (absent: no warning). */
  warningMinutes?: number;
}

/** Builds an ACTIVE grant record from a decision, stamped `now`. */
export function buildGrant(make: IdSource, tenantId: string, now: Date, g: NewGrant): GrantRecord {
  const expiresAt = g.durationHours === null ? null : iso(addHours(now, g.durationHours));
  return {
    grantId: make.ids.next(),
    tenantId,
    status: 'ACTIVE',
    origin: g.origin,
    requestId: g.requestId,
    ticketId: g.ticketId,
    reason: g.reason,
    scope: g.scope,
    audience: g.grantees ? 'named' : 'support-team',
    grantees: (g.grantees ?? []).map((x) => ({ ...x, addedAt: iso(now), addedBy: g.grantedBy })),
    grantedBy: g.grantedBy,
    approvedBy: g.approvedBy,
    createdAt: iso(now),
    expiresAt,
    endedAt: null,
    endedBy: null,
    endReason: null,
    version: 1,
    openSessions: [],
    warnAt: warnAtFor(expiresAt, now, g.warningMinutes ?? 0),
    warned: false,
  };
}

/** The audit event and the email that every activation owes, whatever its origin. */
export function activationChange(make: IdSource, now: Date, actor: Actor, grant: GrantRecord): Change {
  const view = grantView(grant, now);
  return {
    audit: [
      auditEvent(make.ids, now, actor, 'grant.activated', grant.grantId, {
        origin: grant.origin,
        requestId: grant.requestId,
        ticketId: grant.ticketId,
        audience: grant.audience,
        scope: grant.scope,
        expiresAt: grant.expiresAt,
        grantees: grant.grantees.map((g) => g.id),
        approvedBy: grant.approvedBy.map((a) => a.email),
      }),
    ],
    outbox: [outboxMessage(make, now, grant.tenantId, 'grant.activated', { grant: view, actor })],
  };
}

/**
 * Grantees are support staff: each email must be in one of the deployment's support email domains
 * (`path` names the field of the body), else a 400 naming it. No domain configured: nobody is.
 */
export function assertSupportGrantees(domains: readonly string[] | undefined, grantees: GranteeInput[], path: (i: number) => string) {
  const allowed = domains ?? [];
  const errors = grantees.flatMap((g, i) =>
    isSupportEmail(g.email, allowed)
      ? []
      : [
          {
            path: path(i),
            message: `must be a support staff email (${allowed.length ? allowed.map((d) => `@${d}`).join(', ') : 'no support email domain is configured'})`,
          },
        ],
  );
  if (errors.length > 0) throw new ValidationError('a grantee must be support staff', errors);
}

/**
 * An upfront approval names the contacts who approved: each on the contact list, and at least the
 * policy's `approvalsRequired` different people (by canonical email).
 */
export function upfrontApprovers(
  contacts: Pick<Contact, 'email' | 'name'>[],
  approvedBy: string | string[],
  approvalsRequired: number,
): Actor[] {
  const named = [...new Set((Array.isArray(approvedBy) ? approvedBy : [approvedBy]).map(canonicalEmail))];
  const byEmail = new Map(contacts.map((c) => [canonicalEmail(c.email), c]));
  const strangers = named.filter((e) => !byEmail.has(e));
  if (strangers.length > 0) {
    throw new ConflictError(
      `${strangers.join(', ')} ${strangers.length === 1 ? 'is not an authorized contact' : 'are not authorized contacts'} of this tenant`,
    );
  }
  if (named.length < approvalsRequired) {
    throw new ConflictError(
      `the tenant's policy needs ${approvalsRequired} different authorized contacts to approve; approvedBy names ${named.length}`,
    );
  }
  return named.map((e) => {
    const c = byEmail.get(e)!;
    return { id: e, email: e, name: c.name };
  });
}

/** The roles whose grant body differs: a tenant admin's direct grant, a support lead's upfront approval. */
export const GRANTING_ROLES = ['tenant-admin', 'support-lead'] as const;

/** A CreateGrant, its body decided by the caller's role once (`actingRole`), then handed on tagged. */
export type GrantOrder = { as: 'tenant-admin'; body: AdminGrantBody } | { as: 'support-lead'; body: UpfrontGrantBody };

/**
 * The order a caller's grant body makes: tagged with the role the caller acts in. A caller in
 * neither role is refused (403); a body that is not the one of that role (an upfront approval's
 * `approvedBy` from an admin, or its absence from a lead) is a 400.
 */
export function grantOrder(caller: Principal, tenantId: string, body: AdminGrantBody | UpfrontGrantBody): GrantOrder {
  const role = actingRole(caller, tenantId, GRANTING_ROLES);
  if (role === null) throw new ForbiddenError('only a tenant admin or a support lead can grant access');
  if (role === 'tenant-admin' && !('approvedBy' in body)) return { as: role, body };
  if (role === 'support-lead' && 'approvedBy' in body) return { as: role, body };
  throw new ValidationError(`this is not the body of a ${role}'s grant`, [
    {
      path: 'approvedBy',
      message: role === 'support-lead' ? 'required: the contacts who approved upfront' : 'only a support lead records an upfront approval',
    },
  ]);
}

/** What switching access on is decided from: the tenant's policy and contacts, and the deployment's support domains. */
export interface GrantingContext {
  now: Date;
  policy: Policy;
  contacts: Pick<Contact, 'email' | 'name'>[];
  supportEmailDomains: readonly string[] | undefined;
}

/**
 * What the policy and the deployment say of an order before anyone is asked: the duration cap
 * (400), upfront approvals allowed (else 403), standing access allowed (400), and named grantees
 * with support staff emails (400).
 */
export function assertOrderFits(policy: Policy, supportEmailDomains: readonly string[] | undefined, order: GrantOrder): void {
  const { body } = order;
  if (body.durationHours !== undefined && body.durationHours > policy.maxDurationHours) {
    throw new ValidationError('durationHours is over the tenant policy', [
      { path: 'durationHours', message: `must be at most ${policy.maxDurationHours} (the tenant's maxDurationHours)` },
    ]);
  }
  if (order.as === 'support-lead' && !policy.allowUpfrontApproval) {
    throw new ForbiddenError("the tenant's policy does not allow upfront approvals; ask with an access request");
  }
  if (order.as === 'tenant-admin' && order.body.standing && !policy.allowStandingAccess) {
    throw new ValidationError('standing access is not allowed', [
      { path: 'standing', message: "the tenant's policy does not allow standing access" },
    ]);
  }
  if (body.grantees) assertSupportGrantees(supportEmailDomains, body.grantees, (i) => `grantees.${i}.email`);
}

/**
 * Switches access on. A tenant admin grants directly; a support lead records an approval that an
 * authorized contact gave upfront.
 * 1. The order must fit the tenant's policy and name support staff (`assertOrderFits`).
 * 2. Refuse when the tenant has no authorized contact: nobody would be told (409).
 * 3. For an upfront approval, `approvedBy` must name at least `approvalsRequired` different
 *    authorized contacts (else 409).
 * 4. The ACTIVE grant, and `grant.activated` and the email it owes.
 */
export function decideGrant(
  make: IdSource,
  ctx: GrantingContext,
  caller: Principal,
  tenantId: string,
  order: GrantOrder,
): { grant: GrantRecord; change: Change } {
  const { now, policy, contacts } = ctx;
  assertOrderFits(policy, ctx.supportEmailDomains, order);
  if (contacts.length === 0) {
    throw new NoAuthorizedContactError('the tenant has no authorized contact to tell; add one first');
  }
  const grantor = actorOf(caller);
  const grant: GrantRecord =
    order.as === 'tenant-admin'
      ? buildGrant(make, tenantId, now, {
          origin: 'tenant-admin',
          requestId: null,
          ticketId: order.body.ticketId ?? null,
          reason: order.body.reason,
          scope: order.body.scope,
          grantees: order.body.grantees,
          grantedBy: grantor,
          approvedBy: [grantor],
          durationHours: order.body.durationHours ?? null,
          warningMinutes: policy.expiryWarningMinutes,
        })
      : buildGrant(make, tenantId, now, {
          origin: 'upfront-approval',
          requestId: null,
          ticketId: order.body.ticketId,
          reason: order.body.reason,
          scope: order.body.scope,
          grantees: order.body.grantees,
          grantedBy: grantor,
          approvedBy: upfrontApprovers(contacts, order.body.approvedBy, policy.approvalsRequired),
          durationHours: order.body.durationHours,
          warningMinutes: policy.expiryWarningMinutes,
        });
  return { grant, change: activationChange(make, now, grantor, grant) };
}

/** A grant as read: absent is a 404. */
export function found(g: GrantRecord | null, grantId: string): GrantRecord {
  if (!g) throw new NotFoundError(`no grant ${grantId}`);
  return g;
}

/** A grant as read, which must be ACTIVE now: absent 404, ended (or past its end) 409. */
export function mustBeActive(g: GrantRecord | null, grantId: string, now: Date): GrantRecord {
  const view = grantView(found(g, grantId), now);
  if (view.status !== 'ACTIVE') throw new ConflictError(`the grant is ${view.status}`);
  return g!;
}

/**
 * Names one more support person on a grant that is ACTIVE now: only a named grant (a support-team
 * grant covers everyone), not someone it names already, and at most `MAX_GRANTEES`. The grant as
 * it will be, the grantee, and `grant.grantee_added` with the contacts' email.
 */
export function decideAddGrantee(
  make: IdSource,
  now: Date,
  caller: Principal,
  g: GrantRecord,
  input: GranteeInput,
): { next: GrantRecord; grantee: Grantee; change: Change } {
  if (g.audience === 'support-team') {
    throw new ConflictError('the grant already covers the whole support team');
  }
  if (g.grantees.some((x) => x.id === input.id)) throw new ConflictError(`${input.id} is already a grantee`);
  if (g.grantees.length >= MAX_GRANTEES) throw new ConflictError('the grant names the most grantees it can');
  const actor = actorOf(caller);
  const grantee: Grantee = { ...input, addedAt: iso(now), addedBy: actor };
  const next: GrantRecord = { ...g, grantees: [...g.grantees, grantee], version: g.version + 1 };
  const change: Change = {
    audit: [auditEvent(make.ids, now, actor, 'grant.grantee_added', g.grantId, { grantee: input })],
    outbox: [outboxMessage(make, now, g.tenantId, 'grant.grantee_added', { grant: grantView(next, now), grantee, actor })],
  };
  return { next, grantee, change };
}

/** Who may revoke: a tenant admin of the tenant, a support lead, or a support agent the grant names. */
export function mayRevoke(caller: Principal, tenantId: string, g: GrantRecord): boolean {
  return (
    isAdminOf(caller, tenantId) ||
    hasRole(caller, 'support-lead') ||
    (hasRole(caller, 'support-agent') && g.grantees.some((x) => x.id === caller.id))
  );
}

/** What an ending grant's records are: its sessions (for the digest) and its extension requests (to lapse). */
export interface EndingReads {
  sessions: SessionRecord[];
  /** The requests named by `pendingExtensions`, as read (absent ones left out). */
  extensions: RequestRecord[];
}

/** What ending a grant writes. */
export interface Ending {
  ended: GrantRecord;
  /** How its open sessions end, each with its `session.ended` event. */
  sessionEnd: SessionEnd;
  /** The grant's event, the lapsed extensions' events, the contacts' email and each requester's. */
  change: Change;
  /** Its PENDING extension requests, as they end (EXPIRED). */
  lapsed: RequestRecord[];
}

/**
 * What ending a grant writes: the ended record (REVOKED now by `revokedBy`, or EXPIRED at its
 * `expiresAt` by nobody), how its open sessions end, and the change (the grant's audit event, one
 * `session.ended` per open session, the email with the digest of every session under it).
 */
export function ending(
  make: IdSource,
  now: Date,
  g: GrantRecord,
  how: { revokedBy: Actor; reason: string | null } | 'expired',
  reads: EndingReads,
): Ending {
  const revoked = how !== 'expired';
  const at = revoked ? iso(now) : (g.expiresAt as string);
  const by = revoked ? how.revokedBy : SYSTEM;
  const ended: GrantRecord = {
    ...g,
    status: revoked ? 'REVOKED' : 'EXPIRED',
    endedAt: at,
    // An expired grant was ended by nobody: `endReason` says why (its audit event names the system).
    endedBy: revoked ? how.revokedBy : null,
    endReason: revoked ? how.reason : 'expired',
    version: g.version + 1,
    openSessions: [],
    pendingExtensions: [],
  };
  const endedBy = revoked ? 'revoked' : 'expired';
  // The contacts' one email about the end is the digest of every session under the grant.
  const digest = digestOf(reads.sessions, at, endedBy);
  const extensions = lapse(make, now, g, reads.extensions);
  // The grant's event first, so the trail reads grant, then the sessions it ended.
  const grantEvent = revoked
    ? auditEvent(make.ids, now, by, 'grant.revoked', g.grantId, { reason: how.reason, sessionsEnded: g.openSessions })
    : auditEvent(make.ids, now, by, 'grant.expired', g.grantId, { expiresAt: at, sessionsEnded: g.openSessions });
  const sessionEnd: SessionEnd = {
    at,
    endedBy,
    audit: Object.fromEntries(
      g.openSessions.map((sessionId) => [
        sessionId,
        auditEvent(make.ids, now, by, 'session.ended', sessionId, { grantId: g.grantId, endedBy }),
      ]),
    ),
  };
  const change: Change = {
    audit: [grantEvent, ...extensions.change.audit],
    outbox: [
      revoked
        ? outboxMessage(make, now, g.tenantId, 'grant.revoked', { grant: grantView(ended, now), actor: by, digest })
        : outboxMessage(make, now, g.tenantId, 'grant.expired', { grant: grantView(ended, now), digest }),
      ...extensions.change.outbox,
    ],
  };
  return { ended, sessionEnd, change, lapsed: extensions.lapsed };
}

/**
 * Ends a grant that is ACTIVE now, by the caller. Only a tenant admin of the tenant, a support
 * lead, or a named grantee may (else 403): REVOKED, its open sessions ended (`endedBy: revoked`),
 * with `grant.revoked` and the email.
 */
export function decideRevoke(
  make: IdSource,
  now: Date,
  caller: Principal,
  tenantId: string,
  g: GrantRecord,
  reason: string | undefined,
  reads: EndingReads,
): Ending {
  if (!mayRevoke(caller, tenantId, g)) throw new ForbiddenError('only a tenant admin, a support lead or a grantee can revoke this grant');
  return ending(make, now, g, { revokedBy: actorOf(caller), reason: reason ?? null }, reads);
}

/** The expiry job has something to end: the grant is stored ACTIVE and its end has passed at `now`. */
export const dueToExpire = (g: GrantRecord | null, now: Date): g is GrantRecord =>
  g !== null && g.status === 'ACTIVE' && isPast(g.expiresAt, now);
