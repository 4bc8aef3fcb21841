/** The access-request rules as pure functions: records in; the decision, the problem or the writes out. No store. */
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  ForbiddenError,
  LimitReachedError,
  NoAuthorizedContactError,
  NotFoundError,
  ValidationError,
} from '../../lambdas/kernel/errors.ts';
import { countAsks, MAX_ASKS_PER_HOUR } from '../../lambdas/modules/requests/limits.ts';
import {
  approval,
  assertHasContact,
  assertMayApprove,
  assertMayDecide,
  assertMayRead,
  assertWithinPolicy,
  cancellation,
  contactToDecide,
  contactToRead,
  denial,
  expiry,
  found,
  inStatus,
  MAX_PENDING_REQUESTS_PER_AGENT,
  newRequest,
  pending,
  pendingLimitReached,
} from '../../lambdas/modules/requests/rules.ts';
import { actor, admin, agent, at, contact, HOUR, later, lead, NOW, policy, request, user } from './requests-fixtures.ts';

const carol = contact('user-carol@example.com');
const problem = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('no problem thrown');
};

describe('who may read and decide', () => {
  it('reads the contact entry only of a verified member of the tenant who is neither support nor its admin', () => {
    expect(contactToRead(agent(), 'acme')).toBeNull();
    expect(contactToRead(lead(), 'acme')).toBeNull();
    expect(contactToRead(admin(), 'acme')).toBeNull();
    expect(contactToRead(user(), 'acme')).toBe('user-carol@example.com');
    expect(contactToRead(user({ emailVerified: false }), 'acme')).toBeNull();
    // Support staff who are also users of the tenant read as support: no contact entry is read for them.
    expect(contactToRead(user({ roles: ['tenant-user', 'support-agent'] }), 'acme')).toBeNull();
    expect(contactToRead(user({ roles: ['tenant-user', 'support-lead'] }), 'acme')).toBeNull();
    expect(contactToRead(user({ tenantId: 'other' }), 'acme')).toBeNull();
    expect(contactToRead(admin({ tenantId: 'other' }), 'acme')).toBeNull();
  });

  it('reads the contact entry for a decision only of a verified member who is not support nor the admin', () => {
    expect(contactToDecide(user(), 'acme')).toBe('user-carol@example.com');
    expect(contactToDecide(user({ roles: ['tenant-user', 'support-agent'] }), 'acme')).toBeNull();
    expect(contactToDecide(user({ emailVerified: false }), 'acme')).toBeNull();
    expect(contactToDecide(user({ email: 'carol@exämple.com' }), 'acme')).toBeNull();
    expect(contactToDecide(admin(), 'acme')).toBeNull();
    expect(contactToDecide(user({ tenantId: 'other' }), 'acme')).toBeNull();
  });

  it('lets support and the tenant admin read, a listed contact too, and nobody else', () => {
    expect(() => assertMayRead(agent(), 'acme', null)).not.toThrow();
    expect(() => assertMayRead(lead(), 'acme', null)).not.toThrow();
    expect(() => assertMayRead(admin(), 'acme', null)).not.toThrow();
    expect(() => assertMayRead(user(), 'acme', carol)).not.toThrow();
    const notListed = problem(() => assertMayRead(user(), 'acme', null));
    expect(notListed).toBeInstanceOf(ForbiddenError);
    expect(notListed.message).toBe('only a tenant admin or an authorized contact can do this');
    // Another tenant's admin is nobody here, even with an entry of the same email.
    expect(() => assertMayRead(admin({ tenantId: 'other' }), 'acme', carol)).toThrow(ForbiddenError);
    expect(() => assertMayRead(user({ tenantId: 'other' }), 'acme', carol)).toThrow(ForbiddenError);
  });

  it('asks a contact without a verified email to verify it first', () => {
    const e = problem(() => assertMayRead(user({ emailVerified: false }), 'acme', carol));
    expect(e).toBeInstanceOf(ForbiddenError);
    expect(e.message).toBe('contact rights need a verified email address (ASCII); verify your email and sign in again');
  });

  it('never lets support decide, whatever else they hold', () => {
    for (const p of [agent(), lead(), admin({ roles: ['tenant-admin', 'support-lead'] })]) {
      const e = problem(() => assertMayDecide(p, 'acme', carol));
      expect(e).toBeInstanceOf(ForbiddenError);
      expect(e.message).toBe('support staff never approve or deny access requests');
    }
  });

  it('lets a verified admin or a listed verified contact decide', () => {
    expect(() => assertMayDecide(admin(), 'acme', null)).not.toThrow();
    expect(() => assertMayDecide(user(), 'acme', carol)).not.toThrow();
    expect(() => assertMayDecide(user(), 'acme', null)).toThrow('only a tenant admin or an authorized contact can do this');
    expect(() => assertMayDecide(admin({ tenantId: 'other' }), 'acme', null)).toThrow(ForbiddenError);
  });

  it('refuses a decision without a verified ASCII email, even to an admin', () => {
    const message = 'approving and denying need a verified email address (ASCII); verify your email and sign in again';
    expect(() => assertMayDecide(admin({ emailVerified: false }), 'acme', null)).toThrow(message);
    expect(() => assertMayDecide(user({ email: 'carol@exämple.com' }), 'acme', carol)).toThrow(message);
  });
});

