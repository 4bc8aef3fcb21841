/**
 * Two instances of the example app behind one Redis (a real redis-server, started here on a free
 * port and stopped in teardown): a signed webhook revocation delivered to instance A makes
 * instance B refuse the same token, and so does an instance started afterwards (a restart).
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../../packages/verify/test/helpers/redis-server.ts';
import { setupTenant, startTestApi, type TestApi } from '../../../test/helpers/http.ts';
import { startVendorApp } from '../server.ts';

type App = Awaited<ReturnType<typeof startVendorApp>>;
const secret = `whsec_${randomBytes(24).toString('base64')}`;
let api: TestApi;
let redis: RedisServer;
const apps: App[] = [];
const start = async () => {
  const app = await startVendorApp({
    port: 0,
    apiUrl: api.url,
    audience: 'support-access-local',
    redisUrl: redis.url,
    webhookSecret: secret,
  });
  apps.push(app);
  return app;
};
beforeAll(async () => {
  redis = await startRedis();
  api = await startTestApi();
});
afterAll(async () => {
  for (const a of apps) await a.stop();
  await api?.stop();
  await redis?.stop();
});

const billing = async (app: App, tenantId: string, token: string) => {
  const res = await fetch(`${app.url}/tenants/${tenantId}/billing`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as { reason?: string } };
};

describe('two instances of the example app behind one Redis', () => {
  it('a signed webhook revocation delivered to A makes B (and an instance started later) refuse the token', async () => {
    // Prepare: a real sign-in at the stack; both instances serve it
    const [a, b] = [await start(), await start()];
    const p = await setupTenant(api);
    const g = await api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
      as: p.admin,
      body: { reason: 'T-2', scope: { level: 'read-only' }, durationHours: 2 },
    });
    const s = await api.call('POST', `/v1/tenants/${p.tenantId}/sessions`, { as: p.agent, body: { reason: 'invoice export' } });
    const token = s.body.token as string;
    expect((await billing(a, p.tenantId, token)).status).toBe(200);
    expect((await billing(b, p.tenantId, token)).status).toBe(200);
    // Act: the grant is revoked; its webhook reaches A only, signed as the Standard Webhooks sender signs
    expect((await api.call('POST', `/v1/tenants/${p.tenantId}/grants/${g.body.grantId}/revoke`, { as: p.admin, body: {} })).status).toBe(
      200,
    );
    const body = JSON.stringify({
      type: 'Grant Revoked',
      timestamp: new Date().toISOString(),
      data: { grant: { grantId: g.body.grantId } },
    });
    const id = `msg_${randomBytes(8).toString('hex')}`;
    const now = new Date();
    const delivered = await fetch(`${a.url}/support-access/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign(id, now, body),
      },
      body,
    });
    // Assess
    expect(delivered.status).toBe(204);
    expect(await billing(b, p.tenantId, token)).toMatchObject({ status: 401, body: { reason: 'revoked' } });
    expect(await billing(a, p.tenantId, token)).toMatchObject({ status: 401, body: { reason: 'revoked' } });
    expect(await billing(await start(), p.tenantId, token)).toMatchObject({ status: 401, body: { reason: 'revoked' } });
  });

  it('refuses an unsigned or wrongly signed delivery (401) and it revokes nothing on any instance', async () => {
    const [a, b] = [await start(), await start()];
    const p = await setupTenant(api);
    const g = await api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
      as: p.admin,
      body: { reason: 'T-3', scope: { level: 'read-only' }, durationHours: 2 },
    });
    const token = (await api.call('POST', `/v1/tenants/${p.tenantId}/sessions`, { as: p.agent, body: { reason: 'r' } })).body
      .token as string;
    const body = JSON.stringify({
      type: 'Grant Revoked',
      timestamp: new Date().toISOString(),
      data: { grant: { grantId: g.body.grantId } },
    });
    const now = new Date();
    const forged = new Webhook(`whsec_${randomBytes(24).toString('base64')}`).sign('msg_x', now, body);
    const ts = String(Math.floor(now.getTime() / 1000));
    for (const headers of [{}, { 'webhook-id': 'msg_x', 'webhook-timestamp': ts, 'webhook-signature': forged }]) {
      expect((await fetch(`${a.url}/support-access/webhooks`, { method: 'POST', headers, body })).status).toBe(401);
    }
    expect((await billing(b, p.tenantId, token)).status).toBe(200);
  });
});
