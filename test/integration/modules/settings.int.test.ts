/** Authorized contacts and the tenant policy; and the fake store's guarantees the other tests lean on. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../../lambdas/contract/schemas.ts';
import { ConcurrentUpdateError, NotFoundError } from '../../../lambdas/kernel/errors.ts';
import { createGrant } from '../../../lambdas/modules/grants/service.ts';
import { deleteContact, getPolicy, listContacts, putContact, putPolicy } from '../../../lambdas/modules/settings/rules.ts';
import { setupTenant, testDeps, later } from '../../helpers/domain.ts';

describe('contacts', () => {
  it('adds a contact (created), then renames it keeping who added it and when', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { contacts: false });
    const added = await putContact(deps, t.admin, t.tenantId, 'pat@example.com', 'Pat');
    deps.clock.advanceHours(1);
    const otherAdmin = { ...t.admin, id: 'acme-admin-2', email: 'admin2@example.com', name: 'Second Admin' };
    // Act
    const renamed = await putContact(deps, otherAdmin, t.tenantId, 'pat@example.com', 'Pat Smith');
    // Assess
    expect(added.created).toBe(true);
    expect(renamed).toEqual({
      created: false,
      contact: {
        email: 'pat@example.com',
        name: 'Pat Smith',
        tier: 'primary',
        addedAt: '2026-11-23T14:00:00.000Z',
        addedBy: { id: t.admin.id, email: t.admin.email, name: t.admin.name },
      },
    });
    expect(await listContacts(deps, t.tenantId)).toEqual([renamed.contact]);
    const audit = await await deps.store.auditOf(t.tenantId);
    expect(audit.map((e) => e.action)).toEqual(['contact.added', 'contact.added']);
    expect(audit[1]!.details).toMatchObject({ renamed: true, previousName: 'Pat' });
  });

  it('removes a contact; removing one that is not there is NOT_FOUND and audits nothing', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    await deleteContact(deps, t.admin, t.tenantId, t.contact.email);
    const before = (await deps.store.auditOf(t.tenantId)).length;
    // Act
    const again = later(deleteContact(deps, t.admin, t.tenantId, t.contact.email));
    // Assess
    await expect(again).rejects.toBeInstanceOf(NotFoundError);
    expect(await deps.store.auditOf(t.tenantId)).toHaveLength(before);
    expect((await listContacts(deps, t.tenantId)).map((c) => c.email)).toEqual([t.admin.email, t.contact2.email]);
    expect((await deps.store.auditOf(t.tenantId)).at(-1)).toMatchObject({ action: 'contact.removed', targetId: t.contact.email });
  });

  it("keeps each tenant's contacts to itself", async () => {
    // Prepare
    const deps = await testDeps();
    await setupTenant(deps);
    const globex = await setupTenant(deps, { tenantId: 'globex', contacts: false });
    // Act
    const contacts = await listContacts(deps, globex.tenantId);
    // Assess
    expect(contacts).toEqual([]);
  });
});

describe('policy', () => {
  it('is the default until set, then the policy set, audited with the previous one', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const before = await getPolicy(deps, t.tenantId);
    const next = { ...DEFAULT_POLICY, maxDurationHours: 8, approvalsRequired: 2 };
    // Act
    await putPolicy(deps, t.admin, t.tenantId, next);
    // Assess
    expect(before).toEqual(DEFAULT_POLICY);
    expect(await getPolicy(deps, t.tenantId)).toEqual(next);
    expect((await deps.store.auditOf(t.tenantId)).at(-1)).toMatchObject({
      action: 'policy.updated',
      details: { previous: DEFAULT_POLICY, policy: next },
    });
  });
});

describe('the in-memory store', () => {
  it('refuses a transition from a stale version, and writes none of that transaction', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, { reason: 'r', scope: { level: 'read-only' }, durationHours: 1 });
    const stale = (await deps.store.getGrant(t.tenantId, g.grantId))!;
    await deps.store.addGrantee(
      stale,
      { id: 'x', email: 'x@example.com', name: 'X', addedAt: g.createdAt, addedBy: g.grantedBy },
      { audit: [], outbox: [] },
    );
    const auditBefore = (await deps.store.auditOf(t.tenantId)).length;
    const event = {
      eventId: 'E1',
      at: g.createdAt,
      actor: { id: 'system' as const },
      action: 'grant.revoked' as const,
      targetId: g.grantId,
      details: {},
    };
    // Act
    const act = deps.store.endGrant(
      stale,
      { ...stale, status: 'REVOKED', version: stale.version + 1 },
      { at: g.createdAt, endedBy: 'revoked', audit: {} },
      { audit: [event], outbox: [] },
    );
    // Assess
    await expect(act).rejects.toBeInstanceOf(ConcurrentUpdateError);
    expect((await deps.store.getGrant(t.tenantId, g.grantId))!.status).toBe('ACTIVE');
    expect(await deps.store.auditOf(t.tenantId)).toHaveLength(auditBefore);
  });

  it('hands out copies: changing what was read changes nothing stored', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, { reason: 'r', scope: { level: 'read-only' }, durationHours: 1 });
    const read = (await deps.store.getGrant(t.tenantId, g.grantId))!;
    // Act
    read.status = 'REVOKED';
    read.grantees.push({ id: 'x', email: 'x@example.com', name: 'X', addedAt: g.createdAt, addedBy: g.grantedBy });
    // Assess
    expect(await deps.store.getGrant(t.tenantId, g.grantId)).toMatchObject({ status: 'ACTIVE', grantees: [] });
  });
});
