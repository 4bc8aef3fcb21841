/**
 * API tokens: what other modules (the doors: exchange, client credentials, portal, email links)
 * use to mint the one bearer the API accepts, and the local stack and the authorizer to check it.
 *
 * Minting, for a door:
 *
 *     issueApiToken(
 *       { sub, email, email_verified, name, roles, tenant_id?, via, idp?, client_id?, scope? },
 *       { signer, issuer, now, ttlSeconds?, jti? },
 *     ): Promise<{ token, expiresAt }>
 *
 * - `signer`: `ApiTokenKeys['signer']` (deployed: `createKmsApiTokenKeys(kmsApi(), arns)`, see
 *   `apiTokenKeysFromEnv` in `lambdas/runtime/kms.ts`; locally `createLocalApiTokenKeys()`);
 * - `issuer`: the setting `TOKEN_ISSUER` (stack output `TokenIssuer`, no trailing slash);
 * - `now`: the real time (tokens never follow the local test clock);
 * - `ttlSeconds`: 1 to 900 (default 900); the claims decide nothing about `iss`, `aud`, `iat`, `exp`.
 *
 * Checking: `createApiTokenVerifier({ issuer, jwks })` → `verify(token, nowMs)` answers the
 * claims or a reason; `authorizeBearer` is that as the HTTP API's Lambda authorizer's verdict.
 */
export {
  API_TOKEN_AUDIENCE,
  API_TOKEN_MAX_TTL_SECONDS,
  API_TOKEN_TYPE,
  createApiTokenVerifier,
  issueApiToken,
  VIAS,
  type ApiTokenClaims,
  type ApiTokenKeys,
  type ApiTokenSigner,
  type ApiTokenVerdict,
  type ApiTokenVerifier,
  type VerifiedApiToken,
  type Via,
} from './api-token.ts';
export { authorizeBearer, type AuthorizerContext, type AuthorizerResult } from './authorizer.ts';
export { API_JWKS_PATH, DISCOVERY_PATH, discoveryDocument } from './discovery.ts';
export { createKmsApiTokenKeys, createLocalApiTokenKeys } from './keys.ts';
export { parseGroups, rolesOf } from './cognito-groups.ts';
