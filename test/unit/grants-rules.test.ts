/**
 * The grant rules (`lambdas/modules/grants/rules.ts`), with no store: the records they read in,
 * the decision, the problem or the records and change to write out.
 */
import { describe, expect, it } from 'vitest';
import type { Policy } from '../../lambdas/contract/schemas.ts';
import { ConflictError, ForbiddenError, NoAuthorizedContactError, NotFoundError, ValidationError } from '../../lambdas/kernel/errors.ts';
import type { Principal, RequestRecord, SessionRecord } from '../../lambdas/kernel/ports.ts';
import type { GrantRecord } from '../../lambdas/modules/grants/entity.ts';
import {
  activationChange,
  assertOrderFits,
  assertSupportGrantees,
  buildGrant,
  decideAddGrantee,
  decideGrant,
  decideRevoke,
  dueToExpire,
  ending,
  found,
  grantOrder,
  type GrantOrder,
  mayRevoke,
  mustBeActive,
  upfrontApprovers,
} from '../../lambdas/modules/grants/rules.ts';

const NOW = new Date('2026-12-07T12:00:00.000Z');
/** Ids in the order a rule asks for them: `id-1`, `id-2`, … */
const counter = () => {
  let n = 0;
  return { ids: { next: () => `id-${++n}` } };
};
const person = (id: string, roles: Principal['roles'], tenantId: string | null = null): Principal => ({
  id,
  email: `${id}@${tenantId ? `${tenantId}.test` : 'vendor.test'}`,
  emailVerified: true,
  name: id.toUpperCase(),
  roles,
  tenantId,
});
const alice = person('alice', ['tenant-admin'], 'acme');
const carol = person('carol', ['tenant-user'], 'acme');
const lead = person('lena', ['support-lead']);
const sam = person('sam', ['support-agent']);
const sid = person('sid', ['support-agent']);
const POLICY: Policy = {
  maxDurationHours: 8,
  allowStandingAccess: false,
  approvalsRequired: 1,
  allowUpfrontApproval: true,
  expiryWarningMinutes: 30,
} as Policy;
const CONTACTS = [
  { email: 'alice@acme.test', name: 'Alice Admin' },
  { email: 'Carol@Acme.test', name: 'Carol Contact' },
];
const DOMAINS = ['vendor.test'];
const ctx = (over: Partial<{ policy: Policy; contacts: typeof CONTACTS; supportEmailDomains: string[] | undefined }> = {}) => ({
  now: NOW,
  policy: POLICY,
  contacts: CONTACTS,
  supportEmailDomains: DOMAINS,
  ...over,
});
const samInput = { id: 'sam', email: 'sam@vendor.test', name: 'Sam' };
const scope = { level: 'read-only' as const, modules: ['billing'] };
const adminOrder = (body: Partial<GrantOrder['body']> = {}): GrantOrder =>
  ({ as: 'tenant-admin', body: { reason: 'Reproduce bug', scope, durationHours: 2, ...body } }) as GrantOrder;
const leadOrder = (body: Record<string, unknown> = {}): GrantOrder =>
  ({
    as: 'support-lead',
    body: { ticketId: 'T-1', reason: 'Agreed on the phone', scope, durationHours: 4, approvedBy: 'carol@acme.test', ...body },
  }) as GrantOrder;
const thrown = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
};

/** An ACTIVE named grant for Sam, ending in two hours, with one open session. */
const active = (over: Partial<GrantRecord> = {}): GrantRecord =>
  ({
    ...buildGrant(counter(), 'acme', new Date(NOW.getTime() - 3_600_000), {
      origin: 'tenant-admin',
      requestId: null,
      ticketId: 'T-9',
      reason: 'Reproduce bug',
      scope,
      grantees: [samInput],
      grantedBy: { id: 'alice', email: 'alice@acme.test', name: 'Alice' },
      approvedBy: [{ id: 'alice', email: 'alice@acme.test', name: 'Alice' }],
      durationHours: 3,
    }),
    grantId: 'g-1',
    openSessions: ['s-open'],
    ...over,
  }) as GrantRecord;

