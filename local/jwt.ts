/**
 * The local token issuer: `POST /_local/token` mints **API tokens** (`via: local`) with a key made
 * at start, and the local server checks every bearer with the same verifier and the same verdict
 * the deployed Lambda authorizer gives (`lambdas/modules/tokens/`), against real time.
 */
import {
  API_TOKEN_AUDIENCE,
  API_TOKEN_MAX_TTL_SECONDS,
  authorizeBearer,
  createApiTokenVerifier,
  createLocalApiTokenKeys,
  issueApiToken,
  type ApiTokenKeys,
  type AuthorizerResult,
} from '../lambdas/modules/tokens/index.ts';
import type { Role } from '../lambdas/contract/routes.ts';
import { ROLES } from '../lambdas/contract/routes.ts';

export interface TokenRequest {
  sub: string;
  email: string;
  name: string;
  /** The roles (named `groups` since v1: the body is unchanged); a name that is no role grants nothing. */
  groups: string[];
  tenantId?: string | undefined;
  /** `email_verified` (default true): false makes a token whose email gives no contact rights. */
  emailVerified?: boolean | undefined;
  /** At most 900 (an API token's longest life; more is cut to 900); 0 or less: already expired. */
  expiresInSeconds?: number | undefined;
}

export interface LocalIssuer {
  /** The token issuer (`iss`): the stack's origin, no trailing slash. */
  issuer: string;
  audience: string;
  keys: ApiTokenKeys;
  jwks(): ReturnType<ApiTokenKeys['jwks']>;
  issue(req: TokenRequest): Promise<string>;
  /** The verdict the deployed authorizer gives on an `Authorization` header. */
  authorize(authorization: string | undefined): Promise<AuthorizerResult>;
}

export function createLocalIssuer(issuer: string): LocalIssuer {
  const keys = createLocalApiTokenKeys();
  const verifier = createApiTokenVerifier({ issuer, jwks: () => keys.jwks() });
  return {
    issuer,
    audience: API_TOKEN_AUDIENCE,
    keys,
    jwks: () => keys.jwks(),
    async issue(req) {
      const asked = req.expiresInSeconds ?? API_TOKEN_MAX_TTL_SECONDS;
      const ttl = Math.min(asked, API_TOKEN_MAX_TTL_SECONDS);
      // An already-expired token (tests): minted as if a full lifetime ago, ending `asked` s from now.
      const ttlSeconds = ttl > 0 ? ttl : API_TOKEN_MAX_TTL_SECONDS;
      const now = new Date(Date.now() + (ttl > 0 ? 0 : (ttl - API_TOKEN_MAX_TTL_SECONDS) * 1000));
      const roles = req.groups.filter((g): g is Role => (ROLES as readonly string[]).includes(g)).filter((r, i, a) => a.indexOf(r) === i);
      const { token } = await issueApiToken(
        {
          sub: req.sub,
          email: req.email,
          email_verified: req.emailVerified ?? true,
          name: req.name,
          roles,
          ...(req.tenantId ? { tenant_id: req.tenantId } : {}),
          via: 'local',
        },
        { signer: keys.signer, issuer, now, ttlSeconds },
      );
      return token;
    },
    authorize: (authorization) => authorizeBearer(verifier, authorization, Date.now()),
  };
}
