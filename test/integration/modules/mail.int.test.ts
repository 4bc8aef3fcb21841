/**
 * The email catalogue: every kind names the tenant, the ticket and reason, the people, the scope
 * and the end time, links to the tenant's support-access page, and escapes what users typed.
 * The messages are the ones the services put in the outbox, rendered as delivery would.
 */
import { describe, expect, it } from 'vitest';
import type { MailKind, OutboxRecord } from '../../../lambdas/kernel/ports.ts';
import { addGrantee, createGrant, expireGrant, revokeGrant } from '../../../lambdas/modules/grants/service.ts';
import { linksFrom, readableTime, renderMail, type RenderedMail } from '../../../lambdas/modules/mail/templates.ts';
import { approveRequest, createRequest, denyRequest } from '../../../lambdas/modules/requests/service.ts';
import { signIn } from '../../../lambdas/modules/sessions/service.ts';
import { person, setupTenant, testDeps, type TestDeps, type Tenant } from '../../helpers/domain.ts';

const BASE = 'https://support.example.com/app/';
const links = linksFrom(BASE);
const PAGE = 'https://support.example.com/app/tenants/acme';
const EVIL = '<script>alert("owned")</script>';

/** The newest outbox message of a kind, rendered. */
async function rendered(deps: TestDeps, t: Tenant, kind: MailKind): Promise<{ msg: OutboxRecord; mail: RenderedMail }> {
  const msg = (await deps.store.outboxOf(t.tenantId)).filter((m) => m.kind === kind).at(-1);
  if (!msg) throw new Error(`no ${kind} message in the outbox`);
  return { msg, mail: renderMail(msg, links) };
}

