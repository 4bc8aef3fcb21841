/**
 * The shared middy stack of every HTTP function, composed from one step a file: the problem mapper
 * (`problem.ts`), the checks (`prepare.ts`), idempotency (`idempotency.ts`), then a thin handler per
 * route; around it, the request's telemetry.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Group, routesByKey } from '../../contract/routes.ts';
import { Id } from '../../contract/schemas.ts';
import type { PageKey } from '../ports.ts';
import type { DepsSource } from '../../runtime/index.ts';
import type { LogKeys, Telemetry } from '../../runtime/telemetry.ts';
import { header } from './body.ts';
import { idempotency } from './idempotency.ts';
import { prepare } from './prepare.ts';
import { HttpError, toProblem } from './problem.ts';
import {
  type AnyHandlers,
  checkedOf,
  type Event,
  type Handlers,
  type Input,
  type Inputs,
  type Replays,
  type Reply,
  type Result,
  type RouteContext,
  type RouteId,
} from './types.ts';

export { MAX_BODY_BYTES } from './body.ts';
export type { Handlers, Input, Replays, Reply, RouteContext } from './types.ts';

const json = (statusCode: number, body: unknown): Result =>
  body === undefined
    ? { statusCode, headers: { 'cache-control': 'no-store' } }
    : { statusCode, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(body) };

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
