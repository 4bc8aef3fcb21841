/**
 * Support-session tokens over real HTTP: sign-in answers a token that verifies offline against
 * `GET /v1/.well-known/jwks.json` with exactly the contract's claims; refresh re-checks the session
 * and the grant; an Idempotency-Key replay answers a token only while the session is open; the
 * JWKS lists both keys during a rotation.
 */
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupTenant, startTestApi, type People, type TestApi } from '../helpers/http.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.stop());

const jwks = () => createRemoteJWKSet(new URL(`${api.url}/v1/.well-known/jwks.json`), { cacheMaxAge: 0, cooldownDuration: 0 });
const verify = (token: string, at?: Date) =>
  jwtVerify(token, jwks(), {
    issuer: api.url,
    audience: 'support-access-local',
    algorithms: ['ES256'],
    ...(at ? { currentDate: at } : {}),
  });
const now = async () => new Date((await api.call('GET', '/_local/clock')).body.now as string);

async function grant(p: People, body: Record<string, unknown> = {}) {
  const res = await api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
    as: p.admin,
    body: { reason: 'export bug', scope: { level: 'read-only', modules: ['billing'] }, durationHours: 2, ...body },
  });
  expect(res.status).toBe(201);
  return res.body as { grantId: string; expiresAt: string };
}
const signIn = (p: People, headers: Record<string, string> = {}) =>
  api.call('POST', `/v1/tenants/${p.tenantId}/sessions`, { as: p.agent, body: { reason: 'look at the export' }, headers });
const refresh = (p: People, sessionId: string, as = p.agent) =>
  api.call('POST', `/v1/tenants/${p.tenantId}/sessions/${sessionId}/refresh`, { as, body: {} });

describe('sign-in answers a support-session token', () => {
  it('with exactly the contract claims, verifying offline against the JWKS', async () => {
    // Prepare
    const p = await setupTenant(api);
    const g = await grant(p);
    // Act
    const res = await signIn(p);
    // Assess
    expect(res.status).toBe(201);
    const { token, tokenExpiresAt, ...session } = res.body;
    expect(session).toMatchObject({ grantId: g.grantId, signOutAt: null });
    const { payload, protectedHeader } = await verify(token, await now());
    const iat = Math.floor((await now()).getTime() / 1000);
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: expect.any(String) });
    expect(Object.keys(payload).sort()).toEqual([
      'aud',
      'email',
      'exp',
      'grant_id',
      'iat',
      'iss',
      'jti',
      'modules',
      'scope',
      'session_id',
      'sub',
      'tenant_id',
    ]);
    expect(payload).toMatchObject({
      iss: api.url,
      aud: 'support-access-local',
      sub: p.agent.sub,
      email: p.agent.email,
      tenant_id: p.tenantId,
      scope: 'read-only',
      modules: ['billing'],
      grant_id: g.grantId,
      session_id: session.sessionId,
    });
    expect(payload.exp! - payload.iat!).toBe(15 * 60);
    expect(Math.abs(payload.iat! - iat)).toBeLessThanOrEqual(2);
    expect(tokenExpiresAt).toBe(new Date(payload.exp! * 1000).toISOString());
  });

  it('serves the JWKS without a token, cacheable, each key with its kid', async () => {
    // Act
    const res = await fetch(`${api.url}/v1/.well-known/jwks.json`);
    const body = (await res.json()) as { keys: { kid: string; kty: string; crv: string; alg: string; d?: string }[] };
    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    expect(body.keys.length).toBeGreaterThanOrEqual(1);
    for (const k of body.keys) expect(k).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: expect.any(String) });
    expect(body.keys.some((k) => 'd' in k)).toBe(false);
  });
});

