/**
 * Access requests: support asks, the tenant's authorized contacts decide. Pure rules: the records
 * they decide on come in (read by `service.ts`), the decision comes out as the records to write and
 * the change they owe (audit events, outbox mail), or a problem is thrown. No store, no clock: the
 * moment is `at.now`, ids come from `at.ids`.
 */
import type { Contact, CreateRequestBody, Policy, RequestStatus } from '../../contract/schemas.ts';
import {
  ConflictError,
  ForbiddenError,
  LimitReachedError,
  NoAuthorizedContactError,
  NotFoundError,
  ValidationError,
} from '../../kernel/errors.ts';
import { activationChange, buildGrant } from '../grants/index.ts';
import { MAX_ASKS_PER_HOUR, MAX_PENDING_REQUESTS_PER_AGENT } from './limits.ts';
import {
  actorOf,
  addHours,
  auditEvent,
  escalateAtFor,
  hasRole,
  hasVerifiedEmail,
  isAdminOf,
  isMemberOf,
  isPast,
  iso,
  isSupport,
  outboxMessage,
  requestView,
  samePerson,
  SYSTEM,
} from '../../kernel/model.ts';
import type { Change, GrantRecord, Ids, Principal } from '../../kernel/ports.ts';
import type { RequestRecord } from './entity.ts';

export { MAX_ASKS_PER_HOUR, MAX_PENDING_REQUESTS_PER_AGENT };

/** The moment a rule decides at and where its new ids come from. */
export interface At {
  now: Date;
  ids: Ids;
}

/** A request written over the version read, with the grant it activates (if any) and the change it owes. */
export interface RequestUpdate {
  expected: RequestRecord;
  next: RequestRecord;
  grant: GrantRecord | null;
  change: Change;
}

/**
 * Whose contact entry decides whether the caller may read the tenant's requests: none for support
 * and the tenant's admins (they may), the caller's email for a verified member of the tenant, else
 * none (they may not).
 */
export function contactToRead(caller: Principal, tenantId: string): string | null {
  if (hasRole(caller, 'support-agent', 'support-lead') || isAdminOf(caller, tenantId)) return null;
  return isMemberOf(caller, tenantId) && hasVerifiedEmail(caller) ? caller.email : null;
}

/** Whose contact entry decides whether the caller may approve or deny: as `contactToRead`, but support never decides. */
export function contactToDecide(caller: Principal, tenantId: string): string | null {
  if (isSupport(caller) || !hasVerifiedEmail(caller) || isAdminOf(caller, tenantId)) return null;
  return isMemberOf(caller, tenantId) ? caller.email : null;
}

/**
 * An authorized contact is a tenant admin or user *of this tenant* whose verified, canonical email
 * is on its list (`contact`: the entry read for `contactToRead`/`contactToDecide`).
 */
function assertContact(caller: Principal, tenantId: string, contact: Contact | null) {
  if (isMemberOf(caller, tenantId) && !hasVerifiedEmail(caller)) {
    throw new ForbiddenError('contact rights need a verified email address (ASCII); verify your email and sign in again');
  }
  if (!isMemberOf(caller, tenantId) || !contact) throw new ForbiddenError('only a tenant admin or an authorized contact can do this');
}

/** A tenant admin of the tenant, or a tenant user whose email is on the contact list; support reads too. */
export function assertMayRead(caller: Principal, tenantId: string, contact: Contact | null) {
  if (hasRole(caller, 'support-agent', 'support-lead') || isAdminOf(caller, tenantId)) return;
  assertContact(caller, tenantId, contact);
}

/**
 * Who may approve or deny: a tenant admin or an authorized contact, with a verified email (a vote
 * is counted by email), and never anyone holding a support role, whatever else they hold.
 */
export function assertMayDecide(caller: Principal, tenantId: string, contact: Contact | null) {
  if (isSupport(caller)) throw new ForbiddenError('support staff never approve or deny access requests');
  if (!hasVerifiedEmail(caller)) {
    throw new ForbiddenError('approving and denying need a verified email address (ASCII); verify your email and sign in again');
  }
  if (isAdminOf(caller, tenantId)) return;
  assertContact(caller, tenantId, contact);
}

/** Nobody decides on their own request, under any account: the same `sub` or the same email. */
function assertNotRequester(caller: Principal, r: RequestRecord, what: 'approve' | 'deny') {
  if (samePerson(caller, r.requestedBy)) throw new ForbiddenError(`the requester cannot ${what} their own request`);
}

/** The request read, which must exist: else 404. */
export function found(r: RequestRecord | null, requestId: string): RequestRecord {
  if (!r) throw new NotFoundError(`no access request ${requestId}`);
  return r;
}

/** The request read, which must exist and be PENDING now: else 404, or 409 naming its status. */
export function pending(r: RequestRecord | null, requestId: string, now: Date): RequestRecord {
  const status = requestView(found(r, requestId), now).status;
  if (status !== 'PENDING') throw new ConflictError(`the request is ${status}`);
  return r!;
}

