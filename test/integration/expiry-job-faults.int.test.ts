/**
 * The expiry job dying half-way, its DynamoDB transactions failed on purpose at the SDK client
 * (`Faults`): what it did is whole, the next run finishes exactly the rest, and nobody gets an
 * email twice. A file of its own: the job expires everything due in its table.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import { documentClient } from '../../lambdas/runtime/index.ts';
import { localDynamoClient } from '../../local/dynamodb.ts';
import { Faults, keysOf, throttled } from '../helpers/dynamo-probe.ts';
import { expectProblem } from '../helpers/guard-checks.ts';
import { setupTenant, startTestApi, type People, type TestApi } from '../helpers/http.ts';
import { expectConsistent, expectMailOnce, tenantItems, type Item } from '../helpers/invariants.ts';
import { FaultyMail } from '../helpers/mail.ts';

const faults = new Faults();
const mailer = new FaultyMail();
let api: TestApi;
const doc = documentClient(localDynamoClient(inject('dynamoEndpoint')));
// The 500s log their cause (a JSON line on stderr), as they should; the injected ones would bury a
// real failure's output.
const writeStderr = process.stderr.write.bind(process.stderr);
beforeAll(async () => {
  vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) =>
    String(chunk).includes('(injected)') ? true : writeStderr(chunk, ...rest)) as typeof process.stderr.write);
  api = await startTestApi({ onDynamoClient: faults.attach, wrapMailer: mailer.wrap });
});
afterAll(async () => {
  await api?.stop();
  doc.destroy();
});
afterEach(() => faults.clear());

const TX = 'TransactWriteItemsCommand';
const state = (p: People) => tenantItems(doc, api.stack.tableName, p.tenantId);
const grantBody = { reason: 'faults', scope: { level: 'read-only' }, durationHours: 1 };
const count = (s: { audit: Item[] }, action: string) => s.audit.filter((e) => e.action === action).length;

describe('the expiry job dying half-way', () => {
  it('fails after some transactions; the next run finishes exactly the rest, and nobody gets an email twice', async () => {
    // Prepare: grants and requests that fall due together, half of the grants with a session.
    const p = await setupTenant(api, { requestTtlHours: 1 });
    const t = `/v1/tenants/${p.tenantId}`;
    const GRANTS = 8;
    const REQUESTS = 4;
    for (let i = 0; i < GRANTS; i++) {
      const g = await api.call('POST', `${t}/grants`, {
        as: p.admin,
        body: { ...grantBody, reason: `job ${i}`, grantees: [{ id: p.agent.sub, email: p.agent.email, name: p.agent.name }] },
      });
      expect(g.status).toBe(201);
      if (i % 2 === 0)
        expect((await api.call('POST', `${t}/sessions`, { as: p.agent, body: { reason: `s${i}`, grantId: g.body.grantId } })).status).toBe(
          201,
        );
    }
    for (let i = 0; i < REQUESTS; i++) {
      expect(
        (
          await api.call('POST', `${t}/access-requests`, {
            as: p.agent,
            body: { ticketId: `J-${i}`, reason: 'job', scope: { level: 'read-only' }, durationHours: 1 },
          })
        ).status,
      ).toBe(201);
    }
    await api.stack.deliver();
    await api.advance(3601);
    const thisTenant = (input: Record<string, unknown>) => keysOf(TX, input).some((k) => k.value === `TENANT#${p.tenantId}`);

    // Act: the job's transactions for this tenant fail from the fifth on, as if it died there.
    const rule = faults.arm({ command: TX, at: 'before', when: thisTenant, skip: 5, times: Infinity, error: throttled });
    const first = await api.call('POST', '/_local/jobs/expire');
    await faults.settled();
    faults.clear();
    const half = await state(p);
    const second = await api.call('POST', '/_local/jobs/expire');
    const third = await api.call('POST', '/_local/jobs/expire');
    await api.stack.deliver();
    const done = await state(p);

    // Assess: the first run stopped part-way, with everything it did whole.
    expect(first.status).toBe(500);
    expectProblem(first, 500, 'INTERNAL');
    const ended = (s: typeof half) =>
      s.grants.filter((g) => g.status === 'EXPIRED').length + s.requests.filter((r) => r.status === 'EXPIRED').length;
    expect(ended(half)).toBe(5);
    expect(rule.failed).toBeGreaterThan(0);
    expectConsistent(half);
    // The second run did exactly the rest, the third nothing.
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body.expiry.grantsExpired + second.body.expiry.requestsExpired).toBe(GRANTS + REQUESTS - 5);
    expect(third.body.expiry).toMatchObject({ grantsExpired: 0, requestsExpired: 0 });
    expect(ended(done)).toBe(GRANTS + REQUESTS);
    expectConsistent(done);
    expect(count(done, 'grant.expired')).toBe(GRANTS);
    expect(count(done, 'request.expired')).toBe(REQUESTS);
    expect(done.sessions.every((s) => s.endedBy === 'expired')).toBe(true);
    // One "has ended" email per grant to each contact, and no other mail twice.
    expectMailOnce(done, mailer.attempts, [p.admin.email, p.contact.email, p.agent.email]);
    for (const c of [p.admin, p.contact]) {
      expect(mailer.attempts.filter((a) => a.ok && a.to === c.email && /has ended/.test(a.subject))).toHaveLength(GRANTS);
    }
  });

  it('a grant with more open sessions than fit in one transaction: the job dying between its transactions leaves none open under an ended grant, and the next run ends them', async () => {
    // Prepare: a support-team grant with 60 open sessions (the first transaction holds 48).
    const p = await setupTenant(api);
    const t = `/v1/tenants/${p.tenantId}`;
    const g = await api.call('POST', `${t}/grants`, { as: p.admin, body: grantBody });
    for (let i = 0; i < 60; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          api.call('POST', `${t}/sessions`, {
            as: { ...p.agent, sub: `agent-${i + j}-${p.tenantId.slice(-8)}` },
            body: { reason: `s${i + j}`, grantId: g.body.grantId },
          }),
        ),
      );
      for (const r of batch) expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    await api.advance(3601);
    const thisTenant = (input: Record<string, unknown>) => keysOf(TX, input).some((k) => k.value === `TENANT#${p.tenantId}`);
    // Act: the first transaction (the grant and 48 sessions) goes through, the follow-ups fail.
    faults.arm({ command: TX, at: 'before', when: thisTenant, skip: 1, times: Infinity, error: throttled });
    await api.call('POST', '/_local/jobs/expire');
    await faults.settled();
    faults.clear();
    const half = await state(p);
    for (let i = 0; i < 2; i++) await api.call('POST', '/_local/jobs/expire');
    const s = await state(p);
    // Assess: half-way, the grant is still ACTIVE with exactly the sessions still open.
    expect(half.sessions.filter((x) => x.signOutAt === null).length).toBeGreaterThan(0);
    expectConsistent(half);
    // Then the next run finished.
    expect(s.grants[0]!.status).toBe('EXPIRED');
    expect(s.sessions.filter((x) => x.signOutAt === null).map((x) => x.sessionId)).toEqual([]);
    expectConsistent(s);
  });
});
