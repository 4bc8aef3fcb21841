/**
 * The emails end to end: real HTTP, the real outbox in DynamoDB Local, the delivery job and the
 * local SES server. Who gets each email, what it says, that user text is escaped in HTML, that a
 * change that did not happen emails nothing, and that parallel deliveries send each email once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people, setupTenant, startTestApi, type Mail, type People, type TestApi, type Who } from '../helpers/http.ts';
import {
  addContact,
  APP_BASE_URL,
  asGrantee,
  contactsOf,
  deliver,
  mailOf,
  onlyMail,
  pageUrl,
  sessionsUrl,
  shownTime,
} from '../helpers/mail.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ appBaseUrl: APP_BASE_URL });
});
afterAll(async () => api?.stop());

const REQUESTED = /asks for access/;
const GRANTED = /access granted/;
const ADDED = /added to support access/;
const REVOKED = /revoked/;
const ENDED = /has ended/;
const SIGNED_IN = /signed in/;
const DENIED = /denied/;
const APPROVED = /approved/;
const CLOSED = /^Closed:/;

const tenantPath = (p: People) => `/v1/tenants/${p.tenantId}`;
const requestAccess = (p: People, body: Record<string, unknown> = {}, as: Who = p.agent) =>
  api.call('POST', `${tenantPath(p)}/access-requests`, {
    as,
    body: { ticketId: 'TCK-1', reason: 'invoice totals are wrong', scope: { level: 'read-only' }, durationHours: 4, ...body },
  });
const approve = (p: People, requestId: string, as: Who, comment?: string) =>
  api.call('POST', `${tenantPath(p)}/access-requests/${requestId}/approve`, { as, body: comment ? { comment } : {} });
const grant = (p: People, body: Record<string, unknown>, as: Who = p.admin) => api.call('POST', `${tenantPath(p)}/grants`, { as, body });
const revoke = (p: People, grantId: string, as: Who = p.admin, reason?: string) =>
  api.call('POST', `${tenantPath(p)}/grants/${grantId}/revoke`, { as, body: reason ? { reason } : {} });
const person = (w: Who) => `${w.name} <${w.email}>`;

/** Every email addressed to one person only, from the configured sender, with text and HTML. */
function expectWellFormed(m: Mail, to: Who) {
  expect(m.destination.to).toEqual([to.email]);
  expect(m.from).toContain('support-access@example.com');
  expect(m.subject.length).toBeLessThanOrEqual(100);
  expect(m.subject).not.toMatch(/[\r\n]/);
  expect(m.body.text.length).toBeGreaterThan(0);
  expect(m.body.html).toMatch(/^<!doctype html>/i);
}

/** The facts that every email names: the tenant, the reason, the scope and a link to the tenant's page. */
function expectNames(m: Mail, p: People, facts: { reason: string; scope: string; link: string; ticket?: string }) {
  expect(m.body.text).toContain(p.tenantId);
  expect(m.body.text).toContain(facts.reason);
  expect(m.body.text).toContain(facts.scope);
  expect(m.body.text).toContain(facts.link);
  expect(m.body.html).toContain(`href="${facts.link}"`);
  if (facts.ticket) {
    expect(m.body.text).toContain(facts.ticket);
    expect(m.subject + m.body.text).toContain(facts.ticket);
  }
}

