/** Step 1, who is calling: the principal from the JWT authorizer's claims (401 without an id). */
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { ROLES, type Role } from '../../contract/routes.ts';
import { Id } from '../../contract/schemas.ts';
import { canonicalEmail, isSingleLine, isVerifiedClaim, toSingleLine } from '../identity.ts';
import type { Principal } from '../ports.ts';
import { HttpError } from './problem.ts';

const ROLE_SET: ReadonlySet<string> = new Set(ROLES);

/** The known roles among exact group names; anything else (`tenant-admin (backup)`) grants nothing. */
function rolesOf(names: readonly unknown[]): Role[] {
  const out: Role[] = [];
  for (const n of names) if (typeof n === 'string' && ROLE_SET.has(n) && !out.includes(n as Role)) out.push(n as Role);
  return out;
}

/**
 * `cognito:groups` as exact group names: a JSON array (a JWT's own claim, or that array sent on as a
 * JSON string), or the `[a b]` string that API Gateway's JWT authorizer makes of an array.
 *
 * The `[a b]` form joins names with spaces, so a name with a space in it (`tenant-admin (backup)`)
 * cannot be told from two names. It is read only when every space-separated part is a role's
 * exact name; one other part (or an empty one) and the claim grants nothing. So an unknown group
 * never lends a role its name; the one case it cannot tell apart is a group named after roles
 * joined by spaces (`tenant-admin support-agent`), which Cognito cannot have (its group names hold
 * no whitespace) and an external issuer must not (docs/security.md).
 *
 * On the hot path: no exception is thrown per request (only a JSON-looking string is parsed).
 */
export function parseGroups(raw: unknown): Role[] {
  if (Array.isArray(raw)) return rolesOf(raw);
  if (typeof raw !== 'string') return [];
  if (raw.startsWith('["') || raw === '[]') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return [];
    }
    return Array.isArray(parsed) ? rolesOf(parsed) : [];
  }
  if (!raw.startsWith('[') || !raw.endsWith(']')) return rolesOf([raw]);
  const parts = raw.slice(1, -1).split(' ');
  for (const p of parts) if (!ROLE_SET.has(p)) return [];
  return rolesOf(parts);
}

/**
 * The principal of a request whose JWT the authorizer has already verified.
 * - `sub` must be an `Id` (it becomes part of keys), else 401;
 * - `token_use`, when present, must be `id`: an access token carries no email and no
 *   `custom:tenantId`, so it cannot say who the caller is (401);
 * - the email is canonical (`canonicalEmail`); `emailVerified` is the `email_verified` claim
 *   (`true`, or the string `"true"` as API Gateway passes it on);
 * - an email claim holding a control character or line separator (CR/LF...) is refused (401): the
 *   email is who a person is, it is never repaired into another; the name is only shown, so its
 *   control characters become spaces.
 */
export function principalOf(event: APIGatewayProxyEventV2WithJWTAuthorizer): Principal {
  const claims = (event.requestContext?.authorizer?.jwt?.claims ?? {}) as Record<string, unknown>;
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  if (!sub) throw new HttpError(401, 'UNAUTHENTICATED', 'a bearer token is required');
  // The subject becomes part of keys (access entries, idempotency records): it must be an id as
  // the contract validates ids, never a key separator. Cognito's are UUIDs.
  if (!Id.safeParse(sub).success) throw new HttpError(401, 'UNAUTHENTICATED', "the token's subject is not a valid id");
  if (claims.token_use !== undefined && claims.token_use !== 'id') {
    throw new HttpError(401, 'UNAUTHENTICATED', 'send an ID token (token_use "id"); an access token does not say who you are');
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const tenantId = str(claims['custom:tenantId']);
  if (!isSingleLine(str(claims.email))) {
    throw new HttpError(401, 'UNAUTHENTICATED', "the token's email claim holds a control character or a line break");
  }
  const email = canonicalEmail(str(claims.email));
  return {
    id: sub,
    email,
    emailVerified: isVerifiedClaim(claims.email_verified),
    name: (toSingleLine(str(claims.name)).trim() || email || sub).slice(0, 200),
    roles: parseGroups(claims['cognito:groups']),
    tenantId: tenantId || null,
  };
}
