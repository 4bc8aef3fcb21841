/**
 * The life of a grant after it starts: extensions (at once by a tenant admin, or asked for and
 * approved like any access request), the expiry warning to its grantees, and the escalation of a
 * request nobody answered to the backup contacts (a reminder to the contacts when there is none).
 */
import type { AccessRequest, Actor, Contact, ExtensionBody, Grant, Policy } from '../../contract/schemas.ts';
import { recipients } from '../mail/index.ts';
import { ConflictError, ForbiddenError, LimitReachedError, NoAuthorizedContactError, ValidationError } from '../../kernel/errors.ts';
import { activeGrant } from '../grants/index.ts';
import {
  actorOf,
  addHours,
  auditEvent,
  covers,
  escalateAtFor,
  grantView,
  hasRole,
  isAdminOf,
  isPast,
  outboxMessage,
  iso,
  requestView,
  SYSTEM,
  warnAtFor,
} from '../../kernel/model.ts';
import type { Change, Deps, GrantRecord, Principal, RequestRecord } from '../../kernel/ports.ts';
import { assertAskBudget, MAX_PENDING_REQUESTS_PER_AGENT } from './limits.ts';
import { retrying } from '../../kernel/retry.ts';
import { getPolicy, listContacts } from '../settings/index.ts';

/** At most this many extension requests of one grant wait at once: each emails every contact. */
export const MAX_PENDING_EXTENSIONS_PER_GRANT = 3;

/** A tenant admin's extension, applied at once; or the request support made for one. */
export type ExtensionOutcome = { kind: 'extended'; grant: Grant } | { kind: 'requested'; request: AccessRequest };

/**
 * The latest end any extension may give a grant: its `createdAt` plus the policy's
 * `maxDurationHours`. A grant's whole lifetime is bounded by the policy, however many extensions.
 */
export const latestEnd = (g: GrantRecord, policy: Policy): Date => addHours(new Date(g.createdAt), policy.maxDurationHours);

/** The whole hours an extension may still add to the grant under the policy (0 when none). */
export const hoursLeft = (g: GrantRecord, policy: Policy): number =>
  Math.max(0, Math.floor((latestEnd(g, policy).getTime() - Date.parse(g.expiresAt!)) / 3_600_000));

/**
 * The grant with up to `hours` more: a new end, never past `latestEnd` and never earlier than
 * the end it had; a warning owed again before it.
 */
export function extended(g: GrantRecord, hours: number, now: Date, policy: Policy): GrantRecord {
  const asked = addHours(new Date(g.expiresAt!), hours).getTime();
  const end = Math.max(Date.parse(g.expiresAt!), Math.min(asked, latestEnd(g, policy).getTime()));
  const expiresAt = iso(new Date(end));
  return { ...g, expiresAt, warnAt: warnAtFor(expiresAt, now, policy.expiryWarningMinutes), warned: false, version: g.version + 1 };
}

/** An extension's `hours` over what the policy leaves the grant: a 400 naming `hours`. */
function assertWithinLifetime(g: GrantRecord, hours: number, policy: Policy) {
  const left = hoursLeft(g, policy);
  if (hours <= left) return;
  throw new ValidationError('hours is over what the tenant policy leaves this grant', [
    {
      path: 'hours',
      message:
        `must be at most ${left}: a grant lasts at most ${policy.maxDurationHours} hours from its start (the tenant's maxDurationHours), ` +
        `and this one already ends ${Math.round((Date.parse(g.expiresAt!) - Date.parse(g.createdAt)) / 360_000) / 10} hours after it started`,
    },
  ]);
}

/** The audit event and the contacts' email that every extension owes, however it was decided. */
function extensionChange(
  deps: Deps,
  now: Date,
  actor: Actor,
  before: GrantRecord,
  after: GrantRecord,
  hours: number,
  reason: string,
  requestId: string | null,
  requestedHours = hours,
): Change {
  const grant = grantView(after, now);
  return {
    audit: [
      auditEvent(deps.ids, now, actor, 'grant.extended', after.grantId, {
        hours,
        reason,
        requestId,
        previousExpiresAt: before.expiresAt,
        expiresAt: after.expiresAt,
        ...(hours < requestedHours ? { requestedHours, cappedBy: 'policy.maxDurationHours' } : {}),
      }),
    ],
    outbox: [
      outboxMessage(deps, now, after.tenantId, 'grant.extended', {
        grant,
        actor,
        hours,
        reason,
        previousExpiresAt: before.expiresAt,
        requestId,
      }),
    ],
  };
}

