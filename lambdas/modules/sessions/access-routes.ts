/** The access group's routes (its Lambda: `groups.access` in `lambdas/contract/route-def.ts`), in the route table's order. */
import { SUPPORT, type RouteDef } from '../../contract/route-def.ts';
import * as s from '../../contract/schemas.ts';

export const accessRoutes = [
  {
    id: 'GetAccess',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/access',
    group: 'access',
    auth: true,
    roles: SUPPORT,
    params: s.TenantParams,
    summary: "The caller's effective access now",
    success: { status: 200, schema: s.Access, description: 'The access' },
  },
  {
    id: 'ListMyGrants',
    method: 'GET',
    path: '/v1/me/grants',
    group: 'access',
    auth: true,
    roles: SUPPORT,
    query: s.ListQuery,
    summary: 'The ACTIVE grants that cover the caller, every tenant',
    success: { status: 200, schema: s.page(s.Grant), description: 'The grants' },
  },
] as const satisfies readonly RouteDef[];
