/** Support sessions (the login history) and the access check. */
import { describe, expect, it } from 'vitest';
import type { AdminGrantBody } from '../../../lambdas/contract/schemas.ts';
import { AccessNotGrantedError, ConflictError, ForbiddenError, NotFoundError } from '../../../lambdas/kernel/errors.ts';
import { createGrant, revokeGrant } from '../../../lambdas/modules/grants/service.ts';
import { drainOutbox } from '../../../lambdas/modules/mail/delivery.ts';
import { linksFrom } from '../../../lambdas/modules/mail/templates.ts';
import { endSession, getAccess, listMyGrants, listSessions, signIn } from '../../../lambdas/modules/sessions/service.ts';
import { HOUR, setupTenant, testDeps, type TestDeps, type Tenant, later } from '../../helpers/domain.ts';

const body = (over: Partial<AdminGrantBody> = {}): AdminGrantBody => ({
  reason: 'billing bug',
  scope: { level: 'read-only' },
  durationHours: 4,
  ...over,
});
const named = (...people: { id: string; email: string; name: string }[]) => people.map(({ id, email, name }) => ({ id, email, name }));
const input = { reason: 'looking at ticket T-1', sourceIp: '203.0.113.9', userAgent: 'Mozilla/5.0' };

/** Expects a denial: ACCESS_NOT_GRANTED, one `session.denied` event, no session, no email. */
/** `act` is called once what it must not change has been read. */
async function expectDenied(deps: TestDeps, t: Tenant, act: () => Promise<unknown>, who = t.agent) {
  const before = { audit: (await deps.store.auditOf(t.tenantId)).length, outbox: (await deps.store.outboxOf(t.tenantId)).length };
  const sessionsBefore = (await listSessions(deps, t.tenantId, { limit: 100 })).items;
  await expect(act()).rejects.toBeInstanceOf(AccessNotGrantedError);
  const audit = (await deps.store.auditOf(t.tenantId)).slice(before.audit);
  expect(audit.map((e) => e.action)).toEqual(['session.denied']);
  expect(audit[0]!.actor).toEqual({ id: who.id, email: who.email, name: who.name });
  expect(audit[0]!.details).toMatchObject({ reason: input.reason, sourceIp: input.sourceIp });
  expect(await deps.store.outboxOf(t.tenantId)).toHaveLength(before.outbox);
  expect((await listSessions(deps, t.tenantId, { limit: 100 })).items).toEqual(sessionsBefore);
}

