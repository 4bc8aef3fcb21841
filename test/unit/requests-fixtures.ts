/** Records for the requests module's pure rules: no store, a counter for ids, the moment pinned. */
import type { Contact, Policy } from '../../lambdas/contract/schemas.ts';
import { DEFAULT_POLICY } from '../../lambdas/contract/schemas.ts';
import type { GrantRecord, Principal } from '../../lambdas/kernel/ports.ts';
import type { RequestRecord } from '../../lambdas/modules/requests/entity.ts';
import type { At } from '../../lambdas/modules/requests/rules.ts';

export const NOW = new Date('2026-12-07T10:00:00.000Z');
export const HOUR = 3_600_000;
export const later = (ms: number, from = NOW) => new Date(from.getTime() + ms);

/** The moment `now`, and ids `id-1`, `id-2`, … in the order the rule takes them. */
export function at(now = NOW): At {
  let n = 0;
  return { now, ids: { next: () => `id-${++n}` } };
}

export const policy = (over: Partial<Policy> = {}): Policy => ({ ...DEFAULT_POLICY, ...over });

const person = (id: string, over: Partial<Principal>): Principal => ({
  id,
  email: `${id}@example.com`,
  emailVerified: true,
  name: id,
  roles: [],
  tenantId: null,
  ...over,
});
export const agent = (over: Partial<Principal> = {}) => person('agent-ann', { roles: ['support-agent'], ...over });
export const lead = (over: Partial<Principal> = {}) => person('lead-lee', { roles: ['support-lead'], ...over });
export const admin = (over: Partial<Principal> = {}) => person('admin-ada', { roles: ['tenant-admin'], tenantId: 'acme', ...over });
export const user = (over: Partial<Principal> = {}) => person('user-carol', { roles: ['tenant-user'], tenantId: 'acme', ...over });

export const actor = (p: Principal) => ({ id: p.id, email: p.email, name: p.name });

export const contact = (email: string, tier: Contact['tier'] = 'primary'): Contact => ({
  email,
  name: email,
  tier,
  addedAt: '2026-12-01T00:00:00.000Z',
  addedBy: { id: 'admin-ada', email: 'admin-ada@example.com', name: 'admin-ada' },
});

export function request(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    requestId: 'r1',
    tenantId: 'acme',
    kind: 'access',
    status: 'PENDING',
    ticketId: 'T-7',
    reason: 'invoice totals are wrong',
    scope: { level: 'full', modules: ['billing'] },
    durationHours: 6,
    requestedBy: actor(agent()),
    requestedAt: later(-HOUR).toISOString(),
    expiresAt: later(11 * HOUR).toISOString(),
    approvals: [],
    decidedAt: null,
    decidedBy: null,
    grantId: null,
    version: 1,
    escalateAt: null,
    escalated: false,
    ...over,
  };
}

export function grant(over: Partial<GrantRecord> = {}): GrantRecord {
  return {
    grantId: 'g1',
    tenantId: 'acme',
    status: 'ACTIVE',
    origin: 'access-request',
    requestId: 'r0',
    ticketId: 'T-7',
    reason: 'invoice totals are wrong',
    scope: { level: 'read-only' },
    audience: 'named',
    grantees: [{ ...actor(agent()), addedAt: later(-HOUR).toISOString(), addedBy: actor(admin()) }],
    grantedBy: actor(admin()),
    approvedBy: [actor(admin())],
    createdAt: later(-HOUR).toISOString(),
    expiresAt: later(3 * HOUR).toISOString(),
    endedAt: null,
    endedBy: null,
    endReason: null,
    version: 4,
    openSessions: [],
    pendingExtensions: [],
    warnAt: null,
    warned: false,
    ...over,
  };
}