describe('a new access request', () => {
  it('emails each authorized contact separately: who asks, ticket, reason, scope, duration, link to approve', async () => {
    // Prepare
    const p = await setupTenant(api);
    // Act
    const req = await requestAccess(p, {
      ticketId: 'TCK-42',
      reason: 'totals are off for <b>March</b> "Q1"',
      scope: { level: 'full', modules: ['billing', 'invoices'] },
      durationHours: 6,
    });
    await deliver(api);
    // Assess
    expect(req.status).toBe(201);
    const link = `${pageUrl(p.tenantId)}/requests/${req.body.requestId}`;
    for (const c of contactsOf(p)) {
      const m = await onlyMail(api, c, REQUESTED);
      expectWellFormed(m, c);
      expect(m.subject).toBe(`Support asks for access to ${p.tenantId} (ticket TCK-42)`);
      expectNames(m, p, {
        reason: 'totals are off for <b>March</b> "Q1"',
        scope: 'full access, modules: billing, invoices',
        link,
        ticket: 'TCK-42',
      });
      expect(m.body.text).toContain(person(p.agent));
      expect(m.body.text).toContain('6 hours from approval');
      expect(m.body.text).toMatch(new RegExp(`Request open until:\\s+${escapeRe(shownTime(req.body.expiresAt))}`));
      expect(m.body.text).toMatch(/approve/i);
      expect(link.startsWith(`${APP_BASE_URL}/`)).toBe(true);
    }
    expect(await mailOf(api, p.user)).toEqual([]);
    expect(await mailOf(api, p.agent)).toEqual([]);
  });

  it('escapes user text in the HTML and keeps it raw in the text', async () => {
    // Prepare
    const p = await setupTenant(api);
    const reason = 'see <b>bold</b> & "quoted" <script>alert(1)</script>';
    // Act
    const req = await requestAccess(p, { reason, ticketId: '<i>T&1</i>' });
    await deliver(api);
    // Assess
    expect(req.status).toBe(201);
    const m = await onlyMail(api, p.contact, REQUESTED);
    expect(m.body.text).toContain(reason);
    expect(m.body.text).toContain('<i>T&1</i>');
    expect(m.body.html).toContain('see &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(m.body.html).toContain('&lt;i&gt;T&amp;1&lt;/i&gt;');
    expect(m.body.html).not.toContain('<b>bold</b>');
    expect(m.body.html).not.toContain('<script>');
    expect(m.body.html).not.toContain('"quoted"');
  });

  it('says how many approvals are needed when the policy asks for more than one', async () => {
    // Prepare
    const p = await setupTenant(api, { approvalsRequired: 2 });
    // Act
    await requestAccess(p);
    await deliver(api);
    // Assess
    const m = await onlyMail(api, p.admin, REQUESTED);
    expect(m.body.text).toContain('2 approvals needed');
  });
});

describe('access switched on', () => {
  it('by an approval emails every contact who has access, why, scope, until when, who approved, how to revoke', async () => {
    // Prepare
    const p = await setupTenant(api);
    const req = await requestAccess(p, {
      ticketId: 'TCK-7',
      reason: 'export fails',
      scope: { level: 'read-only', modules: ['reports'] },
      durationHours: 3,
    });
    // Act
    const ok = await approve(p, req.body.requestId, p.contact, 'go ahead');
    await deliver(api);
    // Assess
    expect(ok.status).toBe(200);
    const g = await api.call('GET', `${tenantPath(p)}/grants/${ok.body.grantId}`, { as: p.admin });
    const link = `${pageUrl(p.tenantId)}/grants/${ok.body.grantId}`;
    for (const c of contactsOf(p)) {
      const m = await onlyMail(api, c, GRANTED);
      expectWellFormed(m, c);
      expect(m.subject).toBe(`Support access granted to ${p.tenantId} (ticket TCK-7)`);
      expectNames(m, p, { reason: 'export fails', scope: 'read-only, modules: reports', link, ticket: 'TCK-7' });
      expect(m.body.text).toMatch(new RegExp(`Who has access:\\s+${escapeRe(person(p.agent))}`));
      expect(m.body.text).toMatch(new RegExp(`Until:\\s+${escapeRe(shownTime(g.body.expiresAt))}`));
      expect(m.body.text).toMatch(new RegExp(`Granted by:\\s+${escapeRe(person(p.contact))}`));
      expect(m.body.text).toMatch(new RegExp(`Approved by:\\s+${escapeRe(person(p.contact))}`));
      expect(m.body.text).toMatch(/revoke/i);
    }
    // v1.1: the requester is told of the approval, and by whom
    const mine = await onlyMail(api, p.agent, APPROVED);
    expectWellFormed(mine, p.agent);
    expect(mine.subject).toBe(`Access on ${p.tenantId} approved (ticket TCK-7)`);
    expect(mine.body.text).toMatch(new RegExp(`Approved by:\\s+${escapeRe(person(p.contact))}`));
    expect(await mailOf(api, p.agent)).toHaveLength(1);
  });

  it('by a tenant admin directly emails the contacts: the whole support team, until when, granted by the admin', async () => {
    // Prepare
    const p = await setupTenant(api);
    // Act
    const g = await grant(p, { reason: 'migration check', scope: { level: 'full' }, durationHours: 8 });
    await deliver(api);
    // Assess
    expect(g.status).toBe(201);
    const link = `${pageUrl(p.tenantId)}/grants/${g.body.grantId}`;
    for (const c of contactsOf(p)) {
      const m = await onlyMail(api, c, GRANTED);
      expectWellFormed(m, c);
      expect(m.subject).toBe(`Support access granted to ${p.tenantId}`);
      expectNames(m, p, { reason: 'migration check', scope: 'full access, every module', link });
      expect(m.body.text).toMatch(/Who has access:\s+the whole support team/);
      expect(m.body.text).toMatch(new RegExp(`Until:\\s+${escapeRe(shownTime(g.body.expiresAt))}`));
      expect(m.body.text).toMatch(new RegExp(`Granted by:\\s+${escapeRe(person(p.admin))}`));
    }
  });

  it('as standing access says it lasts until revoked', async () => {
    // Prepare
    const p = await setupTenant(api, { allowStandingAccess: true });
    // Act
    const g = await grant(p, { reason: 'managed service', scope: { level: 'read-only' }, standing: true, grantees: [asGrantee(p.agent)] });
    await deliver(api);
    // Assess
    expect(g.status).toBe(201);
    for (const c of contactsOf(p)) {
      const m = await onlyMail(api, c, GRANTED);
      expect(m.body.text).toMatch(/Until:\s+until revoked/);
      expect(m.body.text).toContain('until it is revoked');
      expect(m.body.text).toContain(person(p.agent));
    }
  });

  it('by a support lead with an upfront approval names the contact who approved', async () => {
    // Prepare
    const p = await setupTenant(api);
    // Act
    const g = await grant(
      p,
      {
        ticketId: 'TCK-9',
        reason: 'phone approval',
        scope: { level: 'read-only' },
        durationHours: 2,
        approvedBy: p.contact.email,
        grantees: [asGrantee(p.agent)],
      },
      p.lead,
    );
    await deliver(api);
    // Assess
    expect(g.status).toBe(201);
    for (const c of contactsOf(p)) {
      const m = await onlyMail(api, c, GRANTED);
      expectWellFormed(m, c);
      expectNames(m, p, {
        reason: 'phone approval',
        scope: 'read-only, every module',
        link: `${pageUrl(p.tenantId)}/grants/${g.body.grantId}`,
        ticket: 'TCK-9',
      });
      expect(m.body.text).toMatch(new RegExp(`Approved by:\\s+${escapeRe(person(p.contact))}`));
      expect(m.body.text).toMatch(new RegExp(`Granted by:\\s+${escapeRe(person(p.lead))}`));
      expect(m.body.text).toContain(`approval that ${person(p.contact)} gave upfront`);
    }
  });

  it('widened with another grantee emails the contacts who was added', async () => {
    // Prepare
    const p = await setupTenant(api);
    const g = await grant(p, { reason: 'data fix', scope: { level: 'full' }, durationHours: 2, grantees: [asGrantee(p.agent)] });
    // Act
    const added = await api.call('POST', `${tenantPath(p)}/grants/${g.body.grantId}/grantees`, { as: p.lead, body: asGrantee(p.agent2) });
    await deliver(api);
    // Assess
    expect(added.status).toBe(200);
    for (const c of contactsOf(p)) {
      const m = await onlyMail(api, c, ADDED);
      expectWellFormed(m, c);
      expect(m.subject).toBe(`${p.agent2.name} added to support access on ${p.tenantId}`);
      expectNames(m, p, { reason: 'data fix', scope: 'full access', link: `${pageUrl(p.tenantId)}/grants/${g.body.grantId}` });
      expect(m.body.text).toMatch(new RegExp(`Added:\\s+${escapeRe(person(p.agent2))}`));
      expect(m.body.text).toContain(`${person(p.lead)} added ${person(p.agent2)}`);
      expect(m.body.text).toMatch(new RegExp(`Until:\\s+${escapeRe(shownTime(g.body.expiresAt))}`));
    }
  });
});

describe('access switched off', () => {
  it('by a revoke emails the contacts who revoked it and why', async () => {
    // Prepare
    const p = await setupTenant(api);
    const g = await grant(p, { reason: 'short look', scope: { level: 'read-only' }, durationHours: 2 });
    // Act
    const res = await revoke(p, g.body.grantId, p.admin, 'ticket <closed>');
    await deliver(api);
    // Assess
    expect(res.status).toBe(200);
    for (const c of contactsOf(p)) {
      const m = await onlyMail(api, c, REVOKED);
      expectWellFormed(m, c);
      // v1.1: the one end-of-access digest; nobody signed in under this grant
      expect(m.subject).toBe(`Support access to ${p.tenantId} revoked: 0 sessions, 0 s`);
      expectNames(m, p, { reason: 'short look', scope: 'read-only', link: `${pageUrl(p.tenantId)}/grants/${g.body.grantId}` });
      expect(m.body.text).toMatch(new RegExp(`Revoked by:\\s+${escapeRe(person(p.admin))}`));
      expect(m.body.text).toContain('ticket <closed>');
      expect(m.body.html).toContain('ticket &lt;closed&gt;');
      expect(m.body.text).toMatch(new RegExp(`Revoked at:\\s+${escapeRe(shownTime(res.body.endedAt))}`));
      expect(m.body.text).toMatch(/Sessions:\s+nobody signed in under it/);
    }
  });

  it('by expiry emails the contacts once the expiry job has run', async () => {
    // Prepare
    const p = await setupTenant(api);
    const g = await grant(p, { reason: 'one hour only', scope: { level: 'read-only' }, durationHours: 1, grantees: [asGrantee(p.agent)] });
    await deliver(api);
    // Act
    await api.advance(3600 + 5);
    const job = await api.call('POST', '/_local/jobs/expire');
    await deliver(api);
    // Assess
    expect(job.status).toBe(200);
    for (const c of contactsOf(p)) {
      const m = await onlyMail(api, c, ENDED);
      expectWellFormed(m, c);
      // v1.1: the one end-of-access digest; nobody signed in under this grant
      expect(m.subject).toBe(`Support access to ${p.tenantId} has ended: 0 sessions, 0 s`);
      expectNames(m, p, { reason: 'one hour only', scope: 'read-only', link: sessionsUrl(p.tenantId) });
      expect(m.body.text).toMatch(new RegExp(`Ended at:\\s+${escapeRe(shownTime(g.body.expiresAt))}`));
      expect(m.body.text).toMatch(new RegExp(`Who had access:\\s+${escapeRe(person(p.agent))}`));
    }
    // a rerun of the job emails nothing more
    await api.call('POST', '/_local/jobs/expire');
    await deliver(api);
    for (const c of contactsOf(p)) expect(await mailOf(api, c, ENDED)).toHaveLength(1);
  });
});

describe('support signs in', () => {
  it('emails the contacts who signed in and why when notifyOnSignIn is on', async () => {
    // Prepare
    const p = await setupTenant(api, { notifyOnSignIn: true });
    const g = await grant(p, { ticketId: 'TCK-5', reason: 'slow reports', scope: { level: 'read-only' }, durationHours: 2 });
    // Act
    const s = await api.call('POST', `${tenantPath(p)}/sessions`, { as: p.agent, body: { reason: 'reproducing "slow" <report>' } });
    await deliver(api);
    // Assess
    expect(s.status).toBe(201);
    for (const c of contactsOf(p)) {
      const m = await onlyMail(api, c, SIGNED_IN);
      expectWellFormed(m, c);
      expect(m.subject).toBe(`${p.agent.name} from support signed in to ${p.tenantId}`);
      expectNames(m, p, { reason: 'reproducing "slow" <report>', scope: 'read-only', link: sessionsUrl(p.tenantId), ticket: 'TCK-5' });
      expect(m.body.text).toContain('slow reports');
      expect(m.body.text).toMatch(new RegExp(`Who:\\s+${escapeRe(person(p.agent))}`));
      expect(m.body.text).toMatch(new RegExp(`Access until:\\s+${escapeRe(shownTime(g.body.expiresAt))}`));
      expect(m.body.text).toMatch(new RegExp(`Granted by:\\s+${escapeRe(person(p.admin))}`));
      expect(m.body.html).toContain('reproducing &quot;slow&quot; &lt;report&gt;');
    }
  });

  it('emails nothing about the sign-in when notifyOnSignIn is off', async () => {
    // Prepare
    const p = await setupTenant(api, { notifyOnSignIn: false });
    await grant(p, { reason: 'quiet access', scope: { level: 'read-only' }, durationHours: 2 });
    // Act
    const s = await api.call('POST', `${tenantPath(p)}/sessions`, { as: p.agent, body: { reason: 'checking' } });
    await deliver(api);
    // Assess
    expect(s.status).toBe(201);
    for (const c of contactsOf(p)) {
      expect(await mailOf(api, c, GRANTED)).toHaveLength(1);
      expect(await mailOf(api, c, SIGNED_IN)).toEqual([]);
      expect(await mailOf(api, c)).toHaveLength(1);
    }
  });
});

describe('a denied request', () => {
  it('emails the requester who denied it and the comment, and tells every contact who decided', async () => {
    // Prepare
    const p = await setupTenant(api);
    const req = await requestAccess(p, { ticketId: 'TCK-3', reason: 'need a look' });
    // Act
    const res = await api.call('POST', `${tenantPath(p)}/access-requests/${req.body.requestId}/deny`, {
      as: p.contact,
      body: { comment: 'not <now>' },
    });
    await deliver(api);
    // Assess
    expect(res.status).toBe(200);
    const m = await onlyMail(api, p.agent, DENIED);
    expectWellFormed(m, p.agent);
    expect(m.subject).toBe(`Access to ${p.tenantId} denied (ticket TCK-3)`);
    expectNames(m, p, {
      reason: 'need a look',
      scope: 'read-only',
      link: `${pageUrl(p.tenantId)}/requests/${req.body.requestId}`,
      ticket: 'TCK-3',
    });
    expect(m.body.text).toMatch(new RegExp(`Denied by:\\s+${escapeRe(person(p.contact))}`));
    expect(m.body.text).toContain('not <now>');
    expect(m.body.html).toContain('not &lt;now&gt;');
    expect(await mailOf(api, p.agent)).toHaveLength(1);
    // v1.1: every contact learns who decided, so nobody acts on the request email
    for (const c of contactsOf(p)) {
      const closed = await onlyMail(api, c, DENIED);
      expectWellFormed(closed, c);
      expect(closed.subject).toBe(`Closed: support's access request to ${p.tenantId} (ticket TCK-3) was denied`);
      expect(closed.body.text).toMatch(new RegExp(`Outcome:\\s+denied by ${escapeRe(person(p.contact))}`));
      expect(closed.body.text).toContain('not <now>');
      expect(closed.body.html).toContain('not &lt;now&gt;');
      expect(closed.body.html).toContain(`href="${pageUrl(p.tenantId)}/requests/${req.body.requestId}"`);
      expect(await mailOf(api, c, REQUESTED)).toHaveLength(1);
      expect(await mailOf(api, c)).toHaveLength(2); // request.created, then request.decided
    }
  });
});

describe('a change that did not happen emails nothing', () => {
  it('revoking the same grant twice sends one revoke email', async () => {
    // Prepare
    const p = await setupTenant(api);
    const g = await grant(p, { reason: 'twice', scope: { level: 'read-only' }, durationHours: 2 });
    // Act
    const first = await revoke(p, g.body.grantId);
    const second = await revoke(p, g.body.grantId, p.lead);
    await deliver(api);
    // Assess
    expect(first.status).toBe(200);
    expect(second.status).toBe(409);
    for (const c of contactsOf(p)) expect(await mailOf(api, c, REVOKED)).toHaveLength(1);
  });

  it('an approval that loses sends no second grant email', async () => {
    // Prepare
    const p = await setupTenant(api);
    const req = await requestAccess(p);
    // Act
    const won = await approve(p, req.body.requestId, p.contact);
    const lost = await approve(p, req.body.requestId, p.admin);
    await deliver(api);
    // Assess
    expect(won.status).toBe(200);
    expect(lost.status).toBe(409);
    for (const c of contactsOf(p)) expect(await mailOf(api, c, GRANTED)).toHaveLength(1);
  });

  it('a grant refused for lack of a contact leaves nothing to send, even once a contact is added', async () => {
    // Prepare
    const p = people();
    // Act
    const refused = await grant(p, { reason: 'nobody to tell', scope: { level: 'read-only' }, durationHours: 2 });
    const refusedRequest = await requestAccess(p);
    await addContact(api, p, p.contact);
    await deliver(api);
    // Assess
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('NO_AUTHORIZED_CONTACT');
    expect(refusedRequest.status).toBe(409);
    expect(refusedRequest.body.code).toBe('NO_AUTHORIZED_CONTACT');
    expect(await mailOf(api, p.contact)).toEqual([]);
  });

  it('a grant or request over the policy, or an upfront approval by a non-contact, sends nothing', async () => {
    // Prepare
    const p = await setupTenant(api, { maxDurationHours: 4 });
    // Act
    const tooLong = await grant(p, { reason: 'too long', scope: { level: 'read-only' }, durationHours: 5 });
    const standing = await grant(p, { reason: 'forever', scope: { level: 'read-only' }, standing: true });
    const tooLongRequest = await requestAccess(p, { durationHours: 5 });
    const notContact = await grant(
      p,
      { ticketId: 'T', reason: 'x', scope: { level: 'read-only' }, durationHours: 1, approvedBy: p.user.email },
      p.lead,
    );
    await deliver(api);
    // Assess
    expect([tooLong.status, standing.status, tooLongRequest.status, notContact.status]).toEqual([400, 400, 400, 409]);
    expect(tooLong.body.errors[0].path).toBe('durationHours');
    for (const c of contactsOf(p)) expect(await mailOf(api, c)).toEqual([]);
    expect(await mailOf(api, p.agent)).toEqual([]);
  });

  it('five concurrent approvals make one grant and one grant email per contact', async () => {
    // Prepare
    const p = await setupTenant(api);
    const extra = [1, 2, 3].map((i) => ({
      ...p.user,
      sub: `${p.user.sub}-${i}`,
      email: `c${i}@${p.tenantId}.test`,
      name: `Extra Contact ${i}`,
    }));
    for (const c of extra) await addContact(api, p, c);
    const req = await requestAccess(p);
    const approvers = [p.admin, p.contact, ...extra];
    // Act
    const results = await Promise.all(approvers.map((a) => approve(p, req.body.requestId, a)));
    await deliver(api);
    // Assess
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409]);
    const read = await api.call('GET', `${tenantPath(p)}/access-requests/${req.body.requestId}`, { as: p.admin });
    expect(read.body.status).toBe('APPROVED');
    expect(read.body.approvals).toHaveLength(1);
    const grants = await api.call('GET', `${tenantPath(p)}/grants`, { as: p.admin });
    expect(grants.body.items).toHaveLength(1);
    expect(grants.body.items[0].grantId).toBe(read.body.grantId);
    for (const c of approvers) {
      const m = await onlyMail(api, c, GRANTED);
      expect(m.body.text).toContain(`/grants/${read.body.grantId}`);
    }
  });

  it('concurrent revokes send one revoke email', async () => {
    // Prepare
    const p = await setupTenant(api);
    const g = await grant(p, { reason: 'race', scope: { level: 'read-only' }, durationHours: 2, grantees: [asGrantee(p.agent)] });
    // Act
    const results = await Promise.all([p.admin, p.lead, p.agent, p.admin, p.lead].map((w) => revoke(p, g.body.grantId, w)));
    await deliver(api);
    // Assess
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409]);
    for (const c of contactsOf(p)) expect(await mailOf(api, c, REVOKED)).toHaveLength(1);
  });
});

