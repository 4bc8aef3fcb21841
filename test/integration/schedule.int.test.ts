/**
 * The local schedule: the expiry job runs on its own (every minute under `npm start`; faster
 * here) on the local clock, and due mail goes out without anyone asking.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, setupTenant, startTestApi, type TestApi } from '../helpers/http.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ expireEveryMs: 200, deliverEveryMs: 200 });
});
afterAll(async () => api?.stop());

describe('the schedule', () => {
  it('expires a grant once the local clock passes its end, records it, and mails the contacts', async () => {
    // Prepare
    const p = await setupTenant(api);
    const g = await api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
      as: p.admin,
      body: { ticketId: 'T-TICK', reason: 'timer', scope: { level: 'read-only' }, durationHours: 1 },
    });
    // Act: nobody calls the job
    await api.advance(3600);
    // Assess
    const audit = await eventually(async () => {
      const res = await api.call('GET', `/v1/tenants/${p.tenantId}/audit-events`, { as: p.admin });
      const expired = res.body.items.filter(
        (e: { action: string; targetId: string }) => e.action === 'grant.expired' && e.targetId === g.body.grantId,
      );
      expect(expired).toHaveLength(1);
      return expired;
    });
    expect(audit[0].actor).toEqual({ id: 'system' });
    await eventually(async () => {
      const mail = await api.mailTo(p.contact.email);
      // v1.1: the end-of-access digest (nobody signed in under this grant)
      expect(mail.map((m) => m.subject)).toContain(`Support access to ${p.tenantId} has ended: 0 sessions, 0 s`);
    });
  });
});
