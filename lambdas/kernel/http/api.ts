/**
 * The shared middy stack of every HTTP function: request checks, authorization, validation,
 * idempotency and the problem mapper, then a thin handler per route.
 */
import { createHash } from 'node:crypto';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer as Event, APIGatewayProxyStructuredResultV2 as Result, Context } from 'aws-lambda';
import * as z from 'zod';
import { type Group, groups, type Role, type RouteDef, routes, routesByKey } from '../../contract/routes.ts';
import { Id, lazily } from '../../contract/schemas.ts';
import { canonicalJson } from '../canonical-json.ts';
import { ForbiddenError, IdempotencyKeyReusedError, WriteOutcomeUnknownError } from '../errors.ts';
import { actingRole } from '../model.ts';
import type { PageInput, PageKey, Principal } from '../ports.ts';
import { authorize, principalOf } from './auth.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { fieldErrors, HttpError, toProblem } from './problem.ts';
import type { AppDeps, DepsSource } from '../../runtime/index.ts';
import type { LogKeys, Telemetry } from '../../runtime/telemetry.ts';

/** Bodies above this are refused before parsing. */
export const MAX_BODY_BYTES = 16 * 1024;
const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

type Routes = (typeof routes)[number];
type RouteId = Routes['id'];
type RouteById<Id> = Extract<Routes, { id: Id }>;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
type Field<R, K extends string> = R extends { [P in K]: infer S } ? Out<S> : undefined;
/** A body that differs by role arrives tagged with the role it was read for (`{ as, body }`). */
type BodyOf<R> = R extends { bodyByRole: infer B } ? { [K in keyof B]: { as: K; body: Out<B[K]> } }[keyof B] : Field<R, 'body'>;
/** What a route's function is given: nothing for the groups without data (meta). */
type DepsOf<R> = R extends { group: infer G extends Group } ? ((typeof groups)[G]['data'] extends 'none' ? null : AppDeps) : AppDeps;

/** What a route handler receives: everything already checked. */
export interface Input<R> {
  route: RouteDef;
  principal: Principal;
  params: Field<R, 'params'>;
  query: Field<R, 'query'>;
  body: BodyOf<R>;
  deps: DepsOf<R>;
  event: Event;
  /** The page the query asks for (limit and the decoded cursor). */
  page: PageInput;
  /** Turns the store's next position into this list's signed cursor. */
  cursor: (next: PageKey | null) => string | null;
}

