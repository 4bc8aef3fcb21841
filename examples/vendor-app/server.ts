/**
 * An example vendor application: a tenant's "billing" and "settings" data, served only to a valid
 * support session of that tenant. The support-session token is verified offline
 * (`@support-access/verify`, its `node:http` middleware); revocations arrive as signed webhooks
 * (`POST /support-access/webhooks`, Standard Webhooks, secret `WEBHOOK_SECRET`), as events polled
 * from `GET /_local/events` locally, or posted to `POST /support-access/events` by an EventBridge
 * API destination (docs/integrate.md). With `REDIS_URL` the revocations live in Redis, so every
 * instance behind it refuses a session any one of them heard was revoked.
 *
 *   npx tsx examples/vendor-app/server.ts        (beside `npm start`; http://localhost:4000)
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Redis } from 'ioredis';
import {
  createVerifier,
  createWebhookHandler,
  MemoryRevocationStore,
  nodeSupportSession,
  RedisRevocationStore,
  type SupportAccessEvent,
} from '../../packages/verify/src/index.ts';

export interface VendorAppOptions {
  port: number;
  /** The support-access API (issuer, JWKS and, locally, the events). */
  apiUrl: string;
  audience: string;
  /** Poll `GET /_local/events` this often (ms); 0: no polling (events come by POST). */
  eventsPollMs?: number;
  /** Required in `x-events-secret` on `POST /support-access/events`; unset: that route is off. */
  eventsSecret?: string;
  /** The webhook endpoint's secret (`whsec_...`); unset: `POST /support-access/webhooks` is off. */
  webhookSecret?: string;
  /** Keep revocations in this Redis (shared by every instance); unset: in this process's memory. */
  redisUrl?: string;
  now?: () => Date;
}

const data = (tenant: string): Record<string, Record<string, unknown>> => ({
  billing: { tenant, plan: 'Business', invoices: [{ id: 'INV-1', amount: 420, currency: 'EUR' }] },
  settings: { tenant, timeZone: 'Europe/Prague', sso: true },
});

/**
 * The events secret compared in constant time: both sides are hashed first, so the buffers are
 * of equal length whatever was sent, and the time taken says nothing about how much matched.
 */
export function secretMatches(expected: string | undefined, sent: string | string[] | undefined): boolean {
  if (!expected || typeof sent !== 'string') return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(expected), digest(sent));
}

/** An event body as EventBridge posts it: a JSON object with a `detail-type` and a `detail` object; else null. */
function eventOf(raw: string): SupportAccessEvent | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const e = parsed as Record<string, unknown>;
  if (typeof e['detail-type'] !== 'string' || typeof e.detail !== 'object' || e.detail === null) return null;
  return parsed as SupportAccessEvent;
}

export async function startVendorApp(o: VendorAppOptions) {
  const redis = o.redisUrl ? new Redis(o.redisUrl, { maxRetriesPerRequest: 2 }) : undefined;
  const verifier = createVerifier({
    jwksUrl: `${o.apiUrl}/v1/.well-known/jwks.json`,
    issuer: o.apiUrl,
    audience: o.audience,
    store: redis ? new RedisRevocationStore(redis) : new MemoryRevocationStore(o.now),
    ...(o.now ? { now: o.now } : {}),
  });
  const webhook = o.webhookSecret ? createWebhookHandler({ secret: o.webhookSecret, verifier }) : undefined;
  let seen = 0;
  const poll = async () => {
    const { items } = (await (await fetch(`${o.apiUrl}/_local/events`)).json()) as { items: SupportAccessEvent[] };
    for (const e of items.slice(seen)) await verifier.handleEvent(e);
    seen = items.length;
  };
  /** The tenant is the path's: a token of another tenant is refused by the verifier (403). */
  const guard = nodeSupportSession({ verifier, tenantOf: (req) => /^\/tenants\/([^/]+)\//.exec(req.url ?? '')?.[1] });
  const timer = o.eventsPollMs ? setInterval(() => void poll().catch(() => undefined), o.eventsPollMs) : undefined;

  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    void (async () => {
      if (req.method === 'POST' && req.url === '/support-access/webhooks') {
        if (!webhook) return reply(404, { error: 'not found' });
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const answer = await webhook(Buffer.concat(chunks), req.headers);
        if (answer.status === 204) return res.writeHead(204).end();
        return res.writeHead(answer.status, { 'content-type': 'application/problem+json' }).end(JSON.stringify(answer.body));
      }
      if (req.method === 'POST' && req.url === '/support-access/events') {
        if (!secretMatches(o.eventsSecret, req.headers['x-events-secret'])) return reply(403, { error: 'forbidden' });
        let raw = '';
        for await (const chunk of req) raw += chunk;
        const event = eventOf(raw);
        if (!event) return reply(400, { error: 'the body must be a JSON event with "detail-type" and a "detail" object' });
        await verifier.handleEvent(event);
        return reply(204, null);
      }
      const m = /^\/tenants\/([^/]+)\/(billing|settings)$/.exec(req.url ?? '');
      if (!m) return reply(404, { error: 'not found' });
      const [, tenant, module] = m as unknown as [string, string, string];
      const s = await guard(req, res); // answers 401/403 itself when refused
      if (!s) return;
      if (!s.canRead(module)) return reply(403, { error: `no access to ${module} of ${tenant}` });
      if (req.method === 'GET') return reply(200, data(tenant)[module]);
      if (req.method !== 'PUT') return reply(405, { error: 'GET or PUT' });
      if (!s.canWrite(module)) return reply(403, { error: 'this support session is read-only' });
      return reply(200, { ...data(tenant)[module], updatedBy: s.agent.email });
    })().catch(() => {
      // Whatever went wrong with one request, the process lives on and that request gets an answer.
      if (!res.headersSent) reply(500, { error: 'internal' });
      else res.end();
    });
  });
  await new Promise<void>((r) => server.listen(o.port, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    verifier,
    pollEvents: poll,
    /** Stops taking events (the events-down scenario). */
    stopEvents: () => clearInterval(timer),
    stop: async () => {
      clearInterval(timer);
      await new Promise<void>((r) => server.close(() => r()));
      redis?.disconnect();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = await startVendorApp({
    port: Number(process.env.VENDOR_PORT ?? 4000),
    apiUrl: process.env.API_URL ?? 'http://localhost:3000',
    audience: process.env.SESSION_TOKEN_AUDIENCE ?? 'support-access-local',
    eventsPollMs: Number(process.env.EVENTS_POLL_MS ?? 250),
    ...(process.env.EVENTS_SECRET ? { eventsSecret: process.env.EVENTS_SECRET } : {}),
    ...(process.env.WEBHOOK_SECRET ? { webhookSecret: process.env.WEBHOOK_SECRET } : {}),
    ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
  });
  console.log(
    `vendor app on ${app.url}: GET|PUT /tenants/{tenantId}/billing|settings with Authorization: Bearer <support-session token>; webhooks at POST /support-access/webhooks${process.env.REDIS_URL ? `; revocations in ${process.env.REDIS_URL}` : ''}`,
  );
}