describe('buildGrant', () => {
  it('makes an ACTIVE grant stamped now, ending durationHours later, warned the policy minutes before', () => {
    const g = buildGrant(counter(), 'acme', NOW, {
      origin: 'tenant-admin',
      requestId: null,
      ticketId: null,
      reason: 'r',
      scope,
      grantees: [samInput],
      grantedBy: { id: 'alice', email: 'alice@acme.test', name: 'Alice' },
      approvedBy: [],
      durationHours: 2,
      warningMinutes: 30,
    });
    expect(g).toMatchObject({
      grantId: 'id-1',
      tenantId: 'acme',
      status: 'ACTIVE',
      audience: 'named',
      createdAt: '2026-12-07T12:00:00.000Z',
      expiresAt: '2026-12-07T14:00:00.000Z',
      warnAt: '2026-12-07T13:30:00.000Z',
      warned: false,
      version: 1,
      openSessions: [],
      endedAt: null,
      endedBy: null,
      endReason: null,
    });
    expect(g.grantees).toEqual([
      { ...samInput, addedAt: '2026-12-07T12:00:00.000Z', addedBy: { id: 'alice', email: 'alice@acme.test', name: 'Alice' } },
    ]);
  });

  it('a standing grant (no duration) for the whole team has no end and no warning', () => {
    const g = buildGrant(counter(), 'acme', NOW, {
      origin: 'tenant-admin',
      requestId: null,
      ticketId: null,
      reason: 'r',
      scope,
      grantees: undefined,
      grantedBy: { id: 'alice' } as never,
      approvedBy: [],
      durationHours: null,
      warningMinutes: 30,
    });
    expect(g).toMatchObject({ audience: 'support-team', grantees: [], expiresAt: null, warnAt: null });
  });

  it('without warning minutes, no warning', () => {
    const g = buildGrant(counter(), 'acme', NOW, { ...active(), grantees: undefined, durationHours: 2 } as never);
    expect(g.warnAt).toBeNull();
  });
});

describe('activationChange', () => {
  it('audits grant.activated with what was granted and mails the contacts the grant as it is now', () => {
    const g = active();
    const actor = { id: 'alice', email: 'alice@acme.test', name: 'Alice' };
    const change = activationChange(counter(), NOW, actor, g);
    expect(change.audit).toEqual([
      {
        eventId: 'id-1',
        at: NOW.toISOString(),
        actor,
        action: 'grant.activated',
        targetId: 'g-1',
        details: {
          origin: 'tenant-admin',
          requestId: null,
          ticketId: 'T-9',
          audience: 'named',
          scope,
          expiresAt: g.expiresAt,
          grantees: ['sam'],
          approvedBy: ['alice@acme.test'],
        },
      },
    ]);
    expect(change.outbox).toHaveLength(1);
    expect(change.outbox[0]).toMatchObject({ messageId: 'id-2', tenantId: 'acme', kind: 'grant.activated', createdAt: NOW.toISOString() });
    expect(change.outbox[0]!.payload).toEqual({ grant: expect.objectContaining({ grantId: 'g-1', status: 'ACTIVE' }), actor });
    expect(change.outbox[0]!.payload.grant).not.toHaveProperty('version');
    expect(change.outbox[0]).not.toHaveProperty('to');
  });
});

describe('assertSupportGrantees', () => {
  it('accepts support staff emails, in any case, and subdomains of a support domain', () => {
    expect(() =>
      assertSupportGrantees(DOMAINS, [samInput, { ...samInput, email: 'Sid@EU.Vendor.test' }], (i) => `grantees.${i}.email`),
    ).not.toThrow();
  });

  it('refuses each grantee outside the support domains by its field, naming the domains', () => {
    const e = thrown(() =>
      assertSupportGrantees(
        ['vendor.test', 'help.test'],
        [samInput, { ...samInput, email: 'eve@evil.test' }],
        (i) => `grantees.${i}.email`,
      ),
    ) as ValidationError;
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toBe('a grantee must be support staff');
    expect(e.errors).toEqual([{ path: 'grantees.1.email', message: 'must be a support staff email (@vendor.test, @help.test)' }]);
  });

  it('with no support domain configured, refuses everyone and says so', () => {
    for (const domains of [undefined, []]) {
      const e = thrown(() => assertSupportGrantees(domains, [samInput], () => 'email')) as ValidationError;
      expect(e.errors).toEqual([{ path: 'email', message: 'must be a support staff email (no support email domain is configured)' }]);
    }
  });
});

