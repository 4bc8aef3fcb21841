/**
 * Unit-test fixtures for the domain: the in-memory store, a still clock, time-ordered ids, the
 * people of a tenant and of support, and a tenant with its authorized contacts on file.
 */
import type { Policy } from '../../lambdas/contract/schemas.ts';
import type { Role } from '../../lambdas/contract/routes.ts';
import type { Deps, Principal } from '../../lambdas/kernel/ports.ts';
import { putContact, putPolicy } from '../../lambdas/modules/settings/rules.ts';
import { createMemoryStore, FakeClock, fakeIds, type MemoryStore } from './memory-store.ts';
import { TEST_POLICY } from './people.ts';

export interface TestDeps extends Deps {
  store: MemoryStore;
  clock: FakeClock;
}

/** The support email domain of the unit tests' deployment (support people's emails are in it). */
export const SUPPORT_DOMAIN = 'vendor.test';

/** Fresh deps: an empty store, a clock at 2026-11-23T14:00:00.000Z, ids from that clock. */
export function testDeps(start = '2026-11-23T14:00:00.000Z'): TestDeps {
  const clock = new FakeClock(start);
  return { store: createMemoryStore(), clock, ids: fakeIds(clock), supportEmailDomains: [SUPPORT_DOMAIN] };
}

/** A person with a verified email: `<id>@vendor.test` for support staff, `<id>@example.com` otherwise. */
export function person(id: string, roles: Role[], tenantId: string | null = null): Principal {
  const support = roles.some((r) => r === 'support-agent' || r === 'support-lead');
  return {
    id,
    email: `${id}@${support ? SUPPORT_DOMAIN : 'example.com'}`,
    emailVerified: true,
    name: id.replace(/(^|-)(\w)/g, (_, s: string, c: string) => `${s ? ' ' : ''}${c.toUpperCase()}`),
    roles,
    tenantId,
  };
}

export interface Tenant {
  tenantId: string;
  /** tenant-admin, also an authorized contact. */
  admin: Principal;
  /** tenant-user on the contact list. */
  contact: Principal;
  /** A second tenant-user on the contact list. */
  contact2: Principal;
  /** tenant-user who is not a contact. */
  user: Principal;
  agent: Principal;
  agent2: Principal;
  lead: Principal;
}

/** A tenant with the people around it; contacts are on file unless `contacts: false`. */
export async function setupTenant(
  deps: TestDeps,
  opts: { tenantId?: string; contacts?: boolean; policy?: Partial<Policy> } = {},
): Promise<Tenant> {
  const tenantId = opts.tenantId ?? 'acme';
  const t: Tenant = {
    tenantId,
    admin: person(`${tenantId}-admin`, ['tenant-admin'], tenantId),
    contact: person(`${tenantId}-carol`, ['tenant-user'], tenantId),
    contact2: person(`${tenantId}-dave`, ['tenant-user'], tenantId),
    user: person(`${tenantId}-uma`, ['tenant-user'], tenantId),
    agent: person('agent-ann', ['support-agent']),
    agent2: person('agent-bob', ['support-agent']),
    lead: person('lead-lee', ['support-lead']),
  };
  if (opts.contacts !== false) {
    for (const p of [t.admin, t.contact, t.contact2]) await putContact(deps, t.admin, tenantId, p.email, p.name);
  }
  if (opts.policy) {
    const policy: Policy = { ...TEST_POLICY, allowUpfrontApproval: true, ...opts.policy };
    await putPolicy(deps, t.admin, tenantId, policy);
  }
  return t;
}

export const HOUR = 3_600_000;
