/** Extensions, the expiry warning and escalation as pure rules: records in, writes or a problem out. No store. */
import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, LimitReachedError, ValidationError } from '../../lambdas/kernel/errors.ts';
import {
  adminExtension,
  assertMayAskMoreTime,
  assertWithinLifetime,
  escalation,
  escalationDue,
  escalationOf,
  extended,
  extensible,
  extensionApproval,
  extensionLimitReached,
  extensionRequest,
  hoursLeft,
  latestEnd,
  MAX_PENDING_EXTENSIONS_PER_GRANT,
  warning,
  warningDue,
} from '../../lambdas/modules/requests/lifecycle.ts';
import type { SessionRecord } from '../../lambdas/kernel/ports.ts';
import { actor, admin, agent, at, contact, grant, HOUR, later, lead, NOW, policy, request, user } from './requests-fixtures.ts';

const iso = (d: Date) => d.toISOString();
const problem = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as Error & { code?: string; errors?: unknown };
  }
  throw new Error('no problem thrown');
};

describe("a grant's lifetime under the policy", () => {
  // Created an hour ago, ends in 3 h: 4 h so far.
  const g = grant();

  it('ends at the latest createdAt + maxDurationHours, and leaves the whole hours up to then', () => {
    expect(latestEnd(g, policy({ maxDurationHours: 8 }))).toEqual(later(7 * HOUR));
    expect(hoursLeft(g, policy({ maxDurationHours: 8 }))).toBe(4);
    expect(hoursLeft(grant({ expiresAt: iso(later(3 * HOUR + 1)) }), policy({ maxDurationHours: 8 }))).toBe(3);
    expect(hoursLeft(g, policy({ maxDurationHours: 2 }))).toBe(0);
  });

  it('moves the end by the hours asked, never past the latest end nor before the end it had, and owes a warning again', () => {
    const p = policy({ maxDurationHours: 8, expiryWarningMinutes: 30 });
    const two = extended(grant({ warned: true }), 2, NOW, p);
    expect(two).toMatchObject({ expiresAt: iso(later(5 * HOUR)), warnAt: iso(later(5 * HOUR - 30 * 60_000)), warned: false, version: 5 });
    expect(extended(g, 10, NOW, p).expiresAt).toBe(iso(later(7 * HOUR)));
    expect(extended(g, 10, NOW, policy({ maxDurationHours: 2 })).expiresAt).toBe(g.expiresAt);
  });

  it('refuses hours over what the policy leaves with a 400 naming hours and saying why', () => {
    const e = problem(() => assertWithinLifetime(g, 5, policy({ maxDurationHours: 8 })));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.message).toBe('hours is over what the tenant policy leaves this grant');
    expect(e.errors).toEqual([
      {
        path: 'hours',
        message:
          "must be at most 4: a grant lasts at most 8 hours from its start (the tenant's maxDurationHours), and this one already ends 4 hours after it started",
      },
    ]);
    expect(() => assertWithinLifetime(g, 4, policy({ maxDurationHours: 8 }))).not.toThrow();
    const odd = grant({ expiresAt: iso(later(3 * HOUR + 90_000)) });
    expect(problem(() => assertWithinLifetime(odd, 9, policy({ maxDurationHours: 8 }))).errors).toEqual([
      expect.objectContaining({ message: expect.stringContaining('already ends 4 hours') as unknown }),
    ]);
    const longer = grant({ expiresAt: iso(later(3 * HOUR + 30 * 60_000)) });
    expect(problem(() => assertWithinLifetime(longer, 9, policy({ maxDurationHours: 8 }))).errors).toEqual([
      expect.objectContaining({ message: expect.stringContaining('already ends 4.5 hours') as unknown }),
    ]);
  });
});

