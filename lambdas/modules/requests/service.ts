/**
 * The requests module's use cases, orchestrated: read the records from the store, let the pure
 * rule (`rules.ts`, `lifecycle.ts`) decide, commit what it returns in one conditional transaction
 * through the store (`store.ts` over the kernel's `transact`). A lost race re-reads and decides
 * again (`retrying`). Nothing here decides anything.
 */
import type { AccessRequest, CreateRequestBody, RequestStatus } from '../../contract/schemas.ts';
import { LimitReachedError } from '../../kernel/errors.ts';
import { actorOf, requestView } from '../../kernel/model.ts';
import type { Deps, Page, PageInput, Principal } from '../../kernel/ports.ts';
import { retrying } from '../../kernel/retry.ts';
import { getPolicy, listContacts } from '../settings/index.ts';
import type { RequestRecord } from './entity.ts';
import { extensionApproval } from './lifecycle.ts';
import { countAsks, MAX_PENDING_REQUESTS_PER_AGENT as MAX_PENDING } from './limits.ts';
import {
  approval,
  assertHasContact,
  assertMayApprove,
  assertMayDecide,
  assertMayRead,
  assertWithinPolicy,
  type At,
  cancellation,
  contactToDecide,
  contactToRead,
  denial,
  expiry,
  found,
  inStatus,
  newRequest,
  pending,
  pendingLimitReached,
  type RequestUpdate,
} from './rules.ts';

/** The moment now and the deployment's ids, for a rule. */
export const atNow = (deps: Deps): At => ({ now: deps.clock.now(), ids: deps.ids });

const contactOf = (deps: Deps, tenantId: string, email: string | null) => (email === null ? null : deps.store.getContact(tenantId, email));

async function mayRead(deps: Deps, caller: Principal, tenantId: string) {
  assertMayRead(caller, tenantId, await contactOf(deps, tenantId, contactToRead(caller, tenantId)));
}

async function mayDecide(deps: Deps, caller: Principal, tenantId: string) {
  assertMayDecide(caller, tenantId, await contactOf(deps, tenantId, contactToDecide(caller, tenantId)));
}

const commit = (deps: Deps, u: RequestUpdate) => deps.store.updateRequest(u.expected, u.next, u.grant, u.change);

/**
 * The ask budget (`countAsks`): the caller's own requests newest first (GSI3), read only as far
 * back as the hour before `now`.
 */
export async function assertAskBudget(deps: Deps, caller: Principal, tenantId: string, now: Date): Promise<void> {
  let opened = 0;
  let after: PageInput['after'];
  for (;;) {
    const page = await deps.store.listRequestsBy(caller.id, { limit: 25, ...(after ? { after } : {}) }, () => true);
    const counted = countAsks(page.items, tenantId, now, opened);
    if (!page.next || !counted.more) return;
    opened = counted.opened;
    after = page.next;
  }
}

/**
 * Support asks for access (`newRequest`), within the policy, with somebody to ask and within the
 * ask budget; the write also counts it among the caller's PENDING requests at the tenant and fails
 * when `MAX_PENDING_REQUESTS_PER_AGENT` are already PENDING (409: cancel one to free a slot).
 */
