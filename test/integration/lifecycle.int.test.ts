/**
 * The grant lifecycle (API v1.1) through the real stack (HTTP, the handlers, DynamoDB Local, the
 * expiry job and the local SES store): policy and contact tiers, extensions at once and by
 * request, warnings and escalations sent once, who is told what, and the end-of-access digest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { documentClient } from '../../lambdas/runtime/clients.ts';
import { localDynamoClient } from '../../local/dynamodb.ts';
import { expectConsistent, tenantItems } from '../helpers/invariants.ts';
import { setupTenant, startTestApi, type People, type TestApi, type Who, ok } from '../helpers/http.ts';
import { asGrantee, deliver, mailOf, onlyMail } from '../helpers/mail.ts';

let api: TestApi;
const doc = documentClient(localDynamoClient(inject('dynamoEndpoint')));
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.stop();
  doc.destroy();
});

const HOUR = 3_600_000;
const t = (p: People) => `/v1/tenants/${p.tenantId}`;

/** A named grant for the agent, made by the admin. */
const grantFor = async (p: People, who: Who, durationHours = 2) =>
  (
    await ok(
      api.call('POST', `${t(p)}/grants`, {
        as: p.admin,
        body: { reason: 'look at the export', scope: { level: 'read-only' }, durationHours, grantees: [asGrantee(who)] },
      }),
      201,
      'grant',
    )
  ).body;

const extend = (p: People, grantId: string, as: Who, hours = 2, reason = 'the export needs another run') =>
  api.call('POST', `${t(p)}/grants/${grantId}/extensions`, { as, body: { hours, reason } });

async function runJob() {
  const res = await ok(api.call('POST', '/_local/jobs/expire'), 200, 'expire');
  // The local job answers the expiry report (possibly nested with the audit sealing's).
  return (res.body.expiry ?? res.body) as {
    grantsWarned: number;
    requestsEscalated: number;
    grantsExpired: number;
    requestsExpired: number;
  };
}

async function state(p: People) {
  return tenantItems(doc, api.stack.tableName, p.tenantId);
}

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
    // A time in UTC and in the tenant's zone.
    expect(warning.body.text).toMatch(/\d{1,2}:\d{2} UTC \(\d{2}:\d{2} Europe\/Prague\)/);
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

