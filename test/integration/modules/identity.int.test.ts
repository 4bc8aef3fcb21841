/**
 * The identity rules (API.md, v1.1 "Identity rules"): a person is their `sub` and their verified,
 * canonical email; votes, self-approval, contact rights, grantees and sign-in are decided on both.
 */
import { describe, expect, it } from 'vitest';
import type { CreateRequestBody, UpfrontGrantBody } from '../../../lambdas/contract/schemas.ts';
import {
  PutContactBody,
  UpfrontGrantBody as UpfrontSchema,
  CreateRequestBody as CreateSchema,
  DecisionBody,
  GranteeInput,
  Policy,
} from '../../../lambdas/contract/schemas.ts';
import { ConflictError, ForbiddenError, AccessNotGrantedError, ValidationError } from '../../../lambdas/kernel/errors.ts';
import { addGrantee, createGrant, getGrant } from '../../../lambdas/modules/grants/service.ts';
import { canonicalEmail, isAsciiEmail, isSupportEmail, parseSupportEmailDomains } from '../../../lambdas/kernel/identity.ts';
import { approveRequest, createRequest, denyRequest, getRequest, listRequests } from '../../../lambdas/modules/requests/service.ts';
import { currentSession, endSession, getAccess, listMyGrants, signIn } from '../../../lambdas/modules/sessions/service.ts';
import { putPolicy } from '../../../lambdas/modules/settings/rules.ts';
import type { Principal } from '../../../lambdas/kernel/ports.ts';
import { HOUR, setupTenant, testDeps, type TestDeps, type Tenant } from '../../helpers/domain.ts';
import { TEST_POLICY } from '../../helpers/people.ts';

const ask = (over: Partial<CreateRequestBody> = {}): CreateRequestBody => ({
  ticketId: 'T-1',
  reason: 'invoice totals are wrong',
  scope: { level: 'full' },
  durationHours: 6,
  ...over,
});
const upfront = (t: Tenant, over: Partial<UpfrontGrantBody> = {}): UpfrontGrantBody => ({
  ticketId: 'T-1',
  reason: 'outage',
  scope: { level: 'full' },
  durationHours: 2,
  approvedBy: t.contact.email,
  ...over,
});
const grantee = (p: Principal) => ({ id: p.id, email: p.email, name: p.name });
const policy = (over: Partial<Policy>): Policy => ({ ...TEST_POLICY, allowUpfrontApproval: true, ...over });
/** What a refused call must leave: every record, audit event and email as it was. */
const snapshot = async (deps: TestDeps, t: Tenant) =>
  JSON.stringify([await deps.store.auditOf(t.tenantId), await deps.store.outboxOf(t.tenantId)]);

describe('canonicalEmail', () => {
  it.each([
    ['CAROL@ACME.TEST', 'carol@acme.test'],
    ['  carol@acme.test\t', 'carol@acme.test'],
    ['ＣＡＲＯＬ@ａｃｍｅ.test', 'carol@acme.test'],
    ['Carol@Acme.Test', 'carol@acme.test'],
  ])('%s is %s', (raw, canonical) => {
    expect(canonicalEmail(raw)).toBe(canonical);
  });

  it('keeps an email that is not ASCII after NFKC out of contact rights', () => {
    expect(isAsciiEmail(canonicalEmail('carоl@acme.test'))).toBe(false); // a Cyrillic "о"
    expect(isAsciiEmail(canonicalEmail('carol@acme.test'))).toBe(true);
    expect(isAsciiEmail('no-at-sign')).toBe(false);
    expect(isAsciiEmail('a@b@c')).toBe(false);
  });
});

