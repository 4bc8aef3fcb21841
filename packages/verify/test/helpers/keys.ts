/**
 * The package's own fixtures (nothing from lambdas/): an ES256 key set served as a JWKS over real
 * HTTP, and support-session tokens with exactly the claims support-access signs (API.md, v1.1
 * "Support-session token"), plus an API token (v1.2) to show it is refused.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export const settings = { issuer: 'https://api.example.test', audience: 'vendor-app' };

export interface TestKeys {
  /** Signs claims with the current key; `typ` is `JWT` as support-access's session tokens say. */
  sign(claims: Record<string, unknown>, header?: { typ?: string }): Promise<string>;
  /** A new current key; the old one stays listed. */
  rotate(): Promise<void>;
  jwks(): { keys: JWK[] };
}

export async function testKeys(): Promise<TestKeys> {
  const keys: { kid: string; privateKey: CryptoKey; jwk: JWK }[] = [];
  const add = async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const kid = `k-${keys.length + 1}-${Math.random().toString(36).slice(2, 8)}`;
    keys.push({ kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } });
  };
  await add();
  return {
    async sign(claims, header = {}) {
      const key = keys[keys.length - 1]!;
      return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: header.typ ?? 'JWT', kid: key.kid }).sign(key.privateKey);
    },
    rotate: add,
    jwks: () => ({ keys: keys.map((k) => k.jwk) }),
  };
}

/** Serves `keys` as `/v1/.well-known/jwks.json`, counting fetches; `cacheControl` as support-access sends it. */
export async function jwksServer(keys: TestKeys) {
  const state = { fetches: 0, cacheControl: 'public, max-age=300' };
  const server: Server = createServer((_req, res) => {
    state.fetches++;
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': state.cacheControl }).end(JSON.stringify(keys.jwks()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/.well-known/jwks.json`;
  return { url, state, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** The claims of a support-session token issued at `now` (15 minutes), for tenant acme, session S1 of grant G1. */
export function sessionClaims(now: Date, over: Record<string, unknown> = {}, modules: string[] | null = ['billing']) {
  const iat = Math.floor(now.getTime() / 1000);
  return {
    iss: settings.issuer,
    aud: settings.audience,
    sub: 'sam',
    email: 'sam@vendor.test',
    tenant_id: 'acme',
    scope: 'read-only',
    ...(modules ? { modules } : {}),
    grant_id: 'G1',
    session_id: 'S1',
    jti: `J-${Math.random()}`,
    iat,
    exp: iat + 15 * 60,
    ...over,
  };
}

/** An API token of support-access (v1.2): `typ: at+jwt`, `aud: support-access-api`. */
export function apiTokenClaims(now: Date) {
  const iat = Math.floor(now.getTime() / 1000);
  return {
    iss: settings.issuer,
    aud: 'support-access-api',
    sub: 'sam',
    email: 'sam@vendor.test',
    email_verified: true,
    name: 'Sam',
    roles: ['support-agent'],
    via: 'local',
    tenant_id: 'acme',
    jti: `J-${Math.random()}`,
    iat,
    exp: iat + 15 * 60,
  };
}
