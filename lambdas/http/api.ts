/**
 * The shared middy stack of every HTTP function: request checks, authorization, validation,
 * idempotency and the problem mapper, then a thin handler per route.
 */
import { createHash } from 'node:crypto';
import middy, { type MiddlewareObj } from '@middy/core';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer as Event,
  APIGatewayProxyStructuredResultV2 as Result,
  Context,
} from 'aws-lambda';
import type * as z from 'zod';
import { type Group, groups, type RouteDef, routes, routesByKey } from '../contract/routes.ts';
import { IdempotencyKeyReusedError, WriteOutcomeUnknownError } from '../domain/errors.ts';
import { isAdminOf } from '../domain/model.ts';
import type { PageInput, PageKey, Principal } from '../domain/ports.ts';
import { authorize, principalOf } from './auth.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { fieldErrors, HttpError, toProblem } from './problem.ts';
import type { AppDeps, DepsSource } from '../runtime/index.ts';

/** Bodies above this are refused before parsing. */
export const MAX_BODY_BYTES = 16 * 1024;
const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

type Routes = (typeof routes)[number];
type RouteById<Id> = Extract<Routes, { id: Id }>;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
type Field<R, K extends string> = R extends { [P in K]: infer S } ? Out<S> : undefined;

/** What a route handler receives: everything already checked. */
export interface Input<R> {
  route: RouteDef;
  principal: Principal;
  params: Field<R, 'params'>;
  query: Field<R, 'query'>;
  body: Field<R, 'body'>;
  deps: AppDeps;
  event: Event;
  /** The page the query asks for (limit and the decoded cursor). */
  page: PageInput;
  /** Turns the store's next position into this list's signed cursor. */
  cursor: (next: PageKey | null) => string | null;
}

export interface Reply {
  status?: number;
  body?: unknown;
}

type GroupRoutes<G extends Group> = Extract<Routes, { group: G }>;
export type Handlers<G extends Group> = {
  [R in GroupRoutes<G> as R['id']]: (input: Input<RouteById<R['id']>>) => Promise<Reply>;
};

/**
 * How a route answers an `Idempotency-Key` replay when the first answer may be stale: given the
 * first answer's body, the answer as things are now (a sign-in's session may have ended since).
 */
export type Replays<G extends Group> = {
  [R in GroupRoutes<G> as R['id']]?: (input: Input<RouteById<R['id']>>, first: unknown) => Promise<Reply>;
};

interface Prepared {
  route: RouteDef;
  input: Input<unknown>;
}
const prepared = new WeakMap<Event, Prepared>();

const json = (statusCode: number, body: unknown): Result =>
  body === undefined
    ? { statusCode, headers: { 'cache-control': 'no-store' } }
    : { statusCode, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(body) };

function header(event: Event, name: string): string | undefined {
  const headers = event.headers ?? {};
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key ? headers[key] : undefined;
}

function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new HttpError(400, 'VALIDATION_FAILED', `the ${where} is not valid`, fieldErrors(result.error, where === 'body' ? undefined : where));
  }
  return result.data;
}

function readBody(event: Event, route: RouteDef): unknown {
  const raw = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) {
    throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `the body must be at most ${MAX_BODY_BYTES} bytes`);
  }
  if (raw.trim() === '') return {};
  const type = (header(event, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  }
  if (!route.body) throw new HttpError(400, 'VALIDATION_FAILED', 'this route takes no body', [{ path: '', message: 'must be empty' }]);
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new HttpError(400, 'VALIDATION_FAILED', 'the body is not valid JSON', [{ path: '', message: 'must be a JSON object' }]);
  }
}

/** CreateGrant takes another body from a tenant admin than from a support lead. */
function bodySchema(route: RouteDef, principal: Principal, tenantId: string | undefined): z.ZodType | undefined {
  if (!route.bodyByRole) return route.body;
  if (tenantId !== undefined && isAdminOf(principal, tenantId) && route.bodyByRole['tenant-admin']) return route.bodyByRole['tenant-admin'];
  const role = principal.roles.find((r) => r !== 'tenant-admin' && route.bodyByRole?.[r]);
  return role ? route.bodyByRole[role] : route.body;
}

/** Authenticates, authorizes and validates, in the contract's order: 401, 404/403, 413/415, 400. */
const prepare = (deps: DepsSource | null): MiddlewareObj<Event, Result> => ({
  before: async (request) => {
    const event = request.event;
    const route = routesByKey.get(event.routeKey);
    if (!route) throw new HttpError(404, 'NOT_FOUND', `no route ${event.routeKey}`);
    const rawParams = event.pathParameters ?? {};
    const principal = route.auth ? principalOf(event) : { id: 'anonymous', email: '', emailVerified: false, name: '', roles: [], tenantId: null };
    if (route.auth) authorize(route, principal, rawParams.tenantId);
    const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : readBody(event, route);
    const params = route.params ? validate(route.params, rawParams, 'path') : undefined;
    const queryIn = event.queryStringParameters ?? {};
    if (!route.query && Object.keys(queryIn).length > 0) {
      throw new HttpError(400, 'VALIDATION_FAILED', 'this route takes no query parameters', Object.keys(queryIn).map((k) => ({ path: `query.${k}`, message: 'unknown parameter' })));
    }
    const query = route.query ? (validate(route.query, queryIn, 'query') as { limit?: number; cursor?: string; status?: string }) : undefined;
    const schema = bodySchema(route, principal, rawParams.tenantId);
    const parsedBody = schema && body !== undefined ? validate(schema, body, 'body') : undefined;
    // Health and the OpenAPI document need no table (their function gets none).
    const runtime = deps === null || groups[route.group].data === 'none' ? ({} as AppDeps) : deps();
    const binding = [route.id, rawParams.tenantId ?? '', principal.id, query?.status ?? ''].join('|');
    const secret = route.query ? await runtime.secrets.cursor() : '';
    const page: PageInput = { limit: query?.limit ?? 25, after: decodeCursor(secret, binding, query?.cursor) };
    prepared.set(event, {
      route,
      input: {
        route,
        principal,
        params: params as never,
        query: query as never,
        body: parsedBody as never,
        deps: runtime,
        event,
        page,
        cursor: (next) => encodeCursor(secret, binding, next),
      },
    });
  },
});

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * `Idempotency-Key`: the first request with a key claims it; a repeat with the same body gets the
 * first response again (no second side effect); with another body, 422; while the first is still
 * running, 409. Only successes are remembered: a failed request may be retried with its key,
 * unless it failed without knowing whether its change was applied (then the key stays claimed).
 */