describe("the problems' codes", () => {
  it('answers each refusal with the code the contract gives it', () => {
    expect(problem(() => assertMayDecide(agent(), 'acme', null)).code).toBe('FORBIDDEN');
    expect(problem(() => assertWithinPolicy(99, 'durationHours', policy({ maxDurationHours: 72 }))).code).toBe('VALIDATION_FAILED');
    expect(problem(() => assertHasContact([])).code).toBe('NO_AUTHORIZED_CONTACT');
    expect(problem(() => found(null, 'r1')).code).toBe('NOT_FOUND');
    expect(problem(() => pending(request({ status: 'APPROVED' }), 'r1', NOW)).code).toBe('CONFLICT');
    expect(
      problem(() =>
        countAsks(
          Array.from({ length: MAX_ASKS_PER_HOUR }, () => request({ requestedAt: NOW.toISOString() })),
          'acme',
          NOW,
          0,
        ),
      ).code,
    ).toBe('CONFLICT');
  });
});

describe('reading a request', () => {
  it('is 404 for a request that is not there, and 409 naming the status for one no longer PENDING', () => {
    expect(problem(() => found(null, 'r9'))).toEqual(new NotFoundError('no access request r9'));
    expect(found(request(), 'r1').requestId).toBe('r1');
    const denied = problem(() => pending(request({ status: 'DENIED' }), 'r1', NOW));
    expect(denied).toBeInstanceOf(ConflictError);
    expect(denied.message).toBe('the request is DENIED');
    // PENDING past its expiresAt is EXPIRED, whatever the job has caught up with.
    expect(() => pending(request({ expiresAt: NOW.toISOString() }), 'r1', NOW)).toThrow('the request is EXPIRED');
    expect(pending(request(), 'r1', NOW).status).toBe('PENDING');
    expect(() => pending(null, 'r1', NOW)).toThrow(NotFoundError);
  });

  it('keeps the requests in the status asked, as of now', () => {
    const lapsed = request({ expiresAt: NOW.toISOString() });
    expect(inStatus(undefined, NOW)(lapsed)).toBe(true);
    expect(inStatus('EXPIRED', NOW)(lapsed)).toBe(true);
    expect(inStatus('PENDING', NOW)(lapsed)).toBe(false);
    expect(inStatus('PENDING', NOW)(request())).toBe(true);
  });
});

