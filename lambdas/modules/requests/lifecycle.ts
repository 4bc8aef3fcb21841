/**
 * The life of a grant after it starts, as pure rules: extensions (at once by a tenant admin, or
 * asked for and approved like any access request), the expiry warning to its grantees, and the
 * escalation of a request nobody answered to the backup contacts (a reminder to the contacts when
 * there is none). The records come in, the records to write and the change they owe come out (or
 * a problem is thrown); `lifecycle-service.ts` reads and commits.
 */
import type { AccessRequest, Actor, Contact, ExtensionBody, Grant, Policy } from '../../contract/schemas.ts';
import { recipients } from '../mail/index.ts';
import { ConflictError, ForbiddenError, LimitReachedError, ValidationError } from '../../kernel/errors.ts';
import {
  actorOf,
  addHours,
  auditEvent,
  covers,
  grantView,
  hasRole,
  isPast,
  outboxMessage,
  iso,
  requestView,
  SYSTEM,
  warnAtFor,
} from '../../kernel/model.ts';
import type { Change, GrantRecord, Principal, SessionRecord } from '../../kernel/ports.ts';
import type { RequestRecord } from './entity.ts';
import { MAX_PENDING_REQUESTS_PER_AGENT } from './limits.ts';
import { type At, pendingRequest } from './rules.ts';