describe('refresh', () => {
  it("answers a fresh token while the session is open, ending with the grant; another agent's session is 403", async () => {
    // Prepare: a one-hour grant, signed in, 50 minutes on
    const p = await setupTenant(api);
    const g = await grant(p, { durationHours: 1 });
    const first = (await signIn(p)).body;
    await api.advance(50 * 60);
    // Act
    const res = await refresh(p, first.sessionId);
    const other = await refresh(p, first.sessionId, p.agent2);
    // Assess
    expect(res.status).toBe(200);
    // The grant's end, to the second below it (a JWT's exp counts whole seconds).
    expect(res.body.tokenExpiresAt).toBe(new Date(Math.floor(Date.parse(g.expiresAt) / 1000) * 1000).toISOString());
    const { payload } = await verify(res.body.token, await now());
    expect(payload.jti).not.toBe(decodeJwt(first.token).jti);
    expect(payload.session_id).toBe(first.sessionId);
    expect(other.status).toBe(403);
    expect(other.body.code).toBe('FORBIDDEN');
  });

  it('is a 409 once the session ended: signed out, revoked, or the grant ran out', async () => {
    const p = await setupTenant(api);
    // signed out
    const g1 = await grant(p);
    const s1 = (await signIn(p)).body;
    await api.call('POST', `/v1/tenants/${p.tenantId}/sessions/${s1.sessionId}/end`, { as: p.agent, body: {} });
    expect((await refresh(p, s1.sessionId)).body.code).toBe('CONFLICT');
    // revoked
    const s2 = (await signIn(p)).body;
    await api.call('POST', `/v1/tenants/${p.tenantId}/grants/${g1.grantId}/revoke`, { as: p.admin, body: {} });
    const revoked = await refresh(p, s2.sessionId);
    expect([revoked.status, revoked.body.code]).toEqual([409, 'CONFLICT']);
    // ran out (before the expiry job)
    await grant(p, { durationHours: 1 });
    const s3 = (await signIn(p)).body;
    await api.advance(3600);
    const out = await refresh(p, s3.sessionId);
    expect([out.status, out.body.code]).toEqual([409, 'CONFLICT']);
  });

  it('is 403 ACCESS_NOT_GRANTED when the grant no longer admits the caller (a token with another email)', async () => {
    // Prepare: a grant naming the agent by sub and email
    const p = await setupTenant(api);
    await grant(p, { grantees: [{ id: p.agent.sub, email: p.agent.email, name: p.agent.name }] });
    const s = (await signIn(p)).body;
    // Act
    const res = await refresh(p, s.sessionId, { ...p.agent, email: `renamed-${p.agent.email}` });
    // Assess
    expect([res.status, res.body.code]).toEqual([403, 'ACCESS_NOT_GRANTED']);
  });
});

describe('an Idempotency-Key replay of sign-in', () => {
  it('answers a fresh token while the session is open, and none once it ended', async () => {
    // Prepare
    const p = await setupTenant(api);
    await grant(p);
    const headers = { 'idempotency-key': `k-${p.tenantId}` };
    const first = await signIn(p, headers);
    // Act
    const open = await signIn(p, headers);
    await api.call('POST', `/v1/tenants/${p.tenantId}/sessions/${first.body.sessionId}/end`, { as: p.agent, body: {} });
    const ended = await signIn(p, headers);
    // Assess
    expect(open.headers.get('idempotent-replayed')).toBe('true');
    expect(open.body.sessionId).toBe(first.body.sessionId);
    expect(decodeJwt(open.body.token).jti).not.toBe(decodeJwt(first.body.token).jti);
    await expect(verify(open.body.token, await now())).resolves.toBeTruthy();
    expect(ended.body).toMatchObject({ sessionId: first.body.sessionId, endedBy: 'agent' });
    expect(ended.body.token).toBeUndefined();
    expect(ended.body.tokenExpiresAt).toBeUndefined();
  });
});

describe('key rotation on the local stack', () => {
  it('lists both keys during the rotation, both tokens verify, and the old one is gone once retired', async () => {
    // Prepare
    const p = await setupTenant(api);
    await grant(p);
    const before = (await signIn(p)).body.token as string;
    // Act 1
    await api.stack.sessionKeys.rotate();
    const after = (await signIn(p)).body.token as string;
    const during = (await (await fetch(`${api.url}/v1/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    // Assess 1
    expect(during.keys).toHaveLength(2);
    await expect(verify(before, await now())).resolves.toBeTruthy();
    await expect(verify(after, await now())).resolves.toBeTruthy();
    // Act 2
    api.stack.sessionKeys.retire();
    // Assess 2
    await expect(verify(before, await now())).rejects.toThrow();
    await expect(verify(after, await now())).resolves.toBeTruthy();
  });
});