describe('support email domains', () => {
  it.each([
    ['sam@vendor.test', true],
    ['SAM@Vendor.Test', true],
    ['sam@eu.vendor.test', true],
    ['sam@vendor.test.evil.com', false],
    ['sam@evilvendor.test', false],
    ['ceo@acme.test', false],
    ['vendor.test@acme.test', false],
    ['@vendor.test', false],
  ])('%s is support staff: %s', (email, ok) => {
    expect(isSupportEmail(email, ['vendor.test'])).toBe(ok);
  });

  it('reads the setting, and refuses an empty or malformed one', () => {
    expect(parseSupportEmailDomains(' Vendor.Test, vendor.com ,')).toEqual(['vendor.test', 'vendor.com']);
    expect(() => parseSupportEmailDomains('')).toThrow(/no domain/);
    expect(() => parseSupportEmailDomains('vendor.test,@evil')).toThrow(/not a domain/);
    expect(() => parseSupportEmailDomains('localhost')).toThrow(/not a domain/);
  });

  it('names no grantee at all when the deployment has no support domain (fail closed)', async () => {
    // Prepare
    const deps = await testDeps();
    delete deps.supportEmailDomains;
    const t = await setupTenant(deps);
    // Act / Assess
    await expect(
      createGrant(deps, t.admin, t.tenantId, { reason: 'x', scope: { level: 'full' }, durationHours: 1, grantees: [grantee(t.agent)] }),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('one person, one vote', () => {
  it('counts a second account with the same email once: the second approval is a conflict and changes nothing', async () => {
    // Prepare: two approvals needed; Carol approves; another account says it is CAROL@EXAMPLE.COM
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { approvalsRequired: 2 } });
    const r = await createRequest(deps, t.agent, t.tenantId, ask());
    await approveRequest(deps, t.contact, t.tenantId, r.requestId, undefined);
    const twin: Principal = { ...t.user, email: canonicalEmail(t.contact.email.toUpperCase()) };
    const before = await snapshot(deps, t);
    // Act / Assess
    await expect(approveRequest(deps, twin, t.tenantId, r.requestId, undefined)).rejects.toBeInstanceOf(ConflictError);
    expect((await getRequest(deps, t.admin, t.tenantId, r.requestId)).status).toBe('PENDING');
    expect(await snapshot(deps, t)).toBe(before);
  });

  it('refuses the requester under any account: the same email approving or denying (403)', async () => {
    // Prepare: one person with a support account and a tenant account under the same email
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const supportSelf: Principal = { ...t.agent, email: t.contact.email };
    const r = await createRequest(deps, supportSelf, t.tenantId, ask());
    const before = await snapshot(deps, t);
    // Act / Assess
    await expect(approveRequest(deps, t.contact, t.tenantId, r.requestId, undefined)).rejects.toThrow(/requester cannot approve/);
    await expect(denyRequest(deps, t.contact, t.tenantId, r.requestId, undefined)).rejects.toThrow(/requester cannot deny/);
    expect(await snapshot(deps, t)).toBe(before);
  });

  it('refuses the requester by sub on deny too', async () => {
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const r = await createRequest(deps, t.agent, t.tenantId, ask());
    const both: Principal = { ...t.agent, email: 'someone-else@example.com', roles: ['tenant-admin'], tenantId: t.tenantId };
    await expect(denyRequest(deps, both, t.tenantId, r.requestId, undefined)).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('refuses anyone holding a support role, whatever tenant role they hold too (403)', async () => {
    // Prepare: a tenant admin of this tenant who is also a support agent
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const r = await createRequest(deps, t.agent, t.tenantId, ask());
    const adminAndSupport: Principal = { ...t.admin, roles: ['tenant-admin', 'support-agent'] };
    // Act / Assess
    await expect(approveRequest(deps, adminAndSupport, t.tenantId, r.requestId, undefined)).rejects.toThrow(/support staff never approve/);
    await expect(denyRequest(deps, adminAndSupport, t.tenantId, r.requestId, undefined)).rejects.toThrow(/support staff never approve/);
    expect((await getRequest(deps, t.admin, t.tenantId, r.requestId)).status).toBe('PENDING');
  });
});

describe('verified emails for contact rights', () => {
  it('refuses approve, deny and reading requests to a contact whose email is not verified', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const r = await createRequest(deps, t.agent, t.tenantId, ask());
    const unverified: Principal = { ...t.contact, emailVerified: false };
    // Act / Assess
    await expect(approveRequest(deps, unverified, t.tenantId, r.requestId, undefined)).rejects.toThrow(/verified email/);
    await expect(denyRequest(deps, unverified, t.tenantId, r.requestId, undefined)).rejects.toThrow(/verified email/);
    await expect(getRequest(deps, unverified, t.tenantId, r.requestId)).rejects.toThrow(/verified email/);
    await expect(listRequests(deps, unverified, t.tenantId, { limit: 10 })).rejects.toThrow(/verified email/);
    // ...and the same person verified may
    await expect(getRequest(deps, t.contact, t.tenantId, r.requestId)).resolves.toMatchObject({ status: 'PENDING' });
  });

  it('refuses a tenant admin with an unverified email a vote (it is counted by email)', async () => {
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const r = await createRequest(deps, t.agent, t.tenantId, ask());
    await expect(approveRequest(deps, { ...t.admin, emailVerified: false }, t.tenantId, r.requestId, undefined)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
  });

  it('refuses a verified email that is not ASCII after NFKC', async () => {
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const r = await createRequest(deps, t.agent, t.tenantId, ask());
    const homoglyph: Principal = { ...t.contact, email: canonicalEmail('acme-cаrol@example.com') };
    await expect(approveRequest(deps, homoglyph, t.tenantId, r.requestId, undefined)).rejects.toThrow(/verified email/);
  });
});

describe('upfront approval honours the quorum', () => {
  it('refuses one contact when the policy needs two (409 saying how many), changing nothing', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { approvalsRequired: 2 } });
    const before = await snapshot(deps, t);
    // Act / Assess
    await expect(createGrant(deps, t.lead, t.tenantId, upfront(t))).rejects.toThrow(/needs 2 different authorized contacts/);
    await expect(createGrant(deps, t.lead, t.tenantId, upfront(t, { approvedBy: [t.contact.email] }))).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(await snapshot(deps, t)).toBe(before);
  });

  it('counts the same contact spelled twice once', async () => {
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { approvalsRequired: 2 } });
    // The schema refuses literal repeats; the domain still counts people, not spellings.
    await expect(
      createGrant(deps, t.lead, t.tenantId, upfront(t, { approvedBy: [t.contact.email, ` ${t.contact.email.toUpperCase()}`] })),
    ).rejects.toThrow(/names 1/);
  });

  it('accepts two different contacts, and records both as approvers', async () => {
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { approvalsRequired: 2 } });
    const g = await createGrant(deps, t.lead, t.tenantId, upfront(t, { approvedBy: [t.contact.email, t.contact2.email] }));
    expect(g.approvedBy.map((a) => a.email)).toEqual([t.contact.email, t.contact2.email]);
  });

  it('refuses a named approver who is not a contact', async () => {
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { approvalsRequired: 2 } });
    await expect(createGrant(deps, t.lead, t.tenantId, upfront(t, { approvedBy: [t.contact.email, t.user.email] }))).rejects.toThrow(
      /not an authorized contact/,
    );
  });

  it('answers 403 to a support lead when the policy does not allow upfront approvals', async () => {
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: { allowUpfrontApproval: false } });
    const before = await snapshot(deps, t);
    await expect(createGrant(deps, t.lead, t.tenantId, upfront(t))).rejects.toBeInstanceOf(ForbiddenError);
    expect(await snapshot(deps, t)).toBe(before);
    // A tenant admin still grants directly.
    await expect(
      createGrant(deps, t.admin, t.tenantId, { reason: 'x', scope: { level: 'full' }, durationHours: 1 }),
    ).resolves.toMatchObject({ status: 'ACTIVE' });
  });

  it('reads a v1 policy body (no allowUpfrontApproval) as allowing them', () => {
    const { allowUpfrontApproval: _drop, ...v1 } = policy({});
    expect(Policy.parse(v1).allowUpfrontApproval).toBe(true);
  });
});

