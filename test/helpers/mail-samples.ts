/**
 * Fixed data for one email of each kind: the samples in docs/email-samples.md and the screenshots
 * in docs/emails/ are rendered from these by the real templates.
 */
import type { AccessRequest, Grant, Session } from '../../lambdas/contract/schemas.ts';
import type { MailKind, OutboxMessage } from '../../lambdas/kernel/ports.ts';

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
const upfront: Grant = {
  ...grant,
  origin: 'upfront-approval',
  requestId: null,
  audience: 'support-team',
  grantees: [],
  grantedBy: lee,
  expiresAt: '2026-11-23T22:05:00.000Z',
};
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

const extension: AccessRequest = {
  ...request,
  requestId: '01KEXTENSION00000000000000',
  kind: 'extension',
  reason: 'The export needs another run',
  durationHours: 2,
  grantId: grant.grantId,
  requestedAt: '2026-11-23T17:40:00.000Z',
  expiresAt: '2026-11-24T05:40:00.000Z',
};
const digest = {
  sessionCount: 2,
  totalMs: 50 * 60_000,
  sessions: [
    {
      ...session,
      sessionId: '01KSESSION0000000000000001',
      reason: 'Check the fix',
      signInAt: '2026-11-23T15:00:00.000Z',
      signOutAt: '2026-11-23T15:30:00.000Z',
      endedBy: 'revoked',
      sourceIp: '203.0.113.7',
    },
    { ...session, signOutAt: '2026-11-23T14:30:00.000Z', endedBy: 'agent' },
  ].map(({ tenantId: _t, grantId: _g, grantedBy: _b, ...x }) => x),
};

export const samples: [string, MailKind, Record<string, unknown>, string[]?][] = [
  ['Support asks for access (to every contact)', 'request.created', { request, approvalsRequired: 1 }],
  [
    'A request was denied (to the requester)',
    'request.denied',
    { request: { ...request, status: 'DENIED', decidedBy: carol, decidedAt: '2026-11-23T14:03:00.000Z' }, comment: 'Not during month-end' },
    [sam.email],
  ],
  ['Access granted after approval', 'grant.activated', { grant, actor: carol }],
  ['Access granted by a support lead on an upfront approval', 'grant.activated', { grant: upfront, actor: lee }],
  [
    'Standing access switched on by an admin',
    'grant.activated',
    {
      grant: {
        ...grant,
        origin: 'tenant-admin',
        requestId: null,
        ticketId: null,
        reason: 'Quarterly audit support',
        audience: 'support-team',
        grantees: [],
        grantedBy: alice,
        approvedBy: [alice],
        expiresAt: null,
      },
      actor: alice,
    },
  ],
  [
    'Someone was added to a grant',
    'grant.grantee_added',
    { grant: { ...grant, grantees: [...grant.grantees, jin] }, grantee: jin, actor: lee },
  ],
  [
    'A request was approved (to the requester)',
    'request.approved',
    {
      request: {
        ...request,
        status: 'APPROVED',
        approvals: [{ by: carol, at: '2026-11-23T14:05:00.000Z' }],
        decidedBy: carol,
        decidedAt: '2026-11-23T14:05:00.000Z',
        grantId: grant.grantId,
      },
    },
    [sam.email],
  ],
  [
    'A request was denied (to every contact: who decided)',
    'request.decided',
    { request: { ...request, status: 'DENIED', decidedBy: carol, decidedAt: '2026-11-23T14:03:00.000Z' }, comment: 'Not during month-end' },
  ],
  [
    'A request lapsed unanswered (to the requester)',
    'request.expired',
    { request: { ...request, status: 'EXPIRED' }, because: 'unanswered' },
    [sam.email],
  ],
  ['A request lapsed unanswered (to every contact)', 'request.decided', { request: { ...request, status: 'EXPIRED' }, comment: null }],
  ['A request waits for an answer (to the backup contacts)', 'request.escalated', { request, as: 'escalation' }],
  ['Support asks for more time (to the primary contacts)', 'request.created', { request: extension, approvalsRequired: 1, grant }],
  [
    'More time approved (to every contact)',
    'grant.extended',
    {
      grant: { ...grant, expiresAt: '2026-11-23T20:05:00.000Z' },
      actor: carol,
      hours: 2,
      reason: extension.reason,
      previousExpiresAt: grant.expiresAt,
      requestId: extension.requestId,
    },
  ],
  [
    'Access extended by an admin (to every contact)',
    'grant.extended',
    {
      grant: { ...grant, expiresAt: '2026-11-23T21:05:00.000Z' },
      actor: alice,
      hours: 3,
      reason: 'Month-end close',
      previousExpiresAt: grant.expiresAt,
      requestId: null,
    },
  ],
  ['Access ends soon (to the grantees)', 'grant.expiring', { grant }, [sam.email]],
  [
    'Access revoked: the end-of-access digest',
    'grant.revoked',
    {
      grant: { ...grant, status: 'REVOKED', endedAt: '2026-11-23T15:30:00.000Z', endedBy: alice, endReason: 'Fixed, thanks' },
      actor: alice,
      digest,
    },
  ],
  [
    'Access ended on time: the end-of-access digest',
    'grant.expired',
    {
      grant: { ...grant, status: 'EXPIRED', endedAt: grant.expiresAt, endedBy: null, endReason: 'expired' },
      digest: { sessionCount: 0, totalMs: 0, sessions: [] },
    },
  ],
  [
    'Support signed in (with notifyOnSignIn)',
    'session.started',
    { session, scope: grant.scope, expiresAt: grant.expiresAt, ticketId: 'T-1001', grantReason: grant.reason },
  ],
  // Last, so the screenshots of the others keep their numbers.
  [
    'A request still waits and the account has no backup contact: a reminder (to every contact)',
    'request.escalated',
    { request, as: 'reminder' },
  ],
];

/** The outbox message of each sample, with its title and a file-name slug. */
export function sampleMessages(): { title: string; slug: string; message: OutboxMessage }[] {
  return samples.map(([title, kind, payload, to], i) => ({
    title,
    slug: `${String(i + 1).padStart(2, '0')}-${kind.replace('.', '-')}`,
    message: { messageId: `m${i}`, tenantId: 'acme', kind, createdAt: '2026-11-23T14:00:00.000Z', payload, ...(to ? { to } : {}) },
  }));
}
