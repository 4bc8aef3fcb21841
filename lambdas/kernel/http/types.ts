/**
 * The pipeline's types: what a route handler is given (`Input`), what it answers (`Reply`), and the
 * request's state riding on middy's typed context (`RouteContext`) from one step to the next.
 */
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer as Event, APIGatewayProxyStructuredResultV2 as Result, Context } from 'aws-lambda';
import type * as z from 'zod';
import type { Group, groups, RouteDef, routes } from '../../contract/routes.ts';
import type { PageInput, PageKey, Principal } from '../ports.ts';
import type { AppDeps } from '../../runtime/index.ts';

export type { Event, Result };
export type Routes = (typeof routes)[number];
export type RouteId = Routes['id'];
export type RouteById<Id> = Extract<Routes, { id: Id }>;
export type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
export type Field<R, K extends string> = R extends { [P in K]: infer S } ? Out<S> : undefined;
/** A body that differs by role arrives tagged with the role it was read for (`{ as, body }`). */
export type BodyOf<R> = R extends { bodyByRole: infer B } ? { [K in keyof B]: { as: K; body: Out<B[K]> } }[keyof B] : Field<R, 'body'>;
/** What a route's function is given: nothing for the groups without data (meta). */
export type DepsOf<R> = R extends { group: infer G extends Group } ? ((typeof groups)[G]['data'] extends 'none' ? null : AppDeps) : AppDeps;

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

export type GroupRoutes<G extends Group> = Extract<Routes, { group: G }>;
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
export interface LooseInput extends Omit<Input<unknown>, 'params' | 'query' | 'body' | 'deps'> {
  params: unknown;
  query: unknown;
  body: unknown;
  deps: AppDeps | null;
}

/** Every route's input, by route id; a handler table over any group is a part of it. */
export type Inputs = { [K in RouteId]: Input<RouteById<K>> };
export type AnyHandlers = { [K in RouteId]?: (input: Inputs[K]) => Promise<Reply> };
export type AnyReplays = { [K in RouteId]?: (input: Inputs[K], first: unknown) => Promise<Reply> };

/** A request once checked: its route's id with that route's input (one of `Inputs`). */
export type Checked = { [K in RouteId]: { id: K; input: Inputs[K] } }[RouteId];

/** The idempotency key a request claimed (released unless the request succeeds). */
export interface Claim {
  tenantId: string;
  scope: string;
  key: string;
}

/**
 * The request's state in the middy pipeline, on its `context`: what `prepare` checked, and the
 * claim `idempotency` made. The handler and the later middlewares read it from there.
 */
export interface RequestState {
  checked?: Checked;
  claim?: Claim;
  /** The tenant in the path, if any (the idempotency records are kept per tenant). */
  tenantId?: string | undefined;
}
export type RouteContext = Context & { state?: RequestState };
export type Request = middy.Request<Event, Result, Error, RouteContext>;

/** The request's checked input; only `prepare` makes one. */
export function checkedOf(request: { context: RouteContext }): Checked {
  const checked = request.context.state?.checked;
  if (!checked) throw new Error('the request was not prepared');
  return checked;
}

/**
 * The route's input from what was checked. The route table's schemas made each part, so this is
 * the input of `route.id` (the one place where the checked values meet their static types).
 */
export function checked(route: RouteDef, input: LooseInput): Checked {
  return { id: route.id, input } as Checked;
}
