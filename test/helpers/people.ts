/**
 * What every kind of test says the same way about people and tenants, with no test runner in it
 * (vitest and Playwright both import it): a person as a token names them, the policy a test tenant
 * starts with, an email as the local SES server holds it, and a token from the local issuer.
 */

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
