/**
 * Access requests end to end: support asks, contacts decide, and the decision applies once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { MAX_PENDING_REQUESTS_PER_AGENT } from '../../lambdas/modules/requests/rules.ts';
import { documentClient } from '../../lambdas/runtime/index.ts';
import { localDynamoClient } from '../../local/dynamodb.ts';
import { expectConsistent, tenantItems } from '../helpers/invariants.ts';
import { setupTenant, startTestApi, type People, type TestApi, type Who } from '../helpers/http.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
const doc = documentClient(localDynamoClient(inject('dynamoEndpoint')));
afterAll(async () => {
  await api?.stop();
  doc.destroy();
});

const ask = (p: People, as: Who = p.agent, body: Record<string, unknown> = {}) =>
  api.call('POST', `/v1/tenants/${p.tenantId}/access-requests`, {
    as,
    body: {
      ticketId: 'T-42',
      reason: 'customer cannot export',
      scope: { level: 'read-only', modules: ['exports'] },
      durationHours: 6,
      ...body,
    },
  });
const act = (p: People, id: string, verb: 'approve' | 'deny' | 'cancel', as: Who, body: Record<string, unknown> = {}) =>
  api.call('POST', `/v1/tenants/${p.tenantId}/access-requests/${id}/${verb}`, { as, body });

describe('support asks, a contact approves', () => {
  it('activates a named grant for the requester, and the requester can sign in', async () => {
    // Prepare
    const p = await setupTenant(api);
    const req = await ask(p);
    // Act
    const approved = await act(p, req.body.requestId, 'approve', p.contact, { comment: 'go ahead' });
    const g = await api.call('GET', `/v1/tenants/${p.tenantId}/grants/${approved.body.grantId}`, { as: p.admin });
    const session = await api.call('POST', `/v1/tenants/${p.tenantId}/sessions`, { as: p.agent, body: { reason: 'export check' } });
    // Assess
    expect(req.status).toBe(201);
    expect(req.body).toMatchObject({ status: 'PENDING', requestedBy: { id: p.agent.sub }, approvals: [], grantId: null, decidedAt: null });
    expect(Date.parse(req.body.expiresAt) - Date.parse(req.body.requestedAt)).toBe(12 * 3600_000);
    expect(approved.body).toMatchObject({
      status: 'APPROVED',
      decidedBy: { id: p.contact.sub },
      approvals: [{ by: { id: p.contact.sub }, comment: 'go ahead' }],
    });
    expect(g.body).toMatchObject({
      status: 'ACTIVE',
      origin: 'access-request',
      requestId: req.body.requestId,
      ticketId: 'T-42',
      audience: 'named',
      grantees: [{ id: p.agent.sub, email: p.agent.email }],
      approvedBy: [{ id: p.contact.sub }],
      scope: { level: 'read-only', modules: ['exports'] },
    });
    expect(Date.parse(g.body.expiresAt) - Date.parse(approved.body.decidedAt)).toBe(6 * 3600_000);
    expect(session.status).toBe(201);
    expect(session.body.grantId).toBe(g.body.grantId);
  });

  it('needs approvalsRequired different people', async () => {
    // Prepare
    const p = await setupTenant(api, { approvalsRequired: 2 });
    const req = await ask(p);
    // Act
    const first = await act(p, req.body.requestId, 'approve', p.contact);
    const twice = await act(p, req.body.requestId, 'approve', p.contact);
    const second = await act(p, req.body.requestId, 'approve', p.admin);
    const late = await act(p, req.body.requestId, 'approve', p.admin);
    // Assess
    expect(first.body).toMatchObject({ status: 'PENDING', grantId: null });
    expect(twice.status).toBe(409);
    expect(second.body).toMatchObject({ status: 'APPROVED', grantId: expect.any(String) });
    expect(second.body.approvals).toHaveLength(2);
    expect(late.status).toBe(409);
  });

  it('lets only an admin or a contact decide, never the requester', async () => {
    const p = await setupTenant(api);
    const req = await ask(p, p.lead);
    expect((await act(p, req.body.requestId, 'approve', p.user)).status).toBe(403);
    expect((await act(p, req.body.requestId, 'approve', p.lead)).status).toBe(403);
    expect((await act(p, req.body.requestId, 'deny', p.user)).status).toBe(403);
    const list = await api.call('GET', `/v1/tenants/${p.tenantId}/access-requests`, { as: p.user });
    expect(list.status).toBe(403);
  });
});

describe('deny, cancel, expire', () => {
  it('denies, and nothing is granted', async () => {
    const p = await setupTenant(api);
    const req = await ask(p);
    const denied = await act(p, req.body.requestId, 'deny', p.contact, { comment: 'not now' });
    const approve = await act(p, req.body.requestId, 'approve', p.admin);
    const access = await api.call('GET', `/v1/tenants/${p.tenantId}/access`, { as: p.agent });
    expect(denied.body).toMatchObject({ status: 'DENIED', decidedBy: { id: p.contact.sub }, grantId: null });
    expect(approve.status).toBe(409);
    expect(access.body.allowed).toBe(false);
  });

  it('lets only the requester cancel', async () => {
    const p = await setupTenant(api);
    const req = await ask(p);
    expect((await act(p, req.body.requestId, 'cancel', p.agent2)).status).toBe(403);
    const cancelled = await act(p, req.body.requestId, 'cancel', p.agent);
    expect(cancelled.body.status).toBe('CANCELLED');
    expect((await act(p, req.body.requestId, 'approve', p.contact)).status).toBe(409);
  });

  it('reads EXPIRED the moment its time is up, and the job records it once', async () => {
    // Prepare
    const p = await setupTenant(api, { requestTtlHours: 1 });
    const req = await ask(p);
    // Act
    await api.advance(3600);
    const read = await api.call('GET', `/v1/tenants/${p.tenantId}/access-requests/${req.body.requestId}`, { as: p.admin });
    const pending = await api.call('GET', `/v1/tenants/${p.tenantId}/access-requests?status=PENDING`, { as: p.admin });
    const approve = await act(p, req.body.requestId, 'approve', p.contact);
    await api.call('POST', '/_local/jobs/expire');
    await api.call('POST', '/_local/jobs/expire');
    const audit = await api.call('GET', `/v1/tenants/${p.tenantId}/audit-events`, { as: p.admin });
    // Assess
    expect(read.body.status).toBe('EXPIRED');
    expect(pending.body.items).toEqual([]);
    expect(approve.status).toBe(409);
    expect(audit.body.items.filter((e: { action: string }) => e.action === 'request.expired')).toHaveLength(1);
  });
});

describe('concurrent decisions', () => {
  it('approvals and denials racing on one request: one decision, at most one grant', async () => {
    // Prepare
    const p = await setupTenant(api);
    const req = await ask(p);
    // Act
    const results = await Promise.all([
      act(p, req.body.requestId, 'approve', p.contact),
      act(p, req.body.requestId, 'deny', p.admin),
      act(p, req.body.requestId, 'approve', p.admin),
      act(p, req.body.requestId, 'deny', p.contact),
    ]);
    const final = await api.call('GET', `/v1/tenants/${p.tenantId}/access-requests/${req.body.requestId}`, { as: p.admin });
    const grants = await api.call('GET', `/v1/tenants/${p.tenantId}/grants`, { as: p.admin });
    // Assess
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(3);
    expect(grants.body.items).toHaveLength(final.body.status === 'APPROVED' ? 1 : 0);
  });
});

describe('lists', () => {
  it('filters by status as of now, newest first', async () => {
    const p = await setupTenant(api);
    const a = await ask(p);
    const b = await ask(p);
    await act(p, a.body.requestId, 'deny', p.contact);
    const pending = await api.call('GET', `/v1/tenants/${p.tenantId}/access-requests?status=PENDING`, { as: p.agent });
    const all = await api.call('GET', `/v1/tenants/${p.tenantId}/access-requests`, { as: p.contact });
    expect(pending.body.items.map((r: { requestId: string }) => r.requestId)).toEqual([b.body.requestId]);
    expect(all.body.items.map((r: { requestId: string }) => r.requestId)).toEqual([b.body.requestId, a.body.requestId]);
  });
});

describe('the PENDING bound: at most MAX_PENDING_REQUESTS_PER_AGENT per agent per tenant', () => {
  it('lets exactly the bound through when 10 ask at once, refuses the rest with a problem that says how to free a slot', async () => {
    // Prepare
    const p = await setupTenant(api);
    await api.token(p.agent);
    // Act
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => ask(p, p.agent, { ticketId: `T-${i}` })));
    const other = await ask(p, p.agent2);
    const s = await tenantItems(doc, api.stack.tableName, p.tenantId);
    // Assess
    expect(MAX_PENDING_REQUESTS_PER_AGENT).toBe(5);
    expect(results.filter((r) => r.status === 201)).toHaveLength(MAX_PENDING_REQUESTS_PER_AGENT);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(10 - MAX_PENDING_REQUESTS_PER_AGENT);
    for (const r of refused) {
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({
        code: 'CONFLICT',
        detail: expect.stringContaining(`${MAX_PENDING_REQUESTS_PER_AGENT} PENDING access requests`),
      });
      expect(r.body.detail).toContain('cancel one');
    }
    // Another agent has a bound of its own; nothing was written for the refused ones (no mail either).
    expect(other.status).toBe(201);
    expect(s.requests).toHaveLength(MAX_PENDING_REQUESTS_PER_AGENT + 1);
    expect(s.outbox.filter((m) => m.kind === 'request.created')).toHaveLength(MAX_PENDING_REQUESTS_PER_AGENT + 1);
    expectConsistent(s);
  });

  it('frees a slot when a request is cancelled, denied, approved or expired by the job', async () => {
    // Prepare
    const p = await setupTenant(api, { requestTtlHours: 1 });
    const made = [];
    for (let i = 0; i < MAX_PENDING_REQUESTS_PER_AGENT; i++)
      made.push((await ask(p, p.agent, { ticketId: `T-${i}` })).body.requestId as string);
    const full = await ask(p);
    // Act / Assess: each way out of PENDING frees exactly one slot.
    expect(full.status).toBe(409);
    expect((await act(p, made[0]!, 'cancel', p.agent)).status).toBe(200);
    expect((await ask(p)).status).toBe(201);
    expect((await ask(p)).status).toBe(409);
    expect((await act(p, made[1]!, 'deny', p.contact)).status).toBe(200);
    expect((await ask(p)).status).toBe(201);
    expect((await act(p, made[2]!, 'approve', p.contact)).status).toBe(200);
    expect((await ask(p)).status).toBe(201);
    expect((await ask(p)).status).toBe(409);
    await api.advance(3600);
    await api.call('POST', '/_local/jobs/expire');
    const after = await Promise.all(Array.from({ length: MAX_PENDING_REQUESTS_PER_AGENT + 1 }, () => ask(p)));
    expect(after.filter((r) => r.status === 201)).toHaveLength(MAX_PENDING_REQUESTS_PER_AGENT);
    expectConsistent(await tenantItems(doc, api.stack.tableName, p.tenantId));
  });
});
