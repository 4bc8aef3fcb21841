/** Access requests: support asks, the tenant's authorized contacts decide. */
import type { AccessRequest, CreateRequestBody, RequestStatus } from '../../contract/schemas.ts';
import {
  ConflictError,
  ForbiddenError,
  LimitReachedError,
  NoAuthorizedContactError,
  NotFoundError,
  ValidationError,
} from '../../kernel/errors.ts';
import { activationChange, buildGrant } from '../grants/index.ts';
import { applyExtension } from './lifecycle.ts';
import { assertAskBudget, MAX_ASKS_PER_HOUR, MAX_PENDING_REQUESTS_PER_AGENT } from './limits.ts';
import { retrying } from '../../kernel/retry.ts';
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
import type { Change, Deps, GrantRecord, Page, PageInput, Principal, RequestRecord } from '../../kernel/ports.ts';
import { getPolicy, listContacts } from '../settings/index.ts';

/**
 * A tenant admin of the tenant, or a tenant user whose email is on the contact list.
 * Support reads too; tenant users who are not contacts do not.
 */
async function assertMayRead(deps: Deps, caller: Principal, tenantId: string) {
  if (hasRole(caller, 'support-agent', 'support-lead') || isAdminOf(caller, tenantId)) return;
  await assertContact(deps, caller, tenantId);
}

/**
 * An authorized contact is a tenant admin or user *of this tenant* whose verified, canonical email
 * is on its list.
 */
async function assertContact(deps: Deps, caller: Principal, tenantId: string) {
  if (isMemberOf(caller, tenantId) && !hasVerifiedEmail(caller)) {
    throw new ForbiddenError('contact rights need a verified email address (ASCII); verify your email and sign in again');
  }
  const contact = isMemberOf(caller, tenantId) ? await deps.store.getContact(tenantId, caller.email) : null;
  if (!contact) throw new ForbiddenError('only a tenant admin or an authorized contact can do this');
}

/**
 * Who may approve or deny: a tenant admin or an authorized contact, with a verified email (a vote
 * is counted by email), and never anyone holding a support role, whatever else they hold.
 */
async function assertMayDecide(deps: Deps, caller: Principal, tenantId: string) {
  if (isSupport(caller)) throw new ForbiddenError('support staff never approve or deny access requests');
  if (!hasVerifiedEmail(caller)) {
    throw new ForbiddenError('approving and denying need a verified email address (ASCII); verify your email and sign in again');
  }
  if (isAdminOf(caller, tenantId)) return;
  await assertContact(deps, caller, tenantId);
}

/** Nobody decides on their own request, under any account: the same `sub` or the same email. */
function assertNotRequester(caller: Principal, r: RequestRecord, what: 'approve' | 'deny') {
  if (samePerson(caller, r.requestedBy)) throw new ForbiddenError(`the requester cannot ${what} their own request`);
}

export { MAX_PENDING_REQUESTS_PER_AGENT };

export { assertAskBudget, MAX_ASKS_PER_HOUR };

/**
 * Support asks for access.
 * 1. `durationHours` within the tenant's `maxDurationHours`.
 * 2. The tenant must have an authorized contact: somebody must be asked.
 * 3. Write the PENDING request (due to expire after `requestTtlHours`), `request.created` and the
 *    email to every contact in one transaction, which also counts the request among the caller's
 *    PENDING requests at the tenant and fails when `MAX_PENDING_REQUESTS_PER_AGENT` are already
 *    PENDING (409 CONFLICT: cancel one to free a slot); and at most `MAX_ASKS_PER_HOUR` asks at
 *    the tenant in an hour, whatever became of them (409 CONFLICT).
 */