/** Which requests a list keeps: those in `status` as of now (every one without a status). */
export const inStatus =
  (status: RequestStatus | undefined, now: Date) =>
  (r: RequestRecord): boolean =>
    status === undefined || requestView(r, now).status === status;

/** The hours asked (`durationHours` of an ask, `hours` of an extension) within the tenant's `maxDurationHours`: else 400 naming them. */
export function assertWithinPolicy(hours: number, path: 'durationHours' | 'hours', policy: Policy) {
  if (hours <= policy.maxDurationHours) return;
  throw new ValidationError(`${path} is over the tenant policy`, [
    { path, message: `must be at most ${policy.maxDurationHours} (the tenant's maxDurationHours)` },
  ]);
}

/** The tenant has an authorized contact: somebody must be asked (409). */
export function assertHasContact(contacts: Contact[]) {
  if (contacts.length === 0) throw new NoAuthorizedContactError('the tenant has no authorized contact who could approve');
}

/** A new PENDING request, due to expire after `requestTtlHours` and to escalate after `escalateAfterMinutes`. */
export function pendingRequest(
  at: At,
  fields: Pick<RequestRecord, 'tenantId' | 'kind' | 'ticketId' | 'reason' | 'scope' | 'durationHours' | 'requestedBy' | 'grantId'>,
  policy: Policy,
): RequestRecord {
  return {
    requestId: at.ids.next(),
    ...fields,
    status: 'PENDING',
    requestedAt: iso(at.now),
    expiresAt: iso(addHours(at.now, policy.requestTtlHours)),
    approvals: [],
    decidedAt: null,
    decidedBy: null,
    version: 1,
    escalateAt: escalateAtFor(at.now, policy.escalateAfterMinutes),
    escalated: false,
  };
}

/**
 * Support asks for access: the PENDING request, `request.created` and the email to the primary
 * contacts (every contact when none is primary; the backups when it escalates).
 */
export function newRequest(at: At, caller: Principal, tenantId: string, body: CreateRequestBody, policy: Policy) {
  const { ticketId, reason, scope, durationHours } = body;
  const actor = actorOf(caller);
  const request = pendingRequest(
    at,
    { tenantId, kind: 'access', ticketId, reason, scope, durationHours, requestedBy: actor, grantId: null },
    policy,
  );
  const view = requestView(request, at.now);
  const change: Change = {
    audit: [auditEvent(at.ids, at.now, actor, 'request.created', request.requestId, { ticketId, scope, durationHours })],
    outbox: [
      {
        ...outboxMessage(at, at.now, tenantId, 'request.created', { request: view, approvalsRequired: policy.approvalsRequired }),
        toTier: 'primary',
      },
    ],
  };
  return { request, view, change };
}

/** The store's "too many PENDING" as the caller reads it: how many, and how to free a slot. */
export function pendingLimitReached(tenantId: string, cause: LimitReachedError): LimitReachedError {
  return new LimitReachedError(
    `you already have ${MAX_PENDING_REQUESTS_PER_AGENT} PENDING access requests at this tenant, the most one agent may have; ` +
      `cancel one (POST /v1/tenants/${tenantId}/access-requests/{requestId}/cancel) or wait until one is decided or expires`,
    { cause },
  );
}

/**
 * Before the policy is read for a vote: the request PENDING now; the requester (same `sub` or same
 * canonical email) never approves; nobody approves twice (another account with the same email is
 * the same person).
 */
export function assertMayApprove(caller: Principal, r: RequestRecord | null, requestId: string, now: Date): RequestRecord {
  const request = pending(r, requestId, now);
  assertNotRequester(caller, request, 'approve');
  if (request.approvals.some((a) => samePerson(caller, a.by))) throw new ConflictError('you have already approved this request');
  return request;
}

/**
 * A vote on a PENDING request (checked by `assertMayApprove`). When `approvalsRequired` different
 * people have approved, the request is APPROVED: an access request's named grant for the requester
 * becomes ACTIVE (`expiresAt` = now + `durationHours`, at most the policy's current
 * `maxDurationHours`, even if it was lowered since the ask) and the requester is emailed. An
 * extension request's decision comes out as `extension`: the grant it moves is read next and
 * `extensionApproval` (lifecycle.ts) finishes it.
 */
