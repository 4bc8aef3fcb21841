/**
 * The job verifies what it sealed: after each run a tenant's checkpoint is at its sealed head, so a
 * user's verify reads only what came since and ends in one call however long the trail; a forged
 * event is reported by the job and holds the checkpoint back; and a tenant with a long backlog
 * does not hold back the verification of the others.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/contract/table.ts';
import { sealAuditTrail } from '../../lambdas/modules/audit/chain.ts';
import { verifyAuditTrail } from '../../lambdas/modules/audit/verify.ts';
import { watchAuditTrails } from '../../lambdas/modules/audit/watch.ts';
import { documentClient } from '../../lambdas/runtime/clients.ts';
import { createDynamoStore } from '../../lambdas/runtime/dynamo-store.ts';
import { localDynamoClient } from '../../local/dynamodb.ts';
import { putForgedAuditEvent } from '../helpers/forged-audit.ts';
import { setupTenant, startTestApi, type People, type TestApi } from '../helpers/http.ts';

/** The domain over the stack's table, with the local stack's keys. */
function domainDeps(api: TestApi, doc: DynamoDBDocumentClient) {
  const store = createDynamoStore({ doc, tableName: api.stack.tableName });
  return { chain: store, clock: api.stack.clock, key: 'local-only-audit-key', eventKey: 'local-only-event-key' };
}

/** A grant made, used and revoked: a few events, not sealed. */
async function grantUsedAndRevoked(api: TestApi, p: People, reason: string): Promise<void> {
  const g = await api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
    as: p.admin,
    body: { reason, scope: { level: 'read-only' }, durationHours: 1 },
  });
  expect(g.status).toBe(201);
  await api.call('POST', `/v1/tenants/${p.tenantId}/sessions`, { as: p.agent, body: { reason: 'look' } });
  await api.call('POST', `/v1/tenants/${p.tenantId}/grants/${g.body.grantId}/revoke`, { as: p.admin, body: {} });
}

async function stored(api: TestApi, doc: DynamoDBDocumentClient, key: { PK: string; SK: string }) {
  return (await doc.send(new GetCommand({ TableName: api.stack.tableName, Key: key, ConsistentRead: true }))).Item;
}

