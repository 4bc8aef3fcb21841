/** Step 2, may they: one function over the route table's roles (404 across tenants, 403 by role). */
import type { RouteDef, Role } from '../../contract/routes.ts';
import type { Principal } from '../ports.ts';
import { HttpError } from './problem.ts';

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