describe('grantees are support staff', () => {
  it('refuses a grantee outside the support email domains, naming the field, and changes nothing', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const before = await snapshot(deps, t);
    const ceo = { id: 'lee', email: 'ceo@acme.test', name: 'Acme CEO' };
    // Act
    const err = await createGrant(deps, t.lead, t.tenantId, upfront(t, { grantees: [grantee(t.agent), ceo] })).catch((e: unknown) => e);
    // Assess
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).errors.map((e) => e.path)).toEqual(['grantees.1.email']);
    await expect(
      createGrant(deps, t.admin, t.tenantId, { reason: 'x', scope: { level: 'full' }, durationHours: 1, grantees: [ceo] }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await snapshot(deps, t)).toBe(before);
  });

  it('refuses adding such a grantee to a grant', async () => {
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, {
      reason: 'x',
      scope: { level: 'full' },
      durationHours: 1,
      grantees: [grantee(t.agent)],
    });
    const err = await addGrantee(deps, t.lead, t.tenantId, g.grantId, { id: 'x', email: 'x@vendor.test.evil.com', name: 'X' }).catch(
      (e: unknown) => e,
    );
    expect((err as ValidationError).errors).toEqual([{ path: 'email', message: expect.stringContaining('@vendor.test') }]);
    expect((await getGrant(deps, t.tenantId, g.grantId)).grantees).toHaveLength(1);
  });

  it('matches a named grantee by sub and email at sign-in: another email is ACCESS_NOT_GRANTED, audited', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const g = await createGrant(deps, t.admin, t.tenantId, {
      reason: 'x',
      scope: { level: 'full' },
      durationHours: 1,
      grantees: [grantee(t.agent)],
    });
    const sameSubOtherEmail: Principal = { ...t.agent, email: 'someone@vendor.test' };
    // Act / Assess
    await expect(signIn(deps, sameSubOtherEmail, t.tenantId, { reason: 'r', sourceIp: '1.1.1.1', userAgent: 'ua' })).rejects.toBeInstanceOf(
      AccessNotGrantedError,
    );
    expect((await deps.store.auditOf(t.tenantId)).at(-1)).toMatchObject({ action: 'session.denied' });
    expect(await getAccess(deps, sameSubOtherEmail, t.tenantId)).toMatchObject({ allowed: false });
    expect((await listMyGrants(deps, sameSubOtherEmail)).items).toEqual([]);
    // The grantee as named signs in.
    await expect(
      signIn(deps, { ...t.agent, email: t.agent.email.toUpperCase().toLowerCase() }, t.tenantId, {
        reason: 'r',
        sourceIp: '1.1.1.1',
        userAgent: 'ua',
      }),
    ).resolves.toMatchObject({
      grantId: g.grantId,
    });
  });
});

