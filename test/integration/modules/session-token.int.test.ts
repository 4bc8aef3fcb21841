/** Support-session tokens: the claims, the KMS signature's conversion, the KMS key set, and a key rotation. */
import { generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import fc from 'fast-check';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import type { AdminGrantBody } from '../../../lambdas/contract/schemas.ts';
import { AccessNotGrantedError, ConflictError, ForbiddenError } from '../../../lambdas/kernel/errors.ts';
import { createGrant, revokeGrant } from '../../../lambdas/modules/grants/service.ts';
import {
  refreshSessionToken,
  replaySignIn,
  SESSION_TOKEN_TTL_SECONDS,
  sessionTokenClaims,
  withToken,
  type TokenDeps,
} from '../../../lambdas/modules/sessions/session-token.ts';
import { endSession, openSession } from '../../../lambdas/modules/sessions/service.ts';
import { derToRawEcdsa } from '../../../lambdas/modules/keys/der.ts';
import { createKmsKeySet, kidOf, type KmsApi } from '../../../lambdas/modules/keys/kms-keys.ts';
import { createLocalKeySet } from '../../../lambdas/modules/keys/local-keys.ts';
import { setupTenant, testDeps } from '../../helpers/domain.ts';

const settings = { issuer: 'https://api.example.test', audience: 'vendor-app' };
const grantBody = (over: Partial<AdminGrantBody> = {}): AdminGrantBody => ({
  reason: 'billing bug',
  scope: { level: 'read-only', modules: ['billing'] },
  durationHours: 4,
  ...over,
});
const input = { reason: 'ticket T-1', sourceIp: '203.0.113.9', userAgent: 'test' };

async function tokenDeps() {
  const deps = await testDeps();
  const keys = await createLocalKeySet();
  const d: TokenDeps = { ...deps, tokens: { signer: keys.signer, ...settings } };
  return { deps, d, keys, t: await setupTenant(deps) };
}

describe('sessionTokenClaims', () => {
  const session = { sessionId: 'S1', tenantId: 'acme', grantId: 'G1', accessedBy: { id: 'sam', email: 'sam@vendor.test', name: 'Sam' } };
  const now = new Date('2026-12-01T10:00:00.000Z');
  const iat = now.getTime() / 1000;

  it('carries exactly the contract claims, modules when the scope names some, and ends 15 minutes on', () => {
    // Act
    const claims = sessionTokenClaims(
      settings,
      session,
      { scope: { level: 'full', modules: ['billing'] }, expiresAt: '2026-12-01T14:00:00.000Z' },
      now,
      'J1',
    );
    // Assess
    expect(claims).toEqual({
      iss: settings.issuer,
      aud: settings.audience,
      sub: 'sam',
      email: 'sam@vendor.test',
      tenant_id: 'acme',
      scope: 'full',
      modules: ['billing'],
      grant_id: 'G1',
      session_id: 'S1',
      jti: 'J1',
      iat,
      exp: iat + 15 * 60,
    });
  });

  it('leaves modules out for every module, ends with a grant that ends sooner, and 15 minutes on for standing access', () => {
    // Act
    const short = sessionTokenClaims(
      settings,
      session,
      { scope: { level: 'read-only' }, expiresAt: '2026-12-01T10:05:00.000Z' },
      now,
      'J2',
    );
    const standing = sessionTokenClaims(settings, session, { scope: { level: 'read-only' }, expiresAt: null }, now, 'J3');
    // Assess
    expect('modules' in short).toBe(false);
    expect(short.exp).toBe(iat + 300);
    expect(standing.exp).toBe(iat + SESSION_TOKEN_TTL_SECONDS);
  });
});

describe('derToRawEcdsa (KMS answers DER, JWS wants r || s)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('turns any DER P-256 signature into the 64 bytes that verify as IEEE P1363', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (message) => {
        // Prepare: a DER signature, as KMS answers (r or s with a high bit gets a 0x00, short ones are shorter)
        const der = nodeSign('sha256', message, { key: privateKey, dsaEncoding: 'der' });
        // Act
        const raw = derToRawEcdsa(der);
        // Assess
        expect(raw).toHaveLength(64);
        expect(nodeVerify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('pads short integers on the left and strips the sign byte', () => {
    // Prepare: r = 0x01 (one byte), s = 0x00 0x80.. (33 bytes, sign byte)
    const s = new Uint8Array(33);
    s[1] = 0x80;
    s[32] = 0x07;
    const der = Uint8Array.from([0x30, 3 + 2 + 33, 0x02, 1, 0x01, 0x02, 33, ...s]);
    // Act
    const raw = derToRawEcdsa(der);
    // Assess
    expect(raw[31]).toBe(1);
    expect(raw.subarray(0, 31).every((b) => b === 0)).toBe(true);
    expect(raw[32]).toBe(0x80);
    expect(raw[63]).toBe(0x07);
  });

  it('refuses what is not a DER ECDSA signature', () => {
    expect(() => derToRawEcdsa(Uint8Array.from([0x31, 0]))).toThrow(/SEQUENCE/);
    expect(() => derToRawEcdsa(Uint8Array.from([0x30, 3, 0x02, 1, 1]))).toThrow();
    expect(() => derToRawEcdsa(Uint8Array.from([0x30, 6, 0x02, 1, 1, 0x02, 1, 1, 9]))).toThrow();
  });
});

/**
 * KMS cannot run here (no AWS account, no local KMS): this stands in for its two calls with the
 * same key type and the same answers (a DER signature over the raw message, a DER SPKI public key).
 */
function kmsStandIn(): KmsApi & { signed: string[] } {
  const keys = new Map<string, ReturnType<typeof generateKeyPairSync>>();
  const key = (id: string) => {
    let k = keys.get(id);
    if (!k) keys.set(id, (k = generateKeyPairSync('ec', { namedCurve: 'P-256' })));
    return k;
  };
  const signed: string[] = [];
  return {
    signed,
    async sign(keyId, message) {
      signed.push(keyId);
      return nodeSign('sha256', message, { key: key(keyId).privateKey, dsaEncoding: 'der' });
    },
    async publicKey(keyId) {
      return key(keyId).publicKey.export({ format: 'der', type: 'spki' });
    },
  };
}

describe('the KMS key set', () => {
  const OLD = 'arn:aws:kms:eu-west-1:111122223333:key/1111aaaa-0000-4000-8000-000000000001';
  const NEW = 'arn:aws:kms:eu-west-1:111122223333:key/2222bbbb-0000-4000-8000-000000000002';
  const claims = sessionTokenClaims(
    settings,
    { sessionId: 'S1', tenantId: 'acme', grantId: 'G1', accessedBy: { id: 'sam', email: 'sam@vendor.test', name: 'Sam' } },
    { scope: { level: 'read-only' }, expiresAt: null },
    new Date(),
    'J1',
  );

  it('signs with the last key through kms:Sign, and jose verifies the token against the JWKS from kms:GetPublicKey', async () => {
    // Prepare
    const kms = kmsStandIn();
    const keys = createKmsKeySet(kms, [OLD, NEW]);
    // Act
    const token = await keys.signer.sign(claims);
    const jwks = await keys.jwks();
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: settings.issuer,
      audience: settings.audience,
      algorithms: ['ES256'],
    });
    // Assess
    expect(kms.signed).toEqual([NEW]);
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'JWT', kid: kidOf(NEW) });
    expect(payload).toEqual(claims);
    expect(jwks.keys.map((k) => k.kid)).toEqual([kidOf(OLD), kidOf(NEW)]);
  });

  it('a token whose signature was altered does not verify', async () => {
    // Prepare
    const keys = createKmsKeySet(kmsStandIn(), [NEW]);
    const token = await keys.signer.sign(claims);
    const [h, , sig] = token.split('.');
    const other = JSON.stringify({ ...claims, scope: 'full' });
    // Act / Assess
    await expect(
      jwtVerify(`${h}.${Buffer.from(other).toString('base64url')}.${sig}`, createLocalJWKSet(await keys.jwks())),
    ).rejects.toThrow();
  });
});