describe('asking', () => {
  it('refuses hours over the policy with a 400 naming the field, and accepts the maximum', () => {
    const e = problem(() => assertWithinPolicy(73, 'durationHours', policy({ maxDurationHours: 72 })));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toBe('durationHours is over the tenant policy');
    expect((e as ValidationError).errors).toEqual([
      { path: 'durationHours', message: "must be at most 72 (the tenant's maxDurationHours)" },
    ]);
    expect(() => assertWithinPolicy(72, 'durationHours', policy({ maxDurationHours: 72 }))).not.toThrow();
    expect(() => assertWithinPolicy(5, 'hours', policy({ maxDurationHours: 4 }))).toThrow('hours is over the tenant policy');
  });

  it('needs somebody to ask', () => {
    const e = problem(() => assertHasContact([]));
    expect(e).toBeInstanceOf(NoAuthorizedContactError);
    expect(e.message).toBe('the tenant has no authorized contact who could approve');
    expect(() => assertHasContact([carol])).not.toThrow();
  });

  it('makes a PENDING request that lapses after requestTtlHours and escalates after escalateAfterMinutes, and asks the primary contacts', () => {
    const body = { ticketId: 'T-7', reason: 'totals', scope: { level: 'read-only' as const }, durationHours: 6 };
    const {
      request: r,
      view,
      change,
    } = newRequest(at(), agent(), 'acme', body, policy({ requestTtlHours: 12, escalateAfterMinutes: 30, approvalsRequired: 2 }));
    expect(r).toEqual({
      requestId: 'id-1',
      tenantId: 'acme',
      kind: 'access',
      status: 'PENDING',
      ticketId: 'T-7',
      reason: 'totals',
      scope: { level: 'read-only' },
      durationHours: 6,
      requestedBy: actor(agent()),
      requestedAt: NOW.toISOString(),
      expiresAt: later(12 * HOUR).toISOString(),
      approvals: [],
      decidedAt: null,
      decidedBy: null,
      grantId: null,
      version: 1,
      escalateAt: later(30 * 60_000).toISOString(),
      escalated: false,
    });
    expect(view.status).toBe('PENDING');
    expect(view).not.toHaveProperty('version');
    expect(change.audit).toEqual([
      {
        eventId: 'id-2',
        at: NOW.toISOString(),
        actor: actor(agent()),
        action: 'request.created',
        targetId: 'id-1',
        details: { ticketId: 'T-7', scope: { level: 'read-only' }, durationHours: 6 },
      },
    ]);
    expect(change.outbox).toEqual([
      {
        messageId: 'id-3',
        tenantId: 'acme',
        kind: 'request.created',
        createdAt: NOW.toISOString(),
        payload: { request: view, approvalsRequired: 2 },
        toTier: 'primary',
      },
    ]);
  });

  it('says how many PENDING requests one agent may have and how to free one', () => {
    const cause = new LimitReachedError('5 requests are PENDING already');
    const e = pendingLimitReached('acme', cause);
    expect(e).toBeInstanceOf(LimitReachedError);
    expect(e.cause).toBe(cause);
    expect(e.message).toBe(
      `you already have ${MAX_PENDING_REQUESTS_PER_AGENT} PENDING access requests at this tenant, the most one agent may have; ` +
        'cancel one (POST /v1/tenants/acme/access-requests/{requestId}/cancel) or wait until one is decided or expires',
    );
  });
});

describe('the ask budget', () => {
  const asked = (minutesAgo: number, tenantId = 'acme') => request({ tenantId, requestedAt: later(-minutesAgo * 60_000).toISOString() });

  it(`counts the asks at the tenant in the hour before now and refuses the ${MAX_ASKS_PER_HOUR}th`, () => {
    const nine = Array.from({ length: MAX_ASKS_PER_HOUR - 1 }, () => asked(10));
    expect(countAsks(nine, 'acme', NOW, 0)).toEqual({ opened: 9, more: true });
    const e = problem(() => countAsks([...nine, asked(59)], 'acme', NOW, 0));
    expect(e).toBeInstanceOf(LimitReachedError);
    expect(e.message).toBe(
      `you opened ${MAX_ASKS_PER_HOUR} requests at this tenant in the last hour, the most one person may; ` +
        'every request emails its contacts: wait for an answer, or ask again later',
    );
    expect(() => countAsks([asked(1)], 'acme', NOW, MAX_ASKS_PER_HOUR - 1)).toThrow(LimitReachedError);
  });

  it('does not count asks at other tenants nor those an hour old or more, and stops paging at the hour', () => {
    expect(countAsks([asked(5, 'other'), asked(5)], 'acme', NOW, 0)).toEqual({ opened: 1, more: true });
    expect(countAsks([asked(5), asked(60), asked(61)], 'acme', NOW, 3)).toEqual({ opened: 4, more: false });
    expect(countAsks([], 'acme', NOW, 2)).toEqual({ opened: 2, more: true });
  });
});