describe('the job verifies what it sealed', () => {
  let api: TestApi;
  let doc: DynamoDBDocumentClient;
  beforeAll(async () => {
    api = await startTestApi();
    doc = documentClient(localDynamoClient(api.stack.dynamoEndpoint));
  });
  afterAll(async () => api?.stop());

  const runJob = () => api.call('POST', '/_local/jobs/expire');
  const advance = (seconds: number) => api.call('POST', '/_local/clock', { body: { advanceSeconds: seconds } });
  const verify = (p: People) => api.call('GET', `/v1/tenants/${p.tenantId}/audit-events/verify`, { as: p.admin });
  const checkpointOf = (p: People) => stored(api, doc, keys.auditCheckpoint(p.tenantId));
  const headOf = (p: People) => stored(api, doc, keys.chainHead(p.tenantId));
  const problemsOf = (job: { body: { audit: { verify: { problems: { tenantId: string }[] } } } }, p: People) =>
    job.body.audit.verify.problems.filter((x) => x.tenantId === p.tenantId);

  it("moves the tenant's checkpoint to its sealed head; a verify after it reads only what is new", async () => {
    // Prepare: a history sealed and verified by one run, an hour ago; then a little more
    const p = await setupTenant(api);
    await grantUsedAndRevoked(api, p, 'old');
    const first = await runJob();
    const afterFirst = { head: await headOf(p), checkpoint: await checkpointOf(p) };
    await advance(3600);
    await api.call('PUT', `/v1/tenants/${p.tenantId}/contacts/${encodeURIComponent('new@acme.test')}`, {
      as: p.admin,
      body: { name: 'New' },
    });
    // Act
    const second = await runJob();
    const result = await verify(p);
    // Assess: each run left the checkpoint at the head it sealed and reported nothing; the user's
    // verify starts at the head and reads the one new event only
    expect(first.body.audit.verify).toMatchObject({ problems: [] });
    expect(first.body.audit.verify.caughtUp).toBeGreaterThanOrEqual(1);
    expect(afterFirst.checkpoint).toMatchObject({ seq: afterFirst.head!.seq, hash: afterFirst.head!.hash });
    expect(second.body.audit.verify).toMatchObject({ problems: [] });
    const head = await headOf(p);
    expect(head!.seq).toBe(afterFirst.head!.seq + 1);
    expect(await checkpointOf(p)).toMatchObject({ seq: head!.seq, hash: head!.hash });
    expect(result.body).toMatchObject({ valid: true, mode: 'incremental', complete: true, events: 1, problems: [] });
    expect(result.body.checkpoint.seq).toBe(head!.seq);
  });

  it("a trail longer than one call's reading: after the job, one call verifies it", async () => {
    // Prepare: about 16 events, sealed and verified by the job; an hour later one more
    const p = await setupTenant(api);
    for (const reason of ['one', 'two', 'three']) await grantUsedAndRevoked(api, p, reason);
    await runJob();
    await advance(3600);
    await api.call('PUT', `/v1/tenants/${p.tenantId}/contacts/${encodeURIComponent('late@acme.test')}`, {
      as: p.admin,
      body: { name: 'Late' },
    });
    await runJob();
    const deps = domainDeps(api, doc);
    // Act: a user's verification that reads 4 events at most, then the whole trail under the same bound
    const incremental = await verifyAuditTrail(deps, p.tenantId, { maxEvents: 4 });
    const full = await verifyAuditTrail(deps, p.tenantId, { maxEvents: 4, full: true });
    // Assess: from the job's checkpoint, one call reaches the end; from the first event it cannot
    expect(incremental).toMatchObject({ valid: true, complete: true, mode: 'incremental', events: 1, problems: [] });
    expect(incremental.head!.seq).toBeGreaterThan(12);
    expect(incremental.checkpoint!.seq).toBe(incremental.head!.seq);
    expect(full).toMatchObject({ complete: false, events: 4 });
  });

  it("a user's verification that stopped short is taken up by the next run, though nothing new was sealed", async () => {
    // Prepare: a trail the job verified to its head
    const p = await setupTenant(api);
    for (const reason of ['one', 'two']) await grantUsedAndRevoked(api, p, reason);
    await runJob();
    const head = (await headOf(p))!;
    // Act: a full verification by a user, 4 events a call, stopped after its first call; then a run
    const stopped = await verifyAuditTrail(domainDeps(api, doc), p.tenantId, { maxEvents: 4, full: true });
    const job = await runJob();
    // Assess: the user's call left the checkpoint at 4; the run, which sealed nothing of this
    // tenant, verified on from there to the head
    expect(stopped).toMatchObject({ complete: false, saved: { seq: 4 } });
    expect(job.body.audit.verify.tenants).toBeGreaterThanOrEqual(1);
    expect(problemsOf(job, p)).toEqual([]);
    expect((await headOf(p))!.seq).toBe(head.seq);
    expect(await checkpointOf(p)).toMatchObject({ seq: head.seq, hash: head.hash });
  });

  it('reports a forged event in its run, every run, and no checkpoint moves past it', async () => {
    // Prepare: a verified history
    const p = await setupTenant(api);
    await grantUsedAndRevoked(api, p, 'history');
    await runJob();
    const verified = await checkpointOf(p);
    const at = api.stack.clock.now();
    const eventId = ulid(at.getTime());
    // Act: an event put by hand as the API would, with the sealing marker but without the MAC; then
    // a genuine change and another run
    await putForgedAuditEvent(doc, api.stack.tableName, {
      tenantId: p.tenantId,
      eventId,
      at: at.toISOString(),
      actor: p.admin,
      details: { reason: 'looks routine' },
    });
    const first = await runJob();
    await api.call('PUT', `/v1/tenants/${p.tenantId}/contacts/${encodeURIComponent('after@acme.test')}`, {
      as: p.admin,
      body: { name: 'After' },
    });
    const second = await runJob();
    const user = await verify(p);
    // Assess: both runs name the tenant and the kind; the checkpoint stays where it was before the
    // forged event, though the head moved twice; the user's verify names the event
    expect(problemsOf(first, p)).toEqual([{ tenantId: p.tenantId, kinds: { forged: 1 } }]);
    expect(problemsOf(second, p)).toEqual([{ tenantId: p.tenantId, kinds: { forged: 1 } }]);
    expect((await headOf(p))!.seq).toBe(verified!.seq + 2);
    expect(await checkpointOf(p)).toEqual(verified);
    expect(user.body).toMatchObject({ valid: false, saved: null });
    expect(user.body.problems).toEqual([expect.objectContaining({ problem: 'forged', eventId })]);
  });

  it('an event slipped in with an old id and the sealing marker: the job reports the position it took, which it did not read', async () => {
    // Prepare
    const p = await setupTenant(api);
    await grantUsedAndRevoked(api, p, 'history');
    await runJob();
    const verified = await checkpointOf(p);
    const eventId = '01FORGEDSEALED00000000000';
    const at = api.stack.clock.now().toISOString();
    // Act
    await putForgedAuditEvent(doc, api.stack.tableName, { tenantId: p.tenantId, eventId, at, actor: p.admin });
    const job = await runJob();
    // Assess: sealed at the next position, which the incremental read (from the checkpoint's
    // `fromEventId`) cannot reach: a gap; the checkpoint stays
    expect(problemsOf(job, p)).toEqual([{ tenantId: p.tenantId, kinds: { missing: 1 } }]);
    expect(await checkpointOf(p)).toEqual(verified);
  });
});