/** The "Label: value" lines of the text part. */
function facts(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((l) => /^([A-Z][A-Za-z ]+):\s+(.*)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
}

const asGrantee = (p: { id: string; email: string; name: string }) => ({ id: p.id, email: p.email, name: p.name });

/** Text is plain: no markup of the template, no HTML entities. */
function expectPlainText(text: string) {
  expect(text).not.toMatch(/<\/?(p|h2|table|tr|td|th|a|html|body)\b/i);
  expect(text).not.toMatch(/&(lt|gt|amp|quot|#39);/);
}

describe('renderMail', () => {
  it('request.created: asks the contacts to approve, with every fact and the link to the request', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { approvalsRequired: 2, requestTtlHours: 12 } });
    const r = await createRequest(deps, t.agent, t.tenantId, {
      ticketId: 'T-7',
      reason: 'invoice totals are wrong',
      scope: { level: 'full', modules: ['billing', 'invoices'] },
      durationHours: 6,
    });
    // Act
    const { mail } = await rendered(deps, t, 'request.created');
    // Assess
    expect(mail.subject).toBe('Support asks for access to acme (ticket T-7)');
    expect(facts(mail.text)).toMatchObject({
      Tenant: 'acme',
      'Requested by': 'Agent Ann <agent-ann@vendor.test>',
      Ticket: 'T-7',
      Reason: 'invoice totals are wrong',
      Scope: 'full access, modules: billing, invoices',
      Duration: '6 hours from approval',
      'Request open until': readableTime('2026-11-24T02:00:00.000Z'),
    });
    expect(mail.text).toContain('2 approvals needed');
    expect(mail.text).toContain(`${PAGE}/requests/${r.requestId}`);
    expect(mail.html).toContain(`href="${PAGE}/requests/${r.requestId}"`);
    expect(mail.text).toContain('because you are an authorized contact');
    expectPlainText(mail.text);
  });

  it('request.denied: tells the requester who denied it, why, and when', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const r = await createRequest(deps, t.agent, t.tenantId, {
      ticketId: 'T-7',
      reason: 'logs',
      scope: { level: 'read-only' },
      durationHours: 2,
    });
    deps.clock.advanceHours(1);
    await denyRequest(deps, t.contact, t.tenantId, r.requestId, 'not during quarter close');
    // Act
    const { msg, mail } = await rendered(deps, t, 'request.denied');
    // Assess
    expect(msg.to).toEqual([t.agent.email]);
    expect(mail.subject).toBe('Access to acme denied (ticket T-7)');
    expect(facts(mail.text)).toMatchObject({
      Tenant: 'acme',
      Ticket: 'T-7',
      Reason: 'logs',
      Scope: 'read-only, every module',
      'Denied by': 'Acme Carol <acme-carol@example.com>',
      'Denied at': readableTime('2026-11-23T15:00:00.000Z'),
    });
    expect(mail.text).toContain('"not during quarter close"');
    expect(mail.text).toContain(`${PAGE}/requests/${r.requestId}`);
    expect(mail.text).toContain('because you asked for this access');
    expectPlainText(mail.text);
  });

  it('grant.activated (tenant admin, support team): who, why, scope, until when, by whom, and how to revoke', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, {
      reason: 'billing bug',
      ticketId: 'T-1',
      scope: { level: 'read-only' },
      durationHours: 4,
    });
    // Act
    const { mail } = await rendered(deps, t, 'grant.activated');
    // Assess
    expect(mail.subject).toBe('Support access granted to acme (ticket T-1)');
    expect(facts(mail.text)).toEqual({
      Tenant: 'acme',
      'Who has access': 'the whole support team',
      Ticket: 'T-1',
      Reason: 'billing bug',
      Scope: 'read-only, every module',
      Until: readableTime('2026-11-23T18:00:00.000Z'),
      'Granted by': 'Acme Admin <acme-admin@example.com>',
      'Approved by': 'Acme Admin <acme-admin@example.com>',
      'Revoke this access at any time': `${PAGE}/grants/${g.grantId}`,
    });
    expectPlainText(mail.text);
  });

  it("grant.activated (standing): says 'until revoked' instead of an end time", async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { allowStandingAccess: true } });
    await createGrant(deps, t.admin, t.tenantId, { reason: 'managed service', scope: { level: 'full' }, standing: true });
    // Act
    const { mail } = await rendered(deps, t, 'grant.activated');
    // Assess
    expect(mail.subject).toBe('Support access granted to acme');
    expect(facts(mail.text)).toMatchObject({
      Until: 'until revoked (standing access)',
      Ticket: '(none)',
      Scope: 'full access, every module',
    });
    expect(mail.text).toContain('until it is revoked');
  });

  it('grant.activated (upfront approval): names the lead and the contact who approved', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    await createGrant(deps, t.lead, t.tenantId, {
      ticketId: 'T-42',
      reason: 'called in',
      scope: { level: 'full', modules: ['users'] },
      durationHours: 2,
      approvedBy: t.contact.email,
      grantees: [asGrantee(t.agent)],
    });
    // Act
    const { mail } = await rendered(deps, t, 'grant.activated');
    // Assess
    expect(facts(mail.text)).toMatchObject({
      'Who has access': 'Agent Ann <agent-ann@vendor.test>',
      'Granted by': 'Lead Lee <lead-lee@vendor.test>',
      'Approved by': 'Acme Carol <acme-carol@example.com>',
      Until: readableTime('2026-11-23T16:00:00.000Z'),
    });
    expect(mail.text).toContain('recorded the approval that Acme Carol <acme-carol@example.com> gave upfront');
  });

  it('grant.activated (access request): names the approvers', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const r = await createRequest(deps, t.agent, t.tenantId, {
      ticketId: 'T-3',
      reason: 'slow page',
      scope: { level: 'read-only' },
      durationHours: 1,
    });
    await approveRequest(deps, t.contact2, t.tenantId, r.requestId, undefined);
    // Act
    const { mail } = await rendered(deps, t, 'grant.activated');
    // Assess
    expect(facts(mail.text)).toMatchObject({
      Ticket: 'T-3',
      Reason: 'slow page',
      'Who has access': 'Agent Ann <agent-ann@vendor.test>',
      'Approved by': 'Acme Dave <acme-dave@example.com>',
      Until: readableTime('2026-11-23T15:00:00.000Z'),
    });
  });

  it('grant.grantee_added: who was added, by whom, on which grant', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, {
      reason: 'billing bug',
      ticketId: 'T-1',
      scope: { level: 'read-only' },
      durationHours: 4,
      grantees: [asGrantee(t.agent)],
    });
    await addGrantee(deps, t.lead, t.tenantId, g.grantId, asGrantee(t.agent2));
    // Act
    const { mail } = await rendered(deps, t, 'grant.grantee_added');
    // Assess
    expect(mail.subject).toBe('Agent Bob added to support access on acme');
    expect(facts(mail.text)).toMatchObject({
      Added: 'Agent Bob <agent-bob@vendor.test>',
      Tenant: 'acme',
      'Who has access': 'Agent Ann <agent-ann@vendor.test>, Agent Bob <agent-bob@vendor.test>',
      Ticket: 'T-1',
      Reason: 'billing bug',
      Scope: 'read-only, every module',
      Until: readableTime('2026-11-23T18:00:00.000Z'),
    });
    expect(mail.text).toContain('Lead Lee <lead-lee@vendor.test> added Agent Bob <agent-bob@vendor.test>');
    expect(mail.text).toContain(`${PAGE}/grants/${g.grantId}`);
  });

  it('grant.revoked: who revoked it, why, and when', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, {
      reason: 'billing bug',
      ticketId: 'T-1',
      scope: { level: 'read-only' },
      durationHours: 4,
    });
    deps.clock.advanceHours(1);
    await revokeGrant(deps, t.admin, t.tenantId, g.grantId, 'fixed already');
    // Act
    const { mail } = await rendered(deps, t, 'grant.revoked');
    // Assess
    expect(mail.subject).toBe('Support access to acme revoked: 0 sessions, 0 s');
    expect(facts(mail.text)).toMatchObject({
      Tenant: 'acme',
      Ticket: 'T-1',
      Reason: 'billing bug',
      Scope: 'read-only, every module',
      'Revoked by': 'Acme Admin <acme-admin@example.com>',
      'Revoked at': readableTime('2026-11-23T15:00:00.000Z'),
    });
    expect(mail.text).toContain('"fixed already"');
    expect(mail.text).toContain(`${PAGE}/grants/${g.grantId}`);
  });

  it('grant.expired: says it ended on time, and when', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, {
      reason: 'billing bug',
      ticketId: 'T-1',
      scope: { level: 'read-only' },
      durationHours: 4,
    });
    deps.clock.advanceHours(5);
    await expireGrant(deps, t.tenantId, g.grantId);
    // Act
    const { mail } = await rendered(deps, t, 'grant.expired');
    // Assess
    expect(mail.subject).toBe('Support access to acme has ended: 0 sessions, 0 s');
    expect(facts(mail.text)).toMatchObject({
      Tenant: 'acme',
      Ticket: 'T-1',
      Reason: 'billing bug',
      'Who had access': 'the whole support team',
      Scope: 'read-only, every module',
      'Ended at': readableTime('2026-11-23T18:00:00.000Z'),
    });
    expect(mail.text).toContain(`${PAGE}/sessions`);
  });

  it('session.started: who signed in, why, under which ticket, with what scope, until when', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    await createGrant(deps, t.admin, t.tenantId, {
      reason: 'billing bug',
      ticketId: 'T-1',
      scope: { level: 'full', modules: ['billing'] },
      durationHours: 4,
    });
    deps.clock.advanceHours(1);
    await signIn(deps, t.agent, t.tenantId, { reason: 'reproducing the bug', sourceIp: '203.0.113.9', userAgent: 'Firefox' });
    // Act
    const { mail } = await rendered(deps, t, 'session.started');
    // Assess
    expect(mail.subject).toBe('Agent Ann from support signed in to acme');
    expect(facts(mail.text)).toMatchObject({
      Tenant: 'acme',
      Who: 'Agent Ann <agent-ann@vendor.test>',
      Ticket: 'T-1',
      Reason: 'reproducing the bug',
      'Access granted for': 'billing bug',
      Scope: 'full access, modules: billing',
      'Access until': readableTime('2026-11-23T18:00:00.000Z'),
      'Granted by': 'Acme Admin <acme-admin@example.com>',
      'Signed in at': readableTime('2026-11-23T15:00:00.000Z'),
      From: '203.0.113.9 (Firefox)',
    });
    expect(mail.text).toContain(`${PAGE}/sessions`);
  });

  it("session.started under a standing grant: 'until revoked'", async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { allowStandingAccess: true } });
    await createGrant(deps, t.admin, t.tenantId, { reason: 'ops', scope: { level: 'read-only' }, standing: true });
    await signIn(deps, t.agent, t.tenantId, { reason: 'routine check', sourceIp: '203.0.113.9', userAgent: '' });
    // Act
    const { mail } = await rendered(deps, t, 'session.started');
    // Assess
    expect(facts(mail.text)).toMatchObject({ 'Access until': 'until revoked (standing access)', From: '203.0.113.9 (unknown client)' });
  });

  it('escapes what users typed and every address in the HTML, keeps the text plain, and keeps the subject on one line', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const mallory = person('agent-mallory', ['support-agent']);
    mallory.name = `Mallory "the" <b>bold</b>`;
    const r = await createRequest(deps, mallory, t.tenantId, {
      ticketId: 'T-1\r\nBcc: everyone@example.com',
      reason: EVIL,
      scope: { level: 'read-only' },
      durationHours: 1,
    });
    await denyRequest(deps, t.admin, t.tenantId, r.requestId, `"quoted" & ${EVIL}`);
    // Act
    const created = (await rendered(deps, t, 'request.created')).mail;
    const denied = (await rendered(deps, t, 'request.denied')).mail;
    // Assess
    for (const mail of [created, denied]) {
      expect(mail.html).not.toContain('<script>');
      expect(mail.html).not.toContain('<b>');
      expect(mail.html).toContain('&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;');
      expect(mail.subject).not.toMatch(/[\r\n]/);
      expect(mail.text).toContain(EVIL); // plain text shows what was typed, as typed
    }
    expect(created.html).toContain('Mallory &quot;the&quot; &lt;b&gt;bold&lt;/b&gt; &lt;agent-mallory@vendor.test&gt;');
    expect(created.html).not.toContain('<agent-mallory@vendor.test>');
    expect(denied.html).toContain('&quot;quoted&quot; &amp; &lt;script&gt;');
    expect(created.html).toContain('<table');
  });

  it('builds links from the configured base URL, with or without a trailing slash, ids encoded', () => {
    // Prepare
    const a = linksFrom('https://x.example.com/base');
    const b = linksFrom('https://x.example.com/base///');
    // Act
    const page = a.page('acme');
    const grant = b.grant('acme corp', 'g/1');
    // Assess
    expect(page).toBe('https://x.example.com/base/tenants/acme');
    expect(grant).toBe('https://x.example.com/base/tenants/acme%20corp/grants/g%2F1');
    expect(a.request('acme', 'r1')).toBe('https://x.example.com/base/tenants/acme/requests/r1');
    expect(a.sessions('acme')).toBe('https://x.example.com/base/tenants/acme/sessions');
  });
});
