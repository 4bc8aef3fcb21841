/**
 * Infrastructure faults, injected at the DynamoDB SDK client of the local stack (`Faults`, SDK
 * middleware; every request not failed on purpose goes to DynamoDB Local): throttling and
 * timeouts before the table is reached, inside the SDK's retries and after a transaction
 * committed; transactions cancelled for a reason that is not a lost race; mail delivery dying
 * after it sent (the expiry job dying half-way: `expiry-job-faults.int.test.ts`). In every case
 * the API answers a clear 5xx problem (that says nothing internal) or succeeds through a retry,
 * and afterwards nothing is lost,
 * half-written or duplicated: the tenant's stored state is consistent (`expectConsistent`), a
 * retry with the same Idempotency-Key does the work once, and the next job run finishes the rest.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import { documentClient } from '../../lambdas/runtime/index.ts';
import { localDynamoClient } from '../../local/dynamodb.ts';
import { cancelled, Faults, keysOf, overProvisioned, throttled, timedOut, type FaultRule } from '../helpers/dynamo-probe.ts';
import { expectProblem } from '../helpers/guard-checks.ts';
import { setupTenant, startTestApi, type People, type Res, type TestApi } from '../helpers/http.ts';
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

/** A tenant with a named grant for its agent and an open session under it. */
async function world() {
  const p = await setupTenant(api);
  const t = `/v1/tenants/${p.tenantId}`;
  const grant = await api.call('POST', `${t}/grants`, {
    as: p.admin,
    body: { ...grantBody, grantees: [{ id: p.agent.sub, email: p.agent.email, name: p.agent.name }] },
  });
  expect(grant.status).toBe(201);
  const session = await api.call('POST', `${t}/sessions`, { as: p.agent, body: { reason: 'look' } });
  expect(session.status).toBe(201);
  const request = await api.call('POST', `${t}/access-requests`, {
    as: p.agent,
    body: { ticketId: 'T-F', reason: 'faults', scope: { level: 'read-only' }, durationHours: 1 },
  });
  expect(request.status).toBe(201);
  return {
    p,
    t,
    grantId: grant.body.grantId as string,
    sessionId: session.body.sessionId as string,
    requestId: request.body.requestId as string,
  };
}
type World = Awaited<ReturnType<typeof world>>;

/** The writes of the contract that change state through one transaction, with a valid call each. */
const WRITES: { name: string; call: (w: World) => Promise<Res>; status: number; action: string }[] = [
  {
    name: 'CreateGrant',
    status: 201,
    action: 'grant.activated',
    call: (w) => api.call('POST', `${w.t}/grants`, { as: w.p.admin, body: grantBody, headers: { 'idempotency-key': 'fault-1' } }),
  },
  {
    name: 'RevokeGrant',
    status: 200,
    action: 'grant.revoked',
    call: (w) => api.call('POST', `${w.t}/grants/${w.grantId}/revoke`, { as: w.p.admin, body: {} }),
  },
  {
    name: 'ApproveAccessRequest',
    status: 200,
    action: 'request.approved',
    call: (w) => api.call('POST', `${w.t}/access-requests/${w.requestId}/approve`, { as: w.p.contact, body: {} }),
  },
  {
    name: 'SignIn',
    status: 201,
    action: 'session.started',
    call: (w) =>
      api.call('POST', `${w.t}/sessions`, { as: w.p.agent, body: { reason: 'again' }, headers: { 'idempotency-key': 'fault-2' } }),
  },
  {
    name: 'AddGrantee',
    status: 200,
    action: 'grant.grantee_added',
    call: (w) =>
      api.call('POST', `${w.t}/grants/${w.grantId}/grantees`, {
        as: w.p.lead,
        body: { id: 'extra-1', email: 'extra-1@vendor.test', name: 'Extra' },
      }),
  },
  {
    name: 'EndSession',
    status: 200,
    action: 'session.ended',
    call: (w) => api.call('POST', `${w.t}/sessions/${w.sessionId}/end`, { as: w.p.agent, body: {} }),
  },
  {
    name: 'DeleteContact',
    status: 204,
    action: 'contact.removed',
    call: (w) => api.call('DELETE', `${w.t}/contacts/${encodeURIComponent(w.p.contact.email)}`, { as: w.p.admin }),
  },
];

