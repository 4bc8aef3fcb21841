/**
 * Grants and sessions end to end through real HTTP: activation, scope, sign-in, revoke, expiry
 * that is exact at read time, the expiry job catching up, and races that must apply once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DENIED_SEAL_DELAY_MS, DENIED_WINDOW_MS } from '../../lambdas/modules/sessions/rules.ts';
import { setupTenant, startTestApi, type People, type TestApi } from '../helpers/http.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.stop());

const grant = (p: People, body: Record<string, unknown>, as: object = p.admin) =>
  api.call('POST', `/v1/tenants/${p.tenantId}/grants`, { as: as as never, body });
const signIn = (p: People, as: object, body: Record<string, unknown> = { reason: 'looking at ticket' }) =>
  api.call('POST', `/v1/tenants/${p.tenantId}/sessions`, { as: as as never, body });

describe('a tenant admin switches access on', () => {
  it('grants the whole support team read-only access for some hours', async () => {
    // Prepare
    const p = await setupTenant(api);
    // Act
    const res = await grant(p, { reason: 'billing bug', scope: { level: 'read-only' }, durationHours: 4 });
    // Assess
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'ACTIVE',
      origin: 'tenant-admin',
      audience: 'support-team',
      grantees: [],
      grantedBy: { id: p.admin.sub, email: p.admin.email },
      scope: { level: 'read-only' },
      endedAt: null,
    });
    expect(Date.parse(res.body.expiresAt) - Date.parse(res.body.createdAt)).toBe(4 * 3600_000);
    const read = await api.call('GET', `/v1/tenants/${p.tenantId}/grants/${res.body.grantId}`, { as: p.agent });
    expect(read.body).toEqual(res.body);
  });

  it('gives named grantees access, and nobody else', async () => {
    // Prepare
    const p = await setupTenant(api);
    const g = await grant(p, {
      reason: 'data fix',
      scope: { level: 'full', modules: ['billing'] },
      durationHours: 2,
      grantees: [{ id: p.agent.sub, email: p.agent.email, name: p.agent.name }],
    });
    // Act
    const mine = await api.call('GET', `/v1/tenants/${p.tenantId}/access`, { as: p.agent });
    const other = await api.call('GET', `/v1/tenants/${p.tenantId}/access`, { as: p.agent2 });
    const denied = await signIn(p, p.agent2);
    // Assess
    expect(mine.body).toEqual({
      allowed: true,
      scope: { level: 'full', modules: ['billing'] },
      expiresAt: g.body.expiresAt,
      grantIds: [g.body.grantId],
    });
    expect(other.body).toEqual({ allowed: false, scope: null, expiresAt: null, grantIds: [] });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('ACCESS_NOT_GRANTED');
  });

  it('gives standing access only where the policy allows it', async () => {
    // Prepare
    const strict = await setupTenant(api);
    const lenient = await setupTenant(api, { allowStandingAccess: true });
    // Act
    const refused = await grant(strict, { reason: 'always on', scope: { level: 'read-only' }, standing: true });
    const allowed = await grant(lenient, { reason: 'always on', scope: { level: 'read-only' }, standing: true });
    const access = await api.call('GET', `/v1/tenants/${lenient.tenantId}/access`, { as: lenient.agent });
    // Assess
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].path).toBe('standing');
    expect(allowed.status).toBe(201);
    expect(allowed.body.expiresAt).toBeNull();
    expect(access.body).toMatchObject({ allowed: true, expiresAt: null });
  });

  it('refuses when the tenant has no authorized contact, and stores nothing', async () => {
    // Prepare
    const p = await setupTenant(api);
    for (const c of [p.admin, p.contact]) {
      await api.call('DELETE', `/v1/tenants/${p.tenantId}/contacts/${c.email}`, { as: p.admin });
    }
    // Act
    const res = await grant(p, { reason: 'x', scope: { level: 'read-only' }, durationHours: 1 });
    const list = await api.call('GET', `/v1/tenants/${p.tenantId}/grants`, { as: p.admin });
    // Assess
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('NO_AUTHORIZED_CONTACT');
    expect(list.body.items).toEqual([]);
  });
});

describe('a support lead records an approval given upfront', () => {
  it('names the approving contact', async () => {
    // Prepare
    const p = await setupTenant(api);
    // Act
    const res = await grant(
      p,
      { ticketId: 'T-9', reason: 'agreed on the phone', scope: { level: 'read-only' }, durationHours: 8, approvedBy: p.contact.email },
      p.lead,
    );
    // Assess
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      origin: 'upfront-approval',
      ticketId: 'T-9',
      grantedBy: { id: p.lead.sub },
      approvedBy: [{ email: p.contact.email, name: p.contact.name }],
    });
  });

  it('refuses an approver who is not a contact (409)', async () => {
    const p = await setupTenant(api);
    const res = await grant(
      p,
      { ticketId: 'T-9', reason: 'x', scope: { level: 'read-only' }, durationHours: 8, approvedBy: p.user.email },
      p.lead,
    );
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('CONFLICT');
  });
});

describe('sessions: the login history', () => {
  it('records a sign-in under the grant, and the sign-out', async () => {
    // Prepare
    const p = await setupTenant(api);
    const g = await grant(p, { reason: 'x', scope: { level: 'read-only' }, durationHours: 1 });
    // Act
    const s = await signIn(p, p.agent, { reason: 'check the invoice', grantId: g.body.grantId });
    const ended = await api.call('POST', `/v1/tenants/${p.tenantId}/sessions/${s.body.sessionId}/end`, { as: p.agent });
    const again = await api.call('POST', `/v1/tenants/${p.tenantId}/sessions/${s.body.sessionId}/end`, { as: p.agent });
    const history = await api.call('GET', `/v1/tenants/${p.tenantId}/sessions`, { as: p.admin });
    // Assess
    expect(s.status).toBe(201);
    expect(s.body).toMatchObject({
      grantId: g.body.grantId,
      accessedBy: { id: p.agent.sub, email: p.agent.email },
      reason: 'check the invoice',
      signOutAt: null,
      grantedBy: { id: p.admin.sub },
      sourceIp: expect.any(String),
    });
    expect(ended.body).toMatchObject({ endedBy: 'agent', signOutAt: expect.any(String) });
    expect(again.status).toBe(409);
    expect(history.body.items).toEqual([ended.body]);
  });

  it('only lets the session agent sign out', async () => {
    const p = await setupTenant(api);
    await grant(p, { reason: 'x', scope: { level: 'read-only' }, durationHours: 1 });
    const s = await signIn(p, p.agent);
    const res = await api.call('POST', `/v1/tenants/${p.tenantId}/sessions/${s.body.sessionId}/end`, { as: p.agent2 });
    expect(res.status).toBe(403);
  });

  it('audits a denied sign-in', async () => {
    // Prepare
    const p = await setupTenant(api);
    // Act
    const res = await signIn(p, p.agent, { reason: 'just looking' });
    const audit = await api.call('GET', `/v1/tenants/${p.tenantId}/audit-events`, { as: p.admin });
    // Assess
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('ACCESS_NOT_GRANTED');
    expect(audit.body.items[0]).toMatchObject({
      action: 'session.denied',
      actor: { id: p.agent.sub },
      details: { reason: 'just looking' },
    });
  });
});

describe('revoking', () => {
  it('ends access and the open sessions at once', async () => {
    // Prepare
    const p = await setupTenant(api);
    const g = await grant(p, { reason: 'x', scope: { level: 'full' }, durationHours: 5 });
    const s1 = await signIn(p, p.agent);
    const s2 = await signIn(p, p.agent2);
    // Act
    const revoked = await api.call('POST', `/v1/tenants/${p.tenantId}/grants/${g.body.grantId}/revoke`, {
      as: p.admin,
      body: { reason: 'done' },
    });
    const history = await api.call('GET', `/v1/tenants/${p.tenantId}/sessions`, { as: p.admin });
    const access = await api.call('GET', `/v1/tenants/${p.tenantId}/access`, { as: p.agent });
    const after = await signIn(p, p.agent);
    // Assess
    expect(revoked.body).toMatchObject({ status: 'REVOKED', endedBy: { id: p.admin.sub }, endReason: 'done' });
    const ids = [s1.body.sessionId, s2.body.sessionId];
    for (const s of history.body.items.filter((x: { sessionId: string }) => ids.includes(x.sessionId))) {
      expect(s).toMatchObject({ endedBy: 'revoked', signOutAt: revoked.body.endedAt });
    }
    expect(access.body.allowed).toBe(false);
    expect(after.status).toBe(403);
  });

  it('ends every open session of a grant with more than one transaction holds, each once', async () => {
    // Prepare: 60 agents signed in under one support-team grant (one transaction ends 48 with it).
    const p = await setupTenant(api);
    const g = await grant(p, { reason: 'x', scope: { level: 'read-only' }, durationHours: 5 });
    for (let i = 0; i < 60; i += 15) {
      const batch = await Promise.all(
        Array.from({ length: 15 }, (_, j) => signIn(p, { ...p.agent, sub: `agent-${i + j}-${p.tenantId.slice(-8)}` })),
      );
      for (const r of batch) expect(r.status).toBe(201);
    }
    // Act
    const revoked = await api.call('POST', `/v1/tenants/${p.tenantId}/grants/${g.body.grantId}/revoke`, { as: p.lead, body: {} });
    const history = await api.call('GET', `/v1/tenants/${p.tenantId}/sessions?limit=100`, { as: p.admin });
    const audit = await api.call('GET', `/v1/tenants/${p.tenantId}/audit-events?limit=100`, { as: p.admin });
    // Assess
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect(history.body.items).toHaveLength(60);
    for (const s of history.body.items) expect(s).toMatchObject({ endedBy: 'revoked', signOutAt: revoked.body.endedAt });
    const ended = audit.body.items
      .filter((e: { action: string }) => e.action === 'session.ended')
      .map((e: { targetId: string }) => e.targetId);
    expect(new Set(ended).size).toBe(60);
    expect(ended).toHaveLength(60);
    expect(audit.body.items.filter((e: { action: string }) => e.action === 'grant.revoked')).toHaveLength(1);
  });

  it('lets a named grantee give access back, but not another agent', async () => {
    const p = await setupTenant(api);
    const g = await grant(p, {
      reason: 'x',
      scope: { level: 'full' },
      durationHours: 5,
      grantees: [{ id: p.agent.sub, email: p.agent.email, name: p.agent.name }],
    });
    const path = `/v1/tenants/${p.tenantId}/grants/${g.body.grantId}/revoke`;
    expect((await api.call('POST', path, { as: p.agent2, body: {} })).status).toBe(403);
    expect((await api.call('POST', path, { as: p.agent, body: {} })).status).toBe(200);
    expect((await api.call('POST', path, { as: p.agent, body: {} })).status).toBe(409);
  });
});

describe('expiry is exact where it matters', () => {
  it('shows a grant EXPIRED the moment its time is up, before the job runs, and refuses sign-in', async () => {
    // Prepare
    const p = await setupTenant(api);
    const g = await grant(p, { reason: 'x', scope: { level: 'read-only' }, durationHours: 1 });
    const s = await signIn(p, p.agent);
    // Act
    await api.advance(3600);
    const read = await api.call('GET', `/v1/tenants/${p.tenantId}/grants/${g.body.grantId}`, { as: p.admin });
    const active = await api.call('GET', `/v1/tenants/${p.tenantId}/grants?status=ACTIVE`, { as: p.admin });
    const access = await api.call('GET', `/v1/tenants/${p.tenantId}/access`, { as: p.agent });
    const denied = await signIn(p, p.agent);
    const history = await api.call('GET', `/v1/tenants/${p.tenantId}/sessions`, { as: p.admin });
    const revoke = await api.call('POST', `/v1/tenants/${p.tenantId}/grants/${g.body.grantId}/revoke`, { as: p.admin, body: {} });
    // Assess
    expect(read.body).toMatchObject({ status: 'EXPIRED', endedAt: g.body.expiresAt, endedBy: null, endReason: 'expired' });
    expect(active.body.items).toEqual([]);
    expect(access.body.allowed).toBe(false);
    expect(denied.status).toBe(403);
    expect(history.body.items[0]).toMatchObject({ sessionId: s.body.sessionId, endedBy: 'expired', signOutAt: g.body.expiresAt });
    expect(revoke.status).toBe(409);
  });

  it('the job makes stored state catch up once, and a rerun does nothing', async () => {
    // Prepare
    const p = await setupTenant(api);
    const g = await grant(p, { reason: 'x', scope: { level: 'read-only' }, durationHours: 1 });
    await signIn(p, p.agent);
    await api.advance(3601);
    // Act
    const first = await api.call('POST', '/_local/jobs/expire');
    const second = await api.call('POST', '/_local/jobs/expire');
    const audit = await api.call('GET', `/v1/tenants/${p.tenantId}/audit-events`, { as: p.admin });
    // Assess
    expect(first.body.expiry.grantsExpired).toBeGreaterThanOrEqual(1);
    expect(second.body.expiry.grantsExpired).toBe(0);
    const expired = audit.body.items.filter(
      (e: { action: string; targetId: string }) => e.action === 'grant.expired' && e.targetId === g.body.grantId,
    );
    expect(expired).toHaveLength(1);
    expect(audit.body.items.filter((e: { action: string }) => e.action === 'session.ended')).toHaveLength(1);
  });
});

describe('races apply once', () => {
  it('concurrent revokes: exactly one wins', async () => {
    // Prepare
    const p = await setupTenant(api);
    const g = await grant(p, { reason: 'x', scope: { level: 'read-only' }, durationHours: 1 });
    const path = `/v1/tenants/${p.tenantId}/grants/${g.body.grantId}/revoke`;
    // Act
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => api.call('POST', path, { as: i % 2 ? p.admin : p.lead, body: {} })),
    );
    const audit = await api.call('GET', `/v1/tenants/${p.tenantId}/audit-events`, { as: p.admin });
    // Assess
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(7);
    expect(audit.body.items.filter((e: { action: string }) => e.action === 'grant.revoked')).toHaveLength(1);
  });

  it('sign-ins racing a revoke: every session that opened is ended by it, none opens after', async () => {
    // Prepare
    const p = await setupTenant(api);
    const g = await grant(p, { reason: 'x', scope: { level: 'read-only' }, durationHours: 1 });
    // Act
    const [revoke, ...signIns] = await Promise.all([
      api.call('POST', `/v1/tenants/${p.tenantId}/grants/${g.body.grantId}/revoke`, { as: p.admin, body: {} }),
      ...Array.from({ length: 6 }, (_, i) => signIn(p, i % 2 ? p.agent : p.agent2)),
    ]);
    const history = await api.call('GET', `/v1/tenants/${p.tenantId}/sessions?limit=100`, { as: p.admin });
    const late = await signIn(p, p.agent);
    // Assess
    expect(revoke!.status).toBe(200);
    for (const r of signIns) expect([201, 403]).toContain(r.status);
    expect(history.body.items).toHaveLength(signIns.filter((r) => r.status === 201).length);
    for (const s of history.body.items) expect(s.endedBy).toBe('revoked');
    expect(late.status).toBe(403);
  });

  it('once the time is up, a revoke sent alongside the expiry job is refused: the grant ends once, as expired', async () => {
    const p = await setupTenant(api);
    const g = await grant(p, { reason: 'x', scope: { level: 'read-only' }, durationHours: 1 });
    await api.advance(3600);
    const [revoke] = await Promise.all([
      api.call('POST', `/v1/tenants/${p.tenantId}/grants/${g.body.grantId}/revoke`, { as: p.admin, body: {} }),
      api.call('POST', '/_local/jobs/expire'),
    ]);
    const audit = await api.call('GET', `/v1/tenants/${p.tenantId}/audit-events`, { as: p.admin });
    const ends = audit.body.items.filter((e: { action: string }) => e.action === 'grant.revoked' || e.action === 'grant.expired');
    expect(revoke.status).toBe(409);
    expect(ends).toHaveLength(1);
    expect(ends[0].action).toBe('grant.expired');
  });
});

describe('me/grants and grantees', () => {
  it('lists the ACTIVE grants that cover the caller across tenants', async () => {
    // Prepare
    const a = await setupTenant(api);
    const b = await setupTenant(api);
    const named = await grant(a, {
      reason: 'x',
      scope: { level: 'read-only' },
      durationHours: 1,
      grantees: [{ id: a.agent.sub, email: a.agent.email, name: a.agent.name }],
    });
    const ga = await api.call('POST', `/v1/tenants/${b.tenantId}/grants`, {
      as: b.admin,
      body: {
        reason: 'y',
        scope: { level: 'full' },
        durationHours: 1,
        grantees: [{ id: b.agent.sub, email: b.agent.email, name: b.agent.name }],
      },
    });
    // Act: the agent of tenant a is added to b's grant
    const added = await api.call('POST', `/v1/tenants/${b.tenantId}/grants/${ga.body.grantId}/grantees`, {
      as: b.lead,
      body: { id: a.agent.sub, email: a.agent.email, name: a.agent.name },
    });
    const mine = await api.call('GET', '/v1/me/grants', { as: a.agent });
    // Assess
    expect(added.status).toBe(200);
    expect(added.body.grantees.map((x: { id: string }) => x.id)).toEqual([b.agent.sub, a.agent.sub]);
    const ids = mine.body.items.map((x: { grantId: string }) => x.grantId);
    expect(ids).toContain(named.body.grantId);
    expect(ids).toContain(ga.body.grantId);
    expect(mine.body.items.every((x: { status: string }) => x.status === 'ACTIVE')).toBe(true);
  });
});

describe('lists page newest first with signed cursors', () => {
  it('walks every grant exactly once', async () => {
    // Prepare
    const p = await setupTenant(api);
    const made: string[] = [];
    for (let i = 0; i < 7; i++)
      made.push((await grant(p, { reason: `r${i}`, scope: { level: 'read-only' }, durationHours: 1 })).body.grantId);
    // Act
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : '?limit=3';
      const res = await api.call('GET', `/v1/tenants/${p.tenantId}/grants${q}`, { as: p.admin });
      seen.push(...res.body.items.map((g: { grantId: string }) => g.grantId));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    // Assess
    expect(pages).toBe(3);
    expect(seen).toEqual([...made].reverse());
  });
});

describe('refused sign-ins cannot flood the trail', () => {
  type Event = { eventId: string; action: string; actor: { id: string }; details: Record<string, unknown> };
  const denied = async (p: People) =>
    ((await api.call('GET', `/v1/tenants/${p.tenantId}/audit-events?limit=100`, { as: p.admin })).body.items as Event[]).filter(
      (e) => e.action === 'session.denied',
    );
  /** Moves the local clock to one second past the start of the next window. */
  const toNextWindow = async () => {
    const now = Date.parse((await api.call('GET', '/_local/clock')).body.now);
    await api.advance((DENIED_WINDOW_MS - (now % DENIED_WINDOW_MS)) / 1000 + 1);
  };

  it('counts 50 refusals of one agent in one minute in one session.denied, and the next minute in a new one; the chain seals and verifies them', async () => {
    // Prepare
    const p = await setupTenant(api);
    await Promise.all([api.token(p.agent), api.token(p.agent2)]);
    await toNextWindow();
    // Act
    const first = await Promise.all(Array.from({ length: 50 }, (_, i) => signIn(p, p.agent, { reason: `try ${i}` })));
    const other = await signIn(p, p.agent2, { reason: 'me too' });
    await api.call('POST', '/_local/jobs/expire');
    const during = await denied(p);
    const verifyDuring = await api.call('GET', `/v1/tenants/${p.tenantId}/audit-events/verify`, { as: p.admin });
    await toNextWindow();
    const second = await Promise.all(Array.from({ length: 3 }, () => signIn(p, p.agent, { reason: 'again' })));
    await api.advance((DENIED_WINDOW_MS + DENIED_SEAL_DELAY_MS) / 1000);
    await api.call('POST', '/_local/jobs/expire');
    const after = await denied(p);
    const verifyAfter = await api.call('GET', `/v1/tenants/${p.tenantId}/audit-events/verify`, { as: p.admin });
    // Assess: every refusal answered 403 and counted; one event per agent per minute.
    for (const r of [...first, ...second, other]) expect(r.body.code).toBe('ACCESS_NOT_GRANTED');
    const mine = during.filter((e) => e.actor.id === p.agent.sub);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.details).toMatchObject({ count: 50, grantId: null, reason: expect.stringMatching(/^try \d+$/) });
    expect(during.filter((e) => e.actor.id === p.agent2.sub).map((e) => e.details.count)).toEqual([1]);
    // Still counting, so not sealed yet: the chain is valid around it.
    expect(verifyDuring.body).toMatchObject({ valid: true, problems: [] });
    expect(verifyDuring.body.unsealed).toBeGreaterThanOrEqual(2);
    expect(after.filter((e) => e.actor.id === p.agent.sub).map((e) => e.details.count)).toEqual([3, 50]);
    // Sealed with their final counts, and verified.
    expect(verifyAfter.body).toMatchObject({ valid: true, problems: [], unsealed: 0 });
    expect(verifyAfter.body.sealed).toBe(verifyAfter.body.events);
  });
});
