/**
 * Sessions and the access check, orchestrated: each use case reads the records its rule needs
 * from the store, calls the pure rule (`rules.ts`) with the moment, and commits what the rule
 * decided in one conditional transaction (the store's methods, over the kernel's `transact`).
 * Sign-in stays two DynamoDB requests: the access entries, then the session's transaction.
 */
import type { Access, Grant, Session } from '../../contract/schemas.ts';
import { canonicalJson } from '../../kernel/canonical-json.ts';
import { ConcurrentUpdateError, ConflictError, GrantMismatchError, NotFoundError } from '../../kernel/errors.ts';
import { iso, sessionView } from '../../kernel/model.ts';
import type { Deps, Page, PageInput, Principal, SessionFilter } from '../../kernel/ports.ts';
import { retrying } from '../../kernel/retry.ts';
import type { AccessEntry } from './entity.ts';
import {
  accessOf,
  decideEndSession,
  decideSignIn,
  deniedAlone,
  deniedInWindow,
  entryFor,
  myGrantsPage,
  notGranted,
  ownSession,
  type SignInInput,
  sessionsPage,
} from './rules.ts';

export type { SignInInput } from './rules.ts';

/** The caller's effective access to a tenant now: one read of the access entries (see `accessOf`). */
export async function getAccess(deps: Deps, caller: Principal, tenantId: string): Promise<Access> {
  const now = deps.clock.now();
  return accessOf(await deps.store.accessEntries(tenantId, caller.id), caller, now);
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
 * 4. Audit `session.started` and queue the sign-in email (see `decideSignIn`).
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
  // Entries whose grant did not say what they say. A grant that changed since the read (ended,
  // extended) had its entries deleted or rewritten with it, so the re-read sees them changed; an
  // entry read again unchanged was never backed by its grant.
  const unbacked = new Set<string>();
  // A lost race means the grant ended or changed between the read and the write: look again,
  // which denies if nothing is left.
  return retrying(async () => {
    const now = deps.clock.now();
    const entries = await deps.store.accessEntries(tenantId, caller.id);
    const entry = entryFor(entries, caller, now, input.grantId, (e) => unbacked.has(canonicalJson(e)));
    if (!entry) {
      await recordRefusal(deps, now, caller, tenantId, input);
      throw notGranted(input.grantId);
    }
    const { session, change, backing } = decideSignIn(deps, now, caller, tenantId, entry, input);
    try {
      await deps.store.startSession(session, iso(now), change, backing);
    } catch (e) {
      if (e instanceof GrantMismatchError) unbacked.add(canonicalJson(entry));
      throw e;
    }
    return { session: sessionView(session, now), entry };
  });
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
  const { event, sealAfter } = deniedInWindow(deps, now, caller, tenantId, input);
  if (await deps.store.countRefusal(tenantId, event, sealAfter)) return;
  await deps.store.appendAudit(tenantId, deniedAlone(deps, now, caller, input));
}

/**
 * A session of the caller as it is now: what an `Idempotency-Key` replay of a sign-in answers, so a
 * session that has ended since is never shown open.
 */
export async function currentSession(deps: Deps, caller: Principal, tenantId: string, sessionId: string): Promise<Session> {
  const s = ownSession(await deps.store.getSession(tenantId, sessionId), caller, sessionId);
  return sessionView(s, deps.clock.now());
}

/** Signs out (see `decideEndSession`); a session ended meanwhile is a conflict. */
export async function endSession(deps: Deps, caller: Principal, tenantId: string, sessionId: string): Promise<Session> {
  const now = deps.clock.now();
  const { ended, change } = decideEndSession(deps, now, caller, await deps.store.getSession(tenantId, sessionId), sessionId);
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
  return sessionsPage(await deps.store.listSessions(tenantId, page, filter), now);
}

/**
 * The sessions opened under one grant of the tenant, newest first (a grant of another tenant, or
 * none: 404). Who may read them is who may read the login history (the route's roles).
 */
export async function listGrantSessions(deps: Deps, tenantId: string, grantId: string, page: PageInput): Promise<Page<Session>> {
  if (!(await deps.store.getGrant(tenantId, grantId))) throw new NotFoundError(`no grant ${grantId}`);
  const now = deps.clock.now();
  return sessionsPage(await deps.store.listGrantSessions(tenantId, grantId, page), now);
}

/** The ACTIVE grants that cover the caller, in every tenant, newest first: one read (see `myGrantsPage`). */
export async function listMyGrants(deps: Deps, caller: Principal, page: PageInput = { limit: 100 }): Promise<Page<Grant>> {
  const now = deps.clock.now();
  return myGrantsPage(await deps.store.grantsCovering(caller.id, iso(now)), caller, now, page);
}
