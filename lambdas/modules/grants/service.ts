/**
 * Grants, orchestrated: each use case reads the records its rule needs from the store, calls the
 * pure rule (`rules.ts`) with the moment, and commits what the rule decided in one conditional
 * transaction (the store's methods, over the kernel's `transact`). A lost race reads again
 * (`retrying`).
 */
import type { AdminGrantBody, Grant, GranteeInput, GrantStatus, UpfrontGrantBody } from '../../contract/schemas.ts';
import { grantView, iso } from '../../kernel/model.ts';
import type { Deps, Page, PageInput, Principal, RequestRecord } from '../../kernel/ports.ts';
import { retrying } from '../../kernel/retry.ts';
import { getPolicy, listContacts } from '../settings/index.ts';
import type { GrantRecord } from './entity.ts';
import {
  assertOrderFits,
  assertSupportGrantees,
  decideAddGrantee,
  decideGrant,
  decideRevoke,
  dueToExpire,
  ending,
  type EndingReads,
  found,
  grantOrder,
  type GrantOrder,
  mustBeActive,
} from './rules.ts';

/** Switches access on (see `decideGrant`), the caller's body read as the role they act in. */
export async function createGrant(
  deps: Deps,
  caller: Principal,
  tenantId: string,
  body: AdminGrantBody | UpfrontGrantBody,
): Promise<Grant> {
  return placeGrant(deps, caller, tenantId, grantOrder(caller, tenantId, body));
}

/** Creates the grant an order asks for: reads the policy and contacts, writes the grant, its access entries, its event and email. */
export async function placeGrant(deps: Deps, caller: Principal, tenantId: string, order: GrantOrder): Promise<Grant> {
  const now = deps.clock.now();
  const policy = await getPolicy(deps, tenantId);
  // What the policy alone refuses is refused before the contacts are read.
  assertOrderFits(policy, deps.supportEmailDomains, order);
  const contacts = await listContacts(deps, tenantId);
  const { grant, change } = decideGrant(
    deps,
    { now, policy, contacts, supportEmailDomains: deps.supportEmailDomains },
    caller,
    tenantId,
    order,
  );
  await deps.store.createGrant(grant, change);
  return grantView(grant, now);
}

/** One grant as it stands now; `NotFoundError` if absent. */
export async function getGrant(deps: Deps, tenantId: string, grantId: string): Promise<Grant> {
  return grantView(found(await deps.store.getGrant(tenantId, grantId), grantId), deps.clock.now());
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
  return mustBeActive(await deps.store.getGrant(tenantId, grantId), grantId, now);
}

/**
 * Names one more support person on an ACTIVE grant (see `decideAddGrantee`): the grantee and its
 * access entry, conditioned on the version read; a lost race reads again.
 */
export async function addGrantee(deps: Deps, caller: Principal, tenantId: string, grantId: string, input: GranteeInput): Promise<Grant> {
  assertSupportGrantees(deps.supportEmailDomains, [input], () => 'email');
  return retrying(async () => {
    const now = deps.clock.now();
    const g = await activeGrant(deps, tenantId, grantId, now);
    const { grantee, change } = decideAddGrantee(deps, now, caller, g, input);
    return grantView(await deps.store.addGrantee(g, grantee, change), now);
  });
}

/** What ending `g` reads besides it: every session under it and its extension requests. */
async function endingReads(deps: Deps, g: GrantRecord): Promise<EndingReads> {
  const sessions = await deps.store.grantSessions(g.tenantId, g.grantId);
  const extensions: RequestRecord[] = [];
  for (const id of g.pendingExtensions ?? []) {
    const r = await deps.store.getRequest(g.tenantId, id);
    if (r) extensions.push(r);
  }
  return { sessions, extensions };
}

/**
 * Ends an ACTIVE grant now (see `decideRevoke`): REVOKED, its access entries gone and its open
 * sessions ended, in one transaction conditioned on the version read. A concurrent revoke or
 * expiry wins at most once: the loser reads again and sees a conflict.
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
    const { ended, sessionEnd, change, lapsed } = decideRevoke(deps, now, caller, tenantId, g, reason, await endingReads(deps, g));
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
    if (!dueToExpire(g, now)) return null;
    const { ended, sessionEnd, change, lapsed } = ending(deps, now, g, 'expired', await endingReads(deps, g));
    await deps.store.endGrant(g, ended, sessionEnd, change, lapsed);
    return g.openSessions.length;
  });
}