describe('who may extend', () => {
  it('moves no standing grant', () => {
    const e = problem(() => extensible(grant({ expiresAt: null })));
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.message).toBe('the grant is standing access: it has no end to move');
    expect(extensible(grant()).grantId).toBe('g1');
  });

  it('lets a support lead or a named grantee ask, and nobody else', () => {
    expect(() => assertMayAskMoreTime(lead(), grant({ audience: 'support-team', grantees: [] }))).not.toThrow();
    expect(() => assertMayAskMoreTime(agent(), grant())).not.toThrow();
    const message = 'only a tenant admin, a support lead or a grantee of this grant can ask for more time';
    expect(() => assertMayAskMoreTime(agent({ id: 'agent-bob', email: 'agent-bob@example.com' }), grant())).toThrow(
      new ForbiddenError(message),
    );
    expect(() => assertMayAskMoreTime(agent(), grant({ audience: 'support-team', grantees: [] }))).toThrow(message);
    // Named on the grant but not a support agent (any more): no.
    expect(() => assertMayAskMoreTime(agent({ roles: [] }), grant())).toThrow(message);
    expect(() => assertMayAskMoreTime(user(), grant())).toThrow(message);
  });
});

describe("a tenant admin's extension", () => {
  it('moves the end at once, audits grant.extended and tells the contacts', () => {
    const g = grant();
    const u = adminExtension(at(), admin(), g, { hours: 2, reason: 'still digging' }, policy({ maxDurationHours: 8 }));
    expect(u.expected).toBe(g);
    expect(u.next.expiresAt).toBe(iso(later(5 * HOUR)));
    expect(u.change.audit).toEqual([
      {
        eventId: 'id-1',
        at: iso(NOW),
        actor: actor(admin()),
        action: 'grant.extended',
        targetId: 'g1',
        details: { hours: 2, reason: 'still digging', requestId: null, previousExpiresAt: g.expiresAt, expiresAt: u.next.expiresAt },
      },
    ]);
    expect(u.change.outbox).toEqual([
      {
        messageId: 'id-2',
        tenantId: 'acme',
        kind: 'grant.extended',
        createdAt: iso(NOW),
        payload: {
          grant: expect.objectContaining({ grantId: 'g1', expiresAt: u.next.expiresAt }) as unknown,
          actor: actor(admin()),
          hours: 2,
          reason: 'still digging',
          previousExpiresAt: g.expiresAt,
          requestId: null,
        },
      },
    ]);
  });

  it('refuses more than the policy leaves', () => {
    expect(() => adminExtension(at(), admin(), grant(), { hours: 5, reason: 'x' }, policy({ maxDurationHours: 8 }))).toThrow(
      ValidationError,
    );
  });
});

describe("support's extension request", () => {
  const p = policy({ maxDurationHours: 8, requestTtlHours: 12, escalateAfterMinutes: 20, approvalsRequired: 2 });

  it('is a PENDING request kind extension naming the grant, asked of the primary contacts', () => {
    const { request: r, view, change } = extensionRequest(at(), agent(), grant({ ticketId: null }), { hours: 2, reason: 'more time' }, p);
    expect(r).toEqual({
      requestId: 'id-1',
      tenantId: 'acme',
      kind: 'extension',
      status: 'PENDING',
      ticketId: '(none)',
      reason: 'more time',
      scope: { level: 'read-only' },
      durationHours: 2,
      requestedBy: actor(agent()),
      requestedAt: iso(NOW),
      expiresAt: iso(later(12 * HOUR)),
      approvals: [],
      decidedAt: null,
      decidedBy: null,
      grantId: 'g1',
      version: 1,
      escalateAt: iso(later(20 * 60_000)),
      escalated: false,
    });
    expect(change.audit).toEqual([
      {
        eventId: 'id-2',
        at: iso(NOW),
        actor: actor(agent()),
        action: 'request.created',
        targetId: 'id-1',
        details: { kind: 'extension', grantId: 'g1', ticketId: '(none)', scope: { level: 'read-only' }, durationHours: 2 },
      },
    ]);
    expect(change.outbox).toEqual([
      {
        messageId: 'id-3',
        tenantId: 'acme',
        kind: 'request.created',
        createdAt: iso(NOW),
        payload: { request: view, approvalsRequired: 2, grant: expect.objectContaining({ grantId: 'g1' }) as unknown },
        toTier: 'primary',
      },
    ]);
    expect(extensionRequest(at(), agent(), grant(), { hours: 1, reason: 'r' }, p).request.ticketId).toBe('T-7');
  });

  it(`refuses a ${MAX_PENDING_EXTENSIONS_PER_GRANT + 1}th waiting extension of one grant, and hours over what is left`, () => {
    const full = grant({ pendingExtensions: ['a', 'b', 'c'] });
    const e = problem(() => extensionRequest(at(), agent(), full, { hours: 1, reason: 'r' }, p));
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.message).toBe('this grant already has 3 extension requests waiting; wait until one is decided');
    expect(() => extensionRequest(at(), agent(), grant({ pendingExtensions: ['a', 'b'] }), { hours: 1, reason: 'r' }, p)).not.toThrow();
    expect(() => extensionRequest(at(), agent(), grant({ pendingExtensions: undefined }), { hours: 1, reason: 'r' }, p)).not.toThrow();
    expect(() => extensionRequest(at(), agent(), grant(), { hours: 5, reason: 'r' }, p)).toThrow(ValidationError);
  });

  it('says the PENDING bound when the count is full', () => {
    const cause = new LimitReachedError('full');
    const e = extensionLimitReached(cause);
    expect(e.cause).toBe(cause);
    expect(e.message).toBe('you already have 5 PENDING requests at this tenant; cancel one or wait until one is decided');
  });
});

