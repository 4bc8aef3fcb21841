import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupTenant, startTestApi, type TestApi } from '../helpers/http.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.stop());

describe('the local stack', () => {
  it('answers health without a token', async () => {
    const res = await api.call('GET', '/v1/health');
    expect(res).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('lets an admin add a contact and read it back', async () => {
    // Prepare
    const p = await setupTenant(api);
    // Act
    const res = await api.call('GET', `/v1/tenants/${p.tenantId}/contacts`, { as: p.admin });
    // Assess
    expect(res.status).toBe(200);
    expect(res.body.items.map((c: { email: string }) => c.email).sort()).toEqual([p.admin.email, p.contact.email].sort());
  });

  it('answers a browser preflight, as the deployed API does, so a local frontend can call it', async () => {
    // Act
    const preflight = await fetch(`${api.url}/v1/tenants/acme/grants`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    const health = await api.call('GET', '/v1/health');
    // Assess
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(health.headers.get('access-control-allow-origin')).toBe('*');
  });
});
