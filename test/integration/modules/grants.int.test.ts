/** Grants: switching access on, widening it, ending it, and what each change leaves behind. */
import { describe, expect, it } from 'vitest';
import type { AdminGrantBody, UpfrontGrantBody } from '../../../lambdas/contract/schemas.ts';
import { ConflictError, ForbiddenError, NoAuthorizedContactError, ValidationError } from '../../../lambdas/kernel/errors.ts';
import { addGrantee, createGrant, expireGrant, getGrant, listGrants, revokeGrant } from '../../../lambdas/modules/grants/service.ts';
import { signIn } from '../../../lambdas/modules/sessions/service.ts';
import { HOUR, person, setupTenant, testDeps, type TestDeps, type Tenant, later } from '../../helpers/domain.ts';

const readOnly = { level: 'read-only' as const };
const adminBody = (over: Partial<AdminGrantBody> = {}): AdminGrantBody => ({
  reason: 'billing bug',
  scope: readOnly,
  durationHours: 4,
  ...over,
});
const upfrontBody = (t: Tenant, over: Partial<UpfrontGrantBody> = {}): UpfrontGrantBody => ({
  ticketId: 'T-42',
  reason: 'the customer called',
  scope: { level: 'full', modules: ['billing'] },
  durationHours: 2,
  approvedBy: t.contact.email,
  ...over,
});
const asGrantee = (p: { id: string; email: string; name: string }) => ({ id: p.id, email: p.email, name: p.name });
const signInInput = { reason: 'looking at the ticket', sourceIp: '10.0.0.1', userAgent: 'vitest' };

/** The audit actions and outbox kinds written for the tenant after a given point. */
async function since(deps: TestDeps, tenantId: string, before: { audit: number; outbox: number }) {
  return {
    audit: (await deps.store.auditOf(tenantId)).slice(before.audit),
    outbox: (await deps.store.outboxOf(tenantId)).slice(before.outbox),
  };
}
const mark = async (deps: TestDeps, tenantId: string) => ({
  audit: (await deps.store.auditOf(tenantId)).length,
  outbox: (await deps.store.outboxOf(tenantId)).length,
});

