/** The verifier: offline checks against a real JWKS over HTTP, the tenant, scope helpers, and revocation by events. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, MemoryRevocationStore, SessionRefusedError } from '../src/index.ts';
import { apiTokenClaims, jwksServer, sessionClaims, settings, testKeys, type TestKeys } from './helpers/keys.ts';

let keys: TestKeys;
let jwks: Awaited<ReturnType<typeof jwksServer>>;
beforeAll(async () => {
  keys = await testKeys();
  jwks = await jwksServer(keys);
});
afterAll(() => jwks.close());

let clock = new Date('2026-12-01T10:00:00.000Z');
const now = () => clock;
const claims = (over: Record<string, unknown> = {}, modules: string[] | null = ['billing']) => sessionClaims(clock, over, modules);
const verifier = () => createVerifier({ jwksUrl: jwks.url, ...settings, now, jwksCooldownSeconds: 0 });
const acme = { tenantId: 'acme' };
const refused = async (p: Promise<unknown>) => (await p.catch((e: unknown) => e)) as SessionRefusedError;

describe('verify', () => {
  it('answers the agent, tenant, scope, modules, grant and session of a valid token', async () => {
    // Act
    const s = await verifier().verify(await keys.sign(claims()), acme);
    // Assess
    expect(s).toMatchObject({
      agent: { id: 'sam', email: 'sam@vendor.test' },
      tenantId: 'acme',
      scope: 'read-only',
      modules: ['billing'],
      grantId: 'G1',
      sessionId: 'S1',
    });
    expect(s.expiresAt.toISOString()).toBe('2026-12-01T10:15:00.000Z');
  });

  it("refuses a valid token for another tenant than the request's, saying so (wrong-tenant)", async () => {
    const e = await refused(verifier().verify(await keys.sign(claims()), { tenantId: 'globex' }));
    expect(e).toBeInstanceOf(SessionRefusedError);
    expect(e.reason).toBe('wrong-tenant');
    expect(e.message).toContain('another tenant than "globex"');
  });

  it('needs the tenant of the request: verify(token) without one is a programming error, not a pass', async () => {
    const token = await keys.sign(claims());
    await expect(verifier().verify(token, undefined as unknown as { tenantId: string })).rejects.toThrow(TypeError);
    await expect(verifier().verify(token, { tenantId: '' })).rejects.toThrow(TypeError);
  });

  it("refuses an API token of support-access (typ at+jwt, aud support-access-api), even signed by the deployment's key", async () => {
    const v = verifier();
    // an API token as the API issues it
    const api = await refused(v.verify(await keys.sign(apiTokenClaims(clock), { typ: 'at+jwt' }), acme));
    // the same token with the vendor's audience added: still at+jwt
    const typed = await refused(v.verify(await keys.sign(claims(), { typ: 'at+jwt' }), acme));
    // a session-shaped token whose audience names the API
    const aud = await refused(v.verify(await keys.sign(claims({ aud: [settings.audience, 'support-access-api'] })), acme));
    for (const e of [api, typed, aud]) {
      expect(e).toBeInstanceOf(SessionRefusedError);
      expect(e.reason).toBe('invalid');
    }
    expect(typed.message).toContain('API token');
    expect(aud.message).toContain('API token');
  });

  it("canRead covers the scope's modules (all when none are named); canWrite needs full", async () => {
    const v = verifier();
    const readOnly = await v.verify(await keys.sign(claims()), acme);
    const full = await v.verify(await keys.sign(claims({ scope: 'full' }, null)), acme);
    expect([readOnly.canRead('billing'), readOnly.canRead('settings'), readOnly.canWrite('billing')]).toEqual([true, false, false]);
    expect([full.canRead('settings'), full.canWrite('settings'), full.modules]).toEqual([true, true, null]);
  });

  it('refuses an expired token, another audience or issuer, a token signed by someone else, and garbage', async () => {
    const v = verifier();
    expect((await refused(v.verify(await keys.sign(claims({ exp: Math.floor(clock.getTime() / 1000) - 60 })), acme))).reason).toBe(
      'expired',
    );
    expect((await refused(v.verify(await keys.sign(claims({ aud: 'another-app' })), acme))).reason).toBe('invalid');
    expect((await refused(v.verify(await keys.sign(claims({ iss: 'https://evil.test' })), acme))).reason).toBe('invalid');
    expect((await refused(v.verify(await (await testKeys()).sign(claims()), acme))).reason).toBe('invalid');
    expect((await refused(v.verify('not-a-token', acme))).reason).toBe('invalid');
    expect((await refused(v.verify(await keys.sign(claims({ scope: 'admin' })), acme))).reason).toBe('invalid');
  });

  it('fetches the JWKS once, and again when a token names a key it has not seen (a rotation)', async () => {
    // Prepare
    const v = verifier();
    await v.verify(await keys.sign(claims()), acme);
    const before = jwks.state.fetches;
    await v.verify(await keys.sign(claims()), acme);
    expect(jwks.state.fetches).toBe(before);
    // Act
    await keys.rotate();
    const s = await v.verify(await keys.sign(claims()), acme);
    // Assess
    expect(jwks.state.fetches).toBe(before + 1);
    expect(s.sessionId).toBe('S1');
  });
});

describe('the JWKS cache (issue 22)', () => {
  it("keeps the keys for the answer's Cache-Control max-age, never longer (was 10 minutes against a 5-minute max-age)", async () => {
    const v = verifier();
    await v.verify(await keys.sign(claims()), acme);
    const first = jwks.state.fetches;
    clock = new Date(clock.getTime() + 299_000);
    await v.verify(await keys.sign(claims()), acme);
    expect(jwks.state.fetches).toBe(first);
    clock = new Date(clock.getTime() + 2_000);
    await v.verify(await keys.sign(claims()), acme);
    expect(jwks.state.fetches).toBe(first + 1);
  });

  it('follows a shorter max-age, and no-store keeps nothing', async () => {
    for (const [header, afterSeconds, refetched] of [
      ['max-age=60', 61, 1],
      ['max-age=60', 59, 0],
      ['no-store', 0, 1],
    ] as const) {
      jwks.state.cacheControl = header;
      try {
        const v = verifier();
        await v.verify(await keys.sign(claims()), acme);
        const first = jwks.state.fetches;
        clock = new Date(clock.getTime() + afterSeconds * 1000);
        await v.verify(await keys.sign(claims()), acme);
        expect(jwks.state.fetches - first, `${header} after ${afterSeconds} s`).toBe(refetched);
      } finally {
        jwks.state.cacheControl = 'public, max-age=300';
      }
    }
  });
});

describe('revocations (the memory store)', () => {
  const event = (type: string, detail: object, eventId = `E-${Math.random()}`) => ({
    'detail-type': type,
    detail: { eventId, tenantId: 'acme', at: clock.toISOString(), ...detail },
  });

  it('refuses a session at once after Session Ended, and every session of a grant after Grant Revoked or Grant Expired', async () => {
    // Prepare
    const v = verifier();
    const s1 = await keys.sign(claims());
    const s2 = await keys.sign(claims({ session_id: 'S2', grant_id: 'G2' }));
    const s3 = await keys.sign(claims({ session_id: 'S3', grant_id: 'G3' }));
    const s4 = await keys.sign(claims({ session_id: 'S4', grant_id: 'G4' }));
    await expect(v.verify(s1, acme)).resolves.toBeTruthy();
    // Act: an EventBridge event, a webhook body, a feed item
    expect(await v.handleEvent(event('Session Ended', { session: { sessionId: 'S1', grantId: 'G1' } }))).toBe(true);
    expect(
      await v.handleEvent({ type: 'Grant Revoked', timestamp: clock.toISOString(), data: { grant: { grantId: 'G2' } } }, 'msg-1'),
    ).toBe(true);
    expect(
      await v.handleEvent({ eventId: 'E-3', type: 'Grant Expired', at: clock.toISOString(), tenantId: 'acme', data: { grantId: 'G3' } }),
    ).toBe(true);
    expect(await v.handleEvent(event('Session Started', { session: { sessionId: 'S4', grantId: 'G4' } }))).toBe(false);
    // Assess
    for (const t of [s1, s2, s3]) await expect(v.verify(t, acme)).rejects.toMatchObject({ reason: 'revoked' });
    await expect(v.verify(s4, acme)).resolves.toMatchObject({ sessionId: 'S4' });
  });

  it('ignores an eventId seen before, and forgets revocations once every token they could have had expired', async () => {
    // Prepare
    const store = new MemoryRevocationStore(now);
    const v = createVerifier({ jwksUrl: jwks.url, ...settings, now, store });
    const e = event('Session Ended', { session: { sessionId: 'S1', grantId: 'G1' } }, 'E-same');
    // Act / Assess
    expect(await v.handleEvent(e)).toBe(true);
    expect(await v.handleEvent(e)).toBe(false);
    expect(store.size).toBe(1);
    clock = new Date(clock.getTime() + (15 * 60 + 4) * 1000);
    expect(store.size).toBe(1); // the token lifetime plus the 5 s of clock skew
    clock = new Date(clock.getTime() + 1000);
    expect(store.size).toBe(0);
  });
});