/** A grant written over the version read, with the change it owes. */
export interface GrantUpdate {
  expected: GrantRecord;
  next: GrantRecord;
  change: Change;
}

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
export function assertWithinLifetime(g: GrantRecord, hours: number, policy: Policy) {
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
  at: At,
  actor: Actor,
  before: GrantRecord,
  after: GrantRecord,
  hours: number,
  reason: string,
  requestId: string | null,
  requestedHours = hours,
): Change {
  const { now } = at;
  const grant = grantView(after, now);
  return {
    audit: [
      auditEvent(at.ids, now, actor, 'grant.extended', after.grantId, {
        hours,
        reason,
        requestId,
        previousExpiresAt: before.expiresAt,
        expiresAt: after.expiresAt,
        ...(hours < requestedHours ? { requestedHours, cappedBy: 'policy.maxDurationHours' } : {}),
      }),
    ],
    outbox: [
      outboxMessage(at, now, after.tenantId, 'grant.extended', {
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

/** The grant (ACTIVE now, checked by the grants module) must have an end: else 409. */
export function extensible(g: GrantRecord): GrantRecord {
  if (g.expiresAt === null) throw new ConflictError('the grant is standing access: it has no end to move');
  return g;
}

/**
 * Who may ask for more time on a grant when not its tenant's admin: a support lead, or a support
 * agent it names (a named grant covering them); else 403.
 */
export function assertMayAskMoreTime(caller: Principal, g: GrantRecord) {
  const mayAsk = hasRole(caller, 'support-lead') || (hasRole(caller, 'support-agent') && g.audience === 'named' && covers(g, caller));
  if (!mayAsk) throw new ForbiddenError('only a tenant admin, a support lead or a grantee of this grant can ask for more time');
}

/**
 * A tenant admin's extension, at once: `hours` within what the policy leaves the grant (its end
 * never passes `createdAt + maxDurationHours`, else 400 naming `hours`); the same grant's
 * `expiresAt` moves by `hours`, with `grant.extended` and the contacts' email.
 */
export function adminExtension(at: At, caller: Principal, g: GrantRecord, body: ExtensionBody, policy: Policy): GrantUpdate {
  assertWithinLifetime(g, body.hours, policy);
  const next = extended(g, body.hours, at.now, policy);
  return { expected: g, next, change: extensionChange(at, actorOf(caller), g, next, body.hours, body.reason, null) };
}

/**
 * Support's request for more time: `hours` within what the policy leaves the grant, at most
 * `MAX_PENDING_EXTENSIONS_PER_GRANT` waiting on it (else 409); a PENDING request `kind:
 * "extension"` naming the grant, emailed to the primary contacts and decided like any request.
 */
export function extensionRequest(at: At, caller: Principal, g: GrantRecord, body: ExtensionBody, policy: Policy) {
  const { now } = at;
  assertWithinLifetime(g, body.hours, policy);
  if ((g.pendingExtensions ?? []).length >= MAX_PENDING_EXTENSIONS_PER_GRANT) {
    throw new ConflictError(
      `this grant already has ${MAX_PENDING_EXTENSIONS_PER_GRANT} extension requests waiting; wait until one is decided`,
    );
  }
  const actor = actorOf(caller);
  const request = pendingRequest(
    at,
    {
      tenantId: g.tenantId,
      kind: 'extension',
      ticketId: g.ticketId ?? '(none)',
      reason: body.reason,
      scope: g.scope,
      durationHours: body.hours,
      requestedBy: actor,
      grantId: g.grantId,
    },
    policy,
  );
  const view = requestView(request, now);
  const change: Change = {
    audit: [
      auditEvent(at.ids, now, actor, 'request.created', request.requestId, {
        kind: 'extension',
        grantId: g.grantId,
        ticketId: request.ticketId,
        scope: g.scope,
        durationHours: body.hours,
      }),
    ],
    outbox: [
      {
        ...outboxMessage(at, now, g.tenantId, 'request.created', {
          request: view,
          approvalsRequired: policy.approvalsRequired,
          grant: grantView(g, now),
        }),
        toTier: 'primary',
      },
    ],
  };
  return { request, view, change };
}

/** The store's "too many PENDING" for an extension request, as the caller reads it. */
export const extensionLimitReached = (cause: LimitReachedError) =>
  new LimitReachedError(
    `you already have ${MAX_PENDING_REQUESTS_PER_AGENT} PENDING requests at this tenant; cancel one or wait until one is decided`,
    {
      cause,
    },
  );

/**
 * The deciding approval of an extension request (`approval` in rules.ts returned its decision and
 * `change`): the same grant's `expiresAt` moves by the hours asked, capped so that it never passes
 * `createdAt + maxDurationHours` of the policy now (other extensions approved since the ask, or a
 * lowered maximum, may leave less), and the request leaves the grant's PENDING extensions; the
 * grant must still be ACTIVE, else 409 and nothing changes.
 */
export function extensionApproval(
  at: At,
  actor: Actor,
  g: GrantRecord | null,
  r: RequestRecord,
  policy: Policy,
  change: Change,
): GrantUpdate {
  const { now } = at;
  const status = g ? grantView(g, now).status : 'gone';
  if (!g || status !== 'ACTIVE') throw new ConflictError(`the grant this extension is for is ${status}`);
  const after = {
    ...extended(g, r.durationHours, now, policy),
    pendingExtensions: (g.pendingExtensions ?? []).filter((id) => id !== r.requestId),
  };
  const hours = (Date.parse(after.expiresAt!) - Date.parse(g.expiresAt!)) / 3_600_000;
  const own = extensionChange(at, actor, g, after, hours, r.reason, r.requestId, r.durationHours);
  return { expected: g, next: after, change: { audit: [...change.audit, ...own.audit], outbox: [...change.outbox, ...own.outbox] } };
}

/** Whether the grant's expiry warning is due now: ACTIVE, not warned, past its `warnAt`, not yet ended. */
export const warningDue = (g: GrantRecord | null, now: Date): g is GrantRecord =>
  !!g && g.status === 'ACTIVE' && !g.warned && !!g.warnAt && isPast(g.warnAt, now) && !isPast(g.expiresAt, now);

/**
 * The expiry warning of a grant that is due one (`warningDue`): its named grantees (for a
 * support-team grant: whoever signed in under it, from `sessions`) are emailed once, with the link
 * to ask for more time; the grant is marked warned.
 */
export function warning(at: At, g: GrantRecord, sessions: SessionRecord[]): GrantUpdate {
  const to = g.audience === 'named' ? g.grantees.map((x) => x.email) : [...new Set(sessions.map((s) => s.accessedBy.email))];
  return {
    expected: g,
    next: { ...g, warned: true, version: g.version + 1 },
    change: {
      audit: [],
      outbox: to.length ? [outboxMessage(at, at.now, g.tenantId, 'grant.expiring', { grant: grantView(g, at.now) }, to.sort())] : [],
    },
  };
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

/** Whether a request's escalation is due now: PENDING, not escalated, past its `escalateAt`, not yet lapsed. */
export const escalationDue = (r: RequestRecord | null, now: Date): r is RequestRecord =>
  !!r && r.status === 'PENDING' && !r.escalated && !!r.escalateAt && isPast(r.escalateAt, now) && !isPast(r.expiresAt, now);

/**
 * The escalation of a request that is due one (`escalationDue`): emailed once, to the backup
 * contacts (or as a reminder to the primary ones, see `escalationOf`), and `request.escalated`
 * recorded. The addressees are fixed now, with the kind of email they get: a contact who changes
 * tier before delivery must not receive a reminder worded as an escalation.
 */
export function escalation(at: At, r: RequestRecord, contacts: Contact[]) {
  const next: RequestRecord = { ...r, escalated: true, version: r.version + 1 };
  const view = requestView(next, at.now);
  const { as, to } = escalationOf(contacts);
  const change: Change = {
    audit: [auditEvent(at.ids, at.now, SYSTEM, 'request.escalated', r.requestId, { escalateAt: r.escalateAt, kind: r.kind, as })],
    outbox: to.length ? [outboxMessage(at, at.now, r.tenantId, 'request.escalated', { request: view, as }, to)] : [],
  };
  return { expected: r, next, grant: null, change };
}
