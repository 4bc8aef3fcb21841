/** The demo tenant's people (local/seed.ts `DEMO`; test/unit/web-console.test.ts keeps them equal). */
export const DEMO_PEOPLE = [
  { sub: 'alice', email: 'alice@acme.test', name: 'Alice Admin', groups: ['tenant-admin'], tenantId: 'acme' },
  { sub: 'carol', email: 'carol@acme.test', name: 'Carol Contact', groups: ['tenant-user'], tenantId: 'acme' },
  { sub: 'sam', email: 'sam@vendor.test', name: 'Sam Support', groups: ['support-agent'] },
  { sub: 'lee', email: 'lee@vendor.test', name: 'Lee Lead', groups: ['support-lead'] },
] as const;
