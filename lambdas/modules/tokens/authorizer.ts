/**
 * API Gateway's check of the bearer: a Lambda authorizer (payload 2.0, simple responses), cached by
 * API Gateway per `Authorization` header. It verifies the API token (`createApiTokenVerifier`) and
 * hands its verdict to the route's function in `requestContext.authorizer.lambda`:
 * `{ verdict: 'ok', claims }` (the verified claims as JSON) or `{ verdict: 'refused', reason }`.
 * It never denies itself: API Gateway's own deny is a bare 403, and the contract answers a bad
 * token with a 401 problem that says why, which the function's auth step (`kernel/http/auth.ts`)
 * writes. Because a cached verdict can outlive the token, the auth step checks `exp` again.
 */
import type { ApiTokenVerifier } from './api-token.ts';

export type AuthorizerContext = { verdict: 'ok'; claims: string } | { verdict: 'refused'; reason: string };

export interface AuthorizerResult {
  isAuthorized: true;
  context: AuthorizerContext;
}

const BEARER = /^Bearer\s+(\S+)$/i;

/** The verdict on an `Authorization` header at real time `nowMs`. */
export async function authorizeBearer(
  verifier: ApiTokenVerifier,
  authorization: string | undefined,
  nowMs: number,
): Promise<AuthorizerResult> {
  const token = BEARER.exec(authorization ?? '')?.[1];
  if (!token) return { isAuthorized: true, context: { verdict: 'refused', reason: 'a bearer token is required' } };
  const v = await verifier.verify(token, nowMs);
  return {
    isAuthorized: true,
    context: v.ok ? { verdict: 'ok', claims: JSON.stringify(v.claims) } : { verdict: 'refused', reason: v.reason },
  };
}