export async function createRequest(deps: Deps, caller: Principal, tenantId: string, body: CreateRequestBody): Promise<AccessRequest> {
  const now = deps.clock.now();
  const policy = await getPolicy(deps, tenantId);
  if (body.durationHours > policy.maxDurationHours) {
    throw new ValidationError('durationHours is over the tenant policy', [
      { path: 'durationHours', message: `must be at most ${policy.maxDurationHours} (the tenant's maxDurationHours)` },
    ]);
  }
  if ((await listContacts(deps, tenantId)).length === 0) {
    throw new NoAuthorizedContactError('the tenant has no authorized contact who could approve');
  }
  await assertAskBudget(deps, caller, tenantId, now);
  // A lost race on the count (a concurrent create or decision of the same agent) re-reads nothing
  // and simply tries again; a full count is not a race and answers at once.
  return retrying(async () => {
    const request: RequestRecord = {
      requestId: deps.ids.next(),
      tenantId,
      kind: 'access',
      status: 'PENDING',
      ticketId: body.ticketId,
      reason: body.reason,
      scope: body.scope,
      durationHours: body.durationHours,
      requestedBy: actorOf(caller),
      requestedAt: iso(now),
      expiresAt: iso(addHours(now, policy.requestTtlHours)),
      approvals: [],
      decidedAt: null,
      decidedBy: null,
      grantId: null,
      version: 1,
      escalateAt: escalateAtFor(now, policy.escalateAfterMinutes),
      escalated: false,
    };
    const view = requestView(request, now);
    const change: Change = {
      audit: [
        auditEvent(deps.ids, now, actorOf(caller), 'request.created', request.requestId, {
          ticketId: body.ticketId,
          scope: body.scope,
          durationHours: body.durationHours,
        }),
      ],
      // The primary contacts are asked first (every contact when none is primary); the backups
      // when it escalates.
      outbox: [
        {
          ...outboxMessage(deps, now, tenantId, 'request.created', { request: view, approvalsRequired: policy.approvalsRequired }),
          toTier: 'primary',
        },
      ],
    };
    try {
      await deps.store.createRequest(request, change, MAX_PENDING_REQUESTS_PER_AGENT);
    } catch (e) {
      if (!(e instanceof LimitReachedError)) throw e;
      throw new LimitReachedError(
        `you already have ${MAX_PENDING_REQUESTS_PER_AGENT} PENDING access requests at this tenant, the most one agent may have; ` +
          `cancel one (POST /v1/tenants/${tenantId}/access-requests/{requestId}/cancel) or wait until one is decided or expires`,
        { cause: e },
      );
    }
    return view;
  });
}

/** Requests newest first, optionally only those in a status as of now. */
export async function listRequests(
  deps: Deps,
  caller: Principal,
  tenantId: string,
  page: PageInput,
  status?: RequestStatus,
): Promise<Page<AccessRequest>> {
  await assertMayRead(deps, caller, tenantId);
  const now = deps.clock.now();
  const keep = (r: RequestRecord) => status === undefined || requestView(r, now).status === status;
  const result = await deps.store.listRequests(tenantId, page, keep, status === undefined ? undefined : { status, now: iso(now) });
  return { items: result.items.map((r) => requestView(r, now)), next: result.next };
}

/**
 * The caller's own requests, every tenant, newest first, optionally in one status as of now. The
 * requester is the caller's `sub` (a request records its requester's id): nobody reads another
 * person's list through this route, whatever their roles; a tenant's requests are read per tenant.
 */
export async function listMyRequests(deps: Deps, caller: Principal, page: PageInput, status?: RequestStatus): Promise<Page<AccessRequest>> {
  const now = deps.clock.now();
  const keep = (r: RequestRecord) => r.requestedBy.id === caller.id && (status === undefined || requestView(r, now).status === status);
  const result = await deps.store.listRequestsBy(caller.id, page, keep);
  return { items: result.items.map((r) => requestView(r, now)), next: result.next };
}

export async function getRequest(deps: Deps, caller: Principal, tenantId: string, requestId: string) {
  await assertMayRead(deps, caller, tenantId);
  const r = await deps.store.getRequest(tenantId, requestId);
  if (!r) throw new NotFoundError(`no access request ${requestId}`);
  return requestView(r, deps.clock.now());
}