describe('key rotation (docs/deploy.md)', () => {
  it('lists both keys while tokens of the old one may live, verifies both, and refuses the old one once it is removed', async () => {
    // Prepare: a token under the first key
    const keys = await createLocalKeySet();
    const claims = sessionTokenClaims(
      settings,
      { sessionId: 'S1', tenantId: 'acme', grantId: 'G1', accessedBy: { id: 'sam', email: 'sam@vendor.test', name: 'Sam' } },
      { scope: { level: 'read-only' }, expiresAt: null },
      new Date(),
      'J1',
    );
    const oldToken = await keys.signer.sign(claims);
    const oldKid = keys.currentKid();
    // Act 1: rotate
    const newKid = await keys.rotate();
    const newToken = await keys.signer.sign({ ...claims, jti: 'J2' });
    const during = await keys.jwks();
    // Assess 1
    expect(during.keys.map((k) => k.kid)).toEqual([oldKid, newKid]);
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
    for (const t of [oldToken, newToken]) await expect(jwtVerify(t, createLocalJWKSet(during))).resolves.toBeTruthy();
    // Act 2: the old key's tokens have expired (15 minutes at most): retire it
    keys.retire();
    const after = await keys.jwks();
    // Assess 2
    expect(after.keys.map((k) => k.kid)).toEqual([newKid]);
    await expect(jwtVerify(newToken, createLocalJWKSet(after))).resolves.toBeTruthy();
    await expect(jwtVerify(oldToken, createLocalJWKSet(after))).rejects.toThrow(/no applicable key/i);
  });
});