describe('createGrant by a tenant admin', () => {
  it('grants the whole support team for some hours when no grantee is named', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const before = await mark(deps, t.tenantId);
    // Act
    const g = await createGrant(deps, t.admin, t.tenantId, adminBody());
    // Assess
    expect(g).toMatchObject({
      tenantId: t.tenantId,
      status: 'ACTIVE',
      origin: 'tenant-admin',
      audience: 'support-team',
      grantees: [],
      requestId: null,
      ticketId: null,
      reason: 'billing bug',
      scope: readOnly,
      grantedBy: { id: t.admin.id, email: t.admin.email, name: t.admin.name },
      approvedBy: [{ id: t.admin.id, email: t.admin.email, name: t.admin.name }],
      createdAt: '2026-11-23T14:00:00.000Z',
      expiresAt: '2026-11-23T18:00:00.000Z',
      endedAt: null,
      endedBy: null,
      endReason: null,
    });
    expect(await getGrant(deps, t.tenantId, g.grantId)).toEqual(g);
    const { audit, outbox } = await since(deps, t.tenantId, before);
    expect(audit.map((e) => [e.action, e.targetId])).toEqual([['grant.activated', g.grantId]]);
    expect(audit[0]!.actor).toEqual({ id: t.admin.id, email: t.admin.email, name: t.admin.name });
    expect(outbox.map((m) => m.kind)).toEqual(['grant.activated']);
    expect(outbox[0]!.to).toBeUndefined(); // to every authorized contact
    expect(outbox[0]!.payload.grant).toEqual(g);
  });

  it('names the grantees when they are given, each added by the admin', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    // Act
    const g = await createGrant(deps, t.admin, t.tenantId, adminBody({ grantees: [asGrantee(t.agent)] }));
    // Assess
    expect(g.audience).toBe('named');
    expect(g.grantees).toEqual([
      { ...asGrantee(t.agent), addedAt: '2026-11-23T14:00:00.000Z', addedBy: { id: t.admin.id, email: t.admin.email, name: t.admin.name } },
    ]);
    expect(await deps.store.entriesOf(t.tenantId, g.grantId)).toHaveLength(1);
  });

  it('grants standing access, with no end, when the policy allows it', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { allowStandingAccess: true } });
    // Act
    const g = await createGrant(deps, t.admin, t.tenantId, { reason: 'managed service', scope: readOnly, standing: true });
    // Assess
    expect(g.expiresAt).toBeNull();
    expect(g.status).toBe('ACTIVE');
    deps.clock.advanceHours(24 * 365);
    expect((await getGrant(deps, t.tenantId, g.grantId)).status).toBe('ACTIVE');
  });

  it('refuses standing access with a validation error on `standing` when the policy does not allow it', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const before = await mark(deps, t.tenantId);
    // Act
    const act = later(createGrant(deps, t.admin, t.tenantId, { reason: 'managed service', scope: readOnly, standing: true }));
    // Assess
    const err = await act.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).errors.map((e) => e.path)).toEqual(['standing']);
    expect(await since(deps, t.tenantId, before)).toEqual({ audit: [], outbox: [] });
  });

  it('refuses a duration over the policy maximum, naming durationHours, and writes nothing', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { maxDurationHours: 8 } });
    const before = await mark(deps, t.tenantId);
    // Act
    const err = await createGrant(deps, t.admin, t.tenantId, adminBody({ durationHours: 9 })).catch((e: unknown) => e);
    // Assess
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).errors).toEqual([{ path: 'durationHours', message: expect.stringContaining('8') }]);
    expect(await since(deps, t.tenantId, before)).toEqual({ audit: [], outbox: [] });
    expect((await listGrants(deps, t.tenantId, { limit: 10 })).items).toEqual([]);
  });

  it('accepts exactly the policy maximum', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { maxDurationHours: 8 } });
    // Act
    const g = await createGrant(deps, t.admin, t.tenantId, adminBody({ durationHours: 8 }));
    // Assess
    expect(g.expiresAt).toBe('2026-11-23T22:00:00.000Z');
  });

  it('refuses with NO_AUTHORIZED_CONTACT when nobody at the tenant would be told', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { contacts: false });
    // Act
    const act = later(createGrant(deps, t.admin, t.tenantId, adminBody()));
    // Assess
    await expect(act).rejects.toBeInstanceOf(NoAuthorizedContactError);
    expect(await deps.store.auditOf(t.tenantId)).toEqual([]);
    expect(await deps.store.outboxOf(t.tenantId)).toEqual([]);
  });

  it('does not let the admin of another tenant, or a tenant user, grant', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const foreignAdmin = person('globex-admin', ['tenant-admin'], 'globex');
    // Act
    const byForeign = later(createGrant(deps, foreignAdmin, t.tenantId, adminBody()));
    const byUser = later(createGrant(deps, t.contact, t.tenantId, adminBody()));
    // Assess
    await expect(byForeign).rejects.toBeInstanceOf(ForbiddenError);
    await expect(byUser).rejects.toBeInstanceOf(ForbiddenError);
  });
});

describe('createGrant by a support lead (upfront approval)', () => {
  it('records the approval of a contact as approvedBy, granted by the lead', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    // Act
    const g = await createGrant(deps, t.lead, t.tenantId, upfrontBody(t, { grantees: [asGrantee(t.agent)] }));
    // Assess
    expect(g).toMatchObject({
      status: 'ACTIVE',
      origin: 'upfront-approval',
      ticketId: 'T-42',
      audience: 'named',
      scope: { level: 'full', modules: ['billing'] },
      grantedBy: { id: t.lead.id, email: t.lead.email, name: t.lead.name },
      approvedBy: [{ id: t.contact.email, email: t.contact.email, name: t.contact.name }],
      expiresAt: '2026-11-23T16:00:00.000Z',
    });
    expect((await deps.store.auditOf(t.tenantId)).at(-1)).toMatchObject({
      action: 'grant.activated',
      targetId: g.grantId,
      details: { origin: 'upfront-approval', approvedBy: [t.contact.email] },
    });
    expect((await deps.store.outboxOf(t.tenantId)).at(-1)).toMatchObject({ kind: 'grant.activated' });
  });

  it('refuses with a conflict when approvedBy is not an authorized contact', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const before = await mark(deps, t.tenantId);
    // Act
    const act = later(createGrant(deps, t.lead, t.tenantId, upfrontBody(t, { approvedBy: t.user.email })));
    // Assess
    await expect(act).rejects.toBeInstanceOf(ConflictError);
    expect(await since(deps, t.tenantId, before)).toEqual({ audit: [], outbox: [] });
  });

  it('does not let a support agent grant', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    // Act
    const act = later(createGrant(deps, t.agent, t.tenantId, upfrontBody(t)));
    // Assess
    await expect(act).rejects.toBeInstanceOf(ForbiddenError);
  });
});