/** A 500 problem that names no internal detail (the cause is in the log, with the request id). */
function expectInternal(res: Res, what: string): void {
  expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(500);
  expectProblem(res, 500, 'INTERNAL');
  expect(JSON.stringify(res.body)).not.toMatch(/Throttl|Provisioned|Timeout|Transaction|Cancel|dynamo/i);
}

const count = (s: { audit: Item[] }, action: string) => s.audit.filter((e) => e.action === action).length;

describe("DynamoDB refusing a write (throttled, timed out, cancelled), past the SDK's retries", () => {
  const FAILURES: [string, FaultRule['error']][] = [
    ['ThrottlingException', throttled],
    ['ProvisionedThroughputExceededException', overProvisioned],
    ['TimeoutError', timedOut],
    ['a transaction cancelled for throttling', () => cancelled('ThrottlingError', 3)],
  ];
  // Every failure on the grant's two transitions; every other write with a cancelled transaction
  // (where a wrong mapping would answer 409 or 404) and one of the others, in turn.
  const cases = WRITES.flatMap((w, i) =>
    (['CreateGrant', 'RevokeGrant'].includes(w.name) ? FAILURES : [FAILURES[3]!, FAILURES[i % 3]!]).map(([fault, error]) => ({
      name: `${w.name}, ${fault}`,
      write: w,
      error,
    })),
  );

  it.each(cases)('$name: 500 INTERNAL, nothing written; then the same call succeeds once', async ({ write, error }) => {
    // Prepare
    const w = await world();
    const before = await state(w.p);
    // Act: every attempt at the transaction fails
    faults.arm({ command: TX, at: 'before', times: Infinity, error });
    const failed = await write.call(w);
    faults.clear();
    const afterFailure = await state(w.p);
    const retried = await write.call(w);
    const after = await state(w.p);
    // Assess
    expectInternal(failed, write.name);
    // Nothing of the change; its Idempotency-Key claim is left released (marked, not deleted: the
    // function holds no DeleteItem), inert until TTL removes it.
    const released = afterFailure.all.filter((i) => i.type === 'idempotency' && !before.all.some((b) => b.SK === i.SK));
    expect(released.map((i) => [i.status, i.expiresAt])).toEqual(
      write.name === 'CreateGrant' || write.name === 'SignIn' ? [['RELEASED', 0]] : [],
    );
    expect(afterFailure.all.filter((i) => !released.includes(i))).toEqual(before.all);
    expect(retried.status, JSON.stringify(retried.body)).toBe(write.status);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(count(after, write.action)).toBe(count(before, write.action) + 1);
    expectConsistent(after);
  });
});

describe('DynamoDB failing for a moment: the SDK retries and the call succeeds, once', () => {
  const MOMENTARY: [string, FaultRule][] = [
    ['a throttled transaction', { command: TX, at: 'attempt', times: 1, error: throttled }],
    // The SDK resends the same ClientRequestToken, and DynamoDB answers the committed transaction.
    ['a timeout after the transaction committed (the answer lost)', { command: TX, at: 'after', times: 1, error: timedOut }],
  ];
  const READS: [string, FaultRule][] = [
    ['a timeout before the transaction reached the table', { command: TX, at: 'attempt', times: 1, error: timedOut }],
    ['a throttled read', { command: 'GetItemCommand', at: 'attempt', times: 1, error: throttled }],
    ['a throttled access check', { command: 'ExecuteStatementCommand', at: 'attempt', times: 1, error: overProvisioned }],
  ];
  const cases = [
    ...WRITES.flatMap((w, i) =>
      (i < 3 ? MOMENTARY : MOMENTARY.slice(1)).map(([fault, rule]) => ({ name: `${w.name}, ${fault}`, write: w, rule })),
    ),
    ...WRITES.filter((w) => ['CreateGrant', 'SignIn'].includes(w.name)).flatMap((w) =>
      READS.map(([fault, rule]) => ({ name: `${w.name}, ${fault}`, write: w, rule })),
    ),
  ];

  it.each(cases)('$name', async ({ write, rule }) => {
    // Prepare
    const w = await world();
    const before = await state(w.p);
    // Act
    const armed = faults.arm(rule);
    const res = await write.call(w);
    faults.clear();
    const after = await state(w.p);
    // Assess
    expect(res.status, JSON.stringify(res.body)).toBe(write.status);
    expect(count(after, write.action)).toBe(count(before, write.action) + 1);
    expectConsistent(after);
    // The fault did happen where the route goes (an access check only where one is made).
    if (rule.command === TX) expect(armed.failed).toBeGreaterThan(0);
  });

  it('a conflicting transaction is a lost race: the service reads again and applies the change once', async () => {
    // Prepare
    const w = await world();
    // Act
    faults.arm({ command: TX, at: 'before', times: 2, error: () => cancelled('TransactionConflict', 4) });
    const res = await api.call('POST', `${w.t}/grants/${w.grantId}/revoke`, { as: w.p.lead, body: {} });
    // Assess
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const s = await state(w.p);
    expect(count(s, 'grant.revoked')).toBe(1);
    expectConsistent(s);
  });
});

