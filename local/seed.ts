/** A demo tenant for `npm start -- --seed`: contacts, a policy and the people to sign in as. */
import type { AppDeps } from '../lambdas/runtime/index.ts';
import { putContact, putPolicy } from '../lambdas/modules/settings/rules.ts';
import type { Principal } from '../lambdas/kernel/ports.ts';

export const DEMO = {
  tenantId: 'acme',
  admin: { sub: 'alice', email: 'alice@acme.test', name: 'Alice Admin', groups: ['tenant-admin'], tenantId: 'acme' },
  contact: { sub: 'carol', email: 'carol@acme.test', name: 'Carol Contact', groups: ['tenant-user'], tenantId: 'acme' },
  agent: { sub: 'sam', email: 'sam@vendor.test', name: 'Sam Support', groups: ['support-agent'] },
  lead: { sub: 'lee', email: 'lee@vendor.test', name: 'Lee Lead', groups: ['support-lead'] },
} as const;

export async function seed(runtime: AppDeps): Promise<void> {
  const admin: Principal = {
    id: DEMO.admin.sub,
    email: DEMO.admin.email,
    emailVerified: true,
    name: DEMO.admin.name,
    roles: ['tenant-admin'],
    tenantId: DEMO.tenantId,
  };
  await putContact(runtime, admin, DEMO.tenantId, DEMO.admin.email, DEMO.admin.name);
  await putContact(runtime, admin, DEMO.tenantId, DEMO.contact.email, DEMO.contact.name);
  await putPolicy(runtime, admin, DEMO.tenantId, {
    maxDurationHours: 72,
    allowStandingAccess: false,
    approvalsRequired: 1,
    requestTtlHours: 12,
    notifyOnSignIn: true,
    allowUpfrontApproval: true,
    expiryWarningMinutes: 30,
    escalateAfterMinutes: 0,
    timeZone: 'Europe/Prague',
  });
}