describe('addGrantee', () => {
  it('names one more person on an ACTIVE named grant, audits it and tells the contacts', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, adminBody({ grantees: [asGrantee(t.agent)] }));
    deps.clock.advanceHours(1);
    const before = await mark(deps, t.tenantId);
    // Act
    const widened = await addGrantee(deps, t.lead, t.tenantId, g.grantId, asGrantee(t.agent2));
    // Assess
    expect(widened.grantees.map((x) => x.id)).toEqual([t.agent.id, t.agent2.id]);
    expect(widened.grantees[1]).toMatchObject({ addedAt: '2026-11-23T15:00:00.000Z', addedBy: { id: t.lead.id } });
    expect(await getGrant(deps, t.tenantId, g.grantId)).toEqual(widened);
    const { audit, outbox } = await since(deps, t.tenantId, before);
    expect(audit.map((e) => [e.action, e.targetId])).toEqual([['grant.grantee_added', g.grantId]]);
    expect(outbox.map((m) => m.kind)).toEqual(['grant.grantee_added']);
    expect(outbox[0]!.payload.grantee).toMatchObject({ id: t.agent2.id });
    // The new grantee can now sign in.
    await expect(signIn(deps, t.agent2, t.tenantId, signInInput)).resolves.toMatchObject({ grantId: g.grantId });
  });

  it('refuses on a support-team grant: it already covers everyone', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, adminBody());
    // Act
    const act = later(addGrantee(deps, t.admin, t.tenantId, g.grantId, asGrantee(t.agent2)));
    // Assess
    await expect(act).rejects.toBeInstanceOf(ConflictError);
  });

  it('refuses a person already named', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, adminBody({ grantees: [asGrantee(t.agent)] }));
    const before = await mark(deps, t.tenantId);
    // Act
    const act = later(addGrantee(deps, t.admin, t.tenantId, g.grantId, asGrantee(t.agent)));
    // Assess
    await expect(act).rejects.toBeInstanceOf(ConflictError);
    expect(await since(deps, t.tenantId, before)).toEqual({ audit: [], outbox: [] });
  });

  it('refuses on a grant that is no longer ACTIVE (revoked, or past its end)', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const revoked = await createGrant(deps, t.admin, t.tenantId, adminBody({ grantees: [asGrantee(t.agent)] }));
    await revokeGrant(deps, t.admin, t.tenantId, revoked.grantId, undefined);
    const expiring = await createGrant(deps, t.admin, t.tenantId, adminBody({ grantees: [asGrantee(t.agent)], durationHours: 1 }));
    deps.clock.advanceHours(1);
    // Act
    const onRevoked = later(addGrantee(deps, t.admin, t.tenantId, revoked.grantId, asGrantee(t.agent2)));
    const onExpired = later(addGrantee(deps, t.admin, t.tenantId, expiring.grantId, asGrantee(t.agent2)));
    // Assess
    await expect(onRevoked).rejects.toBeInstanceOf(ConflictError);
    await expect(onExpired).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('revokeGrant', () => {
  it('lets the tenant admin revoke: REVOKED now, the reason kept, open sessions ended, contacts told', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, adminBody());
    const s = await signIn(deps, t.agent, t.tenantId, signInInput);
    deps.clock.advanceHours(1);
    const before = await mark(deps, t.tenantId);
    // Act
    const revoked = await revokeGrant(deps, t.admin, t.tenantId, g.grantId, 'fixed');
    // Assess
    expect(revoked).toMatchObject({
      status: 'REVOKED',
      endedAt: '2026-11-23T15:00:00.000Z',
      endedBy: { id: t.admin.id, email: t.admin.email, name: t.admin.name },
      endReason: 'fixed',
    });
    expect(await getGrant(deps, t.tenantId, g.grantId)).toEqual(revoked);
    expect(await deps.store.getSession(t.tenantId, s.sessionId)).toMatchObject({
      signOutAt: '2026-11-23T15:00:00.000Z',
      endedBy: 'revoked',
    });
    expect(await deps.store.entriesOf(t.tenantId, g.grantId)).toEqual([]);
    const { audit, outbox } = await since(deps, t.tenantId, before);
    expect(audit.map((e) => [e.action, e.targetId])).toEqual([
      ['grant.revoked', g.grantId],
      ['session.ended', s.sessionId],
    ]);
    expect(audit[1]!.details).toMatchObject({ endedBy: 'revoked' });
    expect(outbox.map((m) => m.kind)).toEqual(['grant.revoked']);
    expect(outbox[0]!.payload.grant).toEqual(revoked);
  });

  it('lets a support lead revoke any grant', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, adminBody());
    // Act
    const revoked = await revokeGrant(deps, t.lead, t.tenantId, g.grantId, undefined);
    // Assess
    expect(revoked).toMatchObject({ status: 'REVOKED', endedBy: { id: t.lead.id }, endReason: null });
  });

  it('lets a named grantee give their access back', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, adminBody({ grantees: [asGrantee(t.agent)] }));
    // Act
    const revoked = await revokeGrant(deps, t.agent, t.tenantId, g.grantId, 'done');
    // Assess
    expect(revoked).toMatchObject({ status: 'REVOKED', endedBy: { id: t.agent.id } });
  });

  it.each([
    ['a support agent who is not named', (t: Tenant) => t.agent2],
    ['a support agent on a support-team grant', (t: Tenant) => t.agent2],
    ['a tenant user (even a contact)', (t: Tenant) => t.contact],
    ['the admin of another tenant', () => person('globex-admin', ['tenant-admin'], 'globex')],
  ])('refuses %s, and the grant stays ACTIVE', async (who, pick) => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const teamGrant = who.includes('support-team');
    const g = await createGrant(deps, t.admin, t.tenantId, adminBody(teamGrant ? {} : { grantees: [asGrantee(t.agent)] }));
    // Act
    const act = later(revokeGrant(deps, pick(t), t.tenantId, g.grantId, undefined));
    // Assess
    await expect(act).rejects.toBeInstanceOf(ForbiddenError);
    expect((await getGrant(deps, t.tenantId, g.grantId)).status).toBe('ACTIVE');
  });

  it('answers a second revoke with a conflict and writes nothing more', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, adminBody());
    await revokeGrant(deps, t.admin, t.tenantId, g.grantId, 'first');
    const before = await mark(deps, t.tenantId);
    // Act
    const again = later(revokeGrant(deps, t.lead, t.tenantId, g.grantId, 'second'));
    // Assess
    await expect(again).rejects.toBeInstanceOf(ConflictError);
    expect(await since(deps, t.tenantId, before)).toEqual({ audit: [], outbox: [] });
    expect((await getGrant(deps, t.tenantId, g.grantId)).endReason).toBe('first');
  });

  it('answers a revoke after the grant expired with a conflict, even before the expiry job ran', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, adminBody({ durationHours: 2 }));
    deps.clock.advanceHours(2);
    // Act
    const act = later(revokeGrant(deps, t.admin, t.tenantId, g.grantId, undefined));
    // Assess
    await expect(act).rejects.toBeInstanceOf(ConflictError);
    expect((await getGrant(deps, t.tenantId, g.grantId)).status).toBe('EXPIRED');
  });

  it('applies once when two people revoke at the same time', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, adminBody());
    const before = await mark(deps, t.tenantId);
    // Act
    const results = await Promise.allSettled([
      revokeGrant(deps, t.admin, t.tenantId, g.grantId, 'a'),
      revokeGrant(deps, t.lead, t.tenantId, g.grantId, 'b'),
    ]);
    // Assess
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    const { audit, outbox } = await since(deps, t.tenantId, before);
    expect(audit.map((e) => e.action)).toEqual(['grant.revoked']);
    expect(outbox).toHaveLength(1);
  });
});

