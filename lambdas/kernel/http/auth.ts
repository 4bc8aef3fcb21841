/**
 * Step 1, who is calling: the principal from the verdict of the HTTP API's Lambda authorizer on the
 * API token (`lambdas/modules/tokens/authorizer.ts`; the local stack runs the same check). Only API
 * tokens of our issuer get here as `verdict: 'ok'`; anything else is a 401 naming the reason.
 * Cognito's claims (`cognito:groups`, `custom:tenantId`) are not read here: the door that maps
 * Cognito's ID token to an API token reads them (`lambdas/modules/tokens/cognito-groups.ts`).
 */
import { ROLES, type Role } from '../../contract/routes.ts';
import { Id } from '../../contract/schemas.ts';
import { canonicalEmail, isSingleLine, isVerifiedClaim, toSingleLine } from '../identity.ts';
import type { Principal } from '../ports.ts';
import { HttpError } from './problem.ts';

const ROLE_SET: ReadonlySet<string> = new Set(ROLES);

/** The event as the route's function gets it: the authorizer's verdict in `requestContext.authorizer.lambda`. */
export type AuthorizedEvent = { requestContext?: object };

/** The verified claims the authorizer passed on, or a 401 with its reason; `exp` is checked again (a cached verdict outlives its token). */
function verifiedClaims(event: AuthorizedEvent, nowMs: number): Record<string, unknown> {
  const ctx = (event.requestContext as { authorizer?: { lambda?: Record<string, unknown> } } | undefined)?.authorizer?.lambda;
  if (!ctx || ctx.verdict !== 'ok' || typeof ctx.claims !== 'string') {
    const reason = typeof ctx?.reason === 'string' ? ctx.reason : 'a bearer token is required';
    throw new HttpError(401, 'UNAUTHENTICATED', `${reason} (the API takes only its own API tokens)`);
  }
  const claims = JSON.parse(ctx.claims) as Record<string, unknown>;
  if (typeof claims.exp !== 'number' || claims.exp <= Math.floor(nowMs / 1000))
    throw new HttpError(401, 'UNAUTHENTICATED', 'the token has expired');
  return claims;
}

/**
 * The principal of a request whose API token the authorizer has verified.
 * - `sub` must be an `Id` (it becomes part of keys), else 401;
 * - the email is canonical (`canonicalEmail`); `emailVerified` is the `email_verified` claim;
 * - an email claim holding a control character or line separator (CR/LF...) is refused (401): the
 *   email is who a person is, it is never repaired into another; the name is only shown, so its
 *   control characters become spaces;
 * - `roles` are the four roles only (the verifier refuses any other); `tenant_id` the tenant.
 */
export function principalOf(event: AuthorizedEvent, nowMs: number = Date.now()): Principal {
  const claims = verifiedClaims(event, nowMs);
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  if (!sub) throw new HttpError(401, 'UNAUTHENTICATED', 'a bearer token is required');
  // The subject becomes part of keys (access entries, idempotency records): it must be an id as
  // the contract validates ids, never a key separator.
  if (!Id.safeParse(sub).success) throw new HttpError(401, 'UNAUTHENTICATED', "the token's subject is not a valid id");
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const tenantId = str(claims.tenant_id);
  if (!isSingleLine(str(claims.email))) {
    throw new HttpError(401, 'UNAUTHENTICATED', "the token's email claim holds a control character or a line break");
  }
  const email = canonicalEmail(str(claims.email));
  const roles: Role[] = [];
  for (const r of Array.isArray(claims.roles) ? claims.roles : [])
    if (typeof r === 'string' && ROLE_SET.has(r) && !roles.includes(r as Role)) roles.push(r as Role);
  return {
    id: sub,
    email,
    emailVerified: isVerifiedClaim(claims.email_verified),
    name: (toSingleLine(str(claims.name)).trim() || email || sub).slice(0, 200),
    roles,
    tenantId: tenantId || null,
  };
}
