/**
 * Catch-up from the event feed at start, against a small node:http server serving pages of the
 * contract's exact shape (`{ items: [{ eventId, type, at, tenantId, data }], nextCursor }`): it
 * asserts the bearer, the `after` and the `types` it receives; the cursor is kept in the store so
 * a restart resumes after it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catchUp, createVerifier, MemoryRevocationStore } from '../src/index.ts';
import { settings } from './helpers/keys.ts';

const at = '2026-12-01T10:00:00.000Z';
const item = (n: number, type: string, data: Record<string, unknown>) => ({ eventId: `E${n}`, type, at, tenantId: 'acme', data });
/** The feed: three pages, then an empty one; `after` selects the page. */
const pages: Record<string, { items: ReturnType<typeof item>[]; nextCursor: string | null }> = {
  '': {
    items: [
      item(1, 'Grant Revoked', { grant: { grantId: 'G1' } }),
      item(2, 'Session Ended', { session: { sessionId: 'S2', grantId: 'G2' } }),
    ],
    nextCursor: 'c2',
  },
  c2: { items: [item(3, 'Grant Expired', { grant: { grantId: 'G3' } })], nextCursor: 'c3' },
  c3: { items: [item(4, 'Grant Revoked', { grant: { grantId: 'G4' } })], nextCursor: 'c4' },
  c4: { items: [], nextCursor: 'c4' },
};
const received: { after: string | null; types: string | null; auth: string | undefined }[] = [];
let server: Server;
let apiUrl: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    received.push({ after: u.searchParams.get('after'), types: u.searchParams.get('types'), auth: req.headers.authorization });
    if (u.pathname !== '/v1/events') return void res.writeHead(404).end();
    if (req.headers.authorization !== 'Bearer api-token-1')
      return void res.writeHead(401, { 'content-type': 'application/problem+json' }).end('{"status":401}');
    const page = pages[u.searchParams.get('after') ?? ''];
    if (!page) return void res.writeHead(400).end('{"status":400}');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const verifierWith = (store = new MemoryRevocationStore()) => createVerifier({ jwksUrl: `${apiUrl}/jwks`, ...settings, store });

describe('catch-up from the event feed', () => {
  it('reads every page from the start, revokes what they name, and keeps the last cursor in the store', async () => {
    // Prepare
    received.length = 0;
    const v = verifierWith();
    let tokens = 0;
    // Act
    const result = await catchUp({ apiUrl, verifier: v, getToken: async () => (tokens++, 'api-token-1') });
    // Assess
    expect(result).toEqual({ pages: 4, events: 4, revoked: 4, cursor: 'c4' });
    expect(received.map((r) => r.after)).toEqual([null, 'c2', 'c3', 'c4']);
    expect(received.every((r) => r.types === 'Session Ended,Grant Revoked,Grant Expired' && r.auth === 'Bearer api-token-1')).toBe(true);
    expect(tokens).toBe(4);
    expect(await v.store.getCursor()).toBe('c4');
    for (const [s, g] of [
      ['x', 'G1'],
      ['S2', 'x'],
      ['x', 'G3'],
      ['x', 'G4'],
    ] as const)
      expect(await v.store.isRevoked(s, g)).toBe(true);
  });

  it('after a restart on the same store, asks only after the cursor it kept (nothing is read twice)', async () => {
    // Prepare: a store that had read up to c3
    received.length = 0;
    const store = new MemoryRevocationStore();
    await store.setCursor('c3');
    // Act
    const result = await catchUp({ apiUrl, verifier: verifierWith(store), getToken: () => 'api-token-1' });
    // Assess
    expect(received.map((r) => r.after)).toEqual(['c3', 'c4']);
    expect(result).toMatchObject({ events: 1, revoked: 1, cursor: 'c4' });
    expect(await store.isRevoked('x', 'G4')).toBe(true);
    expect(await store.isRevoked('x', 'G1')).toBe(false);
  });

  it('fails loudly on a refused bearer and keeps the cursor where it was', async () => {
    const store = new MemoryRevocationStore();
    await store.setCursor('c2');
    await expect(catchUp({ apiUrl, verifier: verifierWith(store), getToken: () => 'wrong' })).rejects.toThrow(/401/);
    expect(await store.getCursor()).toBe('c2');
  });
});