describe('expireGrant (the expiry job, one grant)', () => {
  it('does nothing before the grant is due', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, adminBody({ durationHours: 2 }));
    deps.clock.advanceMs(2 * HOUR - 1);
    // Act
    const result = await expireGrant(deps, t.tenantId, g.grantId);
    // Assess
    expect(result).toBeNull();
    expect((await deps.store.getGrant(t.tenantId, g.grantId))!.status).toBe('ACTIVE');
  });

  it('stores EXPIRED at the end time, ends the open sessions, audits and emails once; a rerun returns null', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, adminBody({ durationHours: 2 }));
    const s = await signIn(deps, t.agent, t.tenantId, signInInput);
    deps.clock.advanceHours(3);
    const before = await mark(deps, t.tenantId);
    // Act
    const first = await expireGrant(deps, t.tenantId, g.grantId);
    const second = await expireGrant(deps, t.tenantId, g.grantId);
    // Assess
    expect(first).toBe(1);
    expect(second).toBeNull();
    const stored = await deps.store.getGrant(t.tenantId, g.grantId);
    expect(stored).toMatchObject({
      status: 'EXPIRED',
      endedAt: '2026-11-23T16:00:00.000Z',
      endedBy: null,
      endReason: 'expired',
      openSessions: [],
    });
    expect(await deps.store.getSession(t.tenantId, s.sessionId)).toMatchObject({
      signOutAt: '2026-11-23T16:00:00.000Z',
      endedBy: 'expired',
    });
    expect(await deps.store.entriesOf(t.tenantId, g.grantId)).toEqual([]);
    const { audit, outbox } = await since(deps, t.tenantId, before);
    expect(audit.map((e) => [e.action, e.targetId, e.actor])).toEqual([
      ['grant.expired', g.grantId, { id: 'system' }],
      ['session.ended', s.sessionId, { id: 'system' }],
    ]);
    expect(outbox.map((m) => m.kind)).toEqual(['grant.expired']);
  });

  it('leaves a revoked grant alone', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, adminBody({ durationHours: 2 }));
    await revokeGrant(deps, t.admin, t.tenantId, g.grantId, 'done');
    deps.clock.advanceHours(3);
    // Act
    const result = await expireGrant(deps, t.tenantId, g.grantId);
    // Assess
    expect(result).toBeNull();
    expect((await getGrant(deps, t.tenantId, g.grantId)).status).toBe('REVOKED');
  });
});

