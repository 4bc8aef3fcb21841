/** A tenant's audit history through the API, for the audit-chain tests. */
import { setupTenant, type People, type TestApi } from './http.ts';

/** A tenant with some history: contacts, a grant, a sign-in and a revoke, sealed by one job run. */
export async function sealedHistory(api: TestApi): Promise<{ p: People; events: { eventId: string; action: string }[] }> {
  const p = await setupTenant(api);
  const g = await api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
    as: p.admin,
    body: { reason: 'chain', scope: { level: 'read-only' }, durationHours: 1 },
  });
  await api.call('POST', `/v1/tenants/${p.tenantId}/sessions`, { as: p.agent, body: { reason: 'look' } });
  await api.call('POST', `/v1/tenants/${p.tenantId}/grants/${g.body.grantId}/revoke`, { as: p.admin, body: {} });
  await api.call('POST', '/_local/jobs/expire');
  const list = await api.call('GET', `/v1/tenants/${p.tenantId}/audit-events?limit=100`, { as: p.admin });
  return { p, events: [...list.body.items].reverse() };
}