export function approval(
  at: At,
  caller: Principal,
  r: RequestRecord,
  policy: Policy,
  comment: string | undefined,
): ({ kind: 'vote' | 'approved' } & RequestUpdate) | { kind: 'extension'; expected: RequestRecord; next: RequestRecord; change: Change } {
  const { now } = at;
  const actor = actorOf(caller);
  const approvals = [...r.approvals, { by: actor, at: iso(now), ...(comment ? { comment } : {}) }];
  const final = approvals.length >= policy.approvalsRequired;
  const durationHours = Math.min(r.durationHours, policy.maxDurationHours);
  const extension = r.kind === 'extension';
  const change: Change = {
    audit: [
      auditEvent(at.ids, now, actor, 'request.approved', r.requestId, {
        comment: comment ?? null,
        approvals: approvals.length,
        approvalsRequired: policy.approvalsRequired,
        // An extension's cap is its grant's lifetime, audited in `grant.extended` (`extensionApproval`).
        ...(final && !extension && durationHours < r.durationHours
          ? { durationHours, requestedDurationHours: r.durationHours, cappedBy: 'policy.maxDurationHours' }
          : {}),
      }),
    ],
    outbox: [],
  };
  const decided = (next: RequestRecord) =>
    outboxMessage(at, now, r.tenantId, 'request.approved', { request: requestView(next, now) }, [r.requestedBy.email]);
  if (!final) return { kind: 'vote', expected: r, next: { ...r, approvals, version: r.version + 1 }, grant: null, change };
  if (extension) {
    // The request's decision, and the requester's email; `extensionApproval` adds the grant's.
    const next: RequestRecord = { ...r, approvals, version: r.version + 1, status: 'APPROVED', decidedAt: iso(now), decidedBy: actor };
    change.outbox.push(decided(next));
    return { kind: 'extension', expected: r, next, change };
  }
  const grant = buildGrant(at, r.tenantId, now, {
    origin: 'access-request',
    requestId: r.requestId,
    ticketId: r.ticketId,
    reason: r.reason,
    scope: r.scope,
    grantees: [r.requestedBy],
    grantedBy: actor,
    approvedBy: approvals.map((a) => a.by),
    durationHours,
    warningMinutes: policy.expiryWarningMinutes,
  });
  const activation = activationChange(at, now, actor, grant);
  change.audit.push(...activation.audit);
  change.outbox.push(...activation.outbox);
  const next: RequestRecord = {
    ...r,
    approvals,
    version: r.version + 1,
    status: 'APPROVED',
    decidedAt: iso(now),
    decidedBy: actor,
    grantId: grant.grantId,
  };
  change.outbox.push(decided(next));
  return { kind: 'approved', expected: r, next, grant, change };
}

/** A tenant admin or an authorized contact denies a PENDING request (not their own); the requester and every contact are emailed. */
export function denial(at: At, caller: Principal, r: RequestRecord, comment: string | undefined): RequestUpdate {
  const { now } = at;
  assertNotRequester(caller, r, 'deny');
  const actor = actorOf(caller);
  const next: RequestRecord = { ...r, status: 'DENIED', decidedAt: iso(now), decidedBy: actor, version: r.version + 1 };
  const view = requestView(next, now);
  const c = comment ?? null;
  const change: Change = {
    audit: [auditEvent(at.ids, now, actor, 'request.denied', r.requestId, { comment: c })],
    outbox: [
      outboxMessage(at, now, r.tenantId, 'request.denied', { request: view, comment: c }, [r.requestedBy.email]),
      // Every contact learns who decided, so nobody acts on the stale request email.
      outboxMessage(at, now, r.tenantId, 'request.decided', { request: view, comment: c }),
    ],
  };
  return { expected: r, next, grant: null, change };
}

/** The requester (by `sub`) withdraws a PENDING request; the contacts who were asked are emailed. */
export function cancellation(at: At, caller: Principal, read: RequestRecord | null, requestId: string): RequestUpdate {
  const { now } = at;
  const r = found(read, requestId);
  if (r.requestedBy.id !== caller.id) throw new ForbiddenError('only the requester can cancel a request');
  pending(r, requestId, now);
  const actor = actorOf(caller);
  const next: RequestRecord = { ...r, status: 'CANCELLED', decidedAt: iso(now), decidedBy: actor, version: r.version + 1 };
  const change: Change = {
    audit: [auditEvent(at.ids, now, actor, 'request.cancelled', requestId, {})],
    // The contacts who were asked (the backups too once it escalated) learn it was withdrawn, so
    // nobody acts on the stale request email.
    outbox: [
      {
        ...outboxMessage(at, now, r.tenantId, 'request.decided', { request: requestView(next, now), comment: null }),
        ...(r.escalated ? {} : { toTier: 'primary' as const }),
      },
    ],
  };
  return { expected: r, next, grant: null, change };
}

/** The expiry job's step for a request: a PENDING request past its `expiresAt` becomes EXPIRED; null when nothing is due. */
export function expiry(at: At, r: RequestRecord | null): RequestUpdate | null {
  const { now } = at;
  if (!r || r.status !== 'PENDING' || !isPast(r.expiresAt, now)) return null;
  const next: RequestRecord = { ...r, status: 'EXPIRED', version: r.version + 1 };
  const view = requestView(next, now);
  const change: Change = {
    audit: [auditEvent(at.ids, now, SYSTEM, 'request.expired', r.requestId, { expiresAt: r.expiresAt })],
    outbox: [
      outboxMessage(at, now, r.tenantId, 'request.expired', { request: view, because: 'unanswered' }, [r.requestedBy.email]),
      outboxMessage(at, now, r.tenantId, 'request.decided', { request: view, comment: null }),
    ],
  };
  return { expected: r, next, grant: null, change };
}
