/** Grants: switching access on, widening it, reading it and ending it. */
import { MAX_GRANTEES } from '../../contract/schemas.ts';
import type { Actor, AdminGrantBody, Grant, Grantee, GranteeInput, GrantStatus, Scope, UpfrontGrantBody } from '../../contract/schemas.ts';
import { ConflictError, ForbiddenError, NoAuthorizedContactError, NotFoundError, ValidationError } from '../../kernel/errors.ts';
import { digestOf, lapsedExtensions } from './endings.ts';
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
import type { Change, Deps, GrantRecord, Page, PageInput, Principal, SessionEnd } from '../../kernel/ports.ts';
import { retrying } from '../../kernel/retry.ts';
import { getPolicy, listContacts } from '../settings/index.ts';

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
export function buildGrant(deps: Pick<Deps, 'ids'>, tenantId: string, now: Date, g: NewGrant): GrantRecord {
  const expiresAt = g.durationHours === null ? null : iso(addHours(now, g.durationHours));
  return {
    grantId: deps.ids.next(),
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
export function activationChange(deps: Pick<Deps, 'ids'>, now: Date, actor: Actor, grant: GrantRecord): Change {
  const view = grantView(grant, now);
  return {
    audit: [
      auditEvent(deps.ids, now, actor, 'grant.activated', grant.grantId, {
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
    outbox: [outboxMessage(deps, now, grant.tenantId, 'grant.activated', { grant: view, actor })],
  };
}

/**
 * Grantees are support staff: each email must be in one of the deployment's support email domains
 * (`path` names the field of the body), else a 400 naming it.
 */
function assertSupportGrantees(deps: Deps, grantees: GranteeInput[], path: (i: number) => string) {
  const domains = deps.supportEmailDomains ?? [];
  const errors = grantees.flatMap((g, i) =>
    isSupportEmail(g.email, domains)
      ? []
      : [
          {
            path: path(i),
            message: `must be a support staff email (${domains.length ? domains.map((d) => `@${d}`).join(', ') : 'no support email domain is configured'})`,
          },
        ],
  );
  if (errors.length > 0) throw new ValidationError('a grantee must be support staff', errors);
}

/**
 * An upfront approval names the contacts who approved: each on the contact list, and at least the
 * policy's `approvalsRequired` different people (by canonical email).
 */
function upfrontApprovers(contacts: { email: string; name: string }[], approvedBy: string | string[], approvalsRequired: number): Actor[] {
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

/**
 * Switches access on. A tenant admin grants directly; a support lead records an approval that an
 * authorized contact gave upfront.
 * 1. Check the body against the tenant's policy (duration cap, standing access).
 * 2. Refuse when the tenant has no authorized contact: nobody would be told.
 * 3. Named grantees must have support staff emails.
 * 4. For an upfront approval: the policy must allow it (else 403), and `approvedBy` must name at
 *    least `approvalsRequired` different authorized contacts (else 409).
 * 5. Write the ACTIVE grant, its access entries, `grant.activated` and the email in one transaction.
 */
export async function createGrant(
  deps: Deps,
  caller: Principal,
  tenantId: string,
  body: AdminGrantBody | UpfrontGrantBody,
): Promise<Grant> {
  return placeGrant(deps, caller, tenantId, grantOrder(caller, tenantId, body));
}

/** Creates the grant an order asks for (see `createGrant`). */
export async function placeGrant(deps: Deps, caller: Principal, tenantId: string, order: GrantOrder): Promise<Grant> {
  const now = deps.clock.now();
  const policy = await getPolicy(deps, tenantId);
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
  if (body.grantees) assertSupportGrantees(deps, body.grantees, (i) => `grantees.${i}.email`);
  const contacts = await listContacts(deps, tenantId);
  if (contacts.length === 0) {
    throw new NoAuthorizedContactError('the tenant has no authorized contact to tell; add one first');
  }
  const grantor = actorOf(caller);
  const grant: GrantRecord =
    order.as === 'tenant-admin'
      ? buildGrant(deps, tenantId, now, {
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
      : buildGrant(deps, tenantId, now, {
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
  await deps.store.createGrant(grant, activationChange(deps, now, grantor, grant));
  return grantView(grant, now);
}

/** One grant as it stands now; `NotFoundError` if absent. */
export async function getGrant(deps: Deps, tenantId: string, grantId: string): Promise<Grant> {
  const g = await deps.store.getGrant(tenantId, grantId);
  if (!g) throw new NotFoundError(`no grant ${grantId}`);
  return grantView(g, deps.clock.now());
}

/** Grants newest first, optionally only those in a status as of now. */
export async function listGrants(deps: Deps, tenantId: string, page: PageInput, status?: GrantStatus): Promise<Page<Grant>> {
  const now = deps.clock.now();
  const keep = (g: GrantRecord) => status === undefined || grantView(g, now).status === status;
  const result = await deps.store.listGrants(tenantId, page, keep, status === undefined ? undefined : { status, now: iso(now) });
  return { items: result.items.map((g) => grantView(g, now)), next: result.next };
}

/** Reads a grant that must be ACTIVE now; `ConflictError` otherwise. */
export async function activeGrant(deps: Deps, tenantId: string, grantId: string, now: Date): Promise<GrantRecord> {
  const g = await deps.store.getGrant(tenantId, grantId);
  if (!g) throw new NotFoundError(`no grant ${grantId}`);
  const view = grantView(g, now);
  if (view.status !== 'ACTIVE') throw new ConflictError(`the grant is ${view.status}`);
  return g;
}

/**
 * Names one more support person on an ACTIVE grant.
 * 1. Read the grant; it must be ACTIVE now and name people (a support-team grant covers everyone).
 * 2. Add the grantee and its access entry, conditioned on the version read; retry on a lost race.
 * 3. Audit `grant.grantee_added` and email the contacts in the same transaction.
 */
export async function addGrantee(deps: Deps, caller: Principal, tenantId: string, grantId: string, input: GranteeInput): Promise<Grant> {
  assertSupportGrantees(deps, [input], () => 'email');
  return retrying(async () => {
    const now = deps.clock.now();
    const g = await activeGrant(deps, tenantId, grantId, now);
    if (g.audience === 'support-team') {
      throw new ConflictError('the grant already covers the whole support team');
    }
    if (g.grantees.some((x) => x.id === input.id)) throw new ConflictError(`${input.id} is already a grantee`);
    if (g.grantees.length >= MAX_GRANTEES) throw new ConflictError('the grant names the most grantees it can');
    const grantee: Grantee = { ...input, addedAt: iso(now), addedBy: actorOf(caller) };
    const next: GrantRecord = { ...g, grantees: [...g.grantees, grantee], version: g.version + 1 };
    const change: Change = {
      audit: [auditEvent(deps.ids, now, actorOf(caller), 'grant.grantee_added', grantId, { grantee: input })],
      outbox: [outboxMessage(deps, now, tenantId, 'grant.grantee_added', { grant: grantView(next, now), grantee, actor: actorOf(caller) })],
    };
    return grantView(await deps.store.addGrantee(g, grantee, change), now);
  });
}

/**
 * What ending a grant writes: the ended record, how its open sessions end, and the change (the
 * grant's audit event, one `session.ended` per open session, the email).
 */
async function ending(deps: Deps, g: GrantRecord, now: Date, how: { revokedBy: Actor; reason: string | null } | 'expired') {
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
  const digest = digestOf(await deps.store.grantSessions(g.tenantId, g.grantId), at, endedBy);
  const extensions = await lapsedExtensions(deps, g, now);
  // The grant's event first, so the trail reads grant, then the sessions it ended.
  const grantEvent = revoked
    ? auditEvent(deps.ids, now, by, 'grant.revoked', g.grantId, { reason: how.reason, sessionsEnded: g.openSessions })
    : auditEvent(deps.ids, now, by, 'grant.expired', g.grantId, { expiresAt: at, sessionsEnded: g.openSessions });
  const sessionEnd: SessionEnd = {
    at,
    endedBy,
    audit: Object.fromEntries(
      g.openSessions.map((sessionId) => [
        sessionId,
        auditEvent(deps.ids, now, by, 'session.ended', sessionId, { grantId: g.grantId, endedBy }),
      ]),
    ),
  };
  const change: Change = {
    audit: [grantEvent, ...extensions.change.audit],
    outbox: [
      revoked
        ? outboxMessage(deps, now, g.tenantId, 'grant.revoked', { grant: grantView(ended, now), actor: by, digest })
        : outboxMessage(deps, now, g.tenantId, 'grant.expired', { grant: grantView(ended, now), digest }),
      ...extensions.change.outbox,
    ],
  };
  return { ended, sessionEnd, change, lapsed: extensions.lapsed };
}

/**
 * Ends an ACTIVE grant now.
 * 1. Only a tenant admin of the tenant, a support lead, or a named grantee may revoke.
 * 2. REVOKED, its access entries gone and its open sessions ended (`endedBy: revoked`), with
 *    `grant.revoked` and the email, in one transaction conditioned on the version read.
 * 3. A concurrent revoke or expiry wins at most once: the loser sees a conflict.
 */
export async function revokeGrant(
  deps: Deps,
  caller: Principal,
  tenantId: string,
  grantId: string,
  reason: string | undefined,
): Promise<Grant> {
  return retrying(async () => {
    const now = deps.clock.now();
    const g = await activeGrant(deps, tenantId, grantId, now);
    const mayRevoke =
      isAdminOf(caller, tenantId) ||
      hasRole(caller, 'support-lead') ||
      (hasRole(caller, 'support-agent') && g.grantees.some((x) => x.id === caller.id));
    if (!mayRevoke) throw new ForbiddenError('only a tenant admin, a support lead or a grantee can revoke this grant');
    const { ended, sessionEnd, change, lapsed } = await ending(deps, g, now, { revokedBy: actorOf(caller), reason: reason ?? null });
    await deps.store.endGrant(g, ended, sessionEnd, change, lapsed);
    return grantView(ended, now);
  });
}

/**
 * Makes the stored state of a grant catch up with its expiry (the expiry job).
 * Returns how many sessions it ended, or null when there was nothing to do (already ended,
 * not yet due): a rerun never applies twice.
 */
export async function expireGrant(deps: Deps, tenantId: string, grantId: string): Promise<number | null> {
  return retrying(async () => {
    const now = deps.clock.now();
    const g = await deps.store.getGrant(tenantId, grantId);
    if (!g || g.status !== 'ACTIVE' || !isPast(g.expiresAt, now)) return null;
    const { ended, sessionEnd, change, lapsed } = await ending(deps, g, now, 'expired');
    await deps.store.endGrant(g, ended, sessionEnd, change, lapsed);
    return g.openSessions.length;
  });
}