/** Reads a request that must be PENDING now. */
async function pendingRequest(deps: Deps, tenantId: string, requestId: string, now: Date) {
  const r = await deps.store.getRequest(tenantId, requestId);
  if (!r) throw new NotFoundError(`no access request ${requestId}`);
  const status = requestView(r, now).status;
  if (status !== 'PENDING') throw new ConflictError(`the request is ${status}`);
  return r;
}

/**
 * A tenant admin or an authorized contact approves.
 * 1. The caller holds no support role and has a verified email; the request must be PENDING now;
 *    the requester (same `sub` or same canonical email) never approves; nobody approves twice
 *    (another account with the same email is the same person).
 * 2. Record the approval. When `approvalsRequired` different people have approved, the request is
 *    APPROVED and, in the same transaction, a named grant for the requester becomes ACTIVE
 *    (`expiresAt` = now + `durationHours`, at most the policy's current `maxDurationHours`) and the
 *    contacts are emailed.
 * 3. The write is conditioned on the version read: concurrent decisions apply once.
 */
export async function approveRequest(
  deps: Deps,
  caller: Principal,
  tenantId: string,
  requestId: string,
  comment: string | undefined,
): Promise<AccessRequest> {
  await assertMayDecide(deps, caller, tenantId);
  return retrying(async () => {
    const now = deps.clock.now();
    const r = await pendingRequest(deps, tenantId, requestId, now);
    assertNotRequester(caller, r, 'approve');
    // One person, one vote: another account under the same email is the same person.
    if (r.approvals.some((a) => samePerson(caller, a.by))) throw new ConflictError('you have already approved this request');
    const policy = await getPolicy(deps, tenantId);
    const actor = actorOf(caller);
    const approvals = [...r.approvals, { by: actor, at: iso(now), ...(comment ? { comment } : {}) }];
    const final = approvals.length >= policy.approvalsRequired;
    // The policy in force when access is switched on bounds it, even if it was lowered since the ask.
    const durationHours = Math.min(r.durationHours, policy.maxDurationHours);
    let grant: GrantRecord | null = null;
    const extension = r.kind === 'extension';
    const change: Change = {
      audit: [
        auditEvent(deps.ids, now, actor, 'request.approved', requestId, {
          comment: comment ?? null,
          approvals: approvals.length,
          approvalsRequired: policy.approvalsRequired,
          // An extension's cap is its grant's lifetime, audited in `grant.extended` (`applyExtension`).
          ...(final && !extension && durationHours < r.durationHours
            ? { durationHours, requestedDurationHours: r.durationHours, cappedBy: 'policy.maxDurationHours' }
            : {}),
        }),
      ],
      outbox: [],
    };
    if (final && extension) {
      // The request's decision, and the requester's email; `applyExtension` adds the grant's.
      const next: RequestRecord = { ...r, approvals, version: r.version + 1, status: 'APPROVED', decidedAt: iso(now), decidedBy: actor };
      change.outbox.push(
        outboxMessage(deps, now, tenantId, 'request.approved', { request: requestView(next, now) }, [r.requestedBy.email]),
      );
      await applyExtension(deps, now, actor, r, next, policy, change);
      return requestView(next, now);
    }
    if (final) {
      grant = buildGrant(deps, tenantId, now, {
        origin: 'access-request',
        requestId,
        ticketId: r.ticketId,
        reason: r.reason,
        scope: r.scope,
        grantees: [r.requestedBy],
        grantedBy: actor,
        approvedBy: approvals.map((a) => a.by),
        durationHours,
        warningMinutes: policy.expiryWarningMinutes,
      });
      const activation = activationChange(deps, now, actor, grant);
      change.audit.push(...activation.audit);
      change.outbox.push(...activation.outbox);
    }
    const next: RequestRecord = {
      ...r,
      approvals,
      version: r.version + 1,
      ...(final && grant ? { status: 'APPROVED', decidedAt: iso(now), decidedBy: actor, grantId: grant.grantId } : {}),
    };
    if (final)
      change.outbox.push(
        outboxMessage(deps, now, tenantId, 'request.approved', { request: requestView(next, now) }, [r.requestedBy.email]),
      );
    await deps.store.updateRequest(r, next, grant, change);
    return requestView(next, now);
  });
}

