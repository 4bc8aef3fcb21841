/**
 * The API trusts one issuer, itself (contract v1.2): over real HTTP on the local stack, the token
 * issuer's discovery document and keys, `POST /_local/token` minting API tokens (`via: local`),
 * and the auth step refusing what is not one of our API tokens with a 401 that says why, a
 * support-session token first.
 */
import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/http.ts';
import { people as makePeople, type People } from '../helpers/people.ts';

let api: TestApi;
let people: People;

beforeAll(async () => {
  api = await startTestApi();
  people = makePeople();
}, 120_000);
afterAll(() => api?.stop());

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const headerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;

describe('the token issuer', () => {
  it("serves its discovery document at {issuer}/.well-known/openid-configuration without a token, naming a jwks_uri that lists the token's kid", async () => {
    // Act
    const discovery = await fetch(`${api.url}/.well-known/openid-configuration`);
    const doc = (await discovery.json()) as { issuer: string; jwks_uri: string; id_token_signing_alg_values_supported: string[] };
    const jwks = (await (await fetch(doc.jwks_uri)).json()) as { keys: { kid: string; alg: string; crv: string }[] };
    const token = await api.token(people.admin);
    // Assess
    expect(discovery.status).toBe(200);
    expect(doc.issuer).toBe(api.url);
    expect(doc.issuer.endsWith('/')).toBe(false);
    expect(doc.jwks_uri).toBe(`${api.url}/.well-known/api-token-jwks.json`);
    expect(doc.id_token_signing_alg_values_supported).toEqual(['ES256']);
    expect(jwks.keys.map((k) => [k.kid, k.alg, k.crv])).toEqual([[headerOf(token).kid, 'ES256', 'P-256']]);
  });

  it('mints API tokens at POST /_local/token from the v1 body: ES256, at+jwt, our issuer and audience, 15 minutes, roles, tenant_id, via local', async () => {
    // Act
    const token = await api.token(people.admin);
    const c = claimsOf(token);
    // Assess
    expect(headerOf(token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(c).toMatchObject({
      iss: api.url,
      aud: 'support-access-api',
      sub: people.admin.sub,
      email: people.admin.email,
      email_verified: true,
      roles: ['tenant-admin'],
      tenant_id: people.tenantId,
      via: 'local',
    });
    expect((c.exp as number) - (c.iat as number)).toBe(900);
    expect(c).not.toHaveProperty('cognito:groups');
    expect((await api.call('GET', `/v1/tenants/${people.tenantId}/contacts`, { as: people.admin })).status).toBe(200);
  });
});

describe('the API takes only its own API tokens', () => {
  it('refuses a support-session token (401 saying it is not an API token), though the same stack signed it for the same issuer', async () => {
    // Arrange: a real support-session token of this stack (the support-session keys).
    const now = Math.floor(Date.now() / 1000);
    const sessionToken = await api.stack.sessionKeys.signer.sign({
      iss: api.url,
      aud: 'support-access-api',
      sub: people.agent.sub,
      email: people.agent.email,
      tenant_id: people.tenantId,
      scope: 'full',
      grant_id: 'G1',
      session_id: 'S1',
      jti: 'J1',
      iat: now,
      exp: now + 600,
    });
    // Act
    const res = await api.call('GET', '/v1/me/grants', { token: sessionToken });
    // Assess
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'UNAUTHENTICATED', detail: expect.stringMatching(/not an API token \(typ "JWT"/) });
  });

  it.each<[string, (t: { token: string; iss: string; kid: string }) => Promise<string>, RegExp]>([
    ['a token of another key under our kid', async ({ kid, iss }) => foreign({ kid, iss }), /signature is not valid/],
    ['a token naming an unknown kid', async ({ iss }) => foreign({ kid: 'nobody-knows', iss }), /is not one of the issuer's/],
    ['HS256 keyed with our public key', async ({ token }) => hs256WithPublicKey(token), /alg "HS256" is not ES256/],
  ])('refuses %s (401 with the reason)', async (_, make, reason) => {
    // Arrange
    const token = await api.token(people.lead);
    const forged = await make({ token, iss: api.url, kid: headerOf(token).kid as string });
    // Act
    const res = await api.call('GET', '/v1/me/grants', { token: forged });
    // Assess
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'UNAUTHENTICATED', detail: expect.stringMatching(reason) });
  });

  it('refuses an expired API token and a request without one, each saying why', async () => {
    // Act
    const expired = await api.call('GET', '/v1/me/grants', {
      token: await api.stack.issuer.issue({ ...people.lead, expiresInSeconds: -1 }),
    });
    const none = await api.call('GET', '/v1/me/grants');
    // Assess
    expect([expired.status, none.status]).toEqual([401, 401]);
    expect(expired.body).toMatchObject({ detail: expect.stringMatching(/has expired/) });
    expect(none.body).toMatchObject({ detail: expect.stringMatching(/bearer token is required/) });
  });
});

/** An API token with every right claim, signed by a key that is not the issuer's. */
async function foreign({ kid, iss }: { kid: string; iss: string }) {
  const { privateKey } = await generateKeyPair('ES256');
  return new SignJWT({
    email: people.admin.email,
    email_verified: true,
    name: 'Mallory',
    roles: ['tenant-admin'],
    tenant_id: people.tenantId,
    via: 'local',
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
    .setSubject(people.admin.sub)
    .setIssuer(iss)
    .setAudience('support-access-api')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(privateKey);
}

/** The algorithm-confusion forgery: the token re-signed with HMAC-SHA256 keyed by the issuer's public JWK. */
async function hs256WithPublicKey(token: string) {
  const jwks = (await (await fetch(`${api.url}/.well-known/api-token-jwks.json`)).json()) as { keys: object[] };
  const { createHmac } = await import('node:crypto');
  const header = Buffer.from(JSON.stringify({ ...headerOf(token), alg: 'HS256' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify({ ...claimsOf(token), roles: ['support-lead'] })).toString('base64url');
  const mac = createHmac('sha256', JSON.stringify(jwks.keys[0])).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${mac}`;
}
