/**
 * The holes of issue 11, replayed over real HTTP as an attacker would, each refused with a clear
 * problem and changing nothing (the tenant's whole state and its mail are compared before/after).
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, tenantState } from '../helpers/guard-checks.ts';
import { setupTenant, startTestApi, type People, type TestApi, type Who } from '../helpers/http.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.stop());

const ask = { ticketId: 'T-11', reason: 'invoice totals are wrong', scope: { level: 'full' }, durationHours: 6 };
const base = (p: People) => `/v1/tenants/${p.tenantId}`;

/** The tenant's state and every email its contacts hold (after delivering whatever is due). */
async function everything(p: People) {
  await api.stack.deliver();
  const mail = await Promise.all([p.admin.email, p.contact.email].map((e) => api.mailTo(e)));
  return { state: await tenantState(api, p), mail: mail.map((m) => m.length) };
}

async function pendingRequest(p: People, as: Who = p.agent): Promise<string> {
  const res = await api.call('POST', `${base(p)}/access-requests`, { as, body: ask });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.requestId as string;
}

describe('hole 1: two approvals by one person under two accounts', () => {
  it('counts CAROL@ACME.TEST after carol@acme.test once: 409, still PENDING, nothing changed', async () => {
    // Prepare: two approvals needed; the contact approves; another tenant-user claims her email in capitals
    const p = await setupTenant(api, { approvalsRequired: 2 });
    const id = await pendingRequest(p);
    expect((await api.call('POST', `${base(p)}/access-requests/${id}/approve`, { as: p.contact, body: {} })).status).toBe(200);
    const twin: Who = { ...p.user, email: p.contact.email.toUpperCase() };
    const before = await everything(p);
    // Act
    const res = await api.call('POST', `${base(p)}/access-requests/${id}/approve`, { as: twin, body: {} });
    // Assess
    expectProblem(res, 409, 'CONFLICT');
    expect(res.body.detail).toMatch(/already approved/);
    expect(await everything(p)).toEqual(before);
  });

  it('gives a contact whose token says email_verified false no vote and no reading (403), nothing changed', async () => {
    const p = await setupTenant(api);
    const id = await pendingRequest(p);
    const unverified: Who = { ...p.contact, emailVerified: false };
    const before = await everything(p);
    for (const action of ['approve', 'deny']) {
      const res = await api.call('POST', `${base(p)}/access-requests/${id}/${action}`, { as: unverified, body: {} });
      expectProblem(res, 403, 'FORBIDDEN');
      expect(res.body.detail).toMatch(/verified email/);
    }
    expectProblem(await api.call('GET', `${base(p)}/access-requests/${id}`, { as: unverified }), 403, 'FORBIDDEN');
    expect(await everything(p)).toEqual(before);
  });

  it('issues local API tokens (via local) with email_verified as a JSON boolean (false when asked), no Cognito claims', async () => {
    const p = await setupTenant(api);
    expect(decodeJwt(await api.token(p.contact))).toMatchObject({ via: 'local', email_verified: true });
    expect(decodeJwt(await api.token({ ...p.contact, emailVerified: false }))).toMatchObject({ via: 'local', email_verified: false });
    expect(decodeJwt(await api.token(p.contact))).not.toHaveProperty('token_use');
  });
});

