/** The expiry job: the stored state catches up with deadlines that every read already honours. */
import { describe, expect, it } from 'vitest';
import type { AdminGrantBody } from '../../../lambdas/contract/schemas.ts';
import { shardOf } from '../../../lambdas/contract/table.ts';
import { runExpiry } from '../../../lambdas/modules/expiry/rules.ts';
import { createGrant, revokeGrant } from '../../../lambdas/modules/grants/service.ts';
import { approveRequest, createRequest } from '../../../lambdas/modules/requests/service.ts';
import { signIn } from '../../../lambdas/modules/sessions/service.ts';
import { HOUR, setupTenant, testDeps } from '../../helpers/domain.ts';

const body = (over: Partial<AdminGrantBody> = {}): AdminGrantBody => ({
  reason: 'billing bug',
  scope: { level: 'read-only' },
  durationHours: 2,
  ...over,
});
const input = { reason: 'checking', sourceIp: '10.0.0.1', userAgent: 'vitest' };
const request = { ticketId: 'T-9', reason: 'look at logs', scope: { level: 'read-only' as const }, durationHours: 1 };

describe('runExpiry', () => {
  it('stops taking work when time runs short, and the next run finishes the catch-up', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, body({ durationHours: 1 }));
    deps.clock.advanceHours(1);
    // Act
    const starved = await runExpiry(deps, () => false);
    const next = await runExpiry(deps);
    // Assess
    expect(starved).toMatchObject({ grantsExpired: 0, incomplete: true });
    expect(next).toMatchObject({ grantsExpired: 1, incomplete: false });
    expect((await deps.store.getGrant(t.tenantId, g.grantId))?.status).toBe('EXPIRED');
  });

  it('expires only the grants that are due, ends their sessions, and a rerun does nothing', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { allowStandingAccess: true } });
    const due = await createGrant(deps, t.admin, t.tenantId, body({ durationHours: 2 }));
    const dueToo = await createGrant(
      deps,
      t.admin,
      t.tenantId,
      body({ durationHours: 1, grantees: [{ id: t.agent2.id, email: t.agent2.email, name: t.agent2.name }] }),
    );
    const later = await createGrant(deps, t.admin, t.tenantId, body({ durationHours: 3 }));
    const standing = await createGrant(deps, t.admin, t.tenantId, { reason: 'ops', scope: { level: 'read-only' }, standing: true });
    const revoked = await createGrant(deps, t.admin, t.tenantId, body({ durationHours: 1 }));
    await revokeGrant(deps, t.admin, t.tenantId, revoked.grantId, undefined);
    const s1 = await signIn(deps, t.agent, t.tenantId, { ...input, grantId: due.grantId });
    const s2 = await signIn(deps, t.lead, t.tenantId, { ...input, grantId: due.grantId });
    const s3 = await signIn(deps, t.agent2, t.tenantId, { ...input, grantId: dueToo.grantId });
    const s4 = await signIn(deps, t.agent, t.tenantId, { ...input, grantId: later.grantId });
    deps.clock.advanceHours(2); // exactly the end of `due`
    // Act
    const report = await runExpiry(deps);
    const rerun = await runExpiry(deps);
    // Assess
    expect(report).toEqual({
      now: '2026-11-23T16:00:00.000Z',
      grantsExpired: 2,
      requestsExpired: 0,
      grantsWarned: 0,
      requestsEscalated: 0,
      sessionsEnded: 3,
      skipped: 0,
      incomplete: false,
    });
    expect(rerun).toEqual({
      now: '2026-11-23T16:00:00.000Z',
      grantsExpired: 0,
      requestsExpired: 0,
      grantsWarned: 0,
      requestsEscalated: 0,
      sessionsEnded: 0,
      skipped: 0,
      incomplete: false,
    });
    const status = async (id: string) => (await deps.store.getGrant(t.tenantId, id))!.status;
    expect(await status(due.grantId)).toBe('EXPIRED');
    expect(await status(dueToo.grantId)).toBe('EXPIRED');
    expect(await status(later.grantId)).toBe('ACTIVE');
    expect(await status(standing.grantId)).toBe('ACTIVE');
    expect(await status(revoked.grantId)).toBe('REVOKED');
    const session = async (id: string) => deps.store.getSession(t.tenantId, id);
    expect(await session(s1.sessionId)).toMatchObject({ signOutAt: '2026-11-23T16:00:00.000Z', endedBy: 'expired' });
    expect(await session(s2.sessionId)).toMatchObject({ signOutAt: '2026-11-23T16:00:00.000Z', endedBy: 'expired' });
    expect(await session(s3.sessionId)).toMatchObject({ signOutAt: '2026-11-23T15:00:00.000Z', endedBy: 'expired' });
    expect(await session(s4.sessionId)).toMatchObject({ signOutAt: null, endedBy: null });
    const audit = await await deps.store.auditOf(t.tenantId);
    expect(
      audit
        .filter((e) => e.action === 'grant.expired')
        .map((e) => e.targetId)
        .sort(),
    ).toEqual([due.grantId, dueToo.grantId].sort());
    expect(
      audit
        .filter((e) => e.action === 'session.ended')
        .map((e) => e.targetId)
        .sort(),
    ).toEqual([s1.sessionId, s2.sessionId, s3.sessionId].sort());
    expect((await deps.store.outboxOf(t.tenantId)).filter((m) => m.kind === 'grant.expired')).toHaveLength(2);
    expect(await deps.store.isDue('grant', t.tenantId, due.grantId)).toBe(false);
    expect(await deps.store.isDue('grant', t.tenantId, later.grantId)).toBe(true);
  });

  it('does nothing 1 ms before a grant is due', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, body({ durationHours: 2 }));
    deps.clock.advanceMs(2 * HOUR - 1);
    // Act
    const report = await runExpiry(deps);
    // Assess
    expect(report).toMatchObject({ grantsExpired: 0, skipped: 0 });
    expect((await deps.store.getGrant(t.tenantId, g.grantId))!.status).toBe('ACTIVE');
  });

  it('expires PENDING requests past their TTL, not decided or younger ones, once', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { requestTtlHours: 1 } });
    const stale = await createRequest(deps, t.agent, t.tenantId, request);
    const approved = await createRequest(deps, t.agent, t.tenantId, request);
    await approveRequest(deps, t.contact, t.tenantId, approved.requestId, undefined);
    deps.clock.advanceMs(HOUR / 2);
    const fresh = await createRequest(deps, t.agent2, t.tenantId, request);
    deps.clock.advanceMs(HOUR / 2);
    // Act
    const report = await runExpiry(deps);
    const rerun = await runExpiry(deps);
    // Assess
    // The approved request's grant (1 h from approval) is due at the same instant.
    expect(report).toMatchObject({ requestsExpired: 1, grantsExpired: 1, skipped: 0 });
    expect(rerun).toMatchObject({ requestsExpired: 0, grantsExpired: 0, skipped: 0 });
    const status = async (id: string) => (await deps.store.getRequest(t.tenantId, id))!.status;
    expect(await status(stale.requestId)).toBe('EXPIRED');
    expect(await status(approved.requestId)).toBe('APPROVED');
    expect(await status(fresh.requestId)).toBe('PENDING');
    expect((await deps.store.auditOf(t.tenantId)).filter((e) => e.action === 'request.expired').map((e) => e.targetId)).toEqual([
      stale.requestId,
    ]);
  });

  it('works through every shard and page: many grants of many tenants due at once', async () => {
    // Prepare
    const deps = await testDeps();
    const tenants = await Promise.all(['t1', 't2', 't3'].map((tenantId) => setupTenant(deps, { tenantId })));
    for (let i = 0; i < 120; i++) {
      const t = tenants[i % 3]!;
      await createGrant(deps, t.admin, t.tenantId, body({ durationHours: 1 + (i % 2) }));
    }
    deps.clock.advanceHours(1);
    // Act
    const firstHour = await runExpiry(deps);
    deps.clock.advanceHours(1);
    const secondHour = await runExpiry(deps);
    const rerun = await runExpiry(deps);
    // Assess
    expect(firstHour.grantsExpired).toBe(60);
    expect(secondHour.grantsExpired).toBe(60);
    expect(rerun.grantsExpired).toBe(0);
  });
});

