/** Records and callers for the grant rules' unit tests (`test/unit/grants-rules*.test.ts`): no store. */
import type { Policy } from '../../lambdas/contract/schemas.ts';
import type { Principal } from '../../lambdas/kernel/ports.ts';
import type { GrantRecord } from '../../lambdas/modules/grants/entity.ts';
import { buildGrant, type GrantOrder } from '../../lambdas/modules/grants/rules.ts';

export const NOW = new Date('2026-12-07T12:00:00.000Z');
/** Ids in the order a rule asks for them: `id-1`, `id-2`, … */
export const counter = () => {
  let n = 0;
  return { ids: { next: () => `id-${++n}` } };
};
export const person = (id: string, roles: Principal['roles'], tenantId: string | null = null): Principal => ({
  id,
  email: `${id}@${tenantId ? `${tenantId}.test` : 'vendor.test'}`,
  emailVerified: true,
  name: id.toUpperCase(),
  roles,
  tenantId,
});
export const alice = person('alice', ['tenant-admin'], 'acme');
export const carol = person('carol', ['tenant-user'], 'acme');
export const lead = person('lena', ['support-lead']);
export const sam = person('sam', ['support-agent']);
export const sid = person('sid', ['support-agent']);
export const POLICY: Policy = {
  maxDurationHours: 8,
  allowStandingAccess: false,
  approvalsRequired: 1,
  allowUpfrontApproval: true,
  expiryWarningMinutes: 30,
} as Policy;
export const CONTACTS = [
  { email: 'alice@acme.test', name: 'Alice Admin' },
  { email: 'Carol@Acme.test', name: 'Carol Contact' },
];
export const DOMAINS = ['vendor.test'];
export const ctx = (over: Partial<{ policy: Policy; contacts: typeof CONTACTS; supportEmailDomains: string[] | undefined }> = {}) => ({
  now: NOW,
  policy: POLICY,
  contacts: CONTACTS,
  supportEmailDomains: DOMAINS,
  ...over,
});
export const samInput = { id: 'sam', email: 'sam@vendor.test', name: 'Sam' };
export const scope = { level: 'read-only' as const, modules: ['billing'] };
export const adminOrder = (body: Partial<GrantOrder['body']> = {}): GrantOrder =>
  ({ as: 'tenant-admin', body: { reason: 'Reproduce bug', scope, durationHours: 2, ...body } }) as GrantOrder;
export const leadOrder = (body: Record<string, unknown> = {}): GrantOrder =>
  ({
    as: 'support-lead',
    body: { ticketId: 'T-1', reason: 'Agreed on the phone', scope, durationHours: 4, approvedBy: 'carol@acme.test', ...body },
  }) as GrantOrder;
export const thrown = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
};

/** An ACTIVE named grant for Sam, ending in two hours, with one open session. */
export const active = (over: Partial<GrantRecord> = {}): GrantRecord =>
  ({
    ...buildGrant(counter(), 'acme', new Date(NOW.getTime() - 3_600_000), {
      origin: 'tenant-admin',
      requestId: null,
      ticketId: 'T-9',
      reason: 'Reproduce bug',
      scope,
      grantees: [samInput],
      grantedBy: { id: 'alice', email: 'alice@acme.test', name: 'Alice' },
      approvedBy: [{ id: 'alice', email: 'alice@acme.test', name: 'Alice' }],
      durationHours: 3,
    }),
    grantId: 'g-1',
    openSessions: ['s-open'],
    ...over,
  }) as GrantRecord;
