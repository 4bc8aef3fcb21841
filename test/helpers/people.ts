/**
 * What every kind of test says the same way about people and tenants, with no test runner in it
 * (vitest and Playwright both import it): a fresh tenant's people, a person as a token names them,
 * the policy a test tenant starts with, an email as the local SES server holds it, and a token
 * from the local issuer.
 */
import { randomBytes } from 'node:crypto';

/** A person as the local issuer's token names them. */
export interface Who {
  sub: string;
  email: string;
  name: string;
  groups: string[];
  tenantId?: string;
  /** `email_verified` of the token (the local issuer's default: true). */
  emailVerified?: boolean;
}

/** An email as the local SES server keeps it (`GET /store`). */
export interface Mail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text: string; html: string };
  at: number;
}

/** The policy of a test tenant, before what a test changes. */
export const TEST_POLICY = {
  maxDurationHours: 72,
  expiryWarningMinutes: 30,
  escalateAfterMinutes: 0,
  timeZone: 'UTC',
  allowStandingAccess: false,
  approvalsRequired: 1,
  requestTtlHours: 12,
  notifyOnSignIn: true,
} as const;

/** A token for `who` from the local stack's issuer (`POST /_local/token`). */
export async function localToken(stackUrl: string, who: Who, expiresInSeconds?: number): Promise<string> {
  const res = await fetch(`${stackUrl}/_local/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...who, ...(expiresInSeconds ? { expiresInSeconds } : {}) }),
  });
  if (!res.ok) throw new Error(`token for ${who.sub}: ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

/**
 * A fresh tenant and its people: an admin, two users who become contacts, a user who is not, and
 * support people in the local stack's support domain (their names carry the tenant's tag, so a
 * page that lists several agents tells them apart), and people of no tenant or another one.
 */
export function people(tenantId = `t-${randomBytes(6).toString('hex')}`) {
  const tag = tenantId.slice(-8);
  return {
    tenantId,
    admin: { sub: `admin-${tag}`, email: `admin@${tenantId}.test`, name: 'Ada Admin', groups: ['tenant-admin'], tenantId },
    contact: { sub: `contact-${tag}`, email: `contact@${tenantId}.test`, name: 'Cleo Contact', groups: ['tenant-user'], tenantId },
    contact2: { sub: `contact2-${tag}`, email: `contact2@${tenantId}.test`, name: 'Cody Contact', groups: ['tenant-user'], tenantId },
    user: { sub: `user-${tag}`, email: `user@${tenantId}.test`, name: 'Uma User', groups: ['tenant-user'], tenantId },
    agent: { sub: `agent-${tag}`, email: `agent-${tag}@vendor.test`, name: `Sam Agent ${tag}`, groups: ['support-agent'] },
    agent2: { sub: `agent2-${tag}`, email: `agent2-${tag}@vendor.test`, name: `Sid Agent ${tag}`, groups: ['support-agent'] },
    lead: { sub: `lead-${tag}`, email: `lead-${tag}@vendor.test`, name: `Lee Lead ${tag}`, groups: ['support-lead'] },
    foreignAdmin: {
      sub: `foreign-${tag}`,
      email: `admin@other-${tag}.test`,
      name: 'Otto Other',
      groups: ['tenant-admin'],
      tenantId: `other-${tag}`,
    },
    nobody: { sub: `nobody-${tag}`, email: `nobody-${tag}@x.test`, name: 'No Role', groups: [] as string[] },
  } satisfies Record<string, Who | string>;
}
export type People = ReturnType<typeof people>;