export interface Reply {
  status?: number;
  body?: unknown;
  /** A body that is not JSON (a CSV export), sent as is with its content type. */
  raw?: string;
  contentType?: string;
  /** Suggested file name of a download (`content-disposition: attachment`). */
  filename?: string;
  /** Headers beyond the defaults (a cacheable answer sets its own `cache-control`). */
  headers?: Record<string, string>;
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

/** An input before it meets its route's static types (see `checked`). */
interface LooseInput extends Omit<Input<unknown>, 'params' | 'query' | 'body' | 'deps'> {
  params: unknown;
  query: unknown;
  body: unknown;
  deps: AppDeps | null;
}

/** The paging fields of a list's validated query. */
const PageQuery = lazily(() => z.object({ limit: z.number().optional(), cursor: z.string().optional() }));

/** Every route's input, by route id; a handler table over any group is a part of it. */
type Inputs = { [K in RouteId]: Input<RouteById<K>> };
type AnyHandlers = { [K in RouteId]?: (input: Inputs[K]) => Promise<Reply> };
type AnyReplays = { [K in RouteId]?: (input: Inputs[K], first: unknown) => Promise<Reply> };

/** A request once checked: its route's id with that route's input (one of `Inputs`). */
type Checked = { [K in RouteId]: { id: K; input: Inputs[K] } }[RouteId];

/** The idempotency key a request claimed (released unless the request succeeds). */
interface Claim {
  tenantId: string;
  scope: string;
  key: string;
}

/**
 * The request's state in the middy pipeline, on its `context`: what `prepare` checked, and the
 * claim `idempotency` made. The handler and the later middlewares read it from there.
 */
interface RequestState {
  checked?: Checked;
  claim?: Claim;
  /** The tenant in the path, if any (the idempotency records are kept per tenant). */
  tenantId?: string | undefined;
}
export type RouteContext = Context & { state?: RequestState };
type Request = middy.Request<Event, Result, Error, RouteContext>;

/** The request's checked input; only `prepare` makes one. */
function checkedOf(request: { context: RouteContext }): Checked {
  const checked = request.context.state?.checked;
  if (!checked) throw new Error('the request was not prepared');
  return checked;
}

// Every idempotent route is under a tenant (its records are kept in the tenant's partition).
type IdempotentOutsideTenant = Exclude<Extract<Routes, { idempotent: true }>, { params: z.ZodType<{ tenantId: string }> }>;
const everyIdempotentRouteHasATenant: [IdempotentOutsideTenant] extends [never] ? true : never = true;
void everyIdempotentRouteHasATenant;

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
    throw new HttpError(
      400,
      'VALIDATION_FAILED',
      `the ${where} is not valid`,
      fieldErrors(result.error, where === 'body' ? undefined : where),
    );
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

/**
 * The body's schema and how it is handed on. A route whose body differs by role (CreateGrant)
 * reads it with the schema of the role the caller acts in (`actingRole`, decided here once) and
 * hands it on tagged with that role.
 */
function bodyReader(
  route: RouteDef,
  principal: Principal,
  tenantId: string | null,
): { schema: z.ZodType; tag: (body: unknown) => unknown } | undefined {
  if (!route.bodyByRole) return route.body ? { schema: route.body, tag: (body) => body } : undefined;
  const byRole = route.bodyByRole;
  const role = actingRole(principal, tenantId, Object.keys(byRole) as Role[]);
  const schema = role ? byRole[role] : undefined;
  if (!role || !schema) throw new ForbiddenError('no body of this route is for your role');
  return { schema, tag: (body) => ({ as: role, body }) };
}

/**
 * The route's input from what was checked. The route table's schemas made each part, so this is
 * the input of `route.id` (the one place where the checked values meet their static types).
 */
function checked(route: RouteDef, input: LooseInput): Checked {
  return { id: route.id, input } as Checked;
}

/** Authenticates, authorizes and validates, in the contract's order: 401, 404/403, 413/415, 400. */
const prepare = (deps: DepsSource | null): MiddlewareObj<Event, Result, Error, RouteContext> => ({
  before: async (request) => {
    const event = request.event;
    const route = routesByKey.get(event.routeKey);
    if (!route) throw new HttpError(404, 'NOT_FOUND', `no route ${event.routeKey}`);
    const rawParams = event.pathParameters ?? {};
    const principal: Principal = route.auth
      ? principalOf(event)
      : { id: 'anonymous', email: '', emailVerified: false, name: '', roles: [], tenantId: null };
    if (route.auth) authorize(route, principal, rawParams.tenantId);
    const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : readBody(event, route);
    const params: unknown = route.params ? validate(route.params, rawParams, 'path') : undefined;
    const queryIn = event.queryStringParameters ?? {};
    if (!route.query && Object.keys(queryIn).length > 0) {
      throw new HttpError(
        400,
        'VALIDATION_FAILED',
        'this route takes no query parameters',
        Object.keys(queryIn).map((k) => ({ path: `query.${k}`, message: 'unknown parameter' })),
      );
    }
    const queryOut: unknown = route.query ? validate(route.query, queryIn, 'query') : undefined;
    const query = queryOut === undefined ? undefined : PageQuery.parse(queryOut);
    const tenantId = rawParams.tenantId ?? null;
    const reader = body === undefined ? undefined : bodyReader(route, principal, tenantId);
    const parsedBody = reader && body !== undefined ? reader.tag(validate(reader.schema, body, 'body')) : undefined;
    // Health and the OpenAPI document need no table (their function gets none).
    const runtime = deps === null || groups[route.group].data === 'none' ? null : deps();
    // A cursor belongs to its list's filters (status, dates, person): another filter's position is a 400.
    const filters = Object.entries((queryOut ?? {}) as Record<string, unknown>)
      .filter(([k, v]) => k !== 'limit' && k !== 'cursor' && v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    // ... and to the resource it lists (a grant's sessions): every path parameter besides the tenant.
    const within = Object.entries(rawParams)
      .filter(([k]) => k !== 'tenantId')
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${String(v)}`);
    const binding = [
      route.id,
      rawParams.tenantId ?? '',
      principal.id,
      filters.map(([k, v]) => `${k}=${String(v)}`).join('&'),
      ...(within.length ? [within.join('&')] : []),
    ].join('|');
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

/**
 * `Idempotency-Key`: the first request with a key claims it; a repeat with the same body gets the
 * first response again (no second side effect); with another body, 422; while the first is still
 * running, 409. Only successes are remembered: a failed request may be retried with its key,
 * unless it failed without knowing whether its change was applied (then the key stays claimed).
 */
const idempotency = (replays: AnyReplays): MiddlewareObj<Event, Result, Error, RouteContext> => {
  const release = async (request: Request) => {
    const claim = request.context.state?.claim;
    const deps = request.context.state?.checked?.input.deps;
    if (claim && deps) await deps.store.releaseIdempotent(claim.tenantId, claim.scope, claim.key);
  };
  return {
    before: async (request) => {
      const { id, input } = checkedOf(request);
      const key = header(request.event, 'idempotency-key');
      if (!input.route.idempotent || key === undefined) return undefined;
      if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
        throw new HttpError(400, 'VALIDATION_FAILED', 'the Idempotency-Key header is not valid', [
          { path: 'header.idempotency-key', message: 'must be 1-255 visible ASCII characters' },
        ]);
      }
      const { deps } = input;
      const tenantId = request.context.state?.tenantId;
      if (!deps || tenantId === undefined) throw new Error(`route ${id} is idempotent but has no tenant or no table`);
      const scope = `${id}#${input.principal.id}`;
      const hash = createHash('sha256')
        .update(canonicalJson({ params: input.params, body: input.body }))
        .digest('base64url');
      const nowSeconds = Math.floor(deps.clock.now().getTime() / 1000);
      const existing = await deps.store.beginIdempotent(tenantId, scope, key, hash, nowSeconds, IDEMPOTENCY_TTL_SECONDS);
      if (!existing) {
        request.context.state = { ...request.context.state, claim: { tenantId, scope, key } };
        return undefined;
      }
      if (existing.hash !== hash) throw new IdempotencyKeyReusedError('this Idempotency-Key was used with another request body');
      if (existing.status === 'COMPLETED' && existing.response) {
        const replayed = await replay(replays, checkedOf(request), JSON.parse(existing.response.body) as unknown);
        return {
          statusCode: existing.response.statusCode,
          headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'idempotent-replayed': 'true' },
          body: replayed === undefined ? existing.response.body : JSON.stringify(replayed.body),
        };
      }
      throw new HttpError(
        409,
        'CONFLICT',
        'a request with this Idempotency-Key is still being processed, or failed without knowing whether it was applied; retry shortly, and if this persists, check whether it took effect before using a new key',
      );
    },
    after: async (request) => {
      const claim = request.context.state?.claim;
      const deps = request.context.state?.checked?.input.deps;
      const response = request.response;
      if (!claim || !deps || !response) return;
      const status = response.statusCode ?? 200;
      if (status >= 200 && status < 300) {
        await deps.store.completeIdempotent(claim.tenantId, claim.scope, claim.key, {
          statusCode: status,
          body: typeof response.body === 'string' ? response.body : '',
        });
      } else await release(request);
    },
    onError: async (request) => {
      // A change that may have been applied keeps its key claimed: a retry with it must not apply
      // it again (it answers 409 until the record expires).
      if (request.error instanceof WriteOutcomeUnknownError) return;
      await release(request).catch(() => undefined);
    },
  };
};

/** The route's answer to a replay, if it has its own (else the first answer is replayed as it was). */
function replay<K extends RouteId>(replays: AnyReplays, checked: { id: K; input: Inputs[K] }, first: unknown): Promise<Reply> | undefined {
  const fn: AnyReplays[K] = replays[checked.id];
  return fn?.(checked.input, first);
}

/** Runs the route's handler (a route of another group is a 404: it is not in this function). */
function run<K extends RouteId>(handlers: AnyHandlers, checked: { id: K; input: Inputs[K] }, routeKey: string): Promise<Reply> {
  const fn: AnyHandlers[K] = handlers[checked.id];
  if (!fn) throw new HttpError(404, 'NOT_FOUND', `no route ${routeKey} in this function`);
  return fn(checked.input);
}

const problems = (telemetry: () => Telemetry): MiddlewareObj<Event, Result, Error, RouteContext> => ({
  onError: (request) => {
    request.response = toProblem(request.error, request.event.requestContext?.requestId ?? 'unknown', telemetry().log);
  },
});

/** A correlation id the caller may send (`x-correlation-id`): an id, not free text. */
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * What every log line of a request carries, ids only: API Gateway's request id, the caller's
 * correlation id (`x-correlation-id` when it is an id, else the request id) and the tenant of the
 * path, when the route has one and it is a valid id.
 */
export function requestKeys(event: Event): LogKeys {
  const requestId = event.requestContext?.requestId ?? 'unknown';
  const given = header(event, 'x-correlation-id');
  const keys: LogKeys = { requestId, correlationId: given !== undefined && CORRELATION_ID.test(given) ? given : requestId };
  const tenantId = event.pathParameters?.tenantId;
  if (tenantId !== undefined && Id.safeParse(tenantId).success) keys.tenantId = tenantId;
  return keys;
}

/**
 * The Lambda handler of one route group: the middy stack, then the route's own handler, chosen by
 * API Gateway's `routeKey`. `deps` is null for a group without data (meta, keys), which is given
 * its `telemetry` instead (the others use their dependencies').
 *
 * Around it, every request is one invocation of the telemetry: its log lines carry `requestKeys`,
 * it ends with one line (`request`: the route, the status, the milliseconds), and its metrics are
 * written when it ends, replays and early answers included.
 */
export function api<G extends Group>(
  _group: G,
  handlers: NoInfer<Handlers<G>>,
  deps: DepsSource | null,
  replays: NoInfer<Replays<G>> = {},
  telemetry?: () => Telemetry,
) {
  const observed = telemetry ?? (deps ? () => deps().telemetry : null);
  if (!observed) throw new Error('a function without dependencies is given its telemetry');
  const table: AnyHandlers = handlers;
  const core = async (event: Event, context: RouteContext): Promise<Result> => {
    const checked = checkedOf({ context });
    const reply = await run(table, checked, event.routeKey);
    if (reply.raw !== undefined) {
      return {
        statusCode: reply.status ?? 200,
        headers: {
          'content-type': reply.contentType ?? 'application/octet-stream',
          'cache-control': 'no-store',
          ...(reply.filename ? { 'content-disposition': `attachment; filename="${reply.filename}"` } : {}),
          ...reply.headers,
        },
        body: reply.raw,
      };
    }
    const result = json(reply.status ?? checked.input.route.success.status, reply.body);
    return reply.headers ? { ...result, headers: { ...result.headers, ...reply.headers } } : result;
  };
  const stack = middy<Event, Result, Error, RouteContext>({ timeoutEarlyInMillis: 0 })
    .use(problems(observed))
    .use(prepare(deps))
    .use(idempotency(replays))
    .handler(core);
  return async (event: Event, context: Context): Promise<Result> => {
    const t = observed();
    const started = performance.now();
    t.begin(context, requestKeys(event));
    try {
      const result = await stack(event, context);
      t.log.info('request', {
        route: routesByKey.get(event.routeKey)?.id ?? event.routeKey,
        status: result.statusCode ?? 200,
        ms: Math.round(performance.now() - started),
      });
      return result;
    } finally {
      await t.end();
    }
  };
}

/** A page of items as the contract lists them. */
export function listReply<T>(input: { cursor: Input<unknown>['cursor'] }, page: { items: T[]; next: PageKey | null }): Reply {
  return { body: { items: page.items, nextCursor: input.cursor(page.next) } };
}