describe('approving', () => {
  it('is refused to the requester, by sub or by canonical email under another account', () => {
    const own = problem(() => assertMayApprove(agent(), request(), 'r1', NOW));
    expect(own).toBeInstanceOf(ForbiddenError);
    expect(own.message).toBe('the requester cannot approve their own request');
    expect(() => assertMayApprove(admin({ id: 'other-sub', email: 'agent-ann@example.com' }), request(), 'r1', NOW)).toThrow(
      ForbiddenError,
    );
  });

  it('counts one vote per person: the same canonical email under another account has voted already', () => {
    const voted = request({
      approvals: [
        { by: actor(admin()), at: NOW.toISOString() },
        { by: actor(user()), at: NOW.toISOString() },
      ],
    });
    const e = problem(() => assertMayApprove(user({ id: 'carol-2' }), voted, 'r1', NOW));
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.message).toBe('you have already approved this request');
    expect(assertMayApprove(user({ id: 'user-dan', email: 'user-dan@example.com' }), voted, 'r1', NOW)).toBe(voted);
  });

  it('is 409 on a request no longer PENDING and 404 on none', () => {
    expect(() => assertMayApprove(admin(), request({ status: 'APPROVED' }), 'r1', NOW)).toThrow('the request is APPROVED');
    expect(() => assertMayApprove(admin(), null, 'r1', NOW)).toThrow(NotFoundError);
  });

  it('records a vote below the quorum: still PENDING, no grant, nobody emailed', () => {
    const d = approval(at(), user(), request(), policy({ approvalsRequired: 2 }), 'looks fine');
    expect(d.kind).toBe('vote');
    if (d.kind === 'extension') throw new Error('not an extension');
    expect(d.grant).toBeNull();
    expect(d.next).toEqual({ ...request(), approvals: [{ by: actor(user()), at: NOW.toISOString(), comment: 'looks fine' }], version: 2 });
    expect(d.change.outbox).toEqual([]);
    expect(d.change.audit).toEqual([
      {
        eventId: 'id-1',
        at: NOW.toISOString(),
        actor: actor(user()),
        action: 'request.approved',
        targetId: 'r1',
        details: { comment: 'looks fine', approvals: 1, approvalsRequired: 2 },
      },
    ]);
  });

  it('approves at the quorum of different people and activates a named grant for the requester', () => {
    const first = { by: actor(user()), at: later(-60_000).toISOString() };
    const d = approval(
      at(),
      admin(),
      request({ approvals: [first] }),
      policy({ approvalsRequired: 2, expiryWarningMinutes: 30 }),
      undefined,
    );
    if (d.kind !== 'approved') throw new Error(`expected approved, got ${d.kind}`);
    expect(d.next).toMatchObject({
      status: 'APPROVED',
      decidedAt: NOW.toISOString(),
      decidedBy: actor(admin()),
      grantId: 'id-2',
      version: 2,
      approvals: [first, { by: actor(admin()), at: NOW.toISOString() }],
    });
    expect(d.grant).toMatchObject({
      grantId: 'id-2',
      status: 'ACTIVE',
      origin: 'access-request',
      requestId: 'r1',
      ticketId: 'T-7',
      reason: 'invoice totals are wrong',
      scope: { level: 'full', modules: ['billing'] },
      audience: 'named',
      grantedBy: actor(admin()),
      approvedBy: [actor(user()), actor(admin())],
      expiresAt: later(6 * HOUR).toISOString(),
      warnAt: later(6 * HOUR - 30 * 60_000).toISOString(),
    });
    expect(d.grant!.grantees.map((g) => g.id)).toEqual(['agent-ann']);
    expect(d.change.audit.map((e) => e.action)).toEqual(['request.approved', 'grant.activated']);
    expect(d.change.audit[0]!.details).toEqual({ comment: null, approvals: 2, approvalsRequired: 2 });
    expect(d.change.outbox.map((m) => [m.kind, m.to])).toEqual([
      ['grant.activated', undefined],
      ['request.approved', ['agent-ann@example.com']],
    ]);
    expect(d.change.outbox[1]!.payload).toEqual({
      request: { ...d.next, version: undefined, escalateAt: undefined, escalated: undefined },
    });
  });

  it('caps the grant at the policy in force now, and audits the cap', () => {
    const d = approval(at(), admin(), request({ durationHours: 10 }), policy({ maxDurationHours: 4 }), 'ok');
    if (d.kind !== 'approved') throw new Error(`expected approved, got ${d.kind}`);
    expect(d.grant!.expiresAt).toBe(later(4 * HOUR).toISOString());
    expect(d.change.audit[0]!.details).toEqual({
      comment: 'ok',
      approvals: 1,
      approvalsRequired: 1,
      durationHours: 4,
      requestedDurationHours: 10,
      cappedBy: 'policy.maxDurationHours',
    });
    const exact = approval(at(), admin(), request({ durationHours: 4 }), policy({ maxDurationHours: 4 }), undefined);
    expect(exact.change.audit[0]!.details).toEqual({ comment: null, approvals: 1, approvalsRequired: 1 });
  });

  it("decides an extension request without a grant of its own: the grant's move is lifecycle's", () => {
    const r = request({ kind: 'extension', grantId: 'g1', durationHours: 10 });
    const d = approval(at(), admin(), r, policy({ maxDurationHours: 4 }), undefined);
    expect(d.kind).toBe('extension');
    expect(d.expected).toBe(r);
    expect(d.next).toEqual({
      ...r,
      approvals: [{ by: actor(admin()), at: NOW.toISOString() }],
      version: 2,
      status: 'APPROVED',
      decidedAt: NOW.toISOString(),
      decidedBy: actor(admin()),
    });
    // The extension's cap is audited on the grant (grant.extended), not here.
    expect(d.change.audit[0]!.details).toEqual({ comment: null, approvals: 1, approvalsRequired: 1 });
    expect(d.change.outbox.map((m) => [m.kind, m.to])).toEqual([['request.approved', ['agent-ann@example.com']]]);
    expect('grant' in d).toBe(false);
    const vote = approval(at(), admin(), r, policy({ approvalsRequired: 2 }), undefined);
    expect(vote.kind).toBe('vote');
  });
});

