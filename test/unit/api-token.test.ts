/**
 * API tokens (contract v1.2, "The API trusts one issuer: itself"): what `issueApiToken` mints and
 * what the verifier (the Lambda authorizer's and the local stack's check) refuses, each with the
 * reason a caller reads in the 401. Real keys throughout (node:crypto P-256; KMS through a stand-in
 * with the same answers, since KMS cannot run here).
 */
import { createHmac, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { KmsApi } from '../../lambdas/modules/keys/index.ts';
import { createLocalKeySet } from '../../lambdas/modules/keys/local-keys.ts';
import {
  API_TOKEN_AUDIENCE,
  authorizeBearer,
  createApiTokenVerifier,
  createKmsApiTokenKeys,
  createLocalApiTokenKeys,
  issueApiToken,
  type ApiTokenClaims,
} from '../../lambdas/modules/tokens/index.ts';

const ISSUER = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
const NOW = Date.parse('2026-12-07T12:00:00Z');
const carol: ApiTokenClaims = {
  sub: 'carol',
  email: 'carol@acme.test',
  email_verified: true,
  name: 'Carol Contact',
  roles: ['tenant-user'],
  tenant_id: 'acme',
  via: 'local',
};

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const parts = (token: string) => {
  const [h, p, s] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p!, 'base64url').toString()),
    s: s!,
  };
};

function setup() {
  const keys = createLocalApiTokenKeys();
  const verifier = createApiTokenVerifier({ issuer: ISSUER, jwks: () => keys.jwks() });
  const mint = (claims: ApiTokenClaims = carol, ttlSeconds?: number) =>
    issueApiToken(claims, { signer: keys.signer, issuer: ISSUER, now: new Date(NOW), ...(ttlSeconds ? { ttlSeconds } : {}) });
  return { keys, verifier, mint };
}

describe('issueApiToken', () => {
  it('mints an ES256 at+jwt with the kid, our issuer, the API audience, 15 minutes and the claims', async () => {
    // Arrange
    const { keys, mint, verifier } = setup();
    // Act
    const { token, expiresAt } = await mint();
    // Assess
    const { header, payload } = parts(token);
    expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: keys.kid });
    expect(payload).toEqual({ ...carol, iss: ISSUER, aud: 'support-access-api', iat: NOW / 1000, exp: NOW / 1000 + 900 });
    expect(expiresAt).toBe('2026-12-07T12:15:00.000Z');
    expect(await verifier.verify(token, NOW + 1000)).toEqual({ ok: true, claims: payload });
  });

  it.each<[string, Partial<ApiTokenClaims>, number | undefined, RegExp]>([
    ['a lifetime over 15 minutes', {}, 901, /1 to 900/],
    ['a role that is not one of the four', { roles: ['admin' as never] }, undefined, /four roles/],
    ['an unknown door', { via: 'cookie' as never }, undefined, /unknown door/],
    ['no subject', { sub: '' }, undefined, /subject/],
  ])('refuses to mint %s', async (_, change, ttl, message) => {
    const { mint } = setup();
    await expect(mint({ ...carol, ...change }, ttl)).rejects.toThrow(message);
  });

  it('refuses an issuer with a trailing slash (the issuer is one exact string)', async () => {
    const { keys } = setup();
    await expect(issueApiToken(carol, { signer: keys.signer, issuer: `${ISSUER}/`, now: new Date(NOW) })).rejects.toThrow(/trailing slash/);
  });

  it('signs through KMS (DER from kms:Sign made r||s) and the verifier takes the key from kms:GetPublicKey', async () => {
    // Arrange: KMS cannot run here; this answers its two calls as KMS does (DER signature, DER SPKI).
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const calls: string[] = [];
    const kms: KmsApi = {
      sign: async (keyId, message) => (
        calls.push(`sign ${keyId}`),
        nodeSign('sha256', message, { key: pair.privateKey, dsaEncoding: 'der' })
      ),
      publicKey: async (keyId) => (calls.push(`publicKey ${keyId}`), pair.publicKey.export({ format: 'der', type: 'spki' })),
    };
    const arn = 'arn:aws:kms:eu-west-1:111122223333:key/3333cccc-0000-4000-8000-000000000003';
    const keys = createKmsApiTokenKeys(kms, [arn]);
    // Act
    const { token } = await issueApiToken(carol, { signer: keys.signer, issuer: ISSUER, now: new Date(NOW) });
    const verdict = await createApiTokenVerifier({ issuer: ISSUER, jwks: () => keys.jwks() }).verify(token, NOW);
    // Assess
    expect(parts(token).header.kid).toBe('3333cccc-0000-4000-8000-000000000003');
    expect(verdict.ok).toBe(true);
    expect(calls).toEqual([`sign ${arn}`, `publicKey ${arn}`]);
  });
});