describe('listGrants', () => {
  it('pages newest first, with no cursor after the last page, and filters by the status as of now', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    for (let i = 1; i <= 5; i++) {
      await createGrant(deps, t.admin, t.tenantId, adminBody({ durationHours: i, reason: `grant ${i}` }));
      deps.clock.advanceMs(1);
    }
    deps.clock.advanceHours(2); // the grants of 1 h and 2 h are now EXPIRED, never stored as such
    // Act
    const first = await listGrants(deps, t.tenantId, { limit: 2 });
    const second = await listGrants(deps, t.tenantId, { limit: 2, after: first.next! });
    const third = await listGrants(deps, t.tenantId, { limit: 2, after: second.next! });
    const expired = await listGrants(deps, t.tenantId, { limit: 2 }, 'EXPIRED');
    const active = await listGrants(deps, t.tenantId, { limit: 3 }, 'ACTIVE');
    // Assess
    expect([...first.items, ...second.items, ...third.items].map((g) => g.reason)).toEqual([
      'grant 5',
      'grant 4',
      'grant 3',
      'grant 2',
      'grant 1',
    ]);
    expect(third.next).toBeNull();
    expect(expired.items.map((g) => g.reason)).toEqual(['grant 2', 'grant 1']);
    expect(expired.next).toBeNull();
    expect(active.items.map((g) => g.reason)).toEqual(['grant 5', 'grant 4', 'grant 3']);
    expect(active.next).toBeNull();
  });
});

describe('the grantee cap', () => {
  it('adds up to 20 grantees, and refuses the 21st: ending a grant must stay one transaction', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const people = Array.from({ length: 20 }, (_, i) => ({ id: `agent-${i}`, email: `agent-${i}@vendor.test`, name: `Agent ${i}` }));
    const g = await createGrant(deps, t.admin, t.tenantId, {
      reason: 'many hands',
      scope: { level: 'read-only' },
      durationHours: 2,
      grantees: people.slice(0, 19),
    });
    // Act
    const twentieth = await addGrantee(deps, t.lead, t.tenantId, g.grantId, people[19]!);
    const twentyFirst = later(
      addGrantee(deps, t.lead, t.tenantId, g.grantId, {
        id: 'agent-20',
        email: 'agent-20@vendor.test',
        name: 'Agent 20',
      }),
    );
    // Assess
    expect(twentieth.grantees).toHaveLength(20);
    await expect(twentyFirst).rejects.toBeInstanceOf(ConflictError);
    expect((await deps.store.auditOf(t.tenantId)).at(-1)).toMatchObject({
      action: 'grant.grantee_added',
      details: { grantee: people[19] },
    });
  });
});