describe('signIn', () => {
  it('opens a session under a named grant, audits it and tells the contacts who signed in and why', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, body({ grantees: named(t.agent) }));
    deps.clock.advanceHours(1);
    // Act
    const s = await signIn(deps, t.agent, t.tenantId, input);
    // Assess
    expect(s).toEqual({
      sessionId: expect.any(String),
      tenantId: t.tenantId,
      grantId: g.grantId,
      accessedBy: { id: t.agent.id, email: t.agent.email, name: t.agent.name },
      reason: input.reason,
      signInAt: '2026-11-23T15:00:00.000Z',
      signOutAt: null,
      endedBy: null,
      grantedBy: { id: t.admin.id, email: t.admin.email, name: t.admin.name },
      sourceIp: input.sourceIp,
      userAgent: input.userAgent,
    });
    expect((await listSessions(deps, t.tenantId, { limit: 10 })).items).toEqual([s]);
    expect((await deps.store.auditOf(t.tenantId)).at(-1)).toMatchObject({
      action: 'session.started',
      targetId: s.sessionId,
      details: { grantId: g.grantId, reason: input.reason },
    });
    const mail = (await deps.store.outboxOf(t.tenantId)).at(-1)!;
    expect(mail.kind).toBe('session.started');
    expect(mail.payload).toMatchObject({ session: s, scope: { level: 'read-only' }, expiresAt: g.expiresAt });
  });

  it('opens a session for any support person under a support-team grant', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, body());
    // Act
    const byAgent = await signIn(deps, t.agent2, t.tenantId, input);
    const byLead = await signIn(deps, t.lead, t.tenantId, { ...input, grantId: g.grantId });
    // Assess
    expect(byAgent.grantId).toBe(g.grantId);
    expect(byLead.grantId).toBe(g.grantId);
  });

  it('denies with no grant at all', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    // Act / Assess
    await expectDenied(deps, t, () => signIn(deps, t.agent, t.tenantId, input));
  });

  it('denies a support person that a named grant does not name', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    await createGrant(deps, t.admin, t.tenantId, body({ grantees: named(t.agent) }));
    // Act / Assess
    await expectDenied(deps, t, () => signIn(deps, t.agent2, t.tenantId, input), t.agent2);
  });

  it('admits 1 ms before the grant ends and denies at its end, before any expiry job ran', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    await createGrant(deps, t.admin, t.tenantId, body({ durationHours: 2 }));
    deps.clock.advanceMs(2 * HOUR - 1);
    const justInTime = await signIn(deps, t.agent, t.tenantId, input);
    // Act
    deps.clock.advanceMs(1);
    const act = () => signIn(deps, t.agent2, t.tenantId, input);
    // Assess
    expect(justInTime.signInAt).toBe('2026-11-23T15:59:59.999Z');
    await expectDenied(deps, t, act, t.agent2);
    // The session opened just in time shows as ended by expiry at the grant's end.
    expect((await listSessions(deps, t.tenantId, { limit: 10 })).items).toEqual([
      { ...justInTime, signOutAt: '2026-11-23T16:00:00.000Z', endedBy: 'expired' },
    ]);
  });

  it('denies under a revoked grant', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, body());
    await revokeGrant(deps, t.admin, t.tenantId, g.grantId, 'no longer needed');
    // Act / Assess
    await expectDenied(deps, t, () => signIn(deps, t.agent, t.tenantId, input));
  });

  it('denies with the grantId of a grant that does not cover the caller, even when another one does', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    await createGrant(deps, t.admin, t.tenantId, body({ grantees: named(t.agent) }));
    const other = await createGrant(deps, t.admin, t.tenantId, body({ grantees: named(t.agent2) }));
    const before = (await deps.store.auditOf(t.tenantId)).length;
    // Act
    const act = () => signIn(deps, t.agent, t.tenantId, { ...input, grantId: other.grantId });
    // Assess
    await expectDenied(deps, t, act);
    expect((await deps.store.auditOf(t.tenantId))[before]).toMatchObject({ targetId: other.grantId, details: { grantId: other.grantId } });
  });

  it('denies a grant of another tenant', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const globex = await setupTenant(deps, { tenantId: 'globex' });
    await createGrant(deps, globex.admin, globex.tenantId, body());
    // Act / Assess
    await expectDenied(deps, t, () => signIn(deps, t.agent, t.tenantId, input));
  });

  it('sends no email when the policy does not ask to be told of sign-ins, but still audits', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { notifyOnSignIn: false } });
    await createGrant(deps, t.admin, t.tenantId, body());
    const sent: string[] = [];
    const delivery = {
      ...deps,
      outbox: deps.store,
      links: linksFrom('https://app.example.com'),
      mailer: { send: async (m: { subject: string }) => (sent.push(m.subject), { providerId: 'x' }) },
    };
    await drainOutbox(delivery);
    sent.length = 0;
    // Act
    const s = await signIn(deps, t.agent, t.tenantId, input);
    const report = await drainOutbox(delivery);
    // Assess: the sign-in's message is settled without an email
    expect(report.sent).toBe(1);
    expect(sent).toEqual([]);
    expect((await deps.store.auditOf(t.tenantId)).at(-1)).toMatchObject({ action: 'session.started', targetId: s.sessionId });
  });

  it('prefers a standing grant, then the one that lasts longest', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { allowStandingAccess: true } });
    await createGrant(deps, t.admin, t.tenantId, body({ durationHours: 8 }));
    const longest = await createGrant(deps, t.admin, t.tenantId, body({ durationHours: 24, grantees: named(t.agent) }));
    await createGrant(deps, t.admin, t.tenantId, body({ durationHours: 2 }));
    // Act
    const s = await signIn(deps, t.agent, t.tenantId, input);
    const standing = await createGrant(deps, t.admin, t.tenantId, { reason: 'ops', scope: { level: 'read-only' }, standing: true });
    const s2 = await signIn(deps, t.agent, t.tenantId, input);
    // Assess
    expect(s.grantId).toBe(longest.grantId);
    expect(s2.grantId).toBe(standing.grantId);
  });
});

