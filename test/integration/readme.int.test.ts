/**
 * The README's walkthrough works as written: this runs its bash block, unchanged but for the
 * ports, against a fresh local stack with the demo tenant.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seed } from '../../local/seed.ts';
import { setupTenant, startTestApi, type TestApi } from '../helpers/http.ts';

let api: TestApi;
beforeAll(async () => {
  // As `npm start` runs it.
  api = await startTestApi({ deliverOnWrite: true, deliverEveryMs: 1_000 });
  await seed(api.stack.runtime);
});
afterAll(async () => api?.stop());

function walkthrough(): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /<!-- walkthrough:start -->\s*```bash\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(readme);
  if (!block) throw new Error('README has no walkthrough block');
  const ses = new URL(api.stack.sesUrl);
  return block[1]!.replaceAll('http://localhost:3000', api.url).replaceAll('http://localhost:8005', `http://localhost:${ses.port}`);
}

describe('the README walkthrough', () => {
  it('runs from start to end and shows the whole flow', async () => {
    // Act
    const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', walkthrough()], { timeout: 150_000 });
    // Assess
    const lines = stdout.split('\n');
    expect(lines).toContain('carol@acme.test');
    expect(lines).toContain('ACCESS_NOT_GRANTED');
    expect(stdout).toMatch(/carol@acme\.test: Support asks for access to acme \(ticket T-1001\)/);
    expect(stdout).toContain('"status":"ACTIVE"');
    expect(stdout).toMatch(/"allowed":true/);
    expect(stdout).toContain('Sam Support: Reproduce the export bug');
    expect(stdout).toMatch(/Support access granted to acme/);
    expect(stdout).toMatch(/Sam Support from support signed in to acme/);
    expect(stdout).toContain('{"grantsWarned":1}');
    expect(stdout).toMatch(/Your support access to acme ends .* UTC \(.* Europe\/Prague\)/);
    expect(stdout).toContain('{"kind":"extension","status":"APPROVED","grantId":');
    expect(stdout).toMatch(
      /sessionId,grantId,accessedById,accessedByEmail,.*\r?\n.*,sam,sam@vendor\.test,Sam Support,Reproduce the export bug,/,
    );
    expect(stdout).toMatch(/Sessions: +1\n/);
    expect(stdout).toContain('Reproduce the export bug');
    expect(stdout).toMatch(/How it ended: +its time ran out/);
    expect(lines).toContain('EXPIRED');
    expect(stdout).toContain('"endedBy":"expired"');
    expect(stdout).toMatch(/grant\.expired/);
    expect(stdout).toMatch(/"valid":true,"sealed":\d+,"unsealed":\d+,"problems":\[\]/);
    // The walkthrough is long (its sleeps wait for delivery); a busy machine needs more than the default.
  }, 180_000);

  it('has the mail a change owes in the inbox by the time the change is answered', async () => {
    // Prepare
    const p = await setupTenant(api);
    // Act
    const res = await api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
      as: p.admin,
      body: { ticketId: 'T-NOW', reason: 'no waiting', scope: { level: 'read-only' }, durationHours: 1 },
    });
    const inbox = await api.mailTo(p.contact.email);
    // Assess: no polling, no sleep
    expect(res.status).toBe(201);
    expect(inbox.map((m) => m.subject)).toContain(`Support access granted to ${p.tenantId} (ticket T-NOW)`);
  });
});