describe('races on extensions: exactly one consistent outcome each', () => {
  const ROUNDS = [1, 2, 3];

  it.each(ROUNDS)('an extension approved while the grant is revoked (#%i)', async () => {
    // Prepare
    const p = await setupTenant(api);
    const g = await grantFor(p, p.agent);
    const asked = await ok(extend(p, g.grantId, p.agent), 201, 'ask');
    await Promise.all([p.admin, p.contact, p.lead].map((w) => api.token(w)));
    // Act
    const [approve, revoke, revoke2] = await Promise.all([
      api.call('POST', `${t(p)}/access-requests/${asked.body.requestId}/approve`, { as: p.contact, body: {} }),
      api.call('POST', `${t(p)}/grants/${g.grantId}/revoke`, { as: p.admin, body: { reason: 'race' } }),
      api.call('POST', `${t(p)}/grants/${g.grantId}/revoke`, { as: p.lead, body: { reason: 'race' } }),
    ]);
    // Assess: one revoke won; the approval either moved the grant before it ended, or lapsed with it.
    expect([revoke.status, revoke2.status].sort()).toEqual([200, 409]);
    const s = await state(p);
    expectConsistent(s);
    const r = s.requests.find((x) => x.requestId === asked.body.requestId)!;
    const grant = s.grants.find((x) => x.grantId === g.grantId)!;
    expect(grant.status).toBe('REVOKED');
    if (approve.status === 200) {
      expect(r.status).toBe('APPROVED');
      expect(Date.parse(grant.expiresAt) - Date.parse(g.expiresAt)).toBe(2 * HOUR);
    } else {
      expect(approve.status).toBe(409);
      expect(r.status).toBe('EXPIRED');
      expect(grant.expiresAt).toBe(g.expiresAt);
    }
  });

  it.each(ROUNDS)('an extension approved as the grant expires, with the expiry job running (#%i)', async () => {
    // Prepare: the grant falls due while the calls race.
    const p = await setupTenant(api);
    const g = await grantFor(p, p.agent, 1);
    const asked = await ok(extend(p, g.grantId, p.agent), 201, 'ask');
    await api.token(p.contact);
    const now = Date.parse((await api.call('GET', '/_local/clock')).body.now);
    await api.advance((Date.parse(g.expiresAt) - now) / 1000 - 0.2);
    // Act
    const [approve] = await Promise.all([
      api.call('POST', `${t(p)}/access-requests/${asked.body.requestId}/approve`, { as: p.contact, body: {} }),
      api.call('POST', '/_local/jobs/expire'),
      new Promise((r) => setTimeout(r, 150)).then(() => api.advance(0.5)).then(() => api.call('POST', '/_local/jobs/expire')),
    ]);
    await runJob();
    // Assess
    const s = await state(p);
    expectConsistent(s);
    const r = s.requests.find((x) => x.requestId === asked.body.requestId)!;
    const grant = s.grants.find((x) => x.grantId === g.grantId)!;
    if (approve.status === 200) {
      expect(r.status).toBe('APPROVED');
      expect(grant.status).toBe('ACTIVE');
      expect(Date.parse(grant.expiresAt) - Date.parse(g.expiresAt)).toBe(2 * HOUR);
    } else {
      expect(approve.status).toBe(409);
      expect(r.status).toBe('EXPIRED');
      expect(grant).toMatchObject({ status: 'EXPIRED', expiresAt: g.expiresAt });
    }
  });

  it.each(ROUNDS)('two extensions of one grant approved together, and an admin extending meanwhile (#%i)', async () => {
    // Prepare
    const p = await setupTenant(api);
    const g = await grantFor(p, p.agent);
    const a = await ok(extend(p, g.grantId, p.agent, 1), 201, 'agent asks');
    const b = await ok(extend(p, g.grantId, p.lead, 2), 201, 'lead asks');
    await Promise.all([p.admin, p.contact].map((w) => api.token(w)));
    // Act
    const answers = await Promise.all([
      api.call('POST', `${t(p)}/access-requests/${a.body.requestId}/approve`, { as: p.contact, body: {} }),
      api.call('POST', `${t(p)}/access-requests/${b.body.requestId}/approve`, { as: p.admin, body: {} }),
      api.call('POST', `${t(p)}/access-requests/${a.body.requestId}/approve`, { as: p.admin, body: {} }),
      extend(p, g.grantId, p.admin, 4),
    ]);
    // Assess: each request approved once; every extension moved the end it read, none lost.
    expect(answers.map((x) => x.status).sort()).toEqual([200, 200, 200, 409]);
    const s = await state(p);
    expectConsistent(s);
    expect(s.requests.map((x) => x.status)).toEqual(['APPROVED', 'APPROVED']);
    expect(s.grants).toHaveLength(1);
    expect(Date.parse(s.grants[0]!.expiresAt) - Date.parse(g.expiresAt)).toBe(7 * HOUR);
  });
});