describe('delivery runs in parallel', () => {
  it('sends each email once to each recipient however many deliveries run at the same time', async () => {
    // Prepare
    const p = await setupTenant(api);
    const req = await requestAccess(p);
    const approved = await approve(p, req.body.requestId, p.contact);
    const direct = await grant(p, { reason: 'second grant', scope: { level: 'read-only' }, durationHours: 1 });
    await revoke(p, direct.body.grantId);
    const denied = await requestAccess(p, { ticketId: 'TCK-D' });
    await api.call('POST', `${tenantPath(p)}/access-requests/${denied.body.requestId}/deny`, { as: p.admin, body: {} });
    // Act
    const reports = await Promise.all(Array.from({ length: 6 }, () => deliver(api)));
    await Promise.all(Array.from({ length: 3 }, () => deliver(api)));
    // Assess
    expect(approved.status).toBe(200);
    expect(reports.reduce((n, r) => n + r.sent, 0)).toBeGreaterThanOrEqual(6);
    for (const c of contactsOf(p)) {
      expect(await mailOf(api, c, REQUESTED)).toHaveLength(2);
      expect(await mailOf(api, c, GRANTED)).toHaveLength(2);
      expect(await mailOf(api, c, REVOKED)).toHaveLength(1);
      expect(await mailOf(api, c, CLOSED)).toHaveLength(1); // v1.1: who denied the second request
      expect(await mailOf(api, c)).toHaveLength(6);
    }
    // v1.1: the requester hears of the approval as well as the denial
    expect(await mailOf(api, p.agent, APPROVED)).toHaveLength(1);
    expect(await mailOf(api, p.agent, DENIED)).toHaveLength(1);
    expect(await mailOf(api, p.agent)).toHaveLength(2);
  });
});

function escapeRe(s: string) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