describe('denying, cancelling, lapsing', () => {
  it('denies: DENIED by the caller, the requester and every contact emailed', () => {
    const u = denial(at(), user(), request(), 'not now');
    expect(u.next).toEqual({ ...request(), status: 'DENIED', decidedAt: NOW.toISOString(), decidedBy: actor(user()), version: 2 });
    expect(u.grant).toBeNull();
    expect(u.change.audit).toEqual([
      {
        eventId: 'id-1',
        at: NOW.toISOString(),
        actor: actor(user()),
        action: 'request.denied',
        targetId: 'r1',
        details: { comment: 'not now' },
      },
    ]);
    expect(u.change.outbox.map((m) => [m.messageId, m.kind, m.to, m.payload.comment])).toEqual([
      ['id-2', 'request.denied', ['agent-ann@example.com'], 'not now'],
      ['id-3', 'request.decided', undefined, 'not now'],
    ]);
    expect(denial(at(), user(), request(), undefined).change.audit[0]!.details).toEqual({ comment: null });
    expect(denial(at(), user(), request(), undefined).change.outbox[1]!.payload.comment).toBeNull();
  });

  it('never lets the requester deny their own request', () => {
    expect(() => denial(at(), agent(), request(), undefined)).toThrow('the requester cannot deny their own request');
  });

  it('lets only the requester (by sub) cancel a PENDING request, telling the contacts who were asked', () => {
    expect(() => cancellation(at(), lead(), request(), 'r1')).toThrow(new ForbiddenError('only the requester can cancel a request'));
    expect(() => cancellation(at(), agent(), null, 'r1')).toThrow(NotFoundError);
    expect(() => cancellation(at(), agent(), request({ status: 'CANCELLED' }), 'r1')).toThrow('the request is CANCELLED');
    const u = cancellation(at(), agent(), request(), 'r1');
    expect(u.next).toEqual({ ...request(), status: 'CANCELLED', decidedAt: NOW.toISOString(), decidedBy: actor(agent()), version: 2 });
    expect(u.change.audit.map((e) => [e.action, e.targetId, e.details])).toEqual([['request.cancelled', 'r1', {}]]);
    expect(u.change.outbox).toEqual([
      expect.objectContaining({ kind: 'request.decided', toTier: 'primary', payload: expect.objectContaining({ comment: null }) }),
    ]);
    // Once escalated, the backups were asked too: every contact hears of it.
    expect(cancellation(at(), agent(), request({ escalated: true }), 'r1').change.outbox[0]).not.toHaveProperty('toTier');
  });

  it('lapses a PENDING request at its expiresAt, and nothing else', () => {
    expect(expiry(at(), null)).toBeNull();
    expect(expiry(at(), request())).toBeNull();
    expect(expiry(at(), request({ status: 'DENIED', expiresAt: NOW.toISOString() }))).toBeNull();
    const r = request({ expiresAt: NOW.toISOString() });
    const u = expiry(at(), r)!;
    expect(u.next).toEqual({ ...r, status: 'EXPIRED', version: 2 });
    expect(u.change.audit).toEqual([
      {
        eventId: 'id-1',
        at: NOW.toISOString(),
        actor: { id: 'system' },
        action: 'request.expired',
        targetId: 'r1',
        details: { expiresAt: r.expiresAt },
      },
    ]);
    expect(u.change.outbox.map((m) => [m.kind, m.to, m.payload.because ?? m.payload.comment])).toEqual([
      ['request.expired', ['agent-ann@example.com'], 'unanswered'],
      ['request.decided', undefined, null],
    ]);
  });
});
