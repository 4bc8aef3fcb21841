/**
 * The local JWT issuer. It signs RS256 tokens with a key made at start-up, and verifies them as
 * API Gateway's JWT authorizer does: signature, issuer, audience and expiry against real time.
 */
import { KeyObject, verify as verifySignature } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWTPayload, type CryptoKey } from 'jose';

export interface TokenRequest {
  sub: string;
  email: string;
  name: string;
  groups: string[];
  tenantId?: string | undefined;
  /** `email_verified` (default true): false makes a token whose email gives no contact rights. */
  emailVerified?: boolean | undefined;
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
  // Verified with node:crypto's synchronous RSA check (about 25 µs), not jose's WebCrypto one,
  // whose async round trip cost every request 0.13-0.3 ms on the hot path (docs/performance.md).
  const publicKeyObject = KeyObject.from(publicKey as CryptoKey);
  return {
    issuer,
    audience,
    async jwks() {
      return { keys: [{ ...(await exportJWK(publicKey as CryptoKey)), kid, alg: 'RS256', use: 'sig' }] };
    },
    async issue(req) {
      const claims: Record<string, unknown> = {
        // An ID token, as Cognito's: the API refuses any other `token_use`.
        token_use: 'id',
        email: req.email,
        email_verified: req.emailVerified ?? true,
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
      const parts = token.split('.');
      if (parts.length !== 3) return null;
      try {
        const header = decodeProtectedHeader(token);
        // What the authorizer accepts: RS256 under our key id, no extensions it would not know.
        if (header.alg !== 'RS256' || header.kid !== kid || header.crit !== undefined || header.b64 !== undefined) return null;
        const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
        if (!verifySignature('RSA-SHA256', signed, publicKeyObject, Buffer.from(parts[2]!, 'base64url'))) return null;
        const payload = decodeJwt(token);
        const now = Math.floor(Date.now() / 1000);
        const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
        if (payload.iss !== issuer || !audiences.includes(audience)) return null;
        if (typeof payload.exp !== 'number' || payload.exp <= now) return null;
        if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > now)) return null;
        if (payload.iat !== undefined && typeof payload.iat !== 'number') return null;
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