describe('endSession', () => {
  it("lets the session's agent sign out, once", async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    await createGrant(deps, t.admin, t.tenantId, body());
    const s = await signIn(deps, t.agent, t.tenantId, input);
    deps.clock.advanceHours(1);
    // Act
    const ended = await endSession(deps, t.agent, t.tenantId, s.sessionId);
    const again = later(endSession(deps, t.agent, t.tenantId, s.sessionId));
    // Assess
    expect(ended).toMatchObject({ sessionId: s.sessionId, signOutAt: '2026-11-23T15:00:00.000Z', endedBy: 'agent' });
    await expect(again).rejects.toBeInstanceOf(ConflictError);
    expect((await deps.store.auditOf(t.tenantId)).filter((e) => e.action === 'session.ended')).toHaveLength(1);
    expect((await listSessions(deps, t.tenantId, { limit: 10 })).items).toEqual([ended]);
  });

  it('refuses anybody else, even a support lead', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    await createGrant(deps, t.admin, t.tenantId, body());
    const s = await signIn(deps, t.agent, t.tenantId, input);
    // Act
    const byOther = later(endSession(deps, t.agent2, t.tenantId, s.sessionId));
    const byLead = later(endSession(deps, t.lead, t.tenantId, s.sessionId));
    // Assess
    await expect(byOther).rejects.toBeInstanceOf(ForbiddenError);
    await expect(byLead).rejects.toBeInstanceOf(ForbiddenError);
    expect((await deps.store.getSession(t.tenantId, s.sessionId))!.signOutAt).toBeNull();
  });

  it('answers a conflict for a session its grant already ended', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, body({ durationHours: 1 }));
    const s = await signIn(deps, t.agent, t.tenantId, input);
    const g2 = await createGrant(deps, t.admin, t.tenantId, body());
    const s2 = await signIn(deps, t.agent2, t.tenantId, { ...input, grantId: g2.grantId });
    await revokeGrant(deps, t.admin, t.tenantId, g2.grantId, undefined);
    deps.clock.advanceHours(1);
    // Act
    const afterExpiry = later(endSession(deps, t.agent, t.tenantId, s.sessionId));
    const afterRevoke = later(endSession(deps, t.agent2, t.tenantId, s2.sessionId));
    // Assess
    await expect(afterExpiry).rejects.toBeInstanceOf(ConflictError);
    await expect(afterRevoke).rejects.toBeInstanceOf(ConflictError);
    expect(g.grantId).not.toBe(g2.grantId);
  });
});

describe('getAccess', () => {
  it('says no access, with no scope, when nothing covers the caller', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    // Act
    const access = await getAccess(deps, t.agent, t.tenantId);
    // Assess
    expect(access).toEqual({ allowed: false, scope: null, expiresAt: null, grantIds: [] });
  });

  it('gives the widest scope and the latest end of the grants that cover the caller now', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const a = await createGrant(deps, t.admin, t.tenantId, body({ scope: { level: 'full', modules: ['billing'] }, durationHours: 2 }));
    const b = await createGrant(
      deps,
      t.admin,
      t.tenantId,
      body({ scope: { level: 'full', modules: ['users'] }, durationHours: 6, grantees: named(t.agent) }),
    );
    await createGrant(deps, t.admin, t.tenantId, body({ scope: { level: 'full' }, durationHours: 8, grantees: named(t.agent2) }));
    await createGrant(deps, t.admin, t.tenantId, body({ scope: { level: 'read-only' }, durationHours: 1 }));
    // Act
    const access = await getAccess(deps, t.agent, t.tenantId);
    deps.clock.advanceHours(2);
    const later = await getAccess(deps, t.agent, t.tenantId);
    // Assess
    expect(access.allowed).toBe(true);
    expect(access.scope).toEqual({ level: 'full', modules: ['billing', 'users'] });
    expect(access.expiresAt).toBe('2026-11-23T20:00:00.000Z');
    expect(access.grantIds).toHaveLength(3);
    expect(access.grantIds).toEqual(expect.arrayContaining([a.grantId, b.grantId]));
    expect(later).toEqual({
      allowed: true,
      scope: { level: 'full', modules: ['users'] },
      expiresAt: '2026-11-23T20:00:00.000Z',
      grantIds: [b.grantId],
    });
  });

  it('has no end while a standing grant covers the caller', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { allowStandingAccess: true } });
    await createGrant(deps, t.admin, t.tenantId, body({ durationHours: 4 }));
    await createGrant(deps, t.admin, t.tenantId, { reason: 'ops', scope: { level: 'read-only' }, standing: true });
    // Act
    const access = await getAccess(deps, t.agent, t.tenantId);
    // Assess
    expect(access).toMatchObject({ allowed: true, expiresAt: null });
    expect(access.grantIds).toHaveLength(2);
  });

  it('loses access at the exact end and after a revoke', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, body({ durationHours: 2 }));
    const g2 = await createGrant(deps, t.admin, t.tenantId, body({ durationHours: 4, grantees: named(t.agent2) }));
    await revokeGrant(deps, t.admin, t.tenantId, g2.grantId, undefined);
    deps.clock.advanceHours(2);
    // Act
    const agent = await getAccess(deps, t.agent, t.tenantId);
    const agent2 = await getAccess(deps, t.agent2, t.tenantId);
    // Assess
    expect(agent.allowed).toBe(false);
    expect(agent2.allowed).toBe(false);
    expect(g.grantId).not.toBe(g2.grantId);
  });
});