describe('hole 2: an upfront approval that skips the quorum, naming a stranger as grantee', () => {
  it('refuses one contact when the policy needs two: 409 saying how many, nothing changed, nobody emailed', async () => {
    // Prepare
    const p = await setupTenant(api, { approvalsRequired: 2 });
    const before = await everything(p);
    // Act
    const res = await api.call('POST', `${base(p)}/grants`, {
      as: p.lead,
      body: { ticketId: 'T-11', reason: 'agreed', scope: { level: 'full' }, durationHours: 72, approvedBy: p.contact.email },
    });
    // Assess
    expectProblem(res, 409, 'CONFLICT');
    expect(res.body.detail).toMatch(/needs 2 different authorized contacts/);
    expect(await everything(p)).toEqual(before);
  });

  it('grants with two different contacts named', async () => {
    const p = await setupTenant(api, { approvalsRequired: 2 });
    const res = await api.call('POST', `${base(p)}/grants`, {
      as: p.lead,
      body: {
        ticketId: 'T-11',
        reason: 'agreed',
        scope: { level: 'full' },
        durationHours: 2,
        approvedBy: [p.contact.email, p.admin.email.toUpperCase()],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.approvedBy.map((a: { email: string }) => a.email)).toEqual([p.contact.email, p.admin.email]);
  });

  it('refuses the grantee {id: "lee", email: "ceo@acme.test", name: "Acme CEO"}: 400 naming the field, nothing changed', async () => {
    const p = await setupTenant(api);
    const before = await everything(p);
    const res = await api.call('POST', `${base(p)}/grants`, {
      as: p.lead,
      body: {
        ticketId: 'T-11',
        reason: 'agreed',
        scope: { level: 'full' },
        durationHours: 2,
        approvedBy: p.contact.email,
        grantees: [{ id: 'lee', email: 'ceo@acme.test', name: 'Acme CEO' }],
      },
    });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['grantees.0.email']);
    expect(await everything(p)).toEqual(before);
  });

  it('answers 403 to a support lead when the policy turns upfront approvals off, nothing changed', async () => {
    const p = await setupTenant(api, { allowUpfrontApproval: false });
    const before = await everything(p);
    const res = await api.call('POST', `${base(p)}/grants`, {
      as: p.lead,
      body: { ticketId: 'T-11', reason: 'agreed', scope: { level: 'full' }, durationHours: 2, approvedBy: p.contact.email },
    });
    expectProblem(res, 403, 'FORBIDDEN');
    expect(await everything(p)).toEqual(before);
    expect((await api.call('GET', `${base(p)}/policy`, { as: p.admin })).body.allowUpfrontApproval).toBe(false);
  });

  it('signs in a named grantee only with the email the grant names (403 ACCESS_NOT_GRANTED, audited)', async () => {
    // Prepare: the admin names the agent; a token with the agent's sub and another email
    const p = await setupTenant(api);
    const g = await api.call('POST', `${base(p)}/grants`, {
      as: p.admin,
      body: {
        reason: 'look',
        scope: { level: 'full' },
        durationHours: 2,
        grantees: [{ id: p.agent.sub, email: p.agent.email, name: p.agent.name }],
      },
    });
    expect(g.status).toBe(201);
    const impostor: Who = { ...p.agent, email: `other-${p.agent.email}` };
    // Act
    const res = await api.call('POST', `${base(p)}/sessions`, { as: impostor, body: { reason: 'look' } });
    // Assess
    expectProblem(res, 403, 'ACCESS_NOT_GRANTED');
    const audit = await api.call('GET', `${base(p)}/audit-events`, { as: p.admin });
    expect(audit.body.items[0]).toMatchObject({ action: 'session.denied', actor: { id: p.agent.sub, email: impostor.email } });
    expect((await api.call('GET', `${base(p)}/sessions`, { as: p.admin })).body.items).toEqual([]);
    expect((await api.call('POST', `${base(p)}/sessions`, { as: p.agent, body: { reason: 'look' } })).status).toBe(201);
  });
});

describe('hole 3: a reason that forges lines in the email', () => {
  const injected = 'ok\n\nRevoke this access at any time: https://evil.example/revoke';

  it.each([
    [
      'a request reason',
      (p: People) => api.call('POST', `${base(p)}/access-requests`, { as: p.agent, body: { ...ask, reason: injected } }),
      'reason',
    ],
    [
      'a request ticketId',
      (p: People) => api.call('POST', `${base(p)}/access-requests`, { as: p.agent, body: { ...ask, ticketId: 'T\r\nBcc: x' } }),
      'ticketId',
    ],
    [
      'a grant reason',
      (p: People) =>
        api.call('POST', `${base(p)}/grants`, { as: p.admin, body: { reason: injected, scope: { level: 'full' }, durationHours: 1 } }),
      'reason',
    ],
    [
      'a contact name',
      (p: People) => api.call('PUT', `${base(p)}/contacts/new%40x.test`, { as: p.admin, body: { name: 'Eve\u2028Admin' } }),
      'name',
    ],
    ['a sign-in reason', (p: People) => api.call('POST', `${base(p)}/sessions`, { as: p.agent, body: { reason: `a\tb` } }), 'reason'],
  ])('refuses %s with a line break: 400 naming the field, nothing changed, nobody emailed', async (_, call, field) => {
    const p = await setupTenant(api);
    const before = await everything(p);
    const res = await call(p);
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([field]);
    expect(await everything(p)).toEqual(before);
  });

  it('refuses a decision comment with a line break', async () => {
    const p = await setupTenant(api);
    const id = await pendingRequest(p);
    const before = await everything(p);
    const res = await api.call('POST', `${base(p)}/access-requests/${id}/approve`, { as: p.contact, body: { comment: injected } });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['comment']);
    expect(await everything(p)).toEqual(before);
  });
});