/**
 * More time on an ACTIVE grant with an end.
 * 1. `hours` within the policy's `maxDurationHours`; the grant ACTIVE now and not standing; and
 *    `hours` within what the policy leaves it: its end never passes `createdAt + maxDurationHours`
 *    (else 400 naming `hours`).
 * 2. A tenant admin of the tenant: the same grant's `expiresAt` moves by `hours` at once, with
 *    its access entries and open sessions, `grant.extended` and the contacts' email, in one
 *    transaction conditioned on the version read and on the grant not having expired.
 * 3. A grantee (or, under a support-team grant, any support person it covers) or a support lead:
 *    a PENDING request `kind: "extension"` naming the grant, emailed to the primary contacts and
 *    decided like any request (`approveRequest`); recorded on the grant, so that the grant's end
 *    makes it EXPIRED.
 */
export async function extendGrant(
  deps: Deps,
  caller: Principal,
  tenantId: string,
  grantId: string,
  body: ExtensionBody,
): Promise<ExtensionOutcome> {
  const policy = await getPolicy(deps, tenantId);
  if (body.hours > policy.maxDurationHours) {
    throw new ValidationError('hours is over the tenant policy', [
      { path: 'hours', message: `must be at most ${policy.maxDurationHours} (the tenant's maxDurationHours)` },
    ]);
  }
  const actor = actorOf(caller);
  if (isAdminOf(caller, tenantId)) {
    return retrying(async () => {
      const now = deps.clock.now();
      const g = await extensible(deps, tenantId, grantId, now);
      assertWithinLifetime(g, body.hours, policy);
      const next = extended(g, body.hours, now, policy);
      await deps.store.extendGrant(g, next, iso(now), extensionChange(deps, now, actor, g, next, body.hours, body.reason, null));
      return { kind: 'extended', grant: grantView(next, now) };
    });
  }
  {
    const g = await extensible(deps, tenantId, grantId, deps.clock.now());
    const mayAsk = hasRole(caller, 'support-lead') || (hasRole(caller, 'support-agent') && g.audience === 'named' && covers(g, caller));
    if (!mayAsk) throw new ForbiddenError('only a tenant admin, a support lead or a grantee of this grant can ask for more time');
  }
  if ((await listContacts(deps, tenantId)).length === 0) {
    throw new NoAuthorizedContactError('the tenant has no authorized contact who could approve');
  }
  await assertAskBudget(deps, caller, tenantId, deps.clock.now());
  return retrying(async () => {
    const now = deps.clock.now();
    const g = await extensible(deps, tenantId, grantId, now);
    assertWithinLifetime(g, body.hours, policy);
    if ((g.pendingExtensions ?? []).length >= MAX_PENDING_EXTENSIONS_PER_GRANT) {
      throw new ConflictError(
        `this grant already has ${MAX_PENDING_EXTENSIONS_PER_GRANT} extension requests waiting; wait until one is decided`,
      );
    }
    const request: RequestRecord = {
      requestId: deps.ids.next(),
      tenantId,
      kind: 'extension',
      status: 'PENDING',
      ticketId: g.ticketId ?? '(none)',
      reason: body.reason,
      scope: g.scope,
      durationHours: body.hours,
      requestedBy: actor,
      requestedAt: iso(now),
      expiresAt: iso(addHours(now, policy.requestTtlHours)),
      approvals: [],
      decidedAt: null,
      decidedBy: null,
      grantId,
      version: 1,
      escalateAt: escalateAtFor(now, policy.escalateAfterMinutes),
      escalated: false,
    };
    const view = requestView(request, now);
    const change: Change = {
      audit: [
        auditEvent(deps.ids, now, actor, 'request.created', request.requestId, {
          kind: 'extension',
          grantId,
          ticketId: request.ticketId,
          scope: g.scope,
          durationHours: body.hours,
        }),
      ],
      outbox: [
        {
          ...outboxMessage(deps, now, tenantId, 'request.created', {
            request: view,
            approvalsRequired: policy.approvalsRequired,
            grant: grantView(g, now),
          }),
          toTier: 'primary',
        },
      ],
    };
    try {
      await deps.store.createExtensionRequest(request, iso(now), change, MAX_PENDING_REQUESTS_PER_AGENT);
    } catch (e) {
      if (!(e instanceof LimitReachedError)) throw e;
      throw new LimitReachedError(
        `you already have ${MAX_PENDING_REQUESTS_PER_AGENT} PENDING requests at this tenant; cancel one or wait until one is decided`,
        { cause: e },
      );
    }
    return { kind: 'requested', request: view };
  });
}

/** The grant must be ACTIVE now and have an end. */
async function extensible(deps: Deps, tenantId: string, grantId: string, now: Date): Promise<GrantRecord> {
  const g = await activeGrant(deps, tenantId, grantId, now);
  if (g.expiresAt === null) throw new ConflictError('the grant is standing access: it has no end to move');
  return g;
}