describe("an answer lost after the change committed, past the SDK's retries", () => {
  it('the store sees the change was applied and answers it; a retry with the same key replays it, one grant', async () => {
    // Prepare
    const p = await setupTenant(api);
    const call = () =>
      api.call('POST', `/v1/tenants/${p.tenantId}/grants`, { as: p.admin, body: grantBody, headers: { 'idempotency-key': 'lost-answer' } });
    // Act: the first attempt commits, every answer (the SDK's retries are answered from the
    // transaction's token) is lost
    faults.arm({ command: TX, at: 'after', times: Infinity, error: timedOut });
    const first = await call();
    faults.clear();
    const retried = await call();
    // Assess
    expect(first.status).toBe(201);
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(retried.body.grantId).toBe(first.body.grantId);
    expect((await state(p)).grants).toHaveLength(1);
  });

  it('when even the check fails, the answer is a 500 and the key stays taken: the retry cannot grant twice', async () => {
    // Prepare
    const p = await setupTenant(api);
    const call = () =>
      api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
        as: p.admin,
        body: grantBody,
        headers: { 'idempotency-key': 'unknown-outcome' },
      });
    // Act: the transaction commits, its answer is lost, and the read that would tell fails too
    faults.arm({ command: TX, at: 'after', times: Infinity, error: timedOut });
    faults.arm({
      command: 'GetItemCommand',
      when: (input) => /"SK":(\{"S":)?"AUDIT#/.test(JSON.stringify(input.Key ?? {})),
      at: 'before',
      times: Infinity,
      error: timedOut,
    });
    const first = await call();
    faults.clear();
    const retried = await call();
    // Assess
    expectInternal(first, 'CreateGrant');
    expect(retried.status).toBe(409);
    expect(retried.body.code).toBe('CONFLICT');
    expect(retried.body.detail).toMatch(/without knowing whether it was applied/);
    expect((await state(p)).grants).toHaveLength(1);
  });

  it('a write that did not commit is not mistaken for one that did: 500, nothing written, the key released', async () => {
    // Prepare
    const p = await setupTenant(api);
    const before = await state(p);
    const call = () =>
      api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
        as: p.admin,
        body: grantBody,
        headers: { 'idempotency-key': 'never-applied' },
      });
    // Act
    faults.arm({ command: TX, at: 'before', times: Infinity, error: timedOut });
    const first = await call();
    faults.clear();
    const retried = await call();
    // Assess
    expectInternal(first, 'CreateGrant');
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect((await state(p)).grants).toHaveLength(before.grants.length + 1);
  });
});

