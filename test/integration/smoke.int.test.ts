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
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    const health = await api.call('GET', '/v1/health');
    // Assess
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(health.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers 201 for a new contact and 200 for a rename, which keeps who added it and when', async () => {
    // Prepare
    const p = await setupTenant(api);
    const path = `/v1/tenants/${p.tenantId}/contacts/${encodeURIComponent('Pat@Example.test')}`;
    // Act: the same new contact put five times at once, then renamed
    const first = await Promise.all(Array.from({ length: 5 }, () => api.call('PUT', path, { as: p.admin, body: { name: 'Pat' } })));
    const renamed = await api.call('PUT', path, { as: p.admin, body: { name: '  Pat Smith ' } });
    const list = await api.call('GET', `/v1/tenants/${p.tenantId}/contacts`, { as: p.admin });
    const audit = await api.call('GET', `/v1/tenants/${p.tenantId}/audit-events?limit=100`, { as: p.admin });
    // Assess
    expect(first.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    const created = first.find((r) => r.status === 201)!.body;
    expect(renamed.status).toBe(200);
    expect(renamed.body).toEqual({ ...created, email: 'pat@example.test', name: 'Pat Smith' });
    expect(list.body.items.filter((c: { email: string }) => c.email === 'pat@example.test')).toEqual([renamed.body]);
    const added = audit.body.items.filter(
      (e: { action: string; targetId: string }) => e.action === 'contact.added' && e.targetId === 'pat@example.test',
    );
    // one for the add, one for the rename: the four puts that found it already there changed nothing
    expect(added).toHaveLength(2);
    expect(added[0].details).toMatchObject({ renamed: true, previousName: 'Pat', name: 'Pat Smith' });
  });
});
