/** Who is calling (from the JWT claims) and whether the route lets them: one function, one table. */
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { ROLES, type RouteDef, type Role } from '../contract/routes.ts';
import { Id } from '../contract/schemas.ts';
import type { Principal } from '../domain/ports.ts';
import { HttpError } from './problem.ts';

/**
 * `cognito:groups` arrives as a JSON array from a JWT, or as the `[a b]` string that API Gateway's
 * JWT authorizer passes on. Both are read; unknown groups are ignored.
 */
export function parseGroups(raw: unknown): Role[] {
  let list: unknown[] = [];
  if (Array.isArray(raw)) list = raw;
  else if (typeof raw === 'string') {
    const s = raw.trim();
    // Only JSON-looking strings go to JSON.parse: API Gateway's `[a b]` form would throw on every
    // request, and a thrown SyntaxError costs more than the rest of this function.
    let parsed: unknown;
    if (/^(\[\s*)?"/.test(s)) {
      try {
        parsed = JSON.parse(s);
      } catch {
        parsed = undefined;
      }
    }
    if (parsed !== undefined) list = Array.isArray(parsed) ? parsed : [parsed];
    else list = s.replace(/^\[/, '').replace(/\]$/, '').split(/[\s,]+/);
  }
  return [...new Set(list.filter((g): g is Role => typeof g === 'string' && (ROLES as string[]).includes(g)))];
}

/** The principal of a request whose JWT the authorizer has already verified. */
export function principalOf(event: APIGatewayProxyEventV2WithJWTAuthorizer): Principal {
  const claims = (event.requestContext?.authorizer?.jwt?.claims ?? {}) as Record<string, unknown>;
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  if (!sub) throw new HttpError(401, 'UNAUTHENTICATED', 'a bearer token is required');
  // The subject becomes part of keys (access entries, idempotency records): it must be an id as
  // the contract validates ids, never a key separator. Cognito's are UUIDs.
  if (!Id.safeParse(sub).success) throw new HttpError(401, 'UNAUTHENTICATED', "the token's subject is not a valid id");
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const tenantId = str(claims['custom:tenantId']);
  return {
    id: sub,
    email: str(claims.email).toLowerCase(),
    name: str(claims.name) || str(claims.email) || sub,
    roles: parseGroups(claims['cognito:groups']),
    tenantId: tenantId || null,
  };
}

const TENANT_ROLES: readonly Role[] = ['tenant-admin', 'tenant-user'];

/**
 * The authorization table applied to one request:
 * - a tenant user (admin or user) acting on another tenant gets 404: that tenant does not exist
 *   for them, whatever the route;
 * - otherwise a caller without one of the route's roles gets 403;
 * - tenant roles count only for their own tenant.
 * Rules that need data (a contact, the requester, a grantee) are the services' to check.
 */
export function authorize(route: RouteDef, principal: Principal, tenantId: string | undefined): void {
  const isTenantUser = principal.roles.some((r) => TENANT_ROLES.includes(r));
  const isSupport = principal.roles.includes('support-agent') || principal.roles.includes('support-lead');
  if (tenantId !== undefined && isTenantUser && !isSupport && principal.tenantId !== tenantId) {
    throw new HttpError(404, 'NOT_FOUND', 'no such tenant');
  }
  const effective = principal.roles.filter((r) => !TENANT_ROLES.includes(r) || (tenantId !== undefined && principal.tenantId === tenantId));
  if (!route.roles.some((r) => effective.includes(r))) {
    throw new HttpError(403, 'FORBIDDEN', `${route.id} needs one of the roles: ${route.roles.join(', ')}`);
  }
}