describe('DynamoDB failing on reads: the API fails closed', () => {
  it('the access check and sign-in answer 500, never access; the login history is unchanged', async () => {
    // Prepare
    const w = await world();
    const before = await state(w.p);
    // Act
    faults.arm({ command: 'ExecuteStatementCommand', at: 'before', times: Infinity, error: throttled });
    const access = await api.call('GET', `${w.t}/access`, { as: w.p.agent });
    const signIn = await api.call('POST', `${w.t}/sessions`, { as: w.p.agent, body: { reason: 'while throttled' } });
    faults.clear();
    // Assess
    expectInternal(access, 'GetAccess');
    expectInternal(signIn, 'SignIn');
    expect((await state(w.p)).all).toEqual(before.all);
  });

  it.each(['GetItemCommand', 'QueryCommand', 'ExecuteStatementCommand'])(
    'every read route answers a 500 problem when %s times out, and changes nothing',
    async (command) => {
      // Prepare
      const w = await world();
      const before = await state(w.p);
      const reads = [
        ['/contacts', w.p.admin],
        ['/policy', w.p.admin],
        [`/grants/${w.grantId}`, w.p.admin],
        ['/grants', w.p.admin],
        [`/access-requests/${w.requestId}`, w.p.contact],
        ['/access-requests', w.p.admin],
        ['/sessions', w.p.lead],
        ['/audit-events', w.p.admin],
      ] as const;
      // Act
      faults.arm({ command, at: 'before', times: Infinity, error: timedOut });
      const answers = await Promise.all([
        ...reads.map(([path, as]) => api.call('GET', `${w.t}${path}`, { as }).then((res) => ({ path, res }))),
        api.call('GET', '/v1/me/grants', { as: w.p.agent }).then((res) => ({ path: '/v1/me/grants', res })),
      ]);
      faults.clear();
      // Assess: those that use the command fail with a problem; none answers 200 with a partial view.
      const failed = answers.filter((a) => a.res.status !== 200);
      expect(failed.length).toBeGreaterThan(0);
      for (const a of failed) expectInternal(a.res, a.path);
      expect((await state(w.p)).all).toEqual(before.all);
    },
  );
});

describe('mail delivery dying after it sent', () => {
  it('when recording the delivery fails, the next try after the lease sends nothing again', async () => {
    // Prepare: the mail the file's other tests owe is sent first, so this grant's is the only one due.
    await api.stack.deliver();
    const p = await setupTenant(api);
    expect((await api.call('POST', `/v1/tenants/${p.tenantId}/grants`, { as: p.admin, body: grantBody })).status).toBe(201);
    const sentTo = (email: string) => mailer.attempts.filter((a) => a.ok && a.to === email).length;
    const outboxUpdate = (input: Record<string, unknown>) =>
      keysOf('UpdateItemCommand', input).some((k) => k.value.startsWith('OUTBOX#')) && !String(input.UpdateExpression).includes('sentTo');
    // Act: the sends go out, then marking the message sent (and putting it back in line) fails:
    // the sender is left holding its lease, as if it had died.
    const rule = faults.arm({
      command: 'UpdateItemCommand',
      at: 'before',
      when: (i) => outboxUpdate(i) && !String(i.UpdateExpression).includes('attempts = attempts'),
      times: 2,
      error: throttled,
    });
    await api.stack.deliver().catch(() => undefined);
    faults.clear();
    const sentFirst = [p.admin, p.contact].map((c) => sentTo(c.email));
    const early = await api.call('POST', '/_local/jobs/deliver');
    const sentEarly = [p.admin, p.contact].map((c) => sentTo(c.email));
    await api.advance(121);
    const late = await api.call('POST', '/_local/jobs/deliver');
    await api.advance(600);
    await api.call('POST', '/_local/jobs/deliver');
    // Assess
    expect(rule.failed).toBe(2);
    expect(sentFirst).toEqual([1, 1]);
    // Within the lease nobody takes the message over; after it, it is finished without a resend.
    expect(early.status).toBe(200);
    expect(sentEarly).toEqual([1, 1]);
    expect(late.status).toBe(200);
    const s = await state(p);
    expectMailOnce(s, mailer.attempts, [p.admin.email, p.contact.email]);
    for (const c of [p.admin, p.contact]) expect(mailer.attempts.filter((a) => a.ok && a.to === c.email)).toHaveLength(1);
  });
});
