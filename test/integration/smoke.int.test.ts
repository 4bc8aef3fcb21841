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
});
