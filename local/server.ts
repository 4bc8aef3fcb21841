/**
 * The local HTTP adapter: serves the route table with the real Lambda handlers. For each request
 * it checks the JWT as API Gateway's authorizer would, builds a real API Gateway v2 event and
 * invokes the route group's handler. It adds the `/_local/*` routes of the contract.
 */
import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { groups, routeKey, routes, type RouteDef } from '../lambdas/contract/routes.ts';
import { fieldErrors, problem } from '../lambdas/kernel/http/problem.ts';
import type { DepsSource } from '../lambdas/runtime/index.ts';
import type { LocalClock } from './clock.ts';
import type { LocalIssuer } from './jwt.ts';
import type { AuthorizerContext } from '../lambdas/modules/tokens/index.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** API Gateway's own limit on a request body. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

export type LambdaHandler = (event: unknown, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

let cpuObserver: ((routeId: string, cpuMs: number) => void) | undefined;

/**
 * The benchmark's CPU meter (`bench/hot-path.ts`): told the CPU time (`process.cpuUsage`, user +
 * system) of every handler invocation, by route id. `undefined` stops it.
 */
export function observeHandlerCpu(observer: ((routeId: string, cpuMs: number) => void) | undefined): void {
  cpuObserver = observer;
}

/** A Lambda module's handler over the given dependencies (`createHandler`, as every entry exports it). */
export async function loadHandler(file: string, deps: DepsSource): Promise<LambdaHandler> {
  const m = (await import(pathToFileURL(join(ROOT, file)).href)) as { createHandler: (deps: DepsSource) => LambdaHandler };
  return m.createHandler(deps);
}

/** A Lambda context; `timeoutMs` is the function's timeout, as the deployed one has it. */
export function lambdaContext(functionName: string, timeoutMs = 29_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const compiled = (routes as readonly RouteDef[]).map((r) => ({
  route: r,
  names: [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
  pattern: new RegExp(`^${r.path.replace(/\{\w+\}/g, '([^/]+)')}$`),
}));

/** The route and its decoded path parameters; `malformed` when a parameter is not valid percent-encoding. */
function match(method: string, path: string): { route: RouteDef; params: Record<string, string> } | 'malformed' | null {
  for (const c of compiled) {
    const m = c.pattern.exec(path);
    if (m && c.route.method === method) {
      const params: Record<string, string> = {};
      try {
        c.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
      } catch {
        return 'malformed';
      }
      return { route: c.route, params };
    }
  }
  return null;
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * CORS as the deployed HTTP API answers it, so a web frontend on another local port can call the
 * stack. `CORS_ORIGIN` narrows it; by default any origin (this is a local stack).
 */
const CORS = {
  'access-control-allow-origin': process.env.CORS_ORIGIN ?? '*',
  'access-control-allow-headers': 'authorization, content-type, idempotency-key',
  'access-control-allow-methods': 'GET, POST, PUT, DELETE',
  'access-control-expose-headers': 'idempotent-replayed',
  'access-control-max-age': '600',
};

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2) {
  res.writeHead(result.statusCode ?? 200, { ...CORS, ...((result.headers ?? {}) as Record<string, string>) });
  res.end(result.body ?? '');
}
const sendJson = (res: ServerResponse, status: number, body: unknown) =>
  send(res, { statusCode: status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

const TokenBody = z.object({
  sub: z.string().min(1),
  email: z.string().min(1),
  name: z.string().min(1),
  groups: z.array(z.string()),
  tenantId: z.string().min(1).optional(),
  emailVerified: z.boolean().optional(),
  expiresInSeconds: z
    .int()
    .min(1)
    .max(7 * 24 * 3600)
    .optional(),
});
const ClockBody = z.strictObject({
  advanceSeconds: z
    .number()
    .min(0)
    .max(10 * 365 * 86_400),
});

export interface LocalServerOptions {
  /** What the handlers are given (the stack's table, clock, mailer and keys). */
  deps: DepsSource;
  clock: LocalClock;
  issuer: LocalIssuer;
  /** The jobs, run on demand by `/_local/jobs/*`. */
  jobs: { expire: () => Promise<unknown>; drainOutbox: () => Promise<unknown> };
  /** `/_local/outbox/*`: failed mail and its re-drive. */
  outbox: { failed: () => Promise<unknown>; redrive: (id: string) => Promise<boolean> };
  /**
   * Runs after every write, before its answer goes out: the local stand-in for the table stream
   * that triggers delivery in AWS, so the mail a change owes is in the inbox by the time the
   * caller has its answer.
   */
  afterWrite?: () => Promise<unknown>;
  /** The events published so far, oldest first (null: events are off). */
  events?: () => unknown[] | null;
  /** Where the console's built files are (default `web/dist`). */
  consoleDir?: string;
}

/** Builds the API Gateway v2 event of a request, as the HTTP API with its Lambda authorizer sends it (`authorizer.lambda`: the verdict). */
export function gatewayEvent(
  req: IncomingMessage,
  url: URL,
  route: RouteDef,
  params: Record<string, string>,
  body: string,
  verdict: AuthorizerContext | null,
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const now = new Date();
  return {
    version: '2.0',
    routeKey: routeKey(route),
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(params).length ? { pathParameters: params } : {}),
    ...(body ? { body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: route.method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: routeKey(route),
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      ...(verdict ? { authorizer: { lambda: verdict } } : {}),
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}

async function local(req: IncomingMessage, res: ServerResponse, url: URL, opts: LocalServerOptions): Promise<boolean> {
  const key = `${req.method} ${url.pathname}`;
  const parse = async <S extends z.ZodType>(schema: S): Promise<z.output<S> | undefined> => {
    const raw = (await readBody(req)) ?? '';
    let json: unknown;
    try {
      json = raw.trim() ? JSON.parse(raw) : {};
    } catch {
      send(res, problem(400, 'VALIDATION_FAILED', 'the body is not valid JSON'));
      return undefined;
    }
    const r = schema.safeParse(json);
    if (!r.success) {
      send(res, problem(400, 'VALIDATION_FAILED', 'the body is not valid', fieldErrors(r.error)));
      return undefined;
    }
    return r.data;
  };
  switch (key) {
    case 'POST /_local/token': {
      const body = await parse(TokenBody);
      if (body) sendJson(res, 200, { token: await opts.issuer.issue(body) });
      return true;
    }
    case 'GET /_local/clock':
      sendJson(res, 200, { now: opts.clock.now().toISOString() });
      return true;
    case 'POST /_local/clock': {
      const body = await parse(ClockBody);
      if (body) sendJson(res, 200, { now: opts.clock.advance(body.advanceSeconds).toISOString() });
      return true;
    }
    case 'POST /_local/jobs/expire':
      sendJson(res, 200, await opts.jobs.expire());
      return true;
    case 'POST /_local/jobs/deliver':
      sendJson(res, 200, await opts.jobs.drainOutbox());
      return true;
    // The API-token keys, also at the issuer's jwks_uri (/.well-known/api-token-jwks.json).
    case 'GET /_local/.well-known/jwks.json':
      sendJson(res, 200, await opts.issuer.jwks());
      return true;
    case 'GET /_local/events': {
      const items = opts.events?.() ?? null;
      if (items) sendJson(res, 200, { items });
      else send(res, problem(404, 'NOT_FOUND', 'events are off: the table has no stream'));
      return true;
    }
    case 'GET /_local/outbox/failed':
      sendJson(res, 200, { items: await opts.outbox.failed() });
      return true;
  }
  const redrive = /^\/_local\/outbox\/([^/]+)\/redrive$/.exec(url.pathname);
  if (req.method === 'POST' && redrive) {
    const ok = await opts.outbox.redrive(decodeURIComponent(redrive[1]!));
    if (ok) sendJson(res, 200, { redriven: true });
    else send(res, problem(409, 'CONFLICT', 'no FAILED message by that id'));
    return true;
  }
  return false;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** The console's built files (`npm run web:build`). */
export const CONSOLE_DIR = join(ROOT, 'web', 'dist');

/**
 * The console at `/app`: its files from `web/dist`, `/app/config.json` (local mode on this origin),
 * and `index.html` for every other `/app/*` address (the console routes in the browser). A path
 * that leaves `web/dist` (`..`, encoded or not) is a 404.
 */
async function serveConsole(res: ServerResponse, url: URL, dir: string): Promise<void> {
  if (url.pathname === '/app') return send(res, { statusCode: 308, headers: { location: `/app/${url.search}` } });
  if (url.pathname === '/app/config.json') {
    return send(res, {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify({ mode: 'local', apiUrl: '' }),
    });
  }
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname.slice('/app/'.length));
  } catch {
    return send(res, problem(400, 'VALIDATION_FAILED', 'the path is not valid percent-encoded UTF-8'));
  }
  const file = normalize(join(dir, rel));
  if (rel.includes('\0') || (file !== dir && !file.startsWith(dir + sep))) return send(res, problem(404, 'NOT_FOUND', 'no such file'));
  const asset = rel.startsWith('assets/') || extname(rel) !== '';
  const target = asset ? file : join(dir, 'index.html');
  const found = await stat(target).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!found) {
    if (!asset) {
      return send(res, {
        statusCode: 503,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: 'The console is not built: run `npm run web:build` (npm start does it).\n',
      });
    }
    return send(res, problem(404, 'NOT_FOUND', 'no such file'));
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(target)] ?? 'application/octet-stream',
    // Hashed assets never change; index.html must be fetched again to pick up a new build.
    'cache-control': target.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  res.end(await readFile(target));
}

/** Serves the API (and `/_local/*`) on `port`. */
export async function startLocalServer(port: number, host: string, opts: LocalServerOptions): Promise<Server> {
  // Each route group's handler is made once, as a warm container would keep it.
  const handlers = new Map<string, Promise<LambdaHandler>>();
  const handlerOf = (file: string) => {
    let h = handlers.get(file);
    if (!h) handlers.set(file, (h = loadHandler(file, opts.deps)));
    return h;
  };
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      try {
        if (req.method === 'OPTIONS') return send(res, { statusCode: 204 });
        if (url.pathname.startsWith('/_local/') && (await local(req, res, url, opts))) return;
        if ((url.pathname === '/app' || url.pathname.startsWith('/app/')) && (req.method === 'GET' || req.method === 'HEAD')) {
          return await serveConsole(res, url, opts.consoleDir ?? CONSOLE_DIR);
        }
        const found = match(req.method ?? 'GET', url.pathname);
        if (!found) return send(res, problem(404, 'NOT_FOUND', `no route ${req.method} ${url.pathname}`));
        // A stray `%` (or an encoded byte that is no UTF-8) is the client's error, not the adapter's.
        if (found === 'malformed') {
          return send(
            res,
            problem(400, 'VALIDATION_FAILED', 'the path is not valid percent-encoded UTF-8', [
              { path: 'path', message: 'is not valid percent-encoding' },
            ]),
          );
        }
        const { route, params } = found;
        // As deployed: the authorizer's verdict on the bearer goes to the function, which answers a
        // refused one with a 401 naming the reason (`lambdas/kernel/http/auth.ts`).
        const verdict = route.auth ? (await opts.issuer.authorize(req.headers.authorization)).context : null;
        const body = await readBody(req);
        if (body === null) return send(res, problem(413, 'PAYLOAD_TOO_LARGE', 'the body is too large'));
        const handler = await handlerOf(groups[route.group].handler);
        const event = gatewayEvent(req, url, route, params, body, verdict);
        const observer = cpuObserver;
        const cpu0 = observer ? process.cpuUsage() : undefined;
        const result = await handler(event, lambdaContext(`support-access-${route.group}`));
        if (observer && cpu0) {
          const cpu = process.cpuUsage(cpu0);
          observer(route.id, (cpu.user + cpu.system) / 1000);
        }
        // Only a write that succeeded can owe mail; a refused one wrote at most an audit event.
        if (route.method !== 'GET' && (result.statusCode ?? 200) < 400 && opts.afterWrite) {
          await opts.afterWrite().catch((e: unknown) => console.error('delivery after a write failed', e));
        }
        send(res, result);
      } catch (e) {
        console.error('local adapter error', e);
        if (!res.headersSent) send(res, problem(500, 'INTERNAL', 'the local adapter failed'));
      }
    })();
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
