/** Access requests: support asks, the tenant's authorized contacts decide. */
import { describe, expect, it } from 'vitest';
import type { CreateRequestBody } from '../../../lambdas/contract/schemas.ts';
import {
  ConflictError,
  ForbiddenError,
  LimitReachedError,
  NoAuthorizedContactError,
  ValidationError,
} from '../../../lambdas/kernel/errors.ts';
import { getGrant } from '../../../lambdas/modules/grants/service.ts';
import { deleteContact } from '../../../lambdas/modules/settings/rules.ts';
import {
  approveRequest,
  cancelRequest,
  createRequest,
  denyRequest,
  MAX_PENDING_REQUESTS_PER_AGENT,
  expireRequest,
  getRequest,
  listRequests,
} from '../../../lambdas/modules/requests/service.ts';
import { getAccess, signIn } from '../../../lambdas/modules/sessions/service.ts';
import { HOUR, setupTenant, testDeps, later } from '../../helpers/domain.ts';

const body = (over: Partial<CreateRequestBody> = {}): CreateRequestBody => ({
  ticketId: 'T-7',
  reason: 'invoice totals are wrong',
  scope: { level: 'full', modules: ['billing'] },
  durationHours: 6,
  ...over,
});
const actor = (p: { id: string; email: string; name: string }) => ({ id: p.id, email: p.email, name: p.name });

describe('createRequest', () => {
  it(`refuses a request beyond ${MAX_PENDING_REQUESTS_PER_AGENT} PENDING ones of the agent at the tenant, writing nothing`, async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    for (let i = 0; i < MAX_PENDING_REQUESTS_PER_AGENT; i++) await createRequest(deps, t.agent, t.tenantId, body());
    const before = (await deps.store.outboxOf(t.tenantId)).length;
    // Act
    const err = await createRequest(deps, t.agent, t.tenantId, body()).catch((e: unknown) => e);
    const other = await createRequest(deps, t.agent2, t.tenantId, body());
    // Assess
    expect(err).toBeInstanceOf(LimitReachedError);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(/5 PENDING access requests at this tenant.*cancel one/);
    expect(other.status).toBe('PENDING');
    expect(await deps.store.outboxOf(t.tenantId)).toHaveLength(before + 1);
  });

  it('opens a PENDING request that ends after the policy TTL, audited, and emails every contact', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { requestTtlHours: 2 } });
    // Act
    const r = await createRequest(deps, t.agent, t.tenantId, body());
    // Assess
    expect(r).toEqual({
      requestId: expect.any(String),
      kind: 'access',
      tenantId: t.tenantId,
      status: 'PENDING',
      ticketId: 'T-7',
      reason: 'invoice totals are wrong',
      scope: { level: 'full', modules: ['billing'] },
      durationHours: 6,
      requestedBy: actor(t.agent),
      requestedAt: '2026-11-23T14:00:00.000Z',
      expiresAt: '2026-11-23T16:00:00.000Z',
      approvals: [],
      decidedAt: null,
      decidedBy: null,
      grantId: null,
    });
    expect(await getRequest(deps, t.admin, t.tenantId, r.requestId)).toEqual(r);
    expect((await deps.store.auditOf(t.tenantId)).at(-1)).toMatchObject({
      action: 'request.created',
      targetId: r.requestId,
      actor: actor(t.agent),
    });
    const mail = (await deps.store.outboxOf(t.tenantId)).at(-1)!;
    expect(mail).toMatchObject({ kind: 'request.created', payload: { request: r, approvalsRequired: 1 } });
    expect(mail.to).toBeUndefined();
  });

  it('refuses a duration over the policy maximum, naming durationHours', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { maxDurationHours: 4 } });
    // Act
    const err = await createRequest(deps, t.agent, t.tenantId, body({ durationHours: 5 })).catch((e: unknown) => e);
    // Assess
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).errors.map((e) => e.path)).toEqual(['durationHours']);
    expect((await listRequests(deps, t.admin, t.tenantId, { limit: 10 })).items).toEqual([]);
  });

  it('refuses with NO_AUTHORIZED_CONTACT when nobody could approve', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { contacts: false });
    // Act
    const act = later(createRequest(deps, t.agent, t.tenantId, body()));
    // Assess
    await expect(act).rejects.toBeInstanceOf(NoAuthorizedContactError);
    expect(await deps.store.outboxOf(t.tenantId)).toEqual([]);
  });
});