describe('runExpiry at volume', () => {
  it('pages through a shard holding more than one page of due grants, and the others beside it', async () => {
    // Prepare: 110 due grants in one shard (one page is 100) and 10 in another: ids are drawn from
    // the usual generator, keeping only those of the two shards, so the shard's second page exists
    // without writing the 1,700 grants it takes at random (minutes on a busy machine)
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const usual = deps.ids.next;
    const inShard = (shard: number) => () => {
      for (;;) {
        const id = usual();
        if (shardOf(id) === shard) return id;
      }
    };
    const [full, other] = [3, 11];
    deps.ids.next = inShard(full);
    for (let i = 0; i < 110; i += 10) {
      await Promise.all(Array.from({ length: 10 }, () => createGrant(deps, t.admin, t.tenantId, body({ durationHours: 1 }))));
    }
    deps.ids.next = inShard(other);
    await Promise.all(Array.from({ length: 10 }, () => createGrant(deps, t.admin, t.tenantId, body({ durationHours: 1 }))));
    deps.ids.next = usual;
    deps.clock.advanceHours(1);
    // Act
    const report = await runExpiry(deps);
    // Assess: every one of them ended, the shard's second page included
    expect(report).toMatchObject({ grantsExpired: 120, skipped: 0, incomplete: false });
  });
});