describe('one tenant failing', () => {
  let api: TestApi;
  let doc: DynamoDBDocumentClient;
  beforeAll(async () => {
    api = await startTestApi();
    doc = documentClient(localDynamoClient(api.stack.dynamoEndpoint));
  });
  afterAll(async () => api?.stop());

  it("a tenant whose verification fails is reported and stays queued; the others' verification goes on", async () => {
    // Prepare: two tenants sealed; the first one's head edited by hand into something that is no head
    const deps = domainDeps(api, doc);
    const broken = await setupTenant(api);
    const fine = await setupTenant(api);
    await sealAuditTrail(deps);
    await doc.send(
      new UpdateCommand({
        TableName: api.stack.tableName,
        Key: keys.chainHead(broken.tenantId),
        UpdateExpression: 'SET seq = :s',
        ExpressionAttributeValues: { ':s': 'not a number' },
      }),
    );
    // Act
    const report = await watchAuditTrails(deps, () => true);
    // Assess
    expect(report).toMatchObject({ tenants: 1, caughtUp: 1, waiting: 1, problems: [] });
    expect(report.failed).toEqual([{ tenantId: broken.tenantId, error: expect.any(String) }]);
    expect(await stored(api, doc, keys.auditCheckpoint(fine.tenantId))).toMatchObject({ seq: 2 });
    expect((await watchAuditTrails(deps, () => true)).failed).toEqual([{ tenantId: broken.tenantId, error: expect.any(String) }]);
  });
});

describe('fair verification across tenants', () => {
  let api: TestApi;
  let doc: DynamoDBDocumentClient;
  // A table of its own: the queue holds only the tenants of this test.
  beforeAll(async () => {
    api = await startTestApi();
    doc = documentClient(localDynamoClient(api.stack.dynamoEndpoint));
  });
  afterAll(async () => api?.stop());

  const advance = (seconds: number) => api.call('POST', '/_local/clock', { body: { advanceSeconds: seconds } });

  it('a tenant with a long backlog gets one share per round and goes to the back; the others are verified', async () => {
    // Prepare: three tenants sealed (not verified) one minute apart, the first with a long backlog,
    // sealed again after the others
    const deps = domainDeps(api, doc);
    const seal = async () => {
      await sealAuditTrail(deps);
      await advance(60);
    };
    const busy = await setupTenant(api);
    for (const reason of ['one', 'two', 'three']) await grantUsedAndRevoked(api, busy, reason);
    await seal();
    const quiet = await setupTenant(api);
    await seal();
    const late = await setupTenant(api);
    await seal();
    // the busy tenant sealed again, last: it keeps its place in the queue
    await api.call('PUT', `/v1/tenants/${busy.tenantId}/contacts/${encodeURIComponent('more@acme.test')}`, {
      as: busy.admin,
      body: { name: 'More' },
    });
    await seal();
    const head = async (p: People) => (await stored(api, doc, keys.chainHead(p.tenantId)))!.seq as number;
    const checkpoint = async (p: People) => (await stored(api, doc, keys.auditCheckpoint(p.tenantId)))?.seq as number | undefined;
    const budget = (n: number) => () => n-- > 0;
    // Act: a run with time for two verifications, one at a time, 4 events a share; then a run with
    // time for one; then one with time enough
    const first = await watchAuditTrails(deps, budget(2), { share: 4, parallel: 1 });
    const afterFirst = { busy: await checkpoint(busy), quiet: await checkpoint(quiet), late: await checkpoint(late) };
    const second = await watchAuditTrails(deps, budget(1), { share: 4, parallel: 1 });
    const lateAfterSecond = await checkpoint(late);
    const third = await watchAuditTrails(deps, budget(100), { share: 4, parallel: 1 });
    // Assess: the first run gave the busy tenant one share (it has waited longest) and the quiet one its
    // turn; the busy one then went to the back, so the second run took the late tenant; the third
    // ran rounds until the busy one reached its head
    expect(await head(busy)).toBeGreaterThan(8);
    expect(first).toMatchObject({ tenants: 2, caughtUp: 1, events: 4 + 2, problems: [] });
    expect(afterFirst).toEqual({ busy: 4, quiet: 2, late: undefined });
    expect(second).toMatchObject({ tenants: 1, caughtUp: 1, problems: [] });
    expect(lateAfterSecond).toBe(2);
    expect(third).toMatchObject({ tenants: 1, caughtUp: 1, waiting: 0, problems: [] });
    expect(await checkpoint(busy)).toBe(await head(busy));
    expect(await watchAuditTrails(deps, budget(100), { share: 4 })).toEqual({
      tenants: 0,
      events: 0,
      caughtUp: 0,
      waiting: 0,
      problems: [],
      failed: [],
    });
  });
});
