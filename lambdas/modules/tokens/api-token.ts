/**
 * API tokens: the one kind of bearer the API accepts (contract v1.2, "The API trusts one issuer:
 * itself"). An ES256 JWT, header `typ: at+jwt` and `kid`, `iss` the deployment's token issuer,
 * `aud: support-access-api`, at most 15 minutes. Minting and checking are here, once; signing is a
 * port (`ApiTokenSigner`: a key made at start locally, AWS KMS deployed).
 */
import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { ROLES, type Role } from '../../contract/route-def.ts';
import type { Jwk } from '../keys/index.ts';

export const API_TOKEN_AUDIENCE = 'support-access-api';
export const API_TOKEN_TYPE = 'at+jwt';
/** No API token lives longer. */
export const API_TOKEN_MAX_TTL_SECONDS = 15 * 60;
/** Clock skew a verifier allows on `iat` and `nbf` (never on `exp`). */
const SKEW_SECONDS = 60;

/** The door a token came through. */
export type Via = 'oidc' | 'portal' | 'email-link' | 'client' | 'local';
export const VIAS: readonly Via[] = ['oidc', 'portal', 'email-link', 'client', 'local'];

/** What a door decides about the person; the registered claims (iss, aud, iat, exp, jti) are added by `issueApiToken`. */
export interface ApiTokenClaims {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
  roles: Role[];
  /** Tenant users only. */
  tenant_id?: string;
  via: Via;
  /** For `oidc`: the upstream issuer. */
  idp?: string;
  /** For `client` (and `portal`: the client that opened it). */
  client_id?: string;
  /** For `client`: space-separated scopes. */
  scope?: string;
}

/** A verified token's claims. */
export type VerifiedApiToken = ApiTokenClaims & { iss: string; aud: string; iat: number; exp: number; jti?: string };

/** Signs a JWS signing input with the current key: ES256, the raw `r || s` (64 bytes). */
export interface ApiTokenSigner {
  /** The current key's id (the header's `kid`). */
  kid(): string;
  sign(input: Uint8Array): Promise<Uint8Array>;
}

/** The deployment's API-token keys: the signer and every public key a live token may name. */
export interface ApiTokenKeys {
  signer: ApiTokenSigner;
  jwks(): Promise<{ keys: Jwk[] }>;
}

export interface IssueOptions {
  signer: ApiTokenSigner;
  /** The token issuer: an exact URL, no trailing slash (stack output `TokenIssuer`). */
  issuer: string;
  now: Date;
  /** At most 15 minutes (the default). */
  ttlSeconds?: number;
  /** A unique id for the token (`jti`), when the door records one. */
  jti?: string;
}

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64url');

/**
 * Mints an API token. The door decides the claims; this refuses what no door may mint (an unknown
 * role, a lifetime over 15 minutes, an issuer with a trailing slash), so a mistake fails loudly.
 */
export async function issueApiToken(claims: ApiTokenClaims, opts: IssueOptions): Promise<{ token: string; expiresAt: string }> {
  const ttl = opts.ttlSeconds ?? API_TOKEN_MAX_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > API_TOKEN_MAX_TTL_SECONDS)
    throw new Error(`an API token lives 1 to ${API_TOKEN_MAX_TTL_SECONDS} s, not ${ttl}`);
  if (opts.issuer.endsWith('/')) throw new Error('the token issuer has no trailing slash');
  if (!claims.sub) throw new Error('an API token needs a subject');
  if (claims.roles.some((r) => !ROLES.includes(r))) throw new Error('an API token holds only the four roles');
  if (!VIAS.includes(claims.via)) throw new Error(`unknown door ${String(claims.via)}`);
  const iat = Math.floor(opts.now.getTime() / 1000);
  const payload = { ...claims, iss: opts.issuer, aud: API_TOKEN_AUDIENCE, iat, exp: iat + ttl, ...(opts.jti ? { jti: opts.jti } : {}) };
  const input = `${b64(JSON.stringify({ alg: 'ES256', typ: API_TOKEN_TYPE, kid: opts.signer.kid() }))}.${b64(JSON.stringify(payload))}`;
  const signature = await opts.signer.sign(new TextEncoder().encode(input));
  return { token: `${input}.${b64(signature)}`, expiresAt: new Date(payload.exp * 1000).toISOString() };
}

export type ApiTokenVerdict = { ok: true; claims: VerifiedApiToken } | { ok: false; reason: string };