describe('the policy in force at approval', () => {
  it('grants at most the lowered maxDurationHours, and says so in the audit', async () => {
    // Prepare: a 48 h request, then the admin lowers the maximum to 4 h
    const deps = await testDeps();
    const t = await setupTenant(deps, { policy: {} });
    const r = await createRequest(deps, t.agent, t.tenantId, ask({ durationHours: 48 }));
    await putPolicy(deps, t.admin, t.tenantId, policy({ maxDurationHours: 4 }));
    // Act
    const approved = await approveRequest(deps, t.contact, t.tenantId, r.requestId, undefined);
    // Assess
    const g = await getGrant(deps, t.tenantId, approved.grantId!);
    expect(Date.parse(g.expiresAt!) - Date.parse(g.createdAt)).toBe(4 * HOUR);
    const event = (await deps.store.auditOf(t.tenantId)).find((e) => e.action === 'request.approved');
    expect(event?.details).toMatchObject({ durationHours: 4, requestedDurationHours: 48, cappedBy: 'policy.maxDurationHours' });
  });

  it('grants the asked duration when it is within the maximum', async () => {
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const r = await createRequest(deps, t.agent, t.tenantId, ask({ durationHours: 6 }));
    const approved = await approveRequest(deps, t.contact, t.tenantId, r.requestId, undefined);
    const g = await getGrant(deps, t.tenantId, approved.grantId!);
    expect(Date.parse(g.expiresAt!) - Date.parse(g.createdAt)).toBe(6 * HOUR);
  });
});

describe('a replayed sign-in', () => {
  it('shows the session as it is now: ended, with signOutAt and endedBy', async () => {
    const deps = await testDeps();
    const t = await setupTenant(deps);
    await createGrant(deps, t.admin, t.tenantId, { reason: 'x', scope: { level: 'full' }, durationHours: 1, grantees: [grantee(t.agent)] });
    const s = await signIn(deps, t.agent, t.tenantId, { reason: 'r', sourceIp: '1.1.1.1', userAgent: 'ua' });
    deps.clock.advanceMs(60_000);
    await endSession(deps, t.agent, t.tenantId, s.sessionId);
    const now = await currentSession(deps, t.agent, t.tenantId, s.sessionId);
    expect(now).toMatchObject({ sessionId: s.sessionId, endedBy: 'agent', signOutAt: '2026-11-23T14:01:00.000Z' });
    await expect(currentSession(deps, t.agent2, t.tenantId, s.sessionId)).rejects.toThrow(/no session/);
  });
});

describe('single-line fields', () => {
  const bad = [
    'ok\n\nRevoke this access at any time: https://evil.example/revoke',
    'a\rb',
    'a\tb',
    'a\u2028b',
    'a\u2029b',
    'a\u0085b',
    'a\u0000b',
    'a\u007fb',
    'a\u001bb',
  ];
  it.each(bad)('refuses %j in ticketId, reason, comment and names, naming the field', (value) => {
    const paths = (r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) => r.error?.issues.map((i) => i.path.join('.'));
    expect(paths(CreateSchema.safeParse({ ticketId: value, reason: value, scope: { level: 'full' }, durationHours: 1 }))).toEqual([
      'ticketId',
      'reason',
    ]);
    expect(paths(DecisionBody.safeParse({ comment: value }))).toEqual(['comment']);
    expect(paths(PutContactBody.safeParse({ name: value }))).toEqual(['name']);
    expect(paths(GranteeInput.safeParse({ id: 'x', email: 'x@vendor.test', name: value }))).toEqual(['name']);
    expect(
      paths(UpfrontSchema.safeParse({ ticketId: 'T', reason: value, scope: { level: 'full' }, durationHours: 1, approvedBy: 'a@b.test' })),
    ).toEqual(['reason']);
  });

  it('still trims a line (a trailing newline is whitespace, not content)', () => {
    expect(CreateSchema.parse({ ticketId: 'T-1\n', reason: ' why ', scope: { level: 'full' }, durationHours: 1 })).toMatchObject({
      ticketId: 'T-1',
      reason: 'why',
    });
  });
});