const idempotency = (replays: Record<string, ((input: Input<unknown>, first: unknown) => Promise<Reply>) | undefined>): MiddlewareObj<Event, Result> => {
  const claimed = new WeakMap<Event, { tenantId: string; scope: string; key: string }>();
  const release = async (event: Event) => {
    const c = claimed.get(event);
    if (c) await prepared.get(event)!.input.deps.store.releaseIdempotent(c.tenantId, c.scope, c.key);
  };
  return {
    before: async (request) => {
      const p = prepared.get(request.event)!;
      const key = header(request.event, 'idempotency-key');
      if (!p.route.idempotent || key === undefined) return undefined;
      if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
        throw new HttpError(400, 'VALIDATION_FAILED', 'the Idempotency-Key header is not valid', [
          { path: 'header.idempotency-key', message: 'must be 1-255 visible ASCII characters' },
        ]);
      }
      const tenantId = (p.input.params as unknown as { tenantId: string }).tenantId;
      const scope = `${p.route.id}#${p.input.principal.id}`;
      const hash = createHash('sha256').update(canonical({ params: p.input.params, body: p.input.body })).digest('base64url');
      const nowSeconds = Math.floor(p.input.deps.clock.now().getTime() / 1000);
      const existing = await p.input.deps.store.beginIdempotent(tenantId, scope, key, hash, nowSeconds, IDEMPOTENCY_TTL_SECONDS);
      if (!existing) {
        claimed.set(request.event, { tenantId, scope, key });
        return undefined;
      }
      if (existing.hash !== hash) throw new IdempotencyKeyReusedError('this Idempotency-Key was used with another request body');
      if (existing.status === 'COMPLETED' && existing.response) {
        const replay = replays[p.route.id];
        const body = replay
          ? JSON.stringify((await replay(p.input, JSON.parse(existing.response.body) as unknown)).body)
          : existing.response.body;
        return {
          statusCode: existing.response.statusCode,
          headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'idempotent-replayed': 'true' },
          body,
        };
      }
      throw new HttpError(
        409,
        'CONFLICT',
        'a request with this Idempotency-Key is still being processed, or failed without knowing whether it was applied; retry shortly, and if this persists, check whether it took effect before using a new key',
      );
    },
    after: async (request) => {
      const c = claimed.get(request.event);
      const response = request.response;
      if (!c || !response) return;
      const status = response.statusCode ?? 200;
      if (status >= 200 && status < 300) {
        await prepared.get(request.event)!.input.deps.store.completeIdempotent(c.tenantId, c.scope, c.key, {
          statusCode: status,
          body: typeof response.body === 'string' ? response.body : '',
        });
      } else await release(request.event);
    },
    onError: async (request) => {
      // A change that may have been applied keeps its key claimed: a retry with it must not apply
      // it again (it answers 409 until the record expires).
      if (request.error instanceof WriteOutcomeUnknownError) return;
      await release(request.event).catch(() => undefined);
    },
  };
};

const problems = (): MiddlewareObj<Event, Result> => ({
  onError: (request) => {
    request.response = toProblem(request.error, request.event.requestContext?.requestId ?? 'unknown');
  },
});

/**
 * The Lambda handler of one route group: the middy stack, then the route's own handler, chosen by
 * API Gateway's `routeKey`.
 */
export function api<G extends Group>(
  _group: G,
  handlers: NoInfer<Handlers<G>>,
  deps: DepsSource | null,
  replays: NoInfer<Replays<G>> = {} as Replays<G>,
) {
  const table = handlers as unknown as Record<string, (input: Input<unknown>) => Promise<Reply>>;
  const core = async (event: Event, _context: Context): Promise<Result> => {
    const { route, input } = prepared.get(event)!;
    const fn = table[route.id];
    if (!fn) throw new HttpError(404, 'NOT_FOUND', `no route ${event.routeKey} in this function`);
    const reply = await fn(input);
    return json(reply.status ?? route.success.status, reply.body);
  };
  return middy<Event, Result>({ timeoutEarlyInMillis: 0 })
    .use(problems())
    .use(prepare(deps))
    .use(idempotency(replays as unknown as Record<string, (input: Input<unknown>, first: unknown) => Promise<Reply>>))
    .handler(core);
}

/** A page of items as the contract lists them. */
export function listReply<T>(input: Input<unknown>, page: { items: T[]; next: PageKey | null }): Reply {
  return { body: { items: page.items, nextCursor: input.cursor(page.next) } };
}