describe('upfrontApprovers', () => {
  it('names each contact once by canonical email, with the name on file', () => {
    expect(upfrontApprovers(CONTACTS, ['CAROL@acme.test', 'carol@acme.test', 'alice@acme.test'], 2)).toEqual([
      { id: 'carol@acme.test', email: 'carol@acme.test', name: 'Carol Contact' },
      { id: 'alice@acme.test', email: 'alice@acme.test', name: 'Alice Admin' },
    ]);
    expect(upfrontApprovers(CONTACTS, 'carol@acme.test', 1)).toHaveLength(1);
  });

  it('refuses a stranger (409), naming one or several', () => {
    const one = thrown(() => upfrontApprovers(CONTACTS, ['eve@acme.test', 'carol@acme.test'], 1));
    expect(one).toBeInstanceOf(ConflictError);
    expect(one.message).toBe('eve@acme.test is not an authorized contact of this tenant');
    expect(thrown(() => upfrontApprovers(CONTACTS, ['eve@acme.test', 'mallory@acme.test'], 1)).message).toBe(
      'eve@acme.test, mallory@acme.test are not authorized contacts of this tenant',
    );
  });

  it('refuses fewer different contacts than the policy requires (409), but accepts exactly that many', () => {
    const e = thrown(() => upfrontApprovers(CONTACTS, ['carol@acme.test', 'Carol@acme.test'], 2));
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.message).toBe("the tenant's policy needs 2 different authorized contacts to approve; approvedBy names 1");
    expect(upfrontApprovers(CONTACTS, ['carol@acme.test', 'alice@acme.test'], 2)).toHaveLength(2);
  });
});

describe('grantOrder', () => {
  const adminBody = adminOrder().body;
  const leadBody = leadOrder().body;

  it("tags a tenant admin's direct grant and a support lead's upfront approval", () => {
    expect(grantOrder(alice, 'acme', adminBody)).toEqual({ as: 'tenant-admin', body: adminBody });
    expect(grantOrder(lead, 'acme', leadBody)).toEqual({ as: 'support-lead', body: leadBody });
  });

  it('refuses anyone else (403): an agent, a tenant user, an admin of another tenant', () => {
    for (const who of [sam, carol, person('bob', ['tenant-admin'], 'globex')]) {
      const e = thrown(() => grantOrder(who, 'acme', adminBody));
      expect(e).toBeInstanceOf(ForbiddenError);
      expect(e.message).toBe('only a tenant admin or a support lead can grant access');
    }
  });

  it("refuses the other role's body (400 naming approvedBy)", () => {
    const fromAdmin = thrown(() => grantOrder(alice, 'acme', leadBody)) as ValidationError;
    expect(fromAdmin).toBeInstanceOf(ValidationError);
    expect(fromAdmin.message).toBe("this is not the body of a tenant-admin's grant");
    expect(fromAdmin.errors).toEqual([{ path: 'approvedBy', message: 'only a support lead records an upfront approval' }]);
    const fromLead = thrown(() => grantOrder(lead, 'acme', adminBody)) as ValidationError;
    expect(fromLead.message).toBe("this is not the body of a support-lead's grant");
    expect(fromLead.errors).toEqual([{ path: 'approvedBy', message: 'required: the contacts who approved upfront' }]);
  });
});