describe('approving an extension request', () => {
  const r = request({ requestId: 'x1', kind: 'extension', grantId: 'g1', durationHours: 3, reason: 'more' });
  const decided = { audit: [], outbox: [] };

  it('moves the grant, capped by the policy now, takes the request off its waiting list and audits the cap', () => {
    const g = grant({ pendingExtensions: ['x1', 'x2'] });
    const u = extensionApproval(at(), actor(admin()), g, r, policy({ maxDurationHours: 6 }), decided);
    expect(u.expected).toBe(g);
    expect(u.next.expiresAt).toBe(iso(later(5 * HOUR)));
    expect(u.next.pendingExtensions).toEqual(['x2']);
    expect(u.change.audit[0]!.details).toEqual({
      hours: 2,
      reason: 'more',
      requestId: 'x1',
      previousExpiresAt: g.expiresAt,
      expiresAt: iso(later(5 * HOUR)),
      requestedHours: 3,
      cappedBy: 'policy.maxDurationHours',
    });
    expect(u.change.outbox.map((m) => [m.kind, m.payload.hours, m.payload.requestId])).toEqual([['grant.extended', 2, 'x1']]);
    const whole = extensionApproval(
      at(),
      actor(admin()),
      grant({ pendingExtensions: undefined }),
      r,
      policy({ maxDurationHours: 8 }),
      decided,
    );
    expect(whole.next.pendingExtensions).toEqual([]);
    expect(whole.change.audit[0]!.details).not.toHaveProperty('cappedBy');
  });

  it("keeps the request's own decision first in the same change", () => {
    const own = {
      audit: [{ eventId: 'e0', at: iso(NOW), actor: actor(admin()), action: 'request.approved' as const, targetId: 'x1', details: {} }],
      outbox: [],
    };
    const u = extensionApproval(at(), actor(admin()), grant(), r, policy({ maxDurationHours: 8 }), own);
    expect(u.change.audit.map((e) => e.action)).toEqual(['request.approved', 'grant.extended']);
  });

  it('is 409 when the grant has ended or is gone', () => {
    const gone = problem(() => extensionApproval(at(), actor(admin()), null, r, policy(), decided));
    expect(gone).toBeInstanceOf(ConflictError);
    expect(gone.message).toBe('the grant this extension is for is gone');
    expect(() => extensionApproval(at(), actor(admin()), grant({ status: 'REVOKED' }), r, policy(), decided)).toThrow(
      'the grant this extension is for is REVOKED',
    );
    expect(() => extensionApproval(at(), actor(admin()), grant({ expiresAt: iso(NOW) }), r, policy(), decided)).toThrow(
      'the grant this extension is for is EXPIRED',
    );
  });
});