describe('approveRequest', () => {
  it('with one approval required: APPROVED, and a named grant for the requester from the approval time', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const r = await createRequest(deps, t.agent, t.tenantId, body({ durationHours: 6 }));
    deps.clock.advanceHours(1);
    // Act
    const approved = await approveRequest(deps, t.contact, t.tenantId, r.requestId, 'go ahead');
    // Assess
    expect(approved).toMatchObject({
      status: 'APPROVED',
      approvals: [{ by: actor(t.contact), at: '2026-11-23T15:00:00.000Z', comment: 'go ahead' }],
      decidedAt: '2026-11-23T15:00:00.000Z',
      decidedBy: actor(t.contact),
      grantId: expect.any(String),
    });
    const grant = await getGrant(deps, t.tenantId, approved.grantId!);
    expect(grant).toMatchObject({
      status: 'ACTIVE',
      origin: 'access-request',
      requestId: r.requestId,
      ticketId: 'T-7',
      reason: r.reason,
      scope: r.scope,
      audience: 'named',
      grantees: [{ ...actor(t.agent), addedAt: '2026-11-23T15:00:00.000Z' }],
      grantedBy: actor(t.contact),
      approvedBy: [actor(t.contact)],
      createdAt: '2026-11-23T15:00:00.000Z',
      expiresAt: '2026-11-23T21:00:00.000Z',
    });
    const audit = (await deps.store.auditOf(t.tenantId)).slice(-2);
    expect(audit.map((e) => [e.action, e.targetId])).toEqual([
      ['request.approved', r.requestId],
      ['grant.activated', grant.grantId],
    ]);
    expect((await deps.store.outboxOf(t.tenantId)).find((m) => m.kind === 'grant.activated')).toMatchObject({ payload: { grant } });
    expect((await deps.store.outboxOf(t.tenantId)).at(-1)).toMatchObject({ kind: 'request.approved', to: [t.agent.email] });
    // The requester, and only the requester, can now sign in.
    await expect(signIn(deps, t.agent, t.tenantId, { reason: 'fixing', sourceIp: '1.2.3.4', userAgent: 'x' })).resolves.toMatchObject({
      grantId: grant.grantId,
    });
    expect((await getAccess(deps, t.agent2, t.tenantId)).allowed).toBe(false);
  });

  it('lets the tenant admin approve without being on the contact list', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    await deleteContact(deps, t.admin, t.tenantId, t.admin.email);
    const r = await createRequest(deps, t.agent, t.tenantId, body());
    // Act
    const approved = await approveRequest(deps, t.admin, t.tenantId, r.requestId, undefined);
    // Assess
    expect(approved.status).toBe('APPROVED');
    expect(approved.approvals[0]).not.toHaveProperty('comment');
  });

  it('with two approvals required: stays PENDING after one, APPROVED after a second person', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { approvalsRequired: 2 } });
    const r = await createRequest(deps, t.agent, t.tenantId, body({ durationHours: 3 }));
    // Act
    const first = await approveRequest(deps, t.contact, t.tenantId, r.requestId, undefined);
    deps.clock.advanceHours(1);
    const grantsAfterFirst = (await deps.store.auditOf(t.tenantId)).filter((e) => e.action === 'grant.activated').length;
    const second = await approveRequest(deps, t.admin, t.tenantId, r.requestId, undefined);
    // Assess
    expect(first).toMatchObject({ status: 'PENDING', grantId: null, decidedAt: null, approvals: [{ by: actor(t.contact) }] });
    expect(grantsAfterFirst).toBe(0);
    expect(second).toMatchObject({ status: 'APPROVED', decidedBy: actor(t.admin) });
    expect(second.approvals.map((a) => a.by.id)).toEqual([t.contact.id, t.admin.id]);
    const grant = await getGrant(deps, t.tenantId, second.grantId!);
    expect(grant.approvedBy).toEqual([actor(t.contact), actor(t.admin)]);
    expect(grant.expiresAt).toBe('2026-11-23T18:00:00.000Z');
  });

  it('refuses the same person approving twice', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { approvalsRequired: 2 } });
    const r = await createRequest(deps, t.agent, t.tenantId, body());
    await approveRequest(deps, t.contact, t.tenantId, r.requestId, undefined);
    // Act
    const again = later(approveRequest(deps, t.contact, t.tenantId, r.requestId, undefined));
    // Assess
    await expect(again).rejects.toBeInstanceOf(ConflictError);
    const stored = await getRequest(deps, t.admin, t.tenantId, r.requestId);
    expect(stored).toMatchObject({ status: 'PENDING', grantId: null });
    expect(stored.approvals).toHaveLength(1);
  });

  it('refuses the requester', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const r = await createRequest(deps, t.agent, t.tenantId, body());
    // Act
    const act = later(approveRequest(deps, t.agent, t.tenantId, r.requestId, undefined));
    // Assess
    await expect(act).rejects.toBeInstanceOf(ForbiddenError);
    expect((await getRequest(deps, t.admin, t.tenantId, r.requestId)).status).toBe('PENDING');
  });

  it('refuses the requester even when their email is on the contact list', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const dual = { ...t.contact, roles: [...t.contact.roles, 'support-agent' as const] };
    const r = await createRequest(deps, dual, t.tenantId, body());
    // Act
    const act = later(approveRequest(deps, dual, t.tenantId, r.requestId, undefined));
    // Assess
    await expect(act).rejects.toBeInstanceOf(ForbiddenError);
    expect((await getRequest(deps, t.admin, t.tenantId, r.requestId)).status).toBe('PENDING');
  });

  it('refuses a tenant user who is not an authorized contact', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const r = await createRequest(deps, t.agent, t.tenantId, body());
    // Act
    const approve = later(approveRequest(deps, t.user, t.tenantId, r.requestId, undefined));
    const deny = later(denyRequest(deps, t.user, t.tenantId, r.requestId, undefined));
    const list = later(listRequests(deps, t.user, t.tenantId, { limit: 10 }));
    // Assess
    await expect(approve).rejects.toBeInstanceOf(ForbiddenError);
    await expect(deny).rejects.toBeInstanceOf(ForbiddenError);
    await expect(list).rejects.toBeInstanceOf(ForbiddenError);
    expect((await getRequest(deps, t.admin, t.tenantId, r.requestId)).status).toBe('PENDING');
  });

  it('refuses a request that is no longer PENDING with a conflict', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const r = await createRequest(deps, t.agent, t.tenantId, body());
    await approveRequest(deps, t.contact, t.tenantId, r.requestId, undefined);
    // Act
    const again = later(approveRequest(deps, t.contact2, t.tenantId, r.requestId, undefined));
    // Assess
    await expect(again).rejects.toBeInstanceOf(ConflictError);
    expect((await deps.store.auditOf(t.tenantId)).filter((e) => e.action === 'grant.activated')).toHaveLength(1);
  });

  it('creates one grant when two contacts approve at the same time', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const r = await createRequest(deps, t.agent, t.tenantId, body());
    // Act
    const results = await Promise.allSettled([
      approveRequest(deps, t.contact, t.tenantId, r.requestId, undefined),
      approveRequest(deps, t.contact2, t.tenantId, r.requestId, undefined),
    ]);
    // Assess
    expect(results.map((x) => x.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((x) => x.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    expect((await deps.store.auditOf(t.tenantId)).filter((e) => e.action === 'grant.activated')).toHaveLength(1);
  });
});

