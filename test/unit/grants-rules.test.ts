/**
 * The grant rules (`lambdas/modules/grants/rules.ts`), with no store: switching access on. The
 * records they read in, the decision, the problem or the records and change to write out.
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, NoAuthorizedContactError, NotFoundError, ValidationError } from '../../lambdas/kernel/errors.ts';
import {
  CONTACTS,
  DOMAINS,
  NOW,
  POLICY,
  active,
  adminOrder,
  alice,
  carol,
  counter,
  ctx,
  lead,
  leadOrder,
  person,
  sam,
  samInput,
  scope,
  thrown,
} from '../helpers/grant-fixtures.ts';
import {
  activationChange,
  assertOrderFits,
  assertSupportGrantees,
  buildGrant,
  decideGrant,
  found,
  grantOrder,
  mustBeActive,
  upfrontApprovers,
} from '../../lambdas/modules/grants/rules.ts';

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
