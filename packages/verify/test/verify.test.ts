/** The verifier: offline checks against a real JWKS over HTTP, scope helpers, and revocation by events. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalKeySet, type LocalKeySet } from '../../../lambdas/modules/keys/local-keys.ts';
import { sessionTokenClaims, type SessionTokenClaims } from '../../../lambdas/modules/sessions/session-token.ts';
import { createVerifier, SessionRefusedError } from '../src/index.ts';

const settings = { issuer: 'https://api.example.test', audience: 'vendor-app' };
let keys: LocalKeySet;
let server: Server;
let jwksUrl: string;
let fetches = 0;
/** The JWKS answer's Cache-Control, as support-access sends it unless a test changes it. */
let cacheControl = 'public, max-age=300';

beforeAll(async () => {
  keys = await createLocalKeySet();
  server = createServer((_req, res) => {
    fetches++;
    void keys
      .jwks()
      .then((j) => res.writeHead(200, { 'content-type': 'application/json', 'cache-control': cacheControl }).end(JSON.stringify(j)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/.well-known/jwks.json`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

let clock = new Date('2026-12-01T10:00:00.000Z');
const now = () => clock;
const claims = (over: Partial<SessionTokenClaims> = {}, modules: string[] | null = ['billing']): SessionTokenClaims => ({
  ...sessionTokenClaims(
    settings,
    { sessionId: 'S1', tenantId: 'acme', grantId: 'G1', accessedBy: { id: 'sam', email: 'sam@vendor.test', name: 'Sam' } },
    { scope: { level: 'read-only', ...(modules ? { modules } : {}) }, expiresAt: null },
    clock,
    `J-${Math.random()}`,
  ),
  ...over,
});
const verifier = () => createVerifier({ jwksUrl, ...settings, now, jwksCooldownSeconds: 0 });

describe('verify', () => {
  it('answers the agent, tenant, scope, modules, grant and session of a valid token', async () => {
    // Act
    const s = await verifier().verify(await keys.signer.sign(claims()));
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

  it("canRead covers the scope's modules (all when none are named); canWrite needs full", async () => {
    const v = verifier();
    const readOnly = await v.verify(await keys.signer.sign(claims()));
    const full = await v.verify(await keys.signer.sign(claims({ scope: 'full' }, null)));
    expect([readOnly.canRead('billing'), readOnly.canRead('settings'), readOnly.canWrite('billing')]).toEqual([true, false, false]);
    expect([full.canRead('settings'), full.canWrite('settings'), full.modules]).toEqual([true, true, null]);
  });

  it('refuses an expired token, another audience or issuer, and a token signed by someone else', async () => {
    const v = verifier();
    const refused = async (token: string) => (await v.verify(token).catch((e: unknown) => e)) as SessionRefusedError;
    expect((await refused(await keys.signer.sign(claims({ exp: Math.floor(clock.getTime() / 1000) - 60 })))).reason).toBe('expired');
    expect((await refused(await keys.signer.sign(claims({ aud: 'another-app' })))).reason).toBe('invalid');
    expect((await refused(await keys.signer.sign(claims({ iss: 'https://evil.test' })))).reason).toBe('invalid');
    const stranger = await createLocalKeySet();
    expect((await refused(await stranger.signer.sign(claims()))).reason).toBe('invalid');
  });

  it('refuses an API token (typ at+jwt) even when a key it trusts signed it with every session claim: an API token is never a session token', async () => {
    // Arrange: the worst case, one key listed for both kinds; only the header's typ differs.
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'shared', alg: 'ES256' };
    const v = createVerifier({ jwksUrl, ...settings, now, keys: createLocalJWKSet({ keys: [jwk] }) });
    const signed = (typ: string) =>
      new SignJWT({ ...claims(), roles: ['support-agent'], via: 'local' })
        .setProtectedHeader({ alg: 'ES256', typ, kid: 'shared' })
        .sign(privateKey);
    // Act
    const asSession = await v.verify(await signed('JWT'));
    const asApiToken = (await v.verify(await signed('at+jwt')).catch((e: unknown) => e)) as SessionRefusedError;
    // Assess
    expect(asSession.sessionId).toBe('S1');
    expect(asApiToken).toBeInstanceOf(SessionRefusedError);
    expect(asApiToken.reason).toBe('invalid');
  });

  it('fetches the JWKS once, and again when a token names a key it has not seen (a rotation)', async () => {
    // Prepare
    const v = verifier();
    await v.verify(await keys.signer.sign(claims()));
    const before = fetches;
    await v.verify(await keys.signer.sign(claims()));
    expect(fetches).toBe(before);
    // Act
    await keys.rotate();
    const s = await v.verify(await keys.signer.sign(claims()));
    // Assess
    expect(fetches).toBe(before + 1);
    expect(s.sessionId).toBe('S1');
  });
});

describe('the JWKS cache (issue 22)', () => {
  it("keeps the keys for the answer's Cache-Control max-age, never longer (was 10 minutes against a 5-minute max-age)", async () => {
    // Prepare
    const v = verifier();
    await v.verify(await keys.signer.sign(claims()));
    const first = fetches;
    // Act, Assess: within the 300 s the cache answers; past them the JWKS is fetched again.
    clock = new Date(clock.getTime() + 299_000);
    await v.verify(await keys.signer.sign(claims()));
    expect(fetches).toBe(first);
    clock = new Date(clock.getTime() + 2_000);
    await v.verify(await keys.signer.sign(claims()));
    expect(fetches).toBe(first + 1);
  });

  it('follows a shorter max-age, and no-store keeps nothing', async () => {
    for (const [header, afterSeconds, refetched] of [
      ['max-age=60', 61, 1],
      ['max-age=60', 59, 0],
      ['no-store', 0, 1],
    ] as const) {
      cacheControl = header;
      try {
        const v = verifier();
        await v.verify(await keys.signer.sign(claims()));
        const first = fetches;
        clock = new Date(clock.getTime() + afterSeconds * 1000);
        await v.verify(await keys.signer.sign(claims()));
        expect(fetches - first, `${header} after ${afterSeconds} s`).toBe(refetched);
      } finally {
        cacheControl = 'public, max-age=300';
      }
    }
  });
});

describe('the revocation list', () => {
  const event = (type: string, detail: object, eventId = `E-${Math.random()}`) => ({
    'detail-type': type,
    detail: { eventId, tenantId: 'acme', at: clock.toISOString(), ...detail },
  });

  it('refuses a session at once after Session Ended, and every session of a grant after Grant Revoked or Grant Expired', async () => {
    // Prepare
    const v = verifier();
    const s1 = await keys.signer.sign(claims());
    const s2 = await keys.signer.sign(claims({ session_id: 'S2', grant_id: 'G2' }));
    const s3 = await keys.signer.sign(claims({ session_id: 'S3', grant_id: 'G3' }));
    await expect(v.verify(s1)).resolves.toBeTruthy();
    // Act
    expect(v.handleEvent(event('Session Ended', { session: { sessionId: 'S1', grantId: 'G1' } }))).toBe(true);
    expect(v.handleEvent(event('Grant Revoked', { grant: { grantId: 'G2' } }))).toBe(true);
    expect(v.handleEvent(event('Grant Expired', { grant: { grantId: 'G3' } }))).toBe(true);
    expect(v.handleEvent(event('Session Started', { session: { sessionId: 'S9', grantId: 'G9' } }))).toBe(false);
    // Assess
    for (const t of [s1, s2, s3]) await expect(v.verify(t)).rejects.toMatchObject({ reason: 'revoked' });
  });

  it('ignores an eventId seen before, and forgets revocations once every token they could have had expired', async () => {
    // Prepare
    const v = verifier();
    const e = event('Session Ended', { session: { sessionId: 'S1', grantId: 'G1' } }, 'E-same');
    // Act / Assess
    expect(v.handleEvent(e)).toBe(true);
    expect(v.handleEvent(e)).toBe(false);
    expect(v.revocations.size).toBe(1);
    clock = new Date(clock.getTime() + 15 * 60_000);
    expect(v.revocations.size).toBe(0);
  });
});