describe('assertOrderFits', () => {
  it('accepts the policy maximum, refuses an hour more (400 naming durationHours and the cap)', () => {
    expect(() => assertOrderFits(POLICY, DOMAINS, adminOrder({ durationHours: 8 }))).not.toThrow();
    const e = thrown(() => assertOrderFits(POLICY, DOMAINS, adminOrder({ durationHours: 9 }))) as ValidationError;
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toBe('durationHours is over the tenant policy');
    expect(e.errors).toEqual([{ path: 'durationHours', message: "must be at most 8 (the tenant's maxDurationHours)" }]);
    expect(() => assertOrderFits(POLICY, DOMAINS, leadOrder({ durationHours: 9 }))).toThrow(ValidationError);
  });

  it('refuses an upfront approval where the policy does not allow it (403), not an admin grant', () => {
    const closed = { ...POLICY, allowUpfrontApproval: false };
    const e = thrown(() => assertOrderFits(closed, DOMAINS, leadOrder()));
    expect(e).toBeInstanceOf(ForbiddenError);
    expect(e.message).toBe("the tenant's policy does not allow upfront approvals; ask with an access request");
    expect(() => assertOrderFits(closed, DOMAINS, adminOrder())).not.toThrow();
  });

  it('refuses standing access where the policy does not allow it (400 naming standing), allows it where it does', () => {
    const standing = adminOrder({ durationHours: undefined, standing: true });
    const e = thrown(() => assertOrderFits(POLICY, DOMAINS, standing)) as ValidationError;
    expect(e.message).toBe('standing access is not allowed');
    expect(e.errors).toEqual([{ path: 'standing', message: "the tenant's policy does not allow standing access" }]);
    expect(() => assertOrderFits({ ...POLICY, allowStandingAccess: true }, DOMAINS, standing)).not.toThrow();
  });

  it("refuses a grantee outside the support domains by its field in the body (either role's)", () => {
    const eve = [{ ...samInput, email: 'eve@evil.test' }];
    for (const order of [adminOrder({ grantees: eve }), leadOrder({ grantees: eve })]) {
      const e = thrown(() => assertOrderFits(POLICY, DOMAINS, order)) as ValidationError;
      expect(e.errors?.[0]?.path).toBe('grantees.0.email');
    }
  });
});

describe('decideGrant', () => {
  it("a tenant admin's grant: theirs, approved by them, with its ticket, and the activation it owes", () => {
    const { grant, change } = decideGrant(counter(), ctx(), alice, 'acme', adminOrder({ ticketId: 'T-7', grantees: [samInput] }));
    const aliceActor = { id: 'alice', email: 'alice@acme.test', name: 'ALICE' };
    expect(grant).toMatchObject({
      grantId: 'id-1',
      origin: 'tenant-admin',
      requestId: null,
      ticketId: 'T-7',
      reason: 'Reproduce bug',
      scope,
      audience: 'named',
      grantedBy: aliceActor,
      approvedBy: [aliceActor],
      expiresAt: '2026-12-07T14:00:00.000Z',
      warnAt: '2026-12-07T13:30:00.000Z',
    });
    expect(change.audit.map((e) => [e.action, e.actor])).toEqual([['grant.activated', aliceActor]]);
    expect(change.outbox.map((m) => m.kind)).toEqual(['grant.activated']);
  });

  it('an admin grant without a ticket has ticketId null; a standing one has no end', () => {
    const policy = { ...POLICY, allowStandingAccess: true };
    const { grant } = decideGrant(counter(), ctx({ policy }), alice, 'acme', adminOrder({ durationHours: undefined, standing: true }));
    expect(grant).toMatchObject({ ticketId: null, expiresAt: null, audience: 'support-team' });
  });

  it("a support lead's upfront approval: approved by the contacts named, granted by the lead", () => {
    const { grant } = decideGrant(counter(), ctx(), lead, 'acme', leadOrder());
    expect(grant).toMatchObject({
      origin: 'upfront-approval',
      ticketId: 'T-1',
      reason: 'Agreed on the phone',
      grantedBy: { id: 'lena' },
      approvedBy: [{ id: 'carol@acme.test', email: 'carol@acme.test', name: 'Carol Contact' }],
      expiresAt: '2026-12-07T16:00:00.000Z',
      warnAt: '2026-12-07T15:30:00.000Z',
    });
  });

  it('needs the policy number of approving contacts', () => {
    expect(() => decideGrant(counter(), ctx({ policy: { ...POLICY, approvalsRequired: 2 } }), lead, 'acme', leadOrder())).toThrow(
      ConflictError,
    );
  });

  it('refuses when the tenant has no authorized contact to tell (409 NO_AUTHORIZED_CONTACT)', () => {
    const e = thrown(() => decideGrant(counter(), ctx({ contacts: [] }), alice, 'acme', adminOrder()));
    expect(e).toBeInstanceOf(NoAuthorizedContactError);
    expect(e.message).toBe('the tenant has no authorized contact to tell; add one first');
  });

  it('refuses what the policy refuses, before anything else', () => {
    expect(() => decideGrant(counter(), ctx({ contacts: [] }), alice, 'acme', adminOrder({ durationHours: 9 }))).toThrow(ValidationError);
  });
});

