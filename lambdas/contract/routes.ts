/**
 * The route table: the single source for API Gateway routes (CDK), the local server and the
 * OpenAPI document. It is data. `handler` is a file path, so `cdk synth` never loads Lambda code.
 */
import { type RouteDef } from './route-def.ts';
import { metaRoutes } from '../modules/meta/routes.ts';
import { keysRoutes } from '../modules/keys/routes.ts';
import { settingsRoutes } from '../modules/settings/routes.ts';
import { requestsRoutes } from '../modules/requests/routes.ts';
import { grantsRoutes } from '../modules/grants/routes.ts';
import { sessionsRoutes } from '../modules/sessions/routes.ts';
import { accessRoutes } from '../modules/sessions/access-routes.ts';
import { auditRoutes } from '../modules/audit/routes.ts';

export { ALL_TENANT_READERS, groups, ROLES, signingGroups, SUPPORT } from './route-def.ts';
export type { Group, Method, Role, RouteDef } from './route-def.ts';

/** Every route, assembled from the modules' tables in the order the OpenAPI document lists them. */
export const routes = [
  ...metaRoutes,
  ...keysRoutes,
  ...settingsRoutes,
  ...requestsRoutes,
  ...grantsRoutes,
  ...sessionsRoutes,
  ...accessRoutes,
  ...auditRoutes,
] as const satisfies readonly RouteDef[];

/** `GET /v1/health` style key, as API Gateway's `routeKey`. */
export const routeKey = (r: Pick<RouteDef, 'method' | 'path'>) => `${r.method} ${r.path}`;

export const routesById: ReadonlyMap<string, RouteDef> = new Map(routes.map((r) => [r.id, r as RouteDef]));
export const routesByKey: ReadonlyMap<string, RouteDef> = new Map(routes.map((r) => [routeKey(r), r as RouteDef]));