describe('CSV export of the login history and the audit trail', () => {
  /** Parses RFC 4180 text (quoted cells, doubled quotes, CRLF records). */
  function parseCsv(text: string): string[][] {
    const rows: string[][] = [];
    let row: string[] = [];
    let cell = '';
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') {
          cell += '"';
          i++;
        } else if (c === '"') quoted = false;
        else cell += c;
      } else if (c === '"') quoted = true;
      else if (c === ',') {
        row.push(cell);
        cell = '';
      } else if (c === '\r' && text[i + 1] === '\n') {
        row.push(cell);
        rows.push(row);
        row = [];
        cell = '';
        i++;
      } else cell += c;
    }
    return rows;
  }

  it('answers every session of the window as CSV, newest first, with a header row, formula cells neutralised', async () => {
    const p = await setupTenant(api);
    const g = await grantFor(p, p.agent);
    const from = (await api.call('GET', '/_local/clock')).body.now;
    const reasons = ['=HYPERLINK("http://evil")', 'plain, with "quotes"', '+1 call', '-rm', '@SUM(A1)'];
    for (const reason of reasons) {
      const s = await ok(api.call('POST', `${t(p)}/sessions`, { as: p.agent, body: { reason, grantId: g.grantId } }), 201, 'in');
      await api.advance(60);
      await ok(api.call('POST', `${t(p)}/sessions/${s.body.sessionId}/end`, { as: p.agent, body: {} }), 200, 'out');
    }
    const to = (await api.call('GET', '/_local/clock')).body.now;
    // One more, after the window: not exported.
    await ok(api.call('POST', `${t(p)}/sessions`, { as: p.agent, body: { reason: 'later', grantId: g.grantId } }), 201, 'later');
    const res = await api.call('GET', `${t(p)}/sessions?from=${from}&to=${to}`, { as: p.admin, headers: { accept: 'text/csv' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename=".*\.csv"/);
    const rows = parseCsv(res.body as string);
    expect(rows[0]).toEqual([
      'sessionId',
      'grantId',
      'accessedById',
      'accessedByEmail',
      'accessedByName',
      'reason',
      'signInAt',
      'signOutAt',
      'endedBy',
      'grantedByEmail',
      'sourceIp',
      'userAgent',
    ]);
    expect(rows.slice(1).map((r) => r[5])).toEqual(
      ['\'=HYPERLINK("http://evil")', 'plain, with "quotes"', "'+1 call", "'-rm", "'@SUM(A1)"].reverse(),
    );
    expect(rows.slice(1).every((r) => r[1] === g.grantId && r[3] === p.agent.email && r[8] === 'agent')).toBe(true);
    // The JSON list takes the same window.
    const json = await api.call('GET', `${t(p)}/sessions?from=${from}&to=${to}`, { as: p.admin });
    expect(json.body.items).toHaveLength(5);
    // And the same person filter: the CSV of someone else's sign-ins is the header alone.
    for (const [who, lines] of [
      [p.agent.email, 6],
      [p.agent2.email, 1],
    ] as const) {
      const one = await api.call('GET', `${t(p)}/sessions?from=${from}&to=${to}&accessedBy=${encodeURIComponent(who)}`, {
        as: p.admin,
        headers: { accept: 'text/csv' },
      });
      expect(parseCsv(one.body as string), who).toHaveLength(lines);
    }
  });

  it('exports the audit trail of a window; refuses a CSV without its window or over 366 days, and a wrong window, naming the field', async () => {
    const p = await setupTenant(api);
    const from = new Date(Date.parse((await api.call('GET', '/_local/clock')).body.now) - 3_600_000).toISOString();
    await grantFor(p, p.agent);
    const to = new Date(Date.parse((await api.call('GET', '/_local/clock')).body.now) + 1).toISOString();
    const res = await api.call('GET', `${t(p)}/audit-events?from=${from}&to=${to}`, { as: p.lead, headers: { accept: 'text/csv' } });
    expect(res.status).toBe(200);
    const rows = parseCsv(res.body as string);
    expect(rows[0]).toEqual(['eventId', 'at', 'actorId', 'actorEmail', 'actorName', 'action', 'targetId', 'details']);
    expect(rows.slice(1).map((r) => r[5])).toEqual(['grant.activated', 'contact.added', 'contact.added']);
    for (const [query, field] of [
      ['', 'query.from'],
      [`?from=${from}`, 'query.to'],
      [`?from=2025-01-01T00:00:00.000Z&to=2026-01-03T00:00:00.000Z`, 'query.to'],
      [`?from=${to}&to=${from}`, 'query.to'],
      [`?from=yesterday&to=${to}`, 'query.from'],
    ]) {
      const bad = await api.call('GET', `${t(p)}/audit-events${query}`, { as: p.admin, headers: { accept: 'text/csv' } });
      expect(bad.status, query).toBe(400);
      expect(
        bad.body.errors.map((e: { path: string }) => e.path),
        query,
      ).toContain(field);
    }
    // A support agent may not export (the route's roles, as for the JSON list).
    expect((await api.call('GET', `${t(p)}/sessions?from=${from}&to=${to}`, { as: p.agent, headers: { accept: 'text/csv' } })).status).toBe(
      403,
    );
  });
});