describe('refreshSessionToken', () => {
  it('answers a fresh token while the session is open and its grant ACTIVE, ending with the grant', async () => {
    // Prepare
    const { deps, d, keys, t } = await tokenDeps();
    const g = await createGrant(deps, t.admin, t.tenantId, grantBody({ durationHours: 1 }));
    const { session, entry } = await openSession(deps, t.agent, t.tenantId, input);
    const first = await withToken(d, session, entry);
    deps.clock.advanceSeconds(50 * 60);
    // Act
    const fresh = await refreshSessionToken(d, t.agent, t.tenantId, session.sessionId);
    // Assess: the second token ends when the grant does (10 minutes on), not 15 minutes on
    expect(fresh.tokenExpiresAt).toBe(g.expiresAt);
    const { payload } = await jwtVerify(fresh.token!, createLocalJWKSet(await keys.jwks()), { currentDate: deps.clock.now() });
    expect(payload).toMatchObject({
      sub: t.agent.id,
      scope: 'read-only',
      modules: ['billing'],
      session_id: session.sessionId,
      grant_id: g.grantId,
    });
    expect(payload.jti).not.toBe(
      (await jwtVerify(first.token!, createLocalJWKSet(await keys.jwks()), { currentDate: new Date('2026-11-23T14:00:00.000Z') })).payload
        .jti,
    );
  });

  it("refuses another agent (403), an ended session (409) and a grant that no longer admits the caller's email (ACCESS_NOT_GRANTED)", async () => {
    // Prepare
    const { deps, d, t } = await tokenDeps();
    await createGrant(deps, t.admin, t.tenantId, grantBody({ grantees: [{ id: t.agent.id, email: t.agent.email, name: t.agent.name }] }));
    const { session } = await openSession(deps, t.agent, t.tenantId, input);
    // Act / Assess
    await expect(refreshSessionToken(d, t.agent2, t.tenantId, session.sessionId)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      refreshSessionToken(d, { ...t.agent, email: 'someone-else@vendor.test' }, t.tenantId, session.sessionId),
    ).rejects.toBeInstanceOf(AccessNotGrantedError);
    await endSession(deps, t.agent, t.tenantId, session.sessionId);
    await expect(refreshSessionToken(d, t.agent, t.tenantId, session.sessionId)).rejects.toBeInstanceOf(ConflictError);
  });

  it('refuses once the grant is revoked or its time is up (the session ended with it)', async () => {
    // Prepare
    const { deps, d, t } = await tokenDeps();
    const g1 = await createGrant(deps, t.admin, t.tenantId, grantBody());
    const s1 = (await openSession(deps, t.agent, t.tenantId, { ...input, grantId: g1.grantId })).session;
    // Act / Assess: revoked
    await revokeGrant(deps, t.admin, t.tenantId, g1.grantId, undefined);
    await expect(refreshSessionToken(d, t.agent, t.tenantId, s1.sessionId)).rejects.toBeInstanceOf(ConflictError);
    // Act / Assess: expired, before the job ran
    const g2 = await createGrant(deps, t.admin, t.tenantId, grantBody({ durationHours: 1 }));
    const s2 = (await openSession(deps, t.agent, t.tenantId, { ...input, grantId: g2.grantId })).session;
    deps.clock.advanceHours(1);
    await expect(refreshSessionToken(d, t.agent, t.tenantId, s2.sessionId)).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('replaySignIn (an Idempotency-Key replay)', () => {
  it('answers a fresh token while the session is open and none once it ended', async () => {
    // Prepare
    const { deps, d, t } = await tokenDeps();
    await createGrant(deps, t.admin, t.tenantId, grantBody());
    const { session } = await openSession(deps, t.agent, t.tenantId, input);
    // Act
    const open = await replaySignIn(d, t.agent, t.tenantId, session);
    const ended = await endSession(deps, t.agent, t.tenantId, session.sessionId);
    const after = await replaySignIn(d, t.agent, t.tenantId, ended);
    // Assess
    expect(open.token).toEqual(expect.any(String));
    expect(after).toEqual(ended);
    expect('token' in after).toBe(false);
  });
});