export async function createRequest(deps: Deps, caller: Principal, tenantId: string, body: CreateRequestBody): Promise<AccessRequest> {
  const now = deps.clock.now();
  const policy = await getPolicy(deps, tenantId);
  assertWithinPolicy(body.durationHours, 'durationHours', policy);
  assertHasContact(await listContacts(deps, tenantId));
  await assertAskBudget(deps, caller, tenantId, now);
  // A lost race on the count (a concurrent create or decision of the same agent) re-reads nothing
  // and simply tries again; a full count is not a race and answers at once.
  return retrying(async () => {
    const { request, view, change } = newRequest({ now, ids: deps.ids }, caller, tenantId, body, policy);
    try {
      await deps.store.createRequest(request, change, MAX_PENDING);
    } catch (e) {
      if (!(e instanceof LimitReachedError)) throw e;
      throw pendingLimitReached(tenantId, e);
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
  await mayRead(deps, caller, tenantId);
  const now = deps.clock.now();
  const result = await deps.store.listRequests(
    tenantId,
    page,
    inStatus(status, now),
    status === undefined ? undefined : { status, now: now.toISOString() },
  );
  return { items: result.items.map((r) => requestView(r, now)), next: result.next };
}

/**
 * The caller's own requests, every tenant, newest first, optionally in one status as of now. The
 * requester is the caller's `sub` (a request records its requester's id): nobody reads another
 * person's list through this route, whatever their roles; a tenant's requests are read per tenant.
 */
export async function listMyRequests(deps: Deps, caller: Principal, page: PageInput, status?: RequestStatus): Promise<Page<AccessRequest>> {
  const now = deps.clock.now();
  const inIt = inStatus(status, now);
  const keep = (r: RequestRecord) => r.requestedBy.id === caller.id && inIt(r);
  const result = await deps.store.listRequestsBy(caller.id, page, keep);
  return { items: result.items.map((r) => requestView(r, now)), next: result.next };
}

export async function getRequest(deps: Deps, caller: Principal, tenantId: string, requestId: string) {
  await mayRead(deps, caller, tenantId);
  const r = found(await deps.store.getRequest(tenantId, requestId), requestId);
  return requestView(r, deps.clock.now());
}

/**
 * A tenant admin or an authorized contact approves (`assertMayApprove`, then `approval` on the
 * policy in force now); the deciding vote on an extension moves its grant (`extensionApproval`) in
 * the same transaction. The write is conditioned on the version read: concurrent decisions apply once.
 */
export async function approveRequest(
  deps: Deps,
  caller: Principal,
  tenantId: string,
  requestId: string,
  comment: string | undefined,
): Promise<AccessRequest> {
  await mayDecide(deps, caller, tenantId);
  return retrying(async () => {
    const at = atNow(deps);
    const r = assertMayApprove(caller, await deps.store.getRequest(tenantId, requestId), requestId, at.now);
    const policy = await getPolicy(deps, tenantId);
    const decision = approval(at, caller, r, policy, comment);
    if (decision.kind === 'extension') {
      const g = await deps.store.getGrant(tenantId, r.grantId!);
      const ext = extensionApproval(at, actorOf(caller), g, r, policy, decision.change);
      await deps.store.extendGrant(ext.expected, ext.next, at.now.toISOString(), ext.change, { expected: r, next: decision.next });
    } else {
      await commit(deps, decision);
    }
    return requestView(decision.next, at.now);
  });
}

/** A tenant admin or an authorized contact denies (`denial`); the requester is emailed. */
export async function denyRequest(
  deps: Deps,
  caller: Principal,
  tenantId: string,
  requestId: string,
  comment: string | undefined,
): Promise<AccessRequest> {
  await mayDecide(deps, caller, tenantId);
  return retrying(async () => {
    const at = atNow(deps);
    const u = denial(at, caller, pending(await deps.store.getRequest(tenantId, requestId), requestId, at.now), comment);
    await commit(deps, u);
    return requestView(u.next, at.now);
  });
}

/** The requester withdraws a PENDING request (`cancellation`). */
export async function cancelRequest(deps: Deps, caller: Principal, tenantId: string, requestId: string) {
  return retrying(async () => {
    const at = atNow(deps);
    const u = cancellation(at, caller, await deps.store.getRequest(tenantId, requestId), requestId);
    await commit(deps, u);
    return requestView(u.next, at.now);
  });
}

/** The expiry job's step for a request (`expiry`); false when there was nothing to do. */
export async function expireRequest(deps: Deps, tenantId: string, requestId: string): Promise<boolean> {
  return retrying(async () => {
    const u = expiry(atNow(deps), await deps.store.getRequest(tenantId, requestId));
    if (!u) return false;
    await commit(deps, u);
    return true;
  });
}

export { MAX_ASKS_PER_HOUR, MAX_PENDING_REQUESTS_PER_AGENT } from './limits.ts';
