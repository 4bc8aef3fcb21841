/**
 * Middleware for `node:http`, Express and Fastify: reads the support-session token from the header
 * you choose (default `authorization`, as `Bearer <token>`; any other header holds the bare token),
 * verifies it for the tenant your resolver names, and puts the session on the request
 * (`req.supportSession`). A refusal is answered as a problem (`application/problem+json`): 401
 * for no, a bad, an expired or a revoked token, 403 for a token of another tenant, 400 when the
 * request names no tenant. Nothing here imports a framework.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SessionRefusedError, type SupportSession, type Verifier } from './verifier.ts';

export interface MiddlewareOptions<Req> {
  verifier: Verifier;
  /** The tenant the request is about (from its path, host, ...); undefined: a 400. */
  tenantOf: (req: Req) => string | undefined | Promise<string | undefined>;
  /** The header carrying the token (default `authorization`, read as `Bearer <token>`). */
  header?: string;
}

export interface Problem {
  type: string;
  title: string;
  status: 400 | 401 | 403;
  detail: string;
  reason: string;
}

type WithHeaders = { headers: Record<string, string | string[] | undefined> };

/** Verifies the request's token; answers the session or the problem to send. */
export async function authenticate<Req extends WithHeaders>(
  req: Req,
  o: MiddlewareOptions<Req>,
): Promise<{ session: SupportSession; problem?: undefined } | { session?: undefined; problem: Problem }> {
  const name = (o.header ?? 'authorization').toLowerCase();
  const raw = req.headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  const token = name === 'authorization' ? /^Bearer ([^\s]+)$/i.exec(value ?? '')?.[1] : value?.trim() || undefined;
  const problem = (status: Problem['status'], title: string, detail: string, reason: string) => ({
    problem: { type: 'about:blank', title, status, detail, reason },
  });
  if (!token) return problem(401, 'Unauthorized', `a support session token is required in ${name}`, 'missing');
  const tenantId = await o.tenantOf(req);
  if (!tenantId) return problem(400, 'Bad Request', 'the request names no tenant', 'no-tenant');
  try {
    return { session: await o.verifier.verify(token, { tenantId }) };
  } catch (e) {
    if (!(e instanceof SessionRefusedError)) throw e;
    return e.reason === 'wrong-tenant' ? problem(403, 'Forbidden', e.message, e.reason) : problem(401, 'Unauthorized', e.message, e.reason);
  }
}

const send = (res: ServerResponse, p: Problem) =>
  res.writeHead(p.status, { 'content-type': 'application/problem+json' }).end(JSON.stringify(p));

export type SupportRequest = IncomingMessage & { supportSession?: SupportSession };

/**
 * `node:http`: `supportSession(o)(req, res)` answers the session (also set on `req.supportSession`),
 * or null after answering the refusal itself.
 */
export function nodeSupportSession(o: MiddlewareOptions<IncomingMessage>) {
  return async (req: SupportRequest, res: ServerResponse): Promise<SupportSession | null> => {
    const r = await authenticate(req, o);
    if (r.problem) {
      send(res, r.problem);
      return null;
    }
    req.supportSession = r.session;
    return r.session;
  };
}

interface ExpressLikeRes {
  status(code: number): { type(t: string): { send(body: string): unknown } };
}

/** Express (4 or 5): `app.get('/tenants/:t/x', expressSupportSession({ tenantOf: (req) => req.params.t, ... }), handler)`. */
export function expressSupportSession<Req extends WithHeaders>(o: MiddlewareOptions<Req>) {
  return (req: Req & { supportSession?: SupportSession }, res: ExpressLikeRes, next: (err?: unknown) => void): void => {
    authenticate(req, o).then((r) => {
      if (r.problem) {
        res.status(r.problem.status).type('application/problem+json').send(JSON.stringify(r.problem));
        return;
      }
      req.supportSession = r.session;
      next();
    }, next);
  };
}

interface FastifyLikeReply {
  code(status: number): FastifyLikeReply;
  type(t: string): FastifyLikeReply;
  send(body: unknown): unknown;
}

/**
 * Fastify: a `preHandler` hook, `app.addHook('preHandler', fastifySupportSession({ ... }))` (or on
 * one route). Call `app.decorateRequest('supportSession', null)` once so that the request's shape
 * stays stable.
 */
export function fastifySupportSession<Req extends WithHeaders>(o: MiddlewareOptions<Req>) {
  return async (request: Req & { supportSession?: SupportSession | null }, reply: FastifyLikeReply): Promise<void> => {
    const r = await authenticate(request, o);
    if (r.problem) {
      await reply.code(r.problem.status).type('application/problem+json').send(JSON.stringify(r.problem));
      return;
    }
    request.supportSession = r.session;
  };
}
