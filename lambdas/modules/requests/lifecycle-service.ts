/**
 * The life of a grant after it starts, orchestrated: read, let the pure rule (`lifecycle.ts`)
 * decide, commit what it returns in one conditional transaction through the store; a lost race
 * re-reads and decides again.
 */
import type { ExtensionBody } from '../../contract/schemas.ts';
import { LimitReachedError } from '../../kernel/errors.ts';
import { grantView, isAdminOf } from '../../kernel/model.ts';
import type { Deps, Principal } from '../../kernel/ports.ts';
import { retrying } from '../../kernel/retry.ts';
import { activeGrant } from '../grants/index.ts';
import { getPolicy, listContacts } from '../settings/index.ts';
import {
  adminExtension,
  assertMayAskMoreTime,
  escalation,
  escalationDue,
  extensible,
  extensionLimitReached,
  extensionRequest,
  type ExtensionOutcome,
  warning,
  warningDue,
} from './lifecycle.ts';
import { MAX_PENDING_REQUESTS_PER_AGENT } from './limits.ts';
import { assertHasContact, assertWithinPolicy } from './rules.ts';
import { assertAskBudget, atNow } from './service.ts';

/** The grant, ACTIVE now (the grants module's check) and with an end (`extensible`). */
const extensibleGrant = async (deps: Deps, tenantId: string, grantId: string, now: Date) =>
  extensible(await activeGrant(deps, tenantId, grantId, now));

/**
 * More time on an ACTIVE grant with an end: `hours` within the policy's `maxDurationHours`; a
 * tenant admin's moves it at once (`adminExtension`), with its access entries and open sessions,
 * conditioned on the version read and on the grant not having expired; a grantee's or a support
 * lead's is a PENDING extension request (`extensionRequest`) recorded on the grant, so that the
 * grant's end makes it EXPIRED, within the ask budget and the PENDING bound.
 */
export async function extendGrant(
  deps: Deps,
  caller: Principal,
  tenantId: string,
  grantId: string,
  body: ExtensionBody,
): Promise<ExtensionOutcome> {
  const policy = await getPolicy(deps, tenantId);
  assertWithinPolicy(body.hours, 'hours', policy);
  if (isAdminOf(caller, tenantId)) {
    return retrying(async () => {
      const at = atNow(deps);
      const u = adminExtension(at, caller, await extensibleGrant(deps, tenantId, grantId, at.now), body, policy);
      await deps.store.extendGrant(u.expected, u.next, at.now.toISOString(), u.change);
      return { kind: 'extended', grant: grantView(u.next, at.now) };
    });
  }
  assertMayAskMoreTime(caller, await extensibleGrant(deps, tenantId, grantId, deps.clock.now()));
  assertHasContact(await listContacts(deps, tenantId));
  await assertAskBudget(deps, caller, tenantId, deps.clock.now());
  return retrying(async () => {
    const at = atNow(deps);
    const { request, view, change } = extensionRequest(at, caller, await extensibleGrant(deps, tenantId, grantId, at.now), body, policy);
    try {
      await deps.store.createExtensionRequest(request, at.now.toISOString(), change, MAX_PENDING_REQUESTS_PER_AGENT);
    } catch (e) {
      if (!(e instanceof LimitReachedError)) throw e;
      throw extensionLimitReached(e);
    }
    return { kind: 'requested', request: view };
  });
}

/**
 * The expiry job's warning (`warning`), marked on the grant in the same transaction as the email,
 * conditioned on the version read, so a rerun or a second run sends nothing twice. False when
 * nothing was due.
 */
export async function warnGrant(deps: Deps, tenantId: string, grantId: string): Promise<boolean> {
  return retrying(async () => {
    const at = atNow(deps);
    const g = await deps.store.getGrant(tenantId, grantId);
    if (!warningDue(g, at.now)) return false;
    const sessions = g.audience === 'named' ? [] : await deps.store.grantSessions(tenantId, grantId);
    const u = warning(at, g, sessions);
    await deps.store.saveGrant(u.expected, u.next, u.change);
    return true;
  });
}

/**
 * The expiry job's escalation (`escalation`), in one transaction conditioned on the version read.
 * False when nothing was due.
 */
export async function escalateRequest(deps: Deps, tenantId: string, requestId: string): Promise<boolean> {
  return retrying(async () => {
    const at = atNow(deps);
    const r = await deps.store.getRequest(tenantId, requestId);
    if (!escalationDue(r, at.now)) return false;
    const u = escalation(at, r, await deps.store.listContacts(tenantId));
    await deps.store.updateRequest(u.expected, u.next, u.grant, u.change);
    return true;
  });
}
