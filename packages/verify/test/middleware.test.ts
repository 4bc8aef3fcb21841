/**
 * The middleware with the real frameworks, over real HTTP: `node:http`, Express and Fastify each
 * read the token from the header the vendor chose, verify it for the tenant the vendor's resolver
 * names, and hand the session to the route, or answer the refusal as a problem.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify, { type FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createVerifier,
  expressSupportSession,
  fastifySupportSession,
  nodeSupportSession,
  type SupportRequest,
  type SupportSession,
  type Verifier,
} from '../src/index.ts';
import { jwksServer, sessionClaims, settings, testKeys, type TestKeys } from './helpers/keys.ts';

let keys: TestKeys;
let jwks: Awaited<ReturnType<typeof jwksServer>>;
let verifier: Verifier;
const servers: { name: string; url: string; close: () => Promise<void> }[] = [];
/** The vendor's own resolver: the tenant is the first path segment after /tenants/. */
const tenantFromPath = (url: string | undefined) => /^\/tenants\/([^/?]+)/.exec(url ?? '')?.[1];
const answer = (s: SupportSession | undefined | null) => ({ agent: s?.agent.email, tenant: s?.tenantId, session: s?.sessionId });

beforeAll(async () => {
  keys = await testKeys();
  jwks = await jwksServer(keys);
  verifier = createVerifier({ jwksUrl: jwks.url, ...settings });
  const listen = async (name: string, server: Server) => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push({
      name,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((r) => server.close(() => r())),
    });
  };
  // node:http, the token in a header of the vendor's choosing
  const guard = nodeSupportSession({ verifier, header: 'x-support-session', tenantOf: (req) => tenantFromPath(req.url) });
  await listen(
    'node:http',
    createServer((req, res) => {
      void guard(req, res).then(
        (s) =>
          s &&
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer((req as SupportRequest).supportSession))),
      );
    }),
  );
  // Express 5
  const app = express();
  app.get(
    '/tenants/:tenant/billing',
    expressSupportSession({ verifier, header: 'x-support-session', tenantOf: (req: express.Request) => String(req.params.tenant) }),
    (req, res) => {
      res.json(answer((req as express.Request & { supportSession?: SupportSession }).supportSession));
    },
  );
  await listen('express', createServer(app));
  // Fastify 5
  const f = Fastify();
  f.decorateRequest('supportSession', null);
  f.get<{ Params: { tenant: string } }>(
    '/tenants/:tenant/billing',
    {
      preHandler: fastifySupportSession<FastifyRequest<{ Params: { tenant: string } }>>({
        verifier,
        header: 'x-support-session',
        tenantOf: (req) => req.params.tenant,
      }),
    },
    async (req) => answer((req as unknown as { supportSession: SupportSession }).supportSession),
  );
  await f.listen({ port: 0, host: '127.0.0.1' });
  servers.push({ name: 'fastify', url: `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`, close: () => f.close() });
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await jwks?.close();
});

const get = async (base: string, path: string, headers: Record<string, string>) => {
  const res = await fetch(`${base}${path}`, { headers });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
};

describe.each(['node:http', 'express', 'fastify'])('the %s middleware', (name) => {
  const base = () => servers.find((s) => s.name === name)!.url;

  it('puts the verified session on the request for a token of that tenant', async () => {
    const token = await keys.sign(sessionClaims(new Date()));
    const r = await get(base(), '/tenants/acme/billing', { 'x-support-session': token });
    expect(r).toMatchObject({ status: 200, body: { agent: 'sam@vendor.test', tenant: 'acme', session: 'S1' } });
  });

  it("answers 403 (wrong-tenant) to a good token on another tenant's path, 401 to none, to one in another header, a bad or a revoked one", async () => {
    // Prepare
    const token = await keys.sign(sessionClaims(new Date(), { session_id: `S-${name}`, grant_id: `G-${name}` }));
    // Act / Assess
    const other = await get(base(), '/tenants/globex/billing', { 'x-support-session': token });
    expect(other).toMatchObject({ status: 403, body: { reason: 'wrong-tenant', status: 403 } });
    expect(other.type).toContain('application/problem+json');
    expect((await get(base(), '/tenants/acme/billing', {})).body).toMatchObject({ reason: 'missing' });
    expect((await get(base(), '/tenants/acme/billing', { authorization: `Bearer ${token}` })).status).toBe(401);
    expect((await get(base(), '/tenants/acme/billing', { 'x-support-session': 'garbage' })).body).toMatchObject({ reason: 'invalid' });
    await verifier.handleEvent({ type: 'Grant Revoked', timestamp: '', data: { grant: { grantId: `G-${name}` } } }, `m-${name}`);
    expect(await get(base(), '/tenants/acme/billing', { 'x-support-session': token })).toMatchObject({
      status: 401,
      body: { reason: 'revoked' },
    });
  });
});

describe('the default header', () => {
  it('reads Authorization: Bearer <token> when no header is named', async () => {
    const guard = nodeSupportSession({ verifier, tenantOf: (req) => tenantFromPath(req.url) });
    const server = createServer((req, res) => void guard(req, res).then((s) => s && res.writeHead(200).end(JSON.stringify(answer(s)))));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const token = await keys.sign(sessionClaims(new Date()));
      expect((await get(url, '/tenants/acme/x', { authorization: `Bearer ${token}` })).status).toBe(200);
      expect((await get(url, '/tenants/acme/x', { authorization: token })).status).toBe(401);
      expect((await get(url, '/nowhere', { authorization: `Bearer ${token}` })).body).toMatchObject({ status: 400, reason: 'no-tenant' });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
