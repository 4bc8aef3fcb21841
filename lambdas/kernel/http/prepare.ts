/**
 * Steps 1–4 in the contract's order (401, 404/403, 413/415, 400), each in its file: who
 * (`auth.ts`), may they (`authorize.ts`), the body (`body.ts`), validation (`validate.ts`), then
 * the page and its cursor binding (`cursor.ts`). The checked input rides on the request's context.
 */
import type { MiddlewareObj } from '@middy/core';
import { groups, routesByKey } from '../../contract/routes.ts';
import type { PageInput, Principal } from '../ports.ts';
import type { DepsSource } from '../../runtime/index.ts';
import { principalOf } from './auth.ts';
import { authorize } from './authorize.ts';
import { readBody } from './body.ts';
import { cursorBinding, decodeCursor, encodeCursor } from './cursor.ts';
import { HttpError } from './problem.ts';
import { checked, type Event, type LooseInput, type Result, type RouteContext } from './types.ts';
import { bodyReader, noQuery, PageQuery, validate } from './validate.ts';

/** Who calls a route that needs no token (health, the OpenAPI document). */
const ANONYMOUS: Principal = { id: 'anonymous', email: '', emailVerified: false, name: '', roles: [], tenantId: null };

export const prepare = (deps: DepsSource | null): MiddlewareObj<Event, Result, Error, RouteContext> => ({
  before: async (request) => {
    const event = request.event;
    const route = routesByKey.get(event.routeKey);
    if (!route) throw new HttpError(404, 'NOT_FOUND', `no route ${event.routeKey}`);
    const rawParams = event.pathParameters ?? {};
    const principal: Principal = route.auth ? principalOf(event) : ANONYMOUS;
    if (route.auth) authorize(route, principal, rawParams.tenantId);
    const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : readBody(event, route);
    const params: unknown = route.params ? validate(route.params, rawParams, 'path') : undefined;
    const queryIn = event.queryStringParameters ?? {};
    noQuery(route, queryIn);
    const queryOut: unknown = route.query ? validate(route.query, queryIn, 'query') : undefined;
    const query = queryOut === undefined ? undefined : PageQuery.parse(queryOut);
    const tenantId = rawParams.tenantId ?? null;
    const reader = body === undefined ? undefined : bodyReader(route, principal, tenantId);
    const parsedBody = reader && body !== undefined ? reader.tag(validate(reader.schema, body, 'body')) : undefined;
    // Health and the OpenAPI document need no table (their function gets none).
    const runtime = deps === null || groups[route.group].data === 'none' ? null : deps();
    const binding = cursorBinding(route.id, rawParams, principal.id, (queryOut ?? {}) as Record<string, unknown>);
    const secret = route.query && runtime ? await runtime.secrets.cursor() : '';
    const page: PageInput = { limit: query?.limit ?? 25, after: decodeCursor(secret, binding, query?.cursor) };
    const input: LooseInput = {
      route,
      principal,
      params,
      query: queryOut,
      body: parsedBody,
      deps: runtime,
      event,
      page,
      cursor: (next) => encodeCursor(secret, binding, next),
    };
    request.context.state = { checked: checked(route, input), tenantId: rawParams.tenantId };
  },
});
