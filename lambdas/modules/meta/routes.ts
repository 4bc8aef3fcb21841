/** The meta group's routes (its Lambda: `groups.meta` in `lambdas/contract/route-def.ts`), in the route table's order. */
import type { RouteDef } from '../../contract/route-def.ts';
import * as s from '../../contract/schemas.ts';

export const metaRoutes = [
  {
    id: 'GetHealth',
    method: 'GET',
    path: '/v1/health',
    group: 'meta',
    auth: false,
    roles: [],
    summary: 'Liveness of the API',
    success: { status: 200, schema: s.Health, description: 'The API answers' },
  },
  {
    id: 'GetOpenApi',
    method: 'GET',
    path: '/v1/openapi.json',
    group: 'meta',
    auth: false,
    roles: [],
    summary: 'This OpenAPI 3.1 document',
    success: { status: 200, schema: null, description: 'The OpenAPI document' },
  },
] as const satisfies readonly RouteDef[];
