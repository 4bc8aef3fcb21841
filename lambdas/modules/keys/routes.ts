/** The keys group's routes (its Lambda: `groups.keys` in `lambdas/contract/route-def.ts`), in the route table's order. */
import type { RouteDef } from '../../contract/route-def.ts';
import * as s from '../../contract/schemas.ts';

export const keysRoutes = [
  {
    id: 'GetJwks',
    method: 'GET',
    path: '/v1/.well-known/jwks.json',
    group: 'keys',
    auth: false,
    roles: [],
    summary: 'The public keys of the support-session tokens (cacheable)',
    success: { status: 200, schema: s.Jwks, description: 'The JSON Web Key Set' },
  },
] as const satisfies readonly RouteDef[];
