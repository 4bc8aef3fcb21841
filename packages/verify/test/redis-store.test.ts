/**
 * The Redis store against a real redis-server (started here on a free port, stopped in teardown
 * also when a test fails): two verifiers on one Redis see one revocation, a restart keeps it, a
 * duplicate event is caught, the revocation expires with the token lifetime, and the cursor stays.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, RedisRevocationStore } from '../src/index.ts';
import { jwksServer, sessionClaims, settings, testKeys, type TestKeys } from './helpers/keys.ts';
import { startRedis, type RedisServer } from './helpers/redis-server.ts';

let redis: RedisServer;
let keys: TestKeys;
let jwks: Awaited<ReturnType<typeof jwksServer>>;
const clients: Redis[] = [];
beforeAll(async () => {
  redis = await startRedis();
  keys = await testKeys();
  jwks = await jwksServer(keys);
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await jwks?.close();
  await redis?.stop();
});

const client = () => {
  const c = new Redis(redis.url, { lazyConnect: false, maxRetriesPerRequest: 2 });
  clients.push(c);
  return c;
};
/** One instance of an application: its own Redis connection, its own verifier. */
const instance = (prefix = 'support-access:') =>
  createVerifier({ jwksUrl: jwks.url, ...settings, store: new RedisRevocationStore(client(), { prefix }) });
const acme = { tenantId: 'acme' };
const unique = () => `test-${Math.random().toString(36).slice(2)}:`;

describe('the Redis revocation store', () => {
  it('a revocation fed to one instance is seen by another, and by a fresh one (a restart)', async () => {
    // Prepare
    const prefix = unique();
    const a = instance(prefix);
    const b = instance(prefix);
    const token = await keys.sign(sessionClaims(new Date(), { session_id: 'S-r1', grant_id: 'G-r1' }));
    await expect(b.verify(token, acme)).resolves.toMatchObject({ sessionId: 'S-r1' });
    // Act
    expect(
      await a.handleEvent({ type: 'Grant Revoked', timestamp: new Date().toISOString(), data: { grant: { grantId: 'G-r1' } } }, 'm-1'),
    ).toBe(true);
    // Assess
    await expect(b.verify(token, acme)).rejects.toMatchObject({ reason: 'revoked' });
    await expect(instance(prefix).verify(token, acme)).rejects.toMatchObject({ reason: 'revoked' });
  });

  it('catches a duplicate event across instances (SET NX), and keeps prefixes apart', async () => {
    const prefix = unique();
    const e = {
      'detail-type': 'Session Ended',
      detail: { eventId: 'E-dup', tenantId: 'acme', at: '', session: { sessionId: 'S-d', grantId: 'G-d' } },
    };
    expect(await instance(prefix).handleEvent(e)).toBe(true);
    expect(await instance(prefix).handleEvent(e)).toBe(false);
    expect(await instance(unique()).store.isRevoked('S-d', 'G-d')).toBe(false);
  });

  it('keeps a revocation for the token lifetime (its key expires in Redis) and the feed cursor without expiry', async () => {
    // Prepare
    const prefix = unique();
    const c = client();
    const v = instance(prefix);
    // Act
    await v.handleEvent({
      eventId: 'E-ttl',
      type: 'Session Ended',
      at: '',
      tenantId: 'acme',
      data: { session: { sessionId: 'S-ttl', grantId: 'G' } },
    });
    await v.store.setCursor('cursor-42');
    // Assess: the TTL Redis holds is the token lifetime plus the clock skew
    const ttl = await c.pttl(`${prefix}session:S-ttl`);
    expect(ttl).toBeGreaterThan((900 + 5) * 1000 - 60_000);
    expect(ttl).toBeLessThanOrEqual((900 + 5) * 1000);
    expect(await c.pttl(`${prefix}cursor`)).toBe(-1);
    expect(await instance(prefix).store.getCursor()).toBe('cursor-42');
    // ...and Redis itself forgets it when the time is up (a 1 s lifetime here)
    const short = createVerifier({
      jwksUrl: jwks.url,
      ...settings,
      clockToleranceSeconds: 0,
      maxTokenLifetimeSeconds: 1,
      store: new RedisRevocationStore(c, { prefix }),
    });
    await short.store.revoke('grant', 'G-short', short.revocationTtlSeconds);
    expect(await short.store.isRevoked('x', 'G-short')).toBe(true);
    await expect.poll(() => short.store.isRevoked('x', 'G-short'), { timeout: 10_000, interval: 100 }).toBe(false);
  });
});