describe('listMyGrants', () => {
  it('lists the ACTIVE grants that cover the caller in every tenant, newest first', async () => {
    // Prepare
    const deps = await testDeps();
    const acme = await setupTenant(deps);
    const globex = await setupTenant(deps, { tenantId: 'globex' });
    const initech = await setupTenant(deps, { tenantId: 'initech' });
    const a = await createGrant(deps, acme.admin, acme.tenantId, body({ grantees: named(acme.agent) }));
    deps.clock.advanceMs(1);
    const b = await createGrant(deps, globex.admin, globex.tenantId, body());
    deps.clock.advanceMs(1);
    await createGrant(deps, initech.admin, initech.tenantId, body({ grantees: named(acme.agent2) })); // not the caller
    const revoked = await createGrant(deps, initech.admin, initech.tenantId, body({ grantees: named(acme.agent) }));
    await revokeGrant(deps, initech.admin, initech.tenantId, revoked.grantId, undefined);
    await createGrant(deps, initech.admin, initech.tenantId, body({ durationHours: 1 })); // ends before we look
    deps.clock.advanceHours(1);
    // Act
    const mine = (await listMyGrants(deps, acme.agent)).items;
    // Assess
    expect(mine.map((g) => [g.tenantId, g.grantId])).toEqual([
      ['globex', b.grantId],
      ['acme', a.grantId],
    ]);
    expect(mine.every((g) => g.status === 'ACTIVE')).toBe(true);
  });
});

describe('sessions, the finer points', () => {
  it('records exactly what a sign-out did: the agent, the grant, no email', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, body());
    const s = await signIn(deps, t.agent, t.tenantId, input);
    const mailBefore = (await deps.store.outboxOf(t.tenantId)).length;
    // Act
    await endSession(deps, t.agent, t.tenantId, s.sessionId);
    // Assess
    expect((await deps.store.auditOf(t.tenantId)).at(-1)).toMatchObject({
      action: 'session.ended',
      actor: { id: t.agent.id },
      targetId: s.sessionId,
      details: { grantId: g.grantId, endedBy: 'agent' },
    });
    expect(await deps.store.outboxOf(t.tenantId)).toHaveLength(mailBefore);
  });

  it('answers NotFound for a session that does not exist', async () => {
    const deps = await testDeps();
    const t = await setupTenant(deps);
    await expect(endSession(deps, t.agent, t.tenantId, 'nope')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('turns a sign-out that loses to a concurrent one into a conflict', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    await createGrant(deps, t.admin, t.tenantId, body());
    const s = await signIn(deps, t.agent, t.tenantId, input);
    // Act
    const results = await Promise.allSettled([
      endSession(deps, t.agent, t.tenantId, s.sessionId),
      endSession(deps, t.agent, t.tenantId, s.sessionId),
    ]);
    // Assess
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(ConflictError);
  });

  it('a denied sign-in is audited but owes no email', async () => {
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const before = (await deps.store.outboxOf(t.tenantId)).length;
    await expect(signIn(deps, t.agent, t.tenantId, input)).rejects.toBeInstanceOf(AccessNotGrantedError);
    expect(await deps.store.outboxOf(t.tenantId)).toHaveLength(before);
    expect((await deps.store.auditOf(t.tenantId)).at(-1)).toMatchObject({ action: 'session.denied', details: { grantId: null } });
  });

  it('between grants that end at the same time, signs in under the newest', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    await createGrant(deps, t.admin, t.tenantId, body({ durationHours: 4 }));
    deps.clock.advanceHours(1);
    const newer = await createGrant(deps, t.admin, t.tenantId, body({ durationHours: 3 }));
    // Act
    const s = await signIn(deps, t.agent, t.tenantId, input);
    // Assess: both end at 18:00; the newer one is chosen
    expect(s.grantId).toBe(newer.grantId);
  });

  it('pages me/grants newest first, and the cursor walks on without repeats', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      made.push((await createGrant(deps, t.admin, t.tenantId, body())).grantId);
      deps.clock.advanceMs(1);
    }
    // Act
    const first = await listMyGrants(deps, t.agent, { limit: 2 });
    const second = await listMyGrants(deps, t.agent, { limit: 2, after: first.next ?? undefined });
    const last = await listMyGrants(deps, t.agent, { limit: 2, after: second.next ?? undefined });
    // Assess
    expect([...first.items, ...second.items, ...last.items].map((g) => g.grantId)).toEqual([...made].reverse());
    expect(last.next).toBeNull();
  });
});
