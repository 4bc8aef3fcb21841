/**
 * Table 10: what a shared revocation store costs per request. Two `node:http` servers with
 * `@support-access/verify`'s middleware and the same keys: one keeps revocations in memory (the
 * baseline), the other in a real redis-server on this machine (started here, stopped after).
 * Requests alternate between them, one at a time over keep-alive; the Redis store's added cost is
 * the difference of the p50s. Target (issue 26): at most 0.3 ms added at p50.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import {
  createVerifier,
  MemoryRevocationStore,
  nodeSupportSession,
  RedisRevocationStore,
  type RevocationStore,
} from '../packages/verify/src/index.ts';
import { startRedis } from '../packages/verify/test/helpers/redis-server.ts';
import { figure, verdict, type SectionResult } from './results.ts';
import { int, median, progress, quantile, table } from './stats.ts';

const settings = { issuer: 'https://api.bench.test', audience: 'vendor-app', jwksUrl: 'http://127.0.0.1:9/unused' };

export async function verifyStore(opts: { requests: number }): Promise<SectionResult> {
  progress('starting redis-server');
  const redisServer = await startRedis();
  const redis = new Redis(redisServer.url);
  const servers: Server[] = [];
  try {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256' };
    const keys = createLocalJWKSet({ keys: [jwk] });
    const iat = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      iss: settings.issuer,
      aud: settings.audience,
      sub: 'agent',
      email: 'agent@vendor.test',
      tenant_id: 'acme',
      scope: 'read-only',
      grant_id: 'G-bench',
      session_id: 'S-bench',
      jti: 'J-bench',
      iat,
      exp: iat + 900,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'bench' })
      .sign(privateKey);
    const serve = async (store: RevocationStore) => {
      const verifier = createVerifier({ ...settings, keys, store });
      // some revocations in the store, as in an application that has seen a few
      for (let i = 0; i < 100; i++) await verifier.store.revoke('grant', `G-other-${i}`, 900);
      const guard = nodeSupportSession({ verifier, tenantOf: (req) => /^\/tenants\/([^/]+)/.exec(req.url ?? '')?.[1] });
      const server = createServer((req, res) => void guard(req, res).then((s) => s && res.writeHead(200).end(s.sessionId)));
      servers.push(server);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/tenants/acme/billing`;
    };
    const memoryUrl = await serve(new MemoryRevocationStore());
    const redisUrl = await serve(new RedisRevocationStore(redis, { prefix: 'bench:' }));
    const once = async (url: string) => {
      const t0 = performance.now();
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      await res.text();
      if (res.status !== 200) throw new Error(`the middleware answered ${res.status}`);
      return (performance.now() - t0) * 1000;
    };
    progress(`verify middleware: ${opts.requests} requests to each store, alternating`);
    for (let i = 0; i < 200; i++) {
      await once(memoryUrl);
      await once(redisUrl);
    }
    const memory: number[] = [];
    const viaRedis: number[] = [];
    for (let i = 0; i < opts.requests; i++) {
      if (i % 2 === 0) {
        memory.push(await once(memoryUrl));
        viaRedis.push(await once(redisUrl));
      } else {
        viaRedis.push(await once(redisUrl));
        memory.push(await once(memoryUrl));
      }
    }
    const added = median(viaRedis) - median(memory);
    const f = figure({
      section: 'verify',
      name: 'verify middleware with the Redis store, µs per request at p50',
      value: median(viaRedis),
      unit: 'µs',
      baseline: { name: 'the same with the in-memory store', value: median(memory) },
      target: '≤ 300 µs added at p50',
      pass: added <= 300,
      note: `added ${added.toFixed(0)} µs at p50 over ${opts.requests} requests each`,
    });
    const row = (name: string, s: number[]) => [name, int(median(s)), int(quantile(s, 0.95)), int(quantile(s, 0.99))];
    const text = [
      table(
        ['per request over HTTP (µs)', 'p50', 'p95', 'p99'],
        [
          row('in-memory store (baseline)', memory),
          row('Redis store (redis-server on this machine)', viaRedis),
          ['added by Redis', int(added), '', ''],
        ],
      ),
      '',
      `Target: the Redis store adds ≤ 300 µs at p50 ${verdict(f.pass)}.`,
    ].join('\n');
    return { text, figures: [f] };
  } finally {
    for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
    redis.disconnect();
    await redisServer.stop();
  }
}