describe('hole 4: one person with a support account and a tenant account approving their own request', () => {
  it('refuses the tenant account with the requester email: 403, nothing changed', async () => {
    // Prepare: the contact also works in support, under the same email
    const p = await setupTenant(api);
    const supportSelf: Who = {
      sub: `self-${p.tenantId.slice(-8)}`,
      email: p.contact.email.toUpperCase(),
      name: 'Cleo at Support',
      groups: ['support-agent'],
    };
    const id = await pendingRequest(p, supportSelf);
    const before = await everything(p);
    // Act / Assess
    for (const action of ['approve', 'deny']) {
      const res = await api.call('POST', `${base(p)}/access-requests/${id}/${action}`, { as: p.contact, body: {} });
      expectProblem(res, 403, 'FORBIDDEN');
      expect(res.body.detail).toMatch(/requester cannot/);
    }
    expect(await everything(p)).toEqual(before);
  });

  it('refuses one token holding a tenant role and a support role: 403, nothing changed', async () => {
    const p = await setupTenant(api);
    const id = await pendingRequest(p);
    const both: Who = { ...p.contact, groups: ['tenant-user', 'support-lead'] };
    const before = await everything(p);
    const res = await api.call('POST', `${base(p)}/access-requests/${id}/approve`, { as: both, body: {} });
    expectProblem(res, 403, 'FORBIDDEN');
    expect(res.body.detail).toMatch(/support staff never approve/);
    expect(await everything(p)).toEqual(before);
  });
});

describe('the policy and sign-in replays', () => {
  it('grants at most a maximum lowered after the request', async () => {
    const p = await setupTenant(api, {});
    const res = await api.call('POST', `${base(p)}/access-requests`, { as: p.agent, body: { ...ask, durationHours: 48 } });
    const policy = { maxDurationHours: 4, allowStandingAccess: false, approvalsRequired: 1, requestTtlHours: 12, notifyOnSignIn: true };
    expect((await api.call('PUT', `${base(p)}/policy`, { as: p.admin, body: policy })).status).toBe(200);
    const approved = await api.call('POST', `${base(p)}/access-requests/${res.body.requestId}/approve`, { as: p.contact, body: {} });
    const g = await api.call('GET', `${base(p)}/grants/${approved.body.grantId}`, { as: p.admin });
    expect(Date.parse(g.body.expiresAt) - Date.parse(g.body.createdAt)).toBe(4 * 3_600_000);
  });

  it('replays a sign-in with its session as it is now, ended', async () => {
    const p = await setupTenant(api);
    await api.call('POST', `${base(p)}/grants`, {
      as: p.admin,
      body: {
        reason: 'look',
        scope: { level: 'full' },
        durationHours: 2,
        grantees: [{ id: p.agent.sub, email: p.agent.email, name: p.agent.name }],
      },
    });
    const headers = { 'idempotency-key': `k-${p.tenantId}` };
    const first = await api.call('POST', `${base(p)}/sessions`, { as: p.agent, body: { reason: 'look' }, headers });
    expect(first.status).toBe(201);
    expect(first.body.signOutAt).toBeNull();
    expect((await api.call('POST', `${base(p)}/sessions/${first.body.sessionId}/end`, { as: p.agent, body: {} })).status).toBe(200);
    // Act
    const again = await api.call('POST', `${base(p)}/sessions`, { as: p.agent, body: { reason: 'look' }, headers });
    // Assess
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toMatchObject({ sessionId: first.body.sessionId, endedBy: 'agent', signOutAt: expect.any(String) });
    expect((await api.call('GET', `${base(p)}/sessions`, { as: p.admin })).body.items).toHaveLength(1);
  });
});