describe('denyRequest', () => {
  it('DENIES, records who and when, audits, and emails the requester only', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const r = await createRequest(deps, t.agent, t.tenantId, body());
    deps.clock.advanceHours(1);
    // Act
    const denied = await denyRequest(deps, t.contact, t.tenantId, r.requestId, 'not now');
    // Assess
    expect(denied).toMatchObject({ status: 'DENIED', decidedAt: '2026-11-23T15:00:00.000Z', decidedBy: actor(t.contact), grantId: null });
    expect((await deps.store.auditOf(t.tenantId)).at(-1)).toMatchObject({ action: 'request.denied', details: { comment: 'not now' } });
    expect((await deps.store.outboxOf(t.tenantId)).at(-2)).toMatchObject({
      kind: 'request.denied',
      to: [t.agent.email],
      payload: { request: denied, comment: 'not now' },
    });
    // Every contact learns who decided.
    expect((await deps.store.outboxOf(t.tenantId)).at(-1)).toMatchObject({ kind: 'request.decided', payload: { request: denied } });
    expect((await deps.store.outboxOf(t.tenantId)).at(-1)!.to).toBeUndefined();
    await expect(approveRequest(deps, t.contact2, t.tenantId, r.requestId, undefined)).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('cancelRequest', () => {
  it('lets the requester withdraw a PENDING request, once', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const r = await createRequest(deps, t.agent, t.tenantId, body());
    // Act
    const cancelled = await cancelRequest(deps, t.agent, t.tenantId, r.requestId);
    const again = later(cancelRequest(deps, t.agent, t.tenantId, r.requestId));
    // Assess
    expect(cancelled).toMatchObject({ status: 'CANCELLED', decidedBy: actor(t.agent) });
    await expect(again).rejects.toBeInstanceOf(ConflictError);
    expect((await deps.store.auditOf(t.tenantId)).filter((e) => e.action === 'request.cancelled')).toHaveLength(1);
  });

  it('refuses anybody but the requester', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const r = await createRequest(deps, t.agent, t.tenantId, body());
    // Act
    const byOther = later(cancelRequest(deps, t.agent2, t.tenantId, r.requestId));
    const byLead = later(cancelRequest(deps, t.lead, t.tenantId, r.requestId));
    const byAdmin = later(cancelRequest(deps, t.admin, t.tenantId, r.requestId));
    // Assess
    await expect(byOther).rejects.toBeInstanceOf(ForbiddenError);
    await expect(byLead).rejects.toBeInstanceOf(ForbiddenError);
    await expect(byAdmin).rejects.toBeInstanceOf(ForbiddenError);
    expect((await getRequest(deps, t.admin, t.tenantId, r.requestId)).status).toBe('PENDING');
  });
});

describe('request expiry', () => {
  it('reads EXPIRED at exactly its expiresAt, and can no longer be approved, denied or cancelled', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { requestTtlHours: 1 } });
    const r = await createRequest(deps, t.agent, t.tenantId, body());
    deps.clock.advanceMs(HOUR - 1);
    const before = await getRequest(deps, t.admin, t.tenantId, r.requestId);
    deps.clock.advanceMs(1);
    // Act
    const at = await getRequest(deps, t.admin, t.tenantId, r.requestId);
    const listed = await listRequests(deps, t.admin, t.tenantId, { limit: 10 }, 'EXPIRED');
    const pending = await listRequests(deps, t.admin, t.tenantId, { limit: 10 }, 'PENDING');
    // Assess
    expect(before.status).toBe('PENDING');
    expect(at.status).toBe('EXPIRED');
    expect(listed.items.map((x) => x.requestId)).toEqual([r.requestId]);
    expect(pending.items).toEqual([]);
    await expect(approveRequest(deps, t.contact, t.tenantId, r.requestId, undefined)).rejects.toBeInstanceOf(ConflictError);
    await expect(denyRequest(deps, t.contact, t.tenantId, r.requestId, undefined)).rejects.toBeInstanceOf(ConflictError);
    await expect(cancelRequest(deps, t.agent, t.tenantId, r.requestId)).rejects.toBeInstanceOf(ConflictError);
  });

  it('expireRequest stores EXPIRED once when due, audits it by the system, and a rerun does nothing', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { requestTtlHours: 1 } });
    const r = await createRequest(deps, t.agent, t.tenantId, body());
    const early = await expireRequest(deps, t.tenantId, r.requestId);
    deps.clock.advanceHours(1);
    // Act
    const first = await expireRequest(deps, t.tenantId, r.requestId);
    const second = await expireRequest(deps, t.tenantId, r.requestId);
    // Assess
    expect(early).toBe(false);
    expect(first).toBe(true);
    expect(second).toBe(false);
    expect((await deps.store.getRequest(t.tenantId, r.requestId))!.status).toBe('EXPIRED');
    const expired = (await deps.store.auditOf(t.tenantId)).filter((e) => e.action === 'request.expired');
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ targetId: r.requestId, actor: { id: 'system' } });
  });

  it('expireRequest leaves a decided request alone', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { requestTtlHours: 1 } });
    const r = await createRequest(deps, t.agent, t.tenantId, body());
    await denyRequest(deps, t.admin, t.tenantId, r.requestId, undefined);
    deps.clock.advanceHours(2);
    // Act
    const result = await expireRequest(deps, t.tenantId, r.requestId);
    // Assess
    expect(result).toBe(false);
    expect((await getRequest(deps, t.admin, t.tenantId, r.requestId)).status).toBe('DENIED');
  });
});

describe('who is an authorized contact', () => {
  it('is a user of this tenant: someone of another tenant whose email is on the list may not decide', async () => {
    // Prepare: globex's user shares an address with one of acme's contacts
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const r = await createRequest(deps, t.agent, t.tenantId, body());
    const impostor = { ...t.contact, id: 'globex-carol', tenantId: 'globex' };
    // Act
    const approve = later(approveRequest(deps, impostor, t.tenantId, r.requestId, undefined));
    const deny = later(denyRequest(deps, impostor, t.tenantId, r.requestId, undefined));
    // Assess
    await expect(approve).rejects.toBeInstanceOf(ForbiddenError);
    await expect(deny).rejects.toBeInstanceOf(ForbiddenError);
    expect((await getRequest(deps, t.admin, t.tenantId, r.requestId)).status).toBe('PENDING');
  });
});