describe('the expiry warning', () => {
  const due = grant({ warnAt: iso(NOW), expiresAt: iso(later(HOUR)) });

  it('is due once, from warnAt until the grant ends, on an ACTIVE grant', () => {
    expect(warningDue(due, NOW)).toBe(true);
    expect(warningDue(null, NOW)).toBe(false);
    expect(warningDue({ ...due, warned: true }, NOW)).toBe(false);
    expect(warningDue({ ...due, warnAt: null }, NOW)).toBe(false);
    expect(warningDue({ ...due, warnAt: iso(later(1)) }, NOW)).toBe(false);
    expect(warningDue({ ...due, expiresAt: iso(NOW) }, NOW)).toBe(false);
    expect(warningDue({ ...due, status: 'REVOKED' }, NOW)).toBe(false);
  });

  it('emails the named grantees, marks the grant warned and audits nothing', () => {
    const u = warning(at(), due, []);
    expect(u.next).toEqual({ ...due, warned: true, version: 5 });
    expect(u.change).toEqual({
      audit: [],
      outbox: [
        {
          messageId: 'id-1',
          tenantId: 'acme',
          kind: 'grant.expiring',
          createdAt: iso(NOW),
          payload: { grant: expect.objectContaining({ grantId: 'g1' }) as unknown },
          to: ['agent-ann@example.com'],
        },
      ],
    });
  });

  it('emails whoever signed in under a support-team grant, once each, sorted; nobody when nobody did', () => {
    const team = { ...due, audience: 'support-team' as const, grantees: [] };
    const by = (email: string) => ({ accessedBy: { id: email, email, name: email } }) as SessionRecord;
    const u = warning(at(), team, [by('zed@example.com'), by('amy@example.com'), by('zed@example.com')]);
    expect(u.change.outbox[0]!.to).toEqual(['amy@example.com', 'zed@example.com']);
    expect(warning(at(), team, []).change.outbox).toEqual([]);
  });
});

describe('escalation', () => {
  const due = request({ escalateAt: iso(NOW) });

  it('is due once, from escalateAt until the request lapses, on a PENDING request', () => {
    expect(escalationDue(due, NOW)).toBe(true);
    expect(escalationDue(null, NOW)).toBe(false);
    expect(escalationDue({ ...due, escalated: true }, NOW)).toBe(false);
    expect(escalationDue({ ...due, escalateAt: null }, NOW)).toBe(false);
    expect(escalationDue({ ...due, escalateAt: iso(later(1)) }, NOW)).toBe(false);
    expect(escalationDue({ ...due, expiresAt: iso(NOW) }, NOW)).toBe(false);
    expect(escalationDue({ ...due, status: 'DENIED' }, NOW)).toBe(false);
  });

  it('goes to the backup contacts, or as a reminder to the primary ones when there is none', () => {
    const contacts = [
      contact('p2@example.com'),
      contact('b2@example.com', 'backup'),
      contact('b1@example.com', 'backup'),
      contact('p1@example.com'),
    ];
    expect(escalationOf(contacts)).toEqual({ as: 'escalation', to: ['b1@example.com', 'b2@example.com'] });
    expect(escalationOf(contacts.filter((c) => c.tier === 'primary'))).toEqual({
      as: 'reminder',
      to: ['p1@example.com', 'p2@example.com'],
    });
  });

  it('marks the request escalated and audits request.escalated with how it went', () => {
    const u = escalation(at(), due, [contact('b@example.com', 'backup')]);
    expect(u.next).toEqual({ ...due, escalated: true, version: 2 });
    expect(u.grant).toBeNull();
    expect(u.change.audit).toEqual([
      {
        eventId: 'id-1',
        at: iso(NOW),
        actor: { id: 'system' },
        action: 'request.escalated',
        targetId: 'r1',
        details: { escalateAt: iso(NOW), kind: 'access', as: 'escalation' },
      },
    ]);
    expect(u.change.outbox).toEqual([
      {
        messageId: 'id-2',
        tenantId: 'acme',
        kind: 'request.escalated',
        createdAt: iso(NOW),
        payload: { request: expect.objectContaining({ requestId: 'r1' }) as unknown, as: 'escalation' },
        to: ['b@example.com'],
      },
    ]);
    expect(escalation(at(), due, []).change.outbox).toEqual([]);
  });
});