/**
 * The deciding approval of an extension request: the same grant's `expiresAt` moves by the hours
 * asked, capped so that it never passes `createdAt + maxDurationHours` of the policy now (other
 * extensions approved since the ask, or a lowered maximum, may leave less), in the same transaction as the
 * request's decision; the grant must still be ACTIVE and unexpired, else 409 and nothing changes.
 */
export async function applyExtension(
  deps: Deps,
  now: Date,
  actor: Actor,
  r: RequestRecord,
  next: RequestRecord,
  policy: Policy,
  change: Change,
): Promise<void> {
  const g = await deps.store.getGrant(r.tenantId, r.grantId!);
  const status = g ? grantView(g, now).status : 'gone';
  if (!g || status !== 'ACTIVE') throw new ConflictError(`the grant this extension is for is ${status}`);
  const after = {
    ...extended(g, r.durationHours, now, policy),
    pendingExtensions: (g.pendingExtensions ?? []).filter((id) => id !== r.requestId),
  };
  const hours = (Date.parse(after.expiresAt!) - Date.parse(g.expiresAt!)) / 3_600_000;
  const own = extensionChange(deps, now, actor, g, after, hours, r.reason, r.requestId, r.durationHours);
  await deps.store.extendGrant(
    g,
    after,
    iso(now),
    { audit: [...change.audit, ...own.audit], outbox: [...change.outbox, ...own.outbox] },
    { expected: r, next },
  );
}

/**
 * The expiry job's warning: `expiryWarningMinutes` before a grant ends, its named grantees (for a
 * support-team grant: whoever signed in under it) are emailed once, with the link to ask for more
 * time. Marked on the grant in the same transaction as the email, conditioned on the version read,
 * so a rerun or a second run sends nothing twice. False when nothing was due.
 */
export async function warnGrant(deps: Deps, tenantId: string, grantId: string): Promise<boolean> {
  return retrying(async () => {
    const now = deps.clock.now();
    const g = await deps.store.getGrant(tenantId, grantId);
    if (!g || g.status !== 'ACTIVE' || g.warned || !g.warnAt || !isPast(g.warnAt, now) || isPast(g.expiresAt, now)) return false;
    const to =
      g.audience === 'named'
        ? g.grantees.map((x) => x.email)
        : [...new Set((await deps.store.grantSessions(tenantId, grantId)).map((s) => s.accessedBy.email))];
    const next: GrantRecord = { ...g, warned: true, version: g.version + 1 };
    const change: Change = {
      audit: [],
      outbox: to.length ? [outboxMessage(deps, now, tenantId, 'grant.expiring', { grant: grantView(g, now) }, to.sort())] : [],
    };
    await deps.store.saveGrant(g, next, change);
    return true;
  });
}

/** What an escalation is sent as: to the backup contacts, or again to the contacts asked first. */
export type EscalationKind = 'escalation' | 'reminder';

/**
 * Who a request still unanswered after `escalateAfterMinutes` goes to, and as what. The backup
 * contacts, as an escalation. A tenant with no backup contact has nobody to escalate to, and an
 * escalation to nobody would let the request lapse in silence: the contacts it was first sent to
 * (the primary ones, so every contact when none is primary) get it again, as a reminder.
 */
export function escalationOf(contacts: Contact[]): { as: EscalationKind; to: string[] } {
  const backups = recipients(contacts, 'backup');
  return backups.length > 0 ? { as: 'escalation', to: backups.sort() } : { as: 'reminder', to: recipients(contacts, 'primary').sort() };
}

/**
 * The expiry job's escalation: a request still PENDING `escalateAfterMinutes` after it was made
 * is emailed once, to the backup contacts (or as a reminder to the primary ones when the tenant has
 * no backup contact, see `escalationOf`), and `request.escalated` is recorded, in one transaction
 * conditioned on the version read. False when nothing was due.
 */
export async function escalateRequest(deps: Deps, tenantId: string, requestId: string): Promise<boolean> {
  return retrying(async () => {
    const now = deps.clock.now();
    const r = await deps.store.getRequest(tenantId, requestId);
    if (!r || r.status !== 'PENDING' || r.escalated || !r.escalateAt || !isPast(r.escalateAt, now) || isPast(r.expiresAt, now))
      return false;
    const next: RequestRecord = { ...r, escalated: true, version: r.version + 1 };
    const view = requestView(next, now);
    // The addressees are fixed now, with the kind of email they get: a contact who changes tier
    // before delivery must not receive a reminder worded as an escalation.
    const { as, to } = escalationOf(await deps.store.listContacts(tenantId));
    const change: Change = {
      audit: [auditEvent(deps.ids, now, SYSTEM, 'request.escalated', requestId, { escalateAt: r.escalateAt, kind: r.kind, as })],
      outbox: to.length ? [outboxMessage(deps, now, tenantId, 'request.escalated', { request: view, as }, to)] : [],
    };
    await deps.store.updateRequest(r, next, null, change);
    return true;
  });
}