describe('found and mustBeActive', () => {
  it('an absent grant is a 404 naming it', () => {
    for (const f of [() => found(null, 'g-x'), () => mustBeActive(null, 'g-x', NOW)]) {
      const e = thrown(f);
      expect(e).toBeInstanceOf(NotFoundError);
      expect(e.message).toBe('no grant g-x');
    }
  });

  it('a grant past its end is EXPIRED (409), whatever is stored; one ended is its status', () => {
    const g = active();
    expect(mustBeActive(g, 'g-1', NOW)).toBe(g);
    expect(found(g, 'g-1')).toBe(g);
    const e = thrown(() => mustBeActive(g, 'g-1', new Date(Date.parse(g.expiresAt!))));
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.message).toBe('the grant is EXPIRED');
    expect(thrown(() => mustBeActive({ ...g, status: 'REVOKED' }, 'g-1', NOW)).message).toBe('the grant is REVOKED');
  });
});

describe('decideAddGrantee', () => {
  it('adds the grantee, stamped now by the caller, one version on, audited and mailed', () => {
    const g = active();
    const sidInput = { id: 'sid', email: 'sid@vendor.test', name: 'Sid' };
    const { next, grantee, change } = decideAddGrantee(counter(), NOW, alice, g, sidInput);
    const by = { id: 'alice', email: 'alice@acme.test', name: 'ALICE' };
    expect(grantee).toEqual({ ...sidInput, addedAt: NOW.toISOString(), addedBy: by });
    expect(next.grantees.map((x) => x.id)).toEqual(['sam', 'sid']);
    expect(next.version).toBe(g.version + 1);
    expect(change.audit).toEqual([
      { eventId: 'id-1', at: NOW.toISOString(), actor: by, action: 'grant.grantee_added', targetId: 'g-1', details: { grantee: sidInput } },
    ]);
    expect(change.outbox).toEqual([
      {
        messageId: 'id-2',
        tenantId: 'acme',
        kind: 'grant.grantee_added',
        createdAt: NOW.toISOString(),
        payload: { grant: expect.objectContaining({ grantees: next.grantees }), grantee, actor: by },
      },
    ]);
  });

  it('refuses a support-team grant, someone already named, and a 21st grantee (409 each)', () => {
    const sidInput = { id: 'sid', email: 'sid@vendor.test', name: 'Sid' };
    const cases: [GrantRecord, typeof sidInput, string][] = [
      [active({ audience: 'support-team', grantees: [] }), sidInput, 'the grant already covers the whole support team'],
      [active(), { ...sidInput, id: 'sam' }, 'sam is already a grantee'],
      [active({ grantees: [active().grantees[0]!, { ...active().grantees[0]!, id: 'sid' }] }), sidInput, 'sid is already a grantee'],
      [
        active({ grantees: Array.from({ length: 20 }, (_, i) => ({ ...active().grantees[0]!, id: `a${i}` })) }),
        sidInput,
        'the grant names the most grantees it can',
      ],
    ];
    for (const [g, input, message] of cases) {
      const e = thrown(() => decideAddGrantee(counter(), NOW, alice, g, input));
      expect(e).toBeInstanceOf(ConflictError);
      expect(e.message).toBe(message);
    }
    const nineteen = active({ grantees: Array.from({ length: 19 }, (_, i) => ({ ...active().grantees[0]!, id: `a${i}` })) });
    expect(decideAddGrantee(counter(), NOW, alice, nineteen, sidInput).next.grantees).toHaveLength(20);
  });
});

