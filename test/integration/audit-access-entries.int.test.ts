/**
 * Verification checks what sign-in trusts (issue 22): sign-in and the access check read the access
 * entries (`ACCESS#…`), not the grant, so someone with write access to the table who widens an
 * entry or adds one for another agent must make `GET /v1/tenants/{t}/audit-events/verify` answer
 * `valid: false`, naming the grant and what differs — and the job's verification counts it.
 */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/contract/table.ts';
import { documentClient } from '../../lambdas/runtime/clients.ts';
import { localDynamoClient } from '../../local/dynamodb.ts';
import { ok, setupTenant, startTestApi, type People, type TestApi, type Who } from '../helpers/http.ts';

let api: TestApi;
let doc: DynamoDBDocumentClient;
beforeAll(async () => {
  api = await startTestApi();
  doc = documentClient(localDynamoClient(api.stack.dynamoEndpoint));
});
afterAll(async () => api?.stop());

const TableName = () => api.stack.tableName;
const verify = (p: People, full = false) =>
  api.call('GET', `/v1/tenants/${p.tenantId}/audit-events/verify${full ? '?full=true' : ''}`, { as: p.admin });
const runJob = () => api.call('POST', '/_local/jobs/expire');
const advance = (seconds: number) => api.call('POST', '/_local/clock', { body: { advanceSeconds: seconds } });
const signIn = (p: People, who: Who) => api.call('POST', `/v1/tenants/${p.tenantId}/sessions`, { as: who, body: { reason: 'look' } });
const access = (p: People, who: Who) => api.call('GET', `/v1/tenants/${p.tenantId}/access`, { as: who });
const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const entryProblems = (r: { body: { problems: { problem: string; detail: string }[] } }) =>
  r.body.problems.filter((x) => x.problem === 'access-entry');
const jobKinds = (job: { body: { audit: { verify: { problems: { tenantId: string; kinds: object }[] } } } }, p: People) =>
  job.body.audit.verify.problems.filter((x) => x.tenantId === p.tenantId).map((x) => x.kinds);

/**
 * A grant naming the agent, read-only on billing, sealed and verified clean; then, an hour later,
 * verified again, so an incremental check no longer reads its events (it compares its entries with
 * the grant as stored, which a full check compares with its events).
 */
async function billingGrant(p: People): Promise<string> {
  const g = await ok(
    api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
      as: p.admin,
      body: {
        reason: 'billing question',
        scope: { level: 'read-only', modules: ['billing'] },
        durationHours: 8,
        grantees: [{ id: p.agent.sub, email: p.agent.email, name: p.agent.name }],
      },
    }),
    201,
    'grant',
  );
  await runJob();
  expect((await verify(p)).body).toMatchObject({ valid: true, problems: [] });
  await advance(3600);
  // Verified again: the checkpoint now starts after the grant's events.
  expect((await verify(p)).body).toMatchObject({ valid: true, problems: [] });
  return g.body.grantId as string;
}

const agentEntry = (p: People, sub: string, grantId: string) => keys.accessEntry(p.tenantId, { kind: 'agent', id: sub }, grantId);

