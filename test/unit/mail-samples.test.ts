/**
 * The email catalogue's samples in docs/email-samples.md are rendered by the real templates: this
 * test renders one of each kind from fixed data and keeps the document in step with the code.
 */
import { describe, expect, it } from 'vitest';
import type { AccessRequest, Grant, Session } from '../../lambdas/contract/schemas.ts';
import { linksFrom, renderMail } from '../../lambdas/domain/mail.ts';
import type { MailKind, OutboxMessage } from '../../lambdas/domain/ports.ts';

const carol = { id: 'carol', email: 'carol@acme.test', name: 'Carol Contact' };
const alice = { id: 'alice', email: 'alice@acme.test', name: 'Alice Admin' };
const sam = { id: 'sam', email: 'sam@vendor.test', name: 'Sam Support' };
const lee = { id: 'lee', email: 'lee@vendor.test', name: 'Lee Lead' };

const request: AccessRequest = {
  requestId: '01KREQUEST0000000000000000',
  tenantId: 'acme',
  kind: 'access',
  status: 'PENDING',
  ticketId: 'T-1001',
  reason: 'Invoice export fails',
  scope: { level: 'read-only', modules: ['billing'] },
  durationHours: 4,
  requestedBy: sam,
  requestedAt: '2026-11-23T14:00:00.000Z',
  expiresAt: '2026-11-24T02:00:00.000Z',
  approvals: [],
  decidedAt: null,
  decidedBy: null,
  grantId: null,
};
const grant: Grant = {
  grantId: '01KGRANT000000000000000000',
  tenantId: 'acme',
  status: 'ACTIVE',
  origin: 'access-request',
  requestId: request.requestId,
  ticketId: 'T-1001',
  reason: 'Invoice export fails',
  scope: { level: 'read-only', modules: ['billing'] },
  audience: 'named',
  grantees: [{ ...sam, addedAt: '2026-11-23T14:05:00.000Z', addedBy: carol }],
  grantedBy: carol,
  approvedBy: [carol],
  createdAt: '2026-11-23T14:05:00.000Z',
  expiresAt: '2026-11-23T18:05:00.000Z',
  endedAt: null,
  endedBy: null,
  endReason: null,
};
const upfront: Grant = { ...grant, origin: 'upfront-approval', requestId: null, audience: 'support-team', grantees: [], grantedBy: lee, expiresAt: '2026-11-23T22:05:00.000Z' };
const session: Session = {
  sessionId: '01KSESSION0000000000000000',
  tenantId: 'acme',
  grantId: grant.grantId,
  accessedBy: sam,
  reason: 'Reproduce the export bug',
  signInAt: '2026-11-23T14:10:00.000Z',
  signOutAt: null,
  endedBy: null,
  grantedBy: carol,
  sourceIp: '203.0.113.7',
  userAgent: 'Mozilla/5.0',
};
const jin = { id: 'jin', email: 'jin@vendor.test', name: 'Jin Support', addedAt: '2026-11-23T15:00:00.000Z', addedBy: lee };

const samples: [string, MailKind, Record<string, unknown>, string[]?][] = [
  ['Support asks for access (to every contact)', 'request.created', { request, approvalsRequired: 1 }],
  ['A request was denied (to the requester)', 'request.denied', { request: { ...request, status: 'DENIED', decidedBy: carol, decidedAt: '2026-11-23T14:03:00.000Z' }, comment: 'Not during month-end' }, [sam.email]],
  ['Access granted after approval', 'grant.activated', { grant, actor: carol }],
  ['Access granted by a support lead on an upfront approval', 'grant.activated', { grant: upfront, actor: lee }],
  ['Standing access switched on by an admin', 'grant.activated', { grant: { ...grant, origin: 'tenant-admin', requestId: null, ticketId: null, reason: 'Quarterly audit support', audience: 'support-team', grantees: [], grantedBy: alice, approvedBy: [alice], expiresAt: null }, actor: alice }],
  ['Someone was added to a grant', 'grant.grantee_added', { grant: { ...grant, grantees: [...grant.grantees, jin] }, grantee: jin, actor: lee }],
  ['Access revoked', 'grant.revoked', { grant: { ...grant, status: 'REVOKED', endedAt: '2026-11-23T15:30:00.000Z', endedBy: alice, endReason: 'Fixed, thanks' }, actor: alice }],
  ['Access ended on time', 'grant.expired', { grant: { ...grant, status: 'EXPIRED', endedAt: grant.expiresAt, endedBy: null, endReason: 'expired' } }],
  ['Support signed in (with notifyOnSignIn)', 'session.started', { session, scope: grant.scope, expiresAt: grant.expiresAt, ticketId: 'T-1001', grantReason: grant.reason }],
];

describe('the email catalogue', () => {
  it('docs/email-samples.md shows what each kind of email says', async () => {
    const links = linksFrom('https://app.example.com/app');
    const doc = [
      '# Email samples',
      '',
      'Rendered by `lambdas/domain/mail.ts` from fixed data; `test/unit/mail-samples.test.ts` regenerates this file',
      '(`npx vitest run test/unit/mail-samples.test.ts -u`) and fails when the templates and this file disagree.',
      'Each email also has an HTML part built from the same content, with every value escaped.',
      '',
      ...samples.flatMap(([title, kind, payload, to], i) => {
        const m: OutboxMessage = { messageId: `m${i}`, tenantId: 'acme', kind, createdAt: '2026-11-23T14:00:00.000Z', payload, ...(to ? { to } : {}) };
        const mail = renderMail(m, links);
        return [`## ${title} (\`${kind}\`)`, '', `**Subject:** ${mail.subject}`, '', '```text', mail.text, '```', ''];
      }),
    ].join('\n');
    await expect(doc).toMatchFileSnapshot('../../docs/email-samples.md');
  });
});
