/**
 * The local JWT issuer. It signs RS256 tokens with a key made at start-up, and verifies them as
 * API Gateway's JWT authorizer does: signature, issuer, audience and expiry against real time.
 */
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWTPayload, type CryptoKey } from 'jose';

export interface TokenRequest {
  sub: string;
  email: string;
  name: string;
  groups: string[];
  tenantId?: string | undefined;
  expiresInSeconds?: number | undefined;
}

export interface LocalIssuer {
  issuer: string;
  audience: string;
  jwks(): Promise<{ keys: object[] }>;
  issue(req: TokenRequest): Promise<string>;
  /** Verified claims, or null when the token would be refused by the authorizer. */
  verify(token: string): Promise<JWTPayload | null>;
}

export async function createLocalIssuer(issuer: string, audience = 'support-access-local'): Promise<LocalIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = 'local-1';
  return {
    issuer,
    audience,
    async jwks() {
      return { keys: [{ ...(await exportJWK(publicKey as CryptoKey)), kid, alg: 'RS256', use: 'sig' }] };
    },
    async issue(req) {
      const claims: Record<string, unknown> = {
        email: req.email,
        name: req.name,
        'cognito:groups': req.groups,
        ...(req.tenantId ? { 'custom:tenantId': req.tenantId } : {}),
      };
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid })
        .setSubject(req.sub)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + (req.expiresInSeconds ?? 3600))
        .sign(privateKey);
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, publicKey, { issuer, audience, algorithms: ['RS256'] });
        return payload;
      } catch {
        return null;
      }
    },
  };
}

/** Claims as API Gateway's JWT authorizer hands them to Lambda: strings, arrays as `[a b]`. */
export function gatewayClaims(payload: JWTPayload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload)) {
    out[k] = Array.isArray(v) ? `[${v.join(' ')}]` : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}