describe('mayRevoke', () => {
  it('the tenant admin, a support lead, or a support agent the grant names; nobody else', () => {
    const g = active();
    expect(mayRevoke(alice, 'acme', g)).toBe(true);
    expect(mayRevoke(lead, 'acme', g)).toBe(true);
    expect(mayRevoke(sam, 'acme', g)).toBe(true);
    expect(mayRevoke(sid, 'acme', g)).toBe(false);
    expect(mayRevoke(carol, 'acme', g)).toBe(false);
    expect(mayRevoke(alice, 'globex', g)).toBe(false);
    // One of several grantees may revoke too.
    expect(mayRevoke(sid, 'acme', active({ grantees: [g.grantees[0]!, { ...g.grantees[0]!, id: 'sid' }] }))).toBe(true);
    // A tenant user whose sub is a grantee's is still no support agent.
    expect(mayRevoke({ ...carol, id: 'sam' }, 'acme', g)).toBe(false);
  });
});

const session = (id: string, signInAt: string, signOutAt: string | null): SessionRecord => ({
  sessionId: id,
  tenantId: 'acme',
  grantId: 'g-1',
  accessedBy: { id: 'sam', email: 'sam@vendor.test', name: 'Sam' },
  reason: 'look',
  signInAt,
  signOutAt,
  endedBy: signOutAt ? 'agent' : null,
  grantedBy: { id: 'alice', email: 'alice@acme.test', name: 'Alice' },
  sourceIp: '10.0.0.1',
  userAgent: 'test',
  grantExpiresAt: null,
});
const extension = (id: string, status: RequestRecord['status']): RequestRecord =>
  ({
    requestId: id,
    tenantId: 'acme',
    grantId: 'g-1',
    status,
    expiresAt: '2026-12-07T13:00:00.000Z',
    requestedBy: { id: 'sam', email: 'sam@vendor.test', name: 'Sam' },
    version: 3,
    escalateAt: null,
    escalated: false,
  }) as unknown as RequestRecord;

