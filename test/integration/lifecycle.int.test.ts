/**
 * The grant lifecycle (API v1.1) through the real stack (HTTP, the handlers, DynamoDB Local, the
 * expiry job and the local SES store): policy and contact tiers, extensions at once and by
 * request, warnings and escalations sent once, who is told what, and the end-of-access digest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { documentClient } from '../../lambdas/runtime/clients.ts';
import { localDynamoClient } from '../../local/dynamodb.ts';
import { setupTenant, startTestApi, type TestApi, ok } from '../helpers/http.ts';
import { expectConsistent, HOUR, lifecycleOf, t } from '../helpers/lifecycle.ts';
import { deliver, onlyMail } from '../helpers/mail.ts';

let api: TestApi;
const doc = documentClient(localDynamoClient(inject('dynamoEndpoint')));
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.stop();
  doc.destroy();
});
const { grantFor, extend, runJob, state } = lifecycleOf(() => api, doc);

describe('policy and contacts (v1.1 fields)', () => {
  it('answers the defaults for a tenant without a policy and for a policy stored without the new fields', async () => {
    const p = await setupTenant(api);
    const res = await ok(api.call('GET', `${t(p)}/policy`, { as: p.admin }), 200, 'policy');
    expect(res.body).toMatchObject({ expiryWarningMinutes: 30, escalateAfterMinutes: 0, timeZone: 'UTC', allowUpfrontApproval: true });
    // A v1 client's whole policy (no v1.1 fields) is still a whole policy: the new ones take their defaults.
    const put = await ok(
      api.call('PUT', `${t(p)}/policy`, {
        as: p.admin,
        body: { maxDurationHours: 24, allowStandingAccess: false, approvalsRequired: 1, requestTtlHours: 12, notifyOnSignIn: true },
      }),
      200,
      'v1 policy',
    );
    expect(put.body).toMatchObject({ maxDurationHours: 24, expiryWarningMinutes: 30, escalateAfterMinutes: 0, timeZone: 'UTC' });
  });

  it('keeps the IANA zones the runtime knows and refuses any other, and the bounds of the minutes, naming the field', async () => {
    const p = await setupTenant(api);
    const base = { maxDurationHours: 72, allowStandingAccess: false, approvalsRequired: 1, requestTtlHours: 12, notifyOnSignIn: true };
    const good = await ok(
      api.call('PUT', `${t(p)}/policy`, {
        as: p.admin,
        body: { ...base, timeZone: 'Europe/Prague', expiryWarningMinutes: 1440, escalateAfterMinutes: 10080 },
      }),
      200,
      'good',
    );
    expect(good.body.timeZone).toBe('Europe/Prague');
    for (const [field, value] of [
      ['timeZone', 'Mars/Olympus_Mons'],
      ['timeZone', 'europe/prague '],
      ['expiryWarningMinutes', 1441],
      ['expiryWarningMinutes', -1],
      ['escalateAfterMinutes', 10081],
      ['escalateAfterMinutes', 1.5],
    ] as const) {
      const res = await api.call('PUT', `${t(p)}/policy`, { as: p.admin, body: { ...base, [field]: value } });
      expect(res.status, `${field}=${value}`).toBe(400);
      expect(
        res.body.errors.map((e: { path: string }) => e.path),
        `${field}=${value}`,
      ).toContain(field);
    }
    // Nothing of the refused ones was kept.
    expect((await api.call('GET', `${t(p)}/policy`, { as: p.admin })).body.timeZone).toBe('Europe/Prague');
  });

  it('stores a contact tier (primary by default), keeps it on a rename, and refuses an unknown tier', async () => {
    const p = await setupTenant(api);
    const path = `${t(p)}/contacts/${encodeURIComponent(p.contact2.email)}`;
    expect((await ok(api.call('PUT', path, { as: p.admin, body: { name: 'Cody', tier: 'backup' } }), 201, 'backup')).body.tier).toBe(
      'backup',
    );
    expect((await ok(api.call('PUT', path, { as: p.admin, body: { name: 'Cody C.' } }), 200, 'rename')).body.tier).toBe('backup');
    const bad = await api.call('PUT', path, { as: p.admin, body: { name: 'Cody', tier: 'tertiary' } });
    expect(bad.status).toBe(400);
    const list = (await ok(api.call('GET', `${t(p)}/contacts`, { as: p.admin }), 200, 'list')).body.items as {
      email: string;
      tier: string;
    }[];
    expect(Object.fromEntries(list.map((c) => [c.email, c.tier]))).toEqual({
      [p.admin.email]: 'primary',
      [p.contact.email]: 'primary',
      [p.contact2.email]: 'backup',
    });
  });
});

describe('extensions', () => {
  it('a tenant admin extends the same grant at once: its end, the access check and the audit trail move; the contacts are told', async () => {
    const p = await setupTenant(api);
    const g = await grantFor(p, p.agent);
    const res = await ok(extend(p, g.grantId, p.admin, 3), 200, 'extend');
    expect(res.body).toMatchObject({ grantId: g.grantId, status: 'ACTIVE' });
    expect(Date.parse(res.body.expiresAt) - Date.parse(g.expiresAt)).toBe(3 * HOUR);
    expect((await api.call('GET', `${t(p)}/access`, { as: p.agent })).body.expiresAt).toBe(res.body.expiresAt);
    const grants = (await api.call('GET', `${t(p)}/grants`, { as: p.admin })).body.items;
    expect(grants).toHaveLength(1);
    const audit = (await api.call('GET', `${t(p)}/audit-events`, { as: p.admin })).body.items;
    expect(audit[0]).toMatchObject({
      action: 'grant.extended',
      targetId: g.grantId,
      details: { hours: 3, previousExpiresAt: g.expiresAt, expiresAt: res.body.expiresAt },
    });
    await deliver(api);
    const mail = await onlyMail(api, p.contact, /extended by 3 hours/);
    expect(mail.body.text).toContain('Ada Admin');
    expect(mail.body.html).toContain('Revoke this access at any time');
    expectConsistent(await state(p));
  });

  it('refuses what is not extensible, changing nothing: over the policy, standing access, an ended grant, a stranger', async () => {
    const p = await setupTenant(api, { maxDurationHours: 4, allowStandingAccess: true });
    const g = await grantFor(p, p.agent);
    const over = await extend(p, g.grantId, p.admin, 5);
    expect(over.status).toBe(400);
    expect(over.body.errors[0].path).toBe('hours');
    const standing = (
      await ok(
        api.call('POST', `${t(p)}/grants`, { as: p.admin, body: { reason: 'always', scope: { level: 'read-only' }, standing: true } }),
        201,
        'standing',
      )
    ).body;
    expect((await extend(p, standing.grantId, p.admin)).status).toBe(409);
    // Not a grantee of a named grant: no asking for it.
    expect((await extend(p, g.grantId, p.agent2)).status).toBe(403);
    expect((await extend(p, g.grantId, p.contact)).status).toBe(403);
    await ok(api.call('POST', `${t(p)}/grants/${g.grantId}/revoke`, { as: p.admin, body: {} }), 200, 'revoke');
    expect((await extend(p, g.grantId, p.admin)).status).toBe(409);
    expect((await extend(p, g.grantId, p.agent)).status).toBe(409);
    const after = await api.call('GET', `${t(p)}/grants/${g.grantId}`, { as: p.admin });
    expect(after.body.expiresAt).toBe(g.expiresAt);
    expect((await api.call('GET', `${t(p)}/access-requests`, { as: p.admin })).body.items).toEqual([]);
  });

  it('a grantee asks; a contact approves from the request; the SAME grant ends later, no second grant; the requester is told', async () => {
    const p = await setupTenant(api);
    const g = await grantFor(p, p.agent);
    const asked = await ok(extend(p, g.grantId, p.agent, 2, 'need two more hours'), 201, 'ask');
    expect(asked.body).toMatchObject({
      kind: 'extension',
      grantId: g.grantId,
      status: 'PENDING',
      durationHours: 2,
      reason: 'need two more hours',
      requestedBy: { id: p.agent.sub },
    });
    await deliver(api);
    const ask = await onlyMail(api, p.contact, /asks for 2 hours more/);
    expect(ask.body.text).toContain(`/requests/${asked.body.requestId}`);
    // The requester cannot approve it; the contact can.
    expect((await api.call('POST', `${t(p)}/access-requests/${asked.body.requestId}/approve`, { as: p.agent, body: {} })).status).toBe(403);
    const approved = await ok(
      api.call('POST', `${t(p)}/access-requests/${asked.body.requestId}/approve`, { as: p.contact, body: { comment: 'ok' } }),
      200,
      'approve',
    );
    expect(approved.body).toMatchObject({ status: 'APPROVED', kind: 'extension', grantId: g.grantId, decidedBy: { id: p.contact.sub } });
    const after = (await api.call('GET', `${t(p)}/grants/${g.grantId}`, { as: p.admin })).body;
    expect(Date.parse(after.expiresAt) - Date.parse(g.expiresAt)).toBe(2 * HOUR);
    expect((await api.call('GET', `${t(p)}/grants`, { as: p.admin })).body.items).toHaveLength(1);
    await deliver(api);
    const told = await onlyMail(api, p.agent, /More time on .* approved/);
    expect(told.body.text).toContain('Cleo Contact');
    const contacts = await onlyMail(api, p.admin, /extended by 2 hours/);
    expect(contacts.body.text).toContain('Cleo Contact');
    expectConsistent(await state(p));
  });

  it('needs the quorum, one person one vote, as any request', async () => {
    const p = await setupTenant(api, { approvalsRequired: 2 });
    const g = await grantFor(p, p.agent);
    const asked = await ok(extend(p, g.grantId, p.lead), 201, 'lead asks');
    const r = `${t(p)}/access-requests/${asked.body.requestId}`;
    await ok(api.call('POST', `${r}/approve`, { as: p.contact, body: {} }), 200, 'first vote');
    expect((await api.call('GET', `${t(p)}/grants/${g.grantId}`, { as: p.admin })).body.expiresAt).toBe(g.expiresAt);
    // Another account with the same email is the same person.
    const twin = { ...p.contact, sub: `${p.contact.sub}-twin` };
    expect((await api.call('POST', `${r}/approve`, { as: twin, body: {} })).status).toBe(409);
    await ok(api.call('POST', `${r}/approve`, { as: p.admin, body: {} }), 200, 'second vote');
    expect(
      Date.parse((await api.call('GET', `${t(p)}/grants/${g.grantId}`, { as: p.admin })).body.expiresAt) - Date.parse(g.expiresAt),
    ).toBe(2 * HOUR);
    expectConsistent(await state(p), 2);
  });

  it('a grant that ends while its extension is PENDING makes the request EXPIRED, and the requester is told', async () => {
    const p = await setupTenant(api);
    const g = await grantFor(p, p.agent);
    const asked = await ok(extend(p, g.grantId, p.agent), 201, 'ask');
    await ok(api.call('POST', `${t(p)}/grants/${g.grantId}/revoke`, { as: p.admin, body: { reason: 'done' } }), 200, 'revoke');
    const r = await api.call('GET', `${t(p)}/access-requests/${asked.body.requestId}`, { as: p.admin });
    expect(r.body.status).toBe('EXPIRED');
    expect((await api.call('POST', `${t(p)}/access-requests/${asked.body.requestId}/approve`, { as: p.contact, body: {} })).status).toBe(
      409,
    );
    await deliver(api);
    await onlyMail(api, p.agent, /extension request .* lapsed/);
    expectConsistent(await state(p));
  });

  it('an extension approved after the grant ran out changes nothing (409); the expiry job then lapses it', async () => {
    const p = await setupTenant(api);
    const g = await grantFor(p, p.agent, 1);
    const asked = await ok(extend(p, g.grantId, p.agent), 201, 'ask');
    await api.advance(3601);
    const res = await api.call('POST', `${t(p)}/access-requests/${asked.body.requestId}/approve`, { as: p.contact, body: {} });
    expect(res.status).toBe(409);
    expect((await api.call('GET', `${t(p)}/grants/${g.grantId}`, { as: p.admin })).body).toMatchObject({
      status: 'EXPIRED',
      expiresAt: g.expiresAt,
    });
    await runJob();
    expect((await api.call('GET', `${t(p)}/access-requests/${asked.body.requestId}`, { as: p.admin })).body.status).toBe('EXPIRED');
    expectConsistent(await state(p));
  });
});

describe('who is told what', () => {
  it('a denial: the requester is told, and every contact learns who decided', async () => {
    const p = await setupTenant(api);
    const asked = await ok(
      api.call('POST', `${t(p)}/access-requests`, {
        as: p.agent,
        body: { ticketId: 'T-7', reason: 'look', scope: { level: 'read-only' }, durationHours: 1 },
      }),
      201,
      'ask',
    );
    await ok(
      api.call('POST', `${t(p)}/access-requests/${asked.body.requestId}/deny`, { as: p.contact, body: { comment: 'not now' } }),
      200,
      'deny',
    );
    await deliver(api);
    await onlyMail(api, p.agent, /denied/);
    const closed = await onlyMail(api, p.admin, /^Closed:/);
    expect(closed.body.text).toContain('Cleo Contact');
    expect(closed.body.text).toContain('not now');
  });

  it('a request that lapses unanswered: the requester and the contacts are told', async () => {
    const p = await setupTenant(api, { requestTtlHours: 1 });
    await ok(
      api.call('POST', `${t(p)}/access-requests`, {
        as: p.agent,
        body: { ticketId: 'T-8', reason: 'look', scope: { level: 'read-only' }, durationHours: 1 },
      }),
      201,
      'ask',
    );
    await api.advance(3601);
    await runJob();
    await deliver(api);
    await onlyMail(api, p.agent, /lapsed/);
    await onlyMail(api, p.contact, /^Closed:.*not answered/);
  });

  it('an approval: the requester is told', async () => {
    const p = await setupTenant(api);
    const asked = await ok(
      api.call('POST', `${t(p)}/access-requests`, {
        as: p.agent,
        body: { ticketId: 'T-6', reason: 'look', scope: { level: 'read-only' }, durationHours: 1 },
      }),
      201,
      'ask',
    );
    await ok(api.call('POST', `${t(p)}/access-requests/${asked.body.requestId}/approve`, { as: p.contact, body: {} }), 200, 'approve');
    await deliver(api);
    await onlyMail(api, p.agent, /Access on .* approved/);
  });

  it('the end of a grant sends the contacts one digest of every session under it', async () => {
    const p = await setupTenant(api, { timeZone: 'Europe/Prague' });
    const g = await grantFor(p, p.agent);
    const s1 = await ok(
      api.call('POST', `${t(p)}/sessions`, { as: p.agent, body: { reason: 'first look', grantId: g.grantId } }),
      201,
      'in',
    );
    await api.advance(20 * 60);
    await ok(api.call('POST', `${t(p)}/sessions/${s1.body.sessionId}/end`, { as: p.agent, body: {} }), 200, 'out');
    await ok(api.call('POST', `${t(p)}/sessions`, { as: p.agent, body: { reason: 'second look', grantId: g.grantId } }), 201, 'in again');
    await api.advance(10 * 60);
    await ok(api.call('POST', `${t(p)}/grants/${g.grantId}/revoke`, { as: p.admin, body: { reason: 'fixed' } }), 200, 'revoke');
    await deliver(api);
    const digest = await onlyMail(api, p.contact, /revoked: 2 sessions, 30 min/);
    expect(digest.body.text).toContain('first look');
    expect(digest.body.text).toContain('second look');
    expect(digest.body.text).toContain('20 min');
    expect(digest.body.text).toContain('ended by the revoke');
    expect(digest.body.text).toContain('Europe/Prague');
    expect(digest.body.html.match(/<a /g)).toHaveLength(1);
  });
});