/** A tenant admin or an authorized contact denies; the requester is emailed. */
export async function denyRequest(
  deps: Deps,
  caller: Principal,
  tenantId: string,
  requestId: string,
  comment: string | undefined,
): Promise<AccessRequest> {
  await assertMayDecide(deps, caller, tenantId);
  return retrying(async () => {
    const now = deps.clock.now();
    const r = await pendingRequest(deps, tenantId, requestId, now);
    assertNotRequester(caller, r, 'deny');
    const actor = actorOf(caller);
    const next: RequestRecord = { ...r, status: 'DENIED', decidedAt: iso(now), decidedBy: actor, version: r.version + 1 };
    const view = requestView(next, now);
    await deps.store.updateRequest(r, next, null, {
      audit: [auditEvent(deps.ids, now, actor, 'request.denied', requestId, { comment: comment ?? null })],
      outbox: [
        outboxMessage(deps, now, tenantId, 'request.denied', { request: view, comment: comment ?? null }, [r.requestedBy.email]),
        // Every contact learns who decided, so nobody acts on the stale request email.
        outboxMessage(deps, now, tenantId, 'request.decided', { request: view, comment: comment ?? null }),
      ],
    });
    return view;
  });
}

/** The requester withdraws a PENDING request; the contacts who were asked are emailed. */
export async function cancelRequest(deps: Deps, caller: Principal, tenantId: string, requestId: string) {
  return retrying(async () => {
    const now = deps.clock.now();
    const r = await deps.store.getRequest(tenantId, requestId);
    if (!r) throw new NotFoundError(`no access request ${requestId}`);
    if (r.requestedBy.id !== caller.id) throw new ForbiddenError('only the requester can cancel a request');
    const status = requestView(r, now).status;
    if (status !== 'PENDING') throw new ConflictError(`the request is ${status}`);
    const actor = actorOf(caller);
    const next: RequestRecord = { ...r, status: 'CANCELLED', decidedAt: iso(now), decidedBy: actor, version: r.version + 1 };
    await deps.store.updateRequest(r, next, null, {
      audit: [auditEvent(deps.ids, now, actor, 'request.cancelled', requestId, {})],
      // The contacts who were asked (the backups too once it escalated) learn it was withdrawn, so
      // nobody acts on the stale request email.
      outbox: [
        {
          ...outboxMessage(deps, now, tenantId, 'request.decided', { request: requestView(next, now), comment: null }),
          ...(r.escalated ? {} : { toTier: 'primary' as const }),
        },
      ],
    });
    return requestView(next, now);
  });
}

/** The expiry job's step for a request; false when there was nothing to do. */
export async function expireRequest(deps: Deps, tenantId: string, requestId: string): Promise<boolean> {
  return retrying(async () => {
    const now = deps.clock.now();
    const r = await deps.store.getRequest(tenantId, requestId);
    if (!r || r.status !== 'PENDING' || !isPast(r.expiresAt, now)) return false;
    const next: RequestRecord = { ...r, status: 'EXPIRED', version: r.version + 1 };
    const view = requestView(next, now);
    await deps.store.updateRequest(r, next, null, {
      audit: [auditEvent(deps.ids, now, SYSTEM, 'request.expired', requestId, { expiresAt: r.expiresAt })],
      outbox: [
        outboxMessage(deps, now, tenantId, 'request.expired', { request: view, because: 'unanswered' }, [r.requestedBy.email]),
        outboxMessage(deps, now, tenantId, 'request.decided', { request: view, comment: null }),
      ],
    });
    return true;
  });
}