export interface ApiTokenVerifier {
  /** The token's claims, or why it is refused; `nowMs` is real time (tokens never follow a test clock). */
  verify(token: string, nowMs: number): Promise<ApiTokenVerdict>;
}

const refuse = (reason: string): ApiTokenVerdict => ({ ok: false, reason });

function json(part: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const isStr = (v: unknown): v is string => typeof v === 'string';

/**
 * Checks API tokens of `issuer` against `jwks`: typ `at+jwt`, alg ES256 only (never `none`, never
 * an HMAC keyed with a public key), a known `kid`, the signature, `iss`, `aud`, `exp` (at most
 * 15 minutes after `iat`), and claims of the right types. An unknown `kid` reloads the key set at
 * most once a minute (a rotation began); the public keys are node:crypto objects, checked
 * synchronously (tens of microseconds).
 */
export function createApiTokenVerifier(opts: { issuer: string; jwks: () => Promise<{ keys: Jwk[] }> }): ApiTokenVerifier {
  let keys: Map<string, KeyObject> | undefined;
  let loadedAt = -Infinity;
  const load = async (nowMs: number) => {
    const set = await opts.jwks();
    keys = new Map(
      set.keys
        .filter((k) => k.kty === 'EC' && k.crv === 'P-256')
        .map((k) => [k.kid, createPublicKey({ key: { kty: k.kty, crv: k.crv, x: k.x, y: k.y }, format: 'jwk' })]),
    );
    loadedAt = nowMs;
  };
  return {
    async verify(token, nowMs) {
      const parts = token.split('.');
      if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return refuse('the token is not a compact JWS');
      const header = json(parts[0]!);
      const payload = json(parts[1]!);
      if (!header || !payload) return refuse('the token is not a JWT');
      if (header.typ !== API_TOKEN_TYPE)
        return refuse(`the token is not an API token (typ ${JSON.stringify(header.typ ?? null)}, expected "${API_TOKEN_TYPE}")`);
      if (header.alg !== 'ES256') return refuse(`the token's alg ${JSON.stringify(header.alg ?? null)} is not ES256`);
      if (
        header.crit !== undefined ||
        header.b64 !== undefined ||
        header.jku !== undefined ||
        header.jwk !== undefined ||
        header.x5u !== undefined
      )
        return refuse('the token names header parameters the API does not accept');
      if (!isStr(header.kid)) return refuse('the token names no key (kid)');
      if (!keys || (!keys.has(header.kid) && nowMs - loadedAt > 60_000)) await load(nowMs);
      const key = keys!.get(header.kid);
      if (!key) return refuse(`the token's key ${JSON.stringify(header.kid)} is not one of the issuer's`);
      const signature = Buffer.from(parts[2]!, 'base64url');
      const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
      if (signature.length !== 64 || !verifySignature('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, signature))
        return refuse("the token's signature is not valid");
      if (payload.iss !== opts.issuer) return refuse(`the token's issuer ${JSON.stringify(payload.iss ?? null)} is not ${opts.issuer}`);
      if (payload.aud !== API_TOKEN_AUDIENCE) return refuse(`the token's audience is not ${API_TOKEN_AUDIENCE}`);
      const now = Math.floor(nowMs / 1000);
      const { exp, iat, nbf } = payload;
      if (typeof exp !== 'number' || typeof iat !== 'number') return refuse('the token has no exp or iat');
      if (exp <= now) return refuse('the token has expired');
      if (iat > now + SKEW_SECONDS || (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + SKEW_SECONDS)))
        return refuse('the token is not valid yet');
      if (exp - iat > API_TOKEN_MAX_TTL_SECONDS) return refuse('the token lives longer than 15 minutes');
      const roles = payload.roles;
      if (!isStr(payload.sub) || !isStr(payload.email) || typeof payload.email_verified !== 'boolean' || !isStr(payload.name))
        return refuse("the token's identity claims are malformed");
      if (!Array.isArray(roles) || roles.some((r) => !isStr(r) || !ROLES.includes(r as Role)))
        return refuse("the token's roles are malformed");
      if (!VIAS.includes(payload.via as Via)) return refuse("the token's door (via) is unknown");
      for (const k of ['tenant_id', 'idp', 'client_id', 'scope', 'jti'] as const)
        if (payload[k] !== undefined && !isStr(payload[k])) return refuse(`the token's ${k} is malformed`);
      return { ok: true, claims: payload as unknown as VerifiedApiToken };
    },
  };
}
