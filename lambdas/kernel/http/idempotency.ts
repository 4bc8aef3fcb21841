/**
 * Step 5, `Idempotency-Key` on the creating routes, scoped by tenant, route and caller; the
 * records are the kernel's store (`kernel/store/idempotency.ts`).
 */
import { createHash } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type * as z from 'zod';
import { canonicalJson } from '../canonical-json.ts';
import { IdempotencyKeyReusedError, WriteOutcomeUnknownError } from '../errors.ts';
import { header } from './body.ts';
import { HttpError } from './problem.ts';
import {
  type AnyReplays,
  checkedOf,
  type Event,
  type Inputs,
  type Reply,
  type Request,
  type Result,
  type RouteContext,
  type RouteId,
  type Routes,
} from './types.ts';

const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

// Every idempotent route is under a tenant (its records are kept in the tenant's partition).
type IdempotentOutsideTenant = Exclude<Extract<Routes, { idempotent: true }>, { params: z.ZodType<{ tenantId: string }> }>;
const everyIdempotentRouteHasATenant: [IdempotentOutsideTenant] extends [never] ? true : never = true;
void everyIdempotentRouteHasATenant;

/**
 * `Idempotency-Key`: the first request with a key claims it; a repeat with the same body gets the
 * first response again (no second side effect); with another body, 422; while the first is still
 * running, 409. Only successes are remembered: a failed request may be retried with its key,
 * unless it failed without knowing whether its change was applied (then the key stays claimed).
 */
export const idempotency = (replays: AnyReplays): MiddlewareObj<Event, Result, Error, RouteContext> => {
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
