/**
 * The expiry job's warnings and escalations through the real stack: the grantees warned
 * expiryWarningMinutes before the end (the end shown in UTC and the tenant's zone), new requests
 * escalated to the backups after escalateAfterMinutes, each once, and the reminder where there is
 * no backup contact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { documentClient } from '../../lambdas/runtime/clients.ts';
import { localDynamoClient } from '../../local/dynamodb.ts';
import { setupTenant, startTestApi, type TestApi, ok } from '../helpers/http.ts';
import { lifecycleOf, t } from '../helpers/lifecycle.ts';
import { deliver, mailOf, onlyMail, shownPragueTime } from '../helpers/mail.ts';

let api: TestApi;
const doc = documentClient(localDynamoClient(inject('dynamoEndpoint')));
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.stop();
  doc.destroy();
});
const { grantFor, extend, runJob } = lifecycleOf(() => api, doc);

describe('the expiry job: warnings and escalations, each once', () => {
  it('warns the grantees expiryWarningMinutes before the end, once; an extension owes a new warning', async () => {
    const p = await setupTenant(api, { expiryWarningMinutes: 30, timeZone: 'Europe/Prague' });
    const g = await grantFor(p, p.agent, 1);
    await api.advance(29 * 60);
    expect((await runJob()).grantsWarned).toBe(0);
    await api.advance(2 * 60);
    const first = await runJob();
    expect(first.grantsWarned).toBeGreaterThanOrEqual(1);
    expect((await runJob()).grantsWarned).toBe(0);
    await deliver(api);
    const warning = await onlyMail(api, p.agent, /access to .* ends/);
    expect(warning.body.text).toContain(`/grants/${g.grantId}`);
    expect(warning.body.html).toContain('>Ask for more time</a>');
    // The end in UTC and in the tenant's zone, with Prague's day when it is not the UTC day.
    expect(warning.body.text).toContain(`ends ${shownPragueTime(g.expiresAt)}`);
    await ok(extend(p, g.grantId, p.admin, 1), 200, 'extend');
    await api.advance(60 * 60);
    expect((await runJob()).grantsWarned).toBeGreaterThanOrEqual(1);
    await deliver(api);
    expect(await mailOf(api, p.agent, /access to .* ends/)).toHaveLength(2);
  });

  it('emails new requests to the primary contacts only, and escalates to the backups once after escalateAfterMinutes', async () => {
    const p = await setupTenant(api, { escalateAfterMinutes: 10 });
    await ok(
      api.call('PUT', `${t(p)}/contacts/${encodeURIComponent(p.contact2.email)}`, {
        as: p.admin,
        body: { name: p.contact2.name, tier: 'backup' },
      }),
      201,
      'backup',
    );
    const asked = await ok(
      api.call('POST', `${t(p)}/access-requests`, {
        as: p.agent,
        body: { ticketId: 'T-9', reason: 'urgent', scope: { level: 'read-only' }, durationHours: 1 },
      }),
      201,
      'ask',
    );
    await deliver(api);
    await onlyMail(api, p.contact, /asks for access/);
    expect(await mailOf(api, p.contact2, /asks for access/)).toEqual([]);
    await api.advance(11 * 60);
    expect((await runJob()).requestsEscalated).toBeGreaterThanOrEqual(1);
    expect((await runJob()).requestsEscalated).toBe(0);
    await deliver(api);
    const escalated = await onlyMail(api, p.contact2, /Waiting for an answer/);
    expect(escalated.body.text).toContain(`/requests/${asked.body.requestId}`);
    expect(escalated.body.text).toContain('As a backup contact you may approve or deny it');
    expect(await mailOf(api, p.contact, /Waiting for an answer|Reminder/)).toEqual([]);
    const audit = (await api.call('GET', `${t(p)}/audit-events`, { as: p.admin })).body.items;
    expect(audit.filter((e: { action: string }) => e.action === 'request.escalated')).toHaveLength(1);
    // A backup contact decides like a primary one.
    await ok(
      api.call('POST', `${t(p)}/access-requests/${asked.body.requestId}/approve`, { as: p.contact2, body: {} }),
      200,
      'backup approves',
    );
  });
});

describe('escalation in a tenant with no backup contact', () => {
  it('reminds the primary contacts once instead of escalating to nobody; a rerun sends nothing twice', async () => {
    // Prepare: the two contacts of `setupTenant` are both primary; nobody is a backup.
    const p = await setupTenant(api, { escalateAfterMinutes: 10 });
    const contacts = (await api.call('GET', `${t(p)}/contacts`, { as: p.admin })).body.items;
    expect(contacts.map((c: { tier: string }) => c.tier)).toEqual(['primary', 'primary']);
    const asked = await ok(
      api.call('POST', `${t(p)}/access-requests`, {
        as: p.agent,
        body: { ticketId: 'T-11', reason: 'nobody answers', scope: { level: 'read-only' }, durationHours: 1 },
      }),
      201,
      'ask',
    );
    await deliver(api);
    // Act: the job runs past escalateAfterMinutes, then again, and later once more.
    await api.advance(9 * 60);
    expect((await runJob()).requestsEscalated).toBe(0);
    await api.advance(2 * 60);
    expect((await runJob()).requestsEscalated).toBeGreaterThanOrEqual(1);
    expect((await runJob()).requestsEscalated).toBe(0);
    await deliver(api);
    await api.advance(60 * 60);
    await runJob();
    await deliver(api);
    // Assess: each contact got the request, then exactly one reminder that says it is one.
    for (const who of [p.admin, p.contact]) {
      await onlyMail(api, who, /asks for access/);
      const reminder = await onlyMail(api, who, /^Reminder: support still waits for an answer/);
      expect(reminder.body.text).toContain('no backup contact');
      expect(reminder.body.text).toContain(`/requests/${asked.body.requestId}`);
      expect(reminder.body.html).toContain('>Review and approve or deny</a>');
      expect(await mailOf(api, who, /Waiting for an answer/)).toEqual([]);
    }
    const audit = (await api.call('GET', `${t(p)}/audit-events`, { as: p.admin })).body.items;
    const escalations = audit.filter((e: { action: string }) => e.action === 'request.escalated');
    expect(escalations).toHaveLength(1);
    expect(escalations[0].details).toMatchObject({ as: 'reminder' });
    // The reminded contact still decides as before.
    await ok(api.call('POST', `${t(p)}/access-requests/${asked.body.requestId}/approve`, { as: p.contact, body: {} }), 200, 'approve');
  });
});