describe('verify checks the access entries sign-in reads', () => {
  it('names a grant whose access entry was widened by hand from read-only billing to full, and the job counts it', async () => {
    // Prepare
    const p = await setupTenant(api);
    const grantId = await billingGrant(p);
    // Act: the agent's entry widened to full, all modules; the agent signs in under it
    await doc.send(
      new UpdateCommand({
        TableName: TableName(),
        Key: agentEntry(p, p.agent.sub, grantId),
        UpdateExpression: 'SET #scope = :full',
        ExpressionAttributeNames: { '#scope': 'scope' },
        ExpressionAttributeValues: { ':full': { level: 'full' } },
      }),
    );
    const session = await ok(signIn(p, p.agent), 201, 'sign-in');
    const job = await runJob();
    const incremental = await verify(p);
    const full = await verify(p, true);
    // Assess: the attack worked (a full token) and every verification names the grant and its scope
    expect(claims(session.body.token)).toMatchObject({ scope: 'full', grant_id: grantId });
    expect(claims(session.body.token).modules).toBeUndefined();
    for (const r of [incremental, full]) {
      expect(r.body).toMatchObject({ valid: false, saved: null });
      expect(entryProblems(r)).toEqual([expect.objectContaining({ problem: 'access-entry', grantId, fields: ['scope'] })]);
    }
    expect(incremental.body.mode).toBe('incremental');
    expect(entryProblems(incremental)[0]).toMatchObject({
      detail: expect.stringMatching(/scope full, the grant says read-only \[billing\]/),
    });
    expect(entryProblems(full)[0]).toMatchObject({ detail: expect.stringMatching(/scope full, its events say read-only \[billing\]/) });
    expect(jobKinds(job, p)).toEqual([{ 'access-entry': 1 }]);
  });

  it('names a grant under which Eve signed in with an access entry added by hand, and one whose grant was edited to name her', async () => {
    // Prepare
    const p = await setupTenant(api);
    const eve = p.agent2;
    const grantId = await billingGrant(p);
    expect((await access(p, eve)).body.allowed).toBe(false);
    // Act: the agent's entry copied into Eve's partition, naming Eve; Eve signs in
    const real = (await doc.send(new GetCommand({ TableName: TableName(), Key: agentEntry(p, p.agent.sub, grantId) }))).Item!;
    const grantees = [...(real.grantees as object[]), { id: eve.sub, email: eve.email, name: eve.name, addedAt: real.createdAt }];
    await doc.send(
      new PutCommand({
        TableName: TableName(),
        Item: { ...real, ...agentEntry(p, eve.sub, grantId), GSI1PK: keys.principalIndex({ kind: 'agent', id: eve.sub }), grantees },
      }),
    );
    const allowed = (await access(p, eve)).body.allowed;
    const session = await ok(signIn(p, eve), 201, 'Eve signs in');
    const job = await runJob();
    const incremental = await verify(p);
    const full = await verify(p, true);
    // Assess: Eve got in (her entry cannot be found by its key before she uses it); both
    // verifications name her sign-in under the grant, which does not name her
    expect(allowed).toBe(true);
    for (const r of [incremental, full]) {
      expect(r.body.valid).toBe(false);
      expect(entryProblems(r)).toEqual([expect.objectContaining({ grantId, fields: ['principal'] })]);
      expect(entryProblems(r)[0]).toMatchObject({
        detail: expect.stringContaining(`${eve.sub} (${eve.email}) signed in (session ${session.body.sessionId})`),
      });
    }
    expect(jobKinds(job, p)).toEqual([{ 'access-entry': 1 }]);

    // Act again: the grant item edited to name Eve too (so her entry matches the grant)
    await doc.send(
      new UpdateCommand({
        TableName: TableName(),
        Key: keys.grant(p.tenantId, grantId),
        UpdateExpression: 'SET grantees = :g',
        ExpressionAttributeValues: { ':g': grantees },
      }),
    );
    const edited = await verify(p, true);
    // Assess: the grant differs from its events, and so do Eve's entry and her sign-in
    expect(edited.body.problems).toContainEqual(expect.objectContaining({ problem: 'grant-state', grantId, fields: ['grantees'] }));
    expect(entryProblems(edited)).toEqual([
      expect.objectContaining({ grantId, eventId: null, fields: ['principal', 'grantees'] }),
      expect.objectContaining({ grantId, eventId: expect.any(String), fields: ['principal'] }),
    ]);
  });

  it('names a support-team entry added by hand to a named grant, before anyone uses it', async () => {
    // Prepare
    const p = await setupTenant(api);
    const grantId = await billingGrant(p);
    const real = (await doc.send(new GetCommand({ TableName: TableName(), Key: agentEntry(p, p.agent.sub, grantId) }))).Item!;
    // Act: a team entry for the grant: every support agent would be let in
    await doc.send(
      new PutCommand({
        TableName: TableName(),
        Item: {
          ...real,
          ...keys.accessEntry(p.tenantId, { kind: 'team' }, grantId),
          GSI1PK: keys.principalIndex({ kind: 'team' }),
          audience: 'support-team',
        },
      }),
    );
    const allowed = (await access(p, p.lead)).body.allowed;
    const result = await verify(p);
    // Assess
    expect(allowed).toBe(true);
    expect(result.body).toMatchObject({ valid: false, mode: 'incremental' });
    expect(entryProblems(result)).toEqual([expect.objectContaining({ grantId, fields: ['principal', 'audience'] })]);
    expect(entryProblems(result)[0]!.detail).toMatch(/access entry of the support team .* does not cover the support team/);
  });

  it('verifies valid after the API itself changes entries: a grantee added, an extension, a sign-in, a revoke', async () => {
    // Prepare
    const p = await setupTenant(api);
    const grantId = await billingGrant(p);
    const t = `/v1/tenants/${p.tenantId}`;
    // Act
    await ok(
      api.call('POST', `${t}/grants/${grantId}/grantees`, {
        as: p.admin,
        body: { id: p.agent2.sub, email: p.agent2.email, name: p.agent2.name },
      }),
      200,
      'grantee added',
    );
    await ok(api.call('POST', `${t}/grants/${grantId}/extensions`, { as: p.admin, body: { hours: 1, reason: 'more' } }), 200, 'extended');
    await ok(signIn(p, p.agent2), 201, 'sign-in');
    const team = await ok(
      api.call('POST', `${t}/grants`, { as: p.admin, body: { reason: 'team', scope: { level: 'full' }, durationHours: 2 } }),
      201,
      'team grant',
    );
    await ok(signIn(p, p.lead), 201, 'lead signs in');
    await runJob();
    const live = await verify(p);
    const liveFull = await verify(p, true);
    await ok(api.call('POST', `${t}/grants/${team.body.grantId}/revoke`, { as: p.admin, body: {} }), 200, 'revoke');
    await runJob();
    const after = await verify(p, true);
    // Assess
    expect(live.body).toMatchObject({ valid: true, mode: 'incremental', problems: [] });
    expect(liveFull.body).toMatchObject({ valid: true, problems: [] });
    expect(liveFull.body.grantsChecked).toBe(2);
    expect(after.body).toMatchObject({ valid: true, problems: [] });
  });
});