describe('decideRevoke and ending', () => {
  const reads = {
    sessions: [
      session('s-done', '2026-12-07T11:10:00.000Z', '2026-12-07T11:20:00.000Z'),
      session('s-open', '2026-12-07T11:30:00.000Z', null),
    ],
    extensions: [extension('r-1', 'PENDING'), extension('r-2', 'APPROVED')],
  };

  it('a revoke ends the grant now by the caller, its open sessions with it, and lapses its PENDING extensions', () => {
    const g = active({ pendingExtensions: ['r-1', 'r-2'] });
    const out = decideRevoke(counter(), NOW, alice, 'acme', g, 'done', reads);
    const by = { id: 'alice', email: 'alice@acme.test', name: 'ALICE' };
    expect(out.ended).toMatchObject({
      status: 'REVOKED',
      endedAt: NOW.toISOString(),
      endedBy: by,
      endReason: 'done',
      version: g.version + 1,
      openSessions: [],
      pendingExtensions: [],
    });
    expect(out.sessionEnd).toEqual({
      at: NOW.toISOString(),
      endedBy: 'revoked',
      audit: {
        's-open': {
          eventId: 'id-4',
          at: NOW.toISOString(),
          actor: by,
          action: 'session.ended',
          targetId: 's-open',
          details: { grantId: 'g-1', endedBy: 'revoked' },
        },
      },
    });
    // The lapsed extension's event and mail are made first, the grant's event listed first.
    expect(out.change.audit.map((e) => [e.eventId, e.action, e.targetId])).toEqual([
      ['id-3', 'grant.revoked', 'g-1'],
      ['id-1', 'request.expired', 'r-1'],
    ]);
    expect(out.change.audit[0]!.details).toEqual({ reason: 'done', sessionsEnded: ['s-open'] });
    expect(out.change.audit[1]).toMatchObject({
      actor: { id: 'system' },
      details: { expiresAt: '2026-12-07T13:00:00.000Z', grantEnded: 'g-1' },
    });
    expect(out.lapsed).toEqual([{ ...reads.extensions[0], status: 'EXPIRED', version: 4 }]);
    const [mail, lapseMail] = out.change.outbox;
    expect(mail).toMatchObject({ messageId: 'id-5', kind: 'grant.revoked', tenantId: 'acme', payload: { actor: by } });
    expect(mail!.payload.grant).toMatchObject({ status: 'REVOKED', endReason: 'done' });
    expect(mail!.payload.digest).toEqual({
      sessionCount: 2,
      totalMs: 10 * 60_000 + 30 * 60_000,
      sessions: [
        expect.objectContaining({ sessionId: 's-open', signOutAt: NOW.toISOString(), endedBy: 'revoked' }),
        expect.objectContaining({ sessionId: 's-done', endedBy: 'agent' }),
      ],
    });
    expect(lapseMail).toMatchObject({
      messageId: 'id-2',
      kind: 'request.expired',
      to: ['sam@vendor.test'],
      payload: { because: 'grant-ended' },
    });
    expect(lapseMail!.payload.request).toMatchObject({ requestId: 'r-1', status: 'EXPIRED' });
    expect(lapseMail!.payload.request).not.toHaveProperty('version');
  });

  it('a revoke without a reason records null', () => {
    const out = decideRevoke(counter(), NOW, sam, 'acme', active(), undefined, { sessions: [], extensions: [] });
    expect(out.ended.endReason).toBeNull();
    expect(out.change.audit[0]!.details).toEqual({ reason: null, sessionsEnded: ['s-open'] });
  });

  it('refuses a caller who may not revoke (403), deciding nothing', () => {
    const e = thrown(() => decideRevoke(counter(), NOW, sid, 'acme', active(), 'x', reads));
    expect(e).toBeInstanceOf(ForbiddenError);
    expect(e.message).toBe('only a tenant admin, a support lead or a grantee can revoke this grant');
  });

  it('an expiry ends the grant at its end, by nobody (its events name the system), with the expiry email', () => {
    const g = active();
    const later = new Date(Date.parse(g.expiresAt!) + 60_000);
    const out = ending(counter(), later, g, 'expired', { sessions: [session('s-open', '2026-12-07T11:30:00.000Z', null)], extensions: [] });
    expect(out.ended).toMatchObject({ status: 'EXPIRED', endedAt: g.expiresAt, endedBy: null, endReason: 'expired' });
    expect(out.sessionEnd).toMatchObject({ at: g.expiresAt, endedBy: 'expired' });
    expect(out.sessionEnd.audit['s-open']).toMatchObject({ actor: { id: 'system' }, details: { grantId: 'g-1', endedBy: 'expired' } });
    expect(out.change.audit).toEqual([
      {
        eventId: 'id-1',
        at: later.toISOString(),
        actor: { id: 'system' },
        action: 'grant.expired',
        targetId: 'g-1',
        details: { expiresAt: g.expiresAt, sessionsEnded: ['s-open'] },
      },
    ]);
    expect(out.change.outbox).toHaveLength(1);
    expect(out.change.outbox[0]).toMatchObject({ kind: 'grant.expired', createdAt: later.toISOString() });
    expect(out.change.outbox[0]!.payload).not.toHaveProperty('actor');
    expect(out.change.outbox[0]!.payload.digest).toMatchObject({
      sessionCount: 1,
      sessions: [{ signOutAt: g.expiresAt, endedBy: 'expired' }],
    });
    expect(out.lapsed).toEqual([]);
  });
});

describe('dueToExpire', () => {
  it('only a stored-ACTIVE grant whose end has passed; never a standing one', () => {
    const g = active();
    const end = new Date(Date.parse(g.expiresAt!));
    expect(dueToExpire(g, end)).toBe(true);
    expect(dueToExpire(g, new Date(end.getTime() - 1))).toBe(false);
    expect(dueToExpire({ ...g, status: 'REVOKED' }, end)).toBe(false);
    expect(dueToExpire({ ...g, expiresAt: null }, end)).toBe(false);
    expect(dueToExpire(null, end)).toBe(false);
  });
});