describe('the verifier refuses, saying why', () => {
  it('a support-session token (typ JWT, the session keys): a session token is never an API token', async () => {
    // Arrange: a real support-session token, signed by the session keys, with our issuer.
    const { verifier } = setup();
    const sessionKeys = await createLocalKeySet();
    const token = await sessionKeys.signer.sign({
      iss: ISSUER,
      aud: API_TOKEN_AUDIENCE,
      sub: 'sam',
      email: 'sam@vendor.test',
      tenant_id: 'acme',
      scope: 'full',
      grant_id: 'g1',
      session_id: 's1',
      jti: 'j1',
      iat: NOW / 1000,
      exp: NOW / 1000 + 600,
    });
    // Act
    const verdict = await verifier.verify(token, NOW);
    // Assess
    expect(verdict).toEqual({ ok: false, reason: expect.stringMatching(/not an API token \(typ "JWT"/) });
  });

  it('alg none (no signature)', async () => {
    const { verifier, mint } = setup();
    const { payload } = parts((await mint()).token);
    const token = `${b64({ alg: 'none', typ: 'at+jwt', kid: 'x' })}.${b64(payload)}.`;
    expect(await verifier.verify(token, NOW)).toEqual({ ok: false, reason: expect.stringMatching(/alg "none" is not ES256/) });
  });

  it('HS256 keyed with the public key (the algorithm-confusion forgery)', async () => {
    // Arrange: the forger knows the public JWK and MACs the token with it.
    const { verifier, mint, keys } = setup();
    const { header, payload } = parts((await mint()).token);
    const jwk = (await keys.jwks()).keys[0]!;
    const input = `${b64({ ...header, alg: 'HS256' })}.${b64({ ...payload, roles: ['support-lead'] })}`;
    const mac = createHmac('sha256', JSON.stringify(jwk)).update(input).digest('base64url');
    // Act
    const verdict = await verifier.verify(`${input}.${mac}`, NOW);
    // Assess
    expect(verdict).toEqual({ ok: false, reason: expect.stringMatching(/alg "HS256" is not ES256/) });
  });

  it('a token naming a key that is not the issuer’s (another key, its own kid)', async () => {
    const { verifier } = setup();
    const other = createLocalApiTokenKeys();
    const { token } = await issueApiToken(carol, {
      signer: { kid: () => 'someone-else', sign: other.signer.sign },
      issuer: ISSUER,
      now: new Date(NOW),
    });
    expect(await verifier.verify(token, NOW)).toEqual({
      ok: false,
      reason: expect.stringMatching(/key "someone-else" is not one of the issuer's/),
    });
  });

  it('a token signed by another key under our kid (the signature)', async () => {
    const { verifier, keys } = setup();
    const other = createLocalApiTokenKeys();
    const { token } = await issueApiToken(carol, {
      signer: { kid: () => keys.kid, sign: other.signer.sign },
      issuer: ISSUER,
      now: new Date(NOW),
    });
    expect(await verifier.verify(token, NOW)).toEqual({ ok: false, reason: "the token's signature is not valid" });
  });

  it('claims changed after signing (roles raised to support-lead)', async () => {
    const { verifier, mint } = setup();
    const { token } = await mint();
    const [h, , s] = token.split('.');
    const forged = `${h}.${b64({ ...parts(token).payload, roles: ['support-lead'] })}.${s}`;
    expect(await verifier.verify(forged, NOW)).toEqual({ ok: false, reason: "the token's signature is not valid" });
  });

  it.each<[string, (p: Record<string, unknown>) => Record<string, unknown>, RegExp]>([
    ['a wrong audience (the session tokens’)', (p) => ({ ...p, aud: 'support-access' }), /audience is not support-access-api/],
    ['an audience array', (p) => ({ ...p, aud: [API_TOKEN_AUDIENCE] }), /audience/],
    ['a wrong issuer (a trailing slash)', (p) => ({ ...p, iss: `${ISSUER}/` }), /issuer .* is not https/],
    ['a lifetime over 15 minutes', (p) => ({ ...p, exp: (p.iat as number) + 901 }), /longer than 15 minutes/],
    ['roles that are not the four', (p) => ({ ...p, roles: ['root'] }), /roles are malformed/],
    ['email_verified as a string', (p) => ({ ...p, email_verified: 'true' }), /identity claims are malformed/],
    ['no door', (p) => ({ ...p, via: undefined }), /door/],
    ['iat in the future', (p) => ({ ...p, iat: NOW / 1000 + 120, exp: NOW / 1000 + 600 }), /not valid yet/],
  ])('%s', async (_, change, reason) => {
    // Arrange: signed by the issuer's own key, so only the named check can refuse it.
    const { verifier, mint, keys } = setup();
    const { header, payload } = parts((await mint()).token);
    const input = `${b64(header)}.${b64(change(payload))}`;
    const token = `${input}.${Buffer.from(await keys.signer.sign(new TextEncoder().encode(input))).toString('base64url')}`;
    // Act
    const verdict = await verifier.verify(token, NOW);
    // Assess
    expect(verdict).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });

  it('an expired token (at its exp, by real time)', async () => {
    const { verifier, mint } = setup();
    const { token } = await mint(carol, 60);
    expect((await verifier.verify(token, NOW + 59_000)).ok).toBe(true);
    expect(await verifier.verify(token, NOW + 60_000)).toEqual({ ok: false, reason: 'the token has expired' });
  });

  it.each(['', 'abc', 'a.b', 'a.b.c.d', 'a.b.c', '!!.??.**'])('what is no JWT (%j)', async (token) => {
    const { verifier } = setup();
    expect((await verifier.verify(token, NOW)).ok).toBe(false);
  });
});

describe('authorizeBearer (the Lambda authorizer)', () => {
  it('passes the verified claims on, and a refusal with its reason, never denying itself (the function answers the 401)', async () => {
    const { verifier, mint } = setup();
    const { token } = await mint();
    const ok = await authorizeBearer(verifier, `Bearer ${token}`, NOW);
    expect(ok.isAuthorized).toBe(true);
    expect(ok.context.verdict).toBe('ok');
    expect(JSON.parse((ok.context as { claims: string }).claims)).toMatchObject({
      sub: 'carol',
      roles: ['tenant-user'],
      tenant_id: 'acme',
    });
    expect(await authorizeBearer(verifier, undefined, NOW)).toEqual({
      isAuthorized: true,
      context: { verdict: 'refused', reason: 'a bearer token is required' },
    });
    expect(await authorizeBearer(verifier, `Basic ${token}`, NOW)).toMatchObject({ context: { verdict: 'refused' } });
  });
});
