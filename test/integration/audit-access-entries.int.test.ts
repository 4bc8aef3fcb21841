/**
 * What sign-in trusts (issue 22): sign-in and the access check read the access entries
 * (`ACCESS#…`), copies of the grant. Someone with write access to the table who widens an entry or
 * adds one for another agent gets no session (sign-in's write is conditioned on the grant item
 * saying what the entry says), and `GET /v1/tenants/{t}/audit-events/verify` answers
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
/** Every session the tenant's login history holds, and those its grant records as open. */
const sessionsOf = async (p: People, grantId: string) => ({
  history: (await api.call('GET', `/v1/tenants/${p.tenantId}/sessions`, { as: p.admin })).body.items as unknown[],
  open: (await doc.send(new GetCommand({ TableName: TableName(), Key: keys.grant(p.tenantId, grantId) }))).Item!.openSessions,
});
const lastEvent = async (p: People) => (await api.call('GET', `/v1/tenants/${p.tenantId}/audit-events`, { as: p.admin })).body.items[0];
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
  it('refuses a sign-in under an access entry widened by hand from read-only billing to full; verify names it, the job counts it', async () => {
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
    const refused = await signIn(p, p.agent);
    const written = await sessionsOf(p, grantId);
    const denied = await lastEvent(p);
    // The refusal's event is sealed once its minute has been counted, and the job verifies what it sealed
    await advance(180);
    const job = await runJob();
    const incremental = await verify(p);
    const full = await verify(p, true);
    // Assess: a tampered copy is no access (no token, no session, the refusal audited), and every
    // verification names the grant and its scope
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'ACCESS_NOT_GRANTED' });
    expect(refused.body.token).toBeUndefined();
    expect(written).toEqual({ history: [], open: undefined });
    expect(denied).toMatchObject({ action: 'session.denied', actor: { id: p.agent.sub } });
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

  it('signs in under the grant that backs its entry when the one it prefers was widened by hand', async () => {
    // Prepare: the billing grant (8 h, preferred: it lasts longest) and a 2 h read-only team grant
    const p = await setupTenant(api);
    const grantId = await billingGrant(p);
    const team = await ok(
      api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
        as: p.admin,
        body: { reason: 'team', scope: { level: 'read-only' }, durationHours: 2 },
      }),
      201,
      'team grant',
    );
    await doc.send(
      new UpdateCommand({
        TableName: TableName(),
        Key: agentEntry(p, p.agent.sub, grantId),
        UpdateExpression: 'SET #scope = :full',
        ExpressionAttributeNames: { '#scope': 'scope' },
        ExpressionAttributeValues: { ':full': { level: 'full' } },
      }),
    );
    // Act
    const session = await ok(signIn(p, p.agent), 201, 'sign-in');
    // Assess: the widened copy is passed over; the token is the team grant's
    expect(claims(session.body.token)).toMatchObject({ scope: 'read-only', grant_id: team.body.grantId });
    expect(session.body.grantId).toBe(team.body.grantId);
    expect((await sessionsOf(p, grantId)).open).toBeUndefined();
  });

  it('refuses Eve a sign-in under an access entry added by hand; once the grant is edited to name her too, verify names both', async () => {
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
    const refused = await signIn(p, eve);
    const written = await sessionsOf(p, grantId);
    const denied = await lastEvent(p);
    // Assess: the access check reads the entry alone (Eve's entry says she is covered), but sign-in
    // writes under the grant, which does not name her: no session, the refusal audited
    expect(allowed).toBe(true);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'ACCESS_NOT_GRANTED' });
    expect(written).toEqual({ history: [], open: undefined });
    expect(denied).toMatchObject({ action: 'session.denied', actor: { id: eve.sub } });

    // Act again: the grant item edited to name Eve too (so her entry matches the grant), and she signs in
    await doc.send(
      new UpdateCommand({
        TableName: TableName(),
        Key: keys.grant(p.tenantId, grantId),
        UpdateExpression: 'SET grantees = :g',
        ExpressionAttributeValues: { ':g': grantees },
      }),
    );
    const edited = await verify(p, true);
    const session = await ok(signIn(p, eve), 201, 'Eve signs in under the edited grant');
    const job = await runJob();
    const incremental = await verify(p);
    const full = await verify(p, true);
    // Assess: the full check names the edited grant and Eve's entry before she uses it, and her
    // sign-in after; the incremental check (the grant as stored) the agent's entry, which does not name her
    expect(edited.body.problems).toContainEqual(expect.objectContaining({ problem: 'grant-state', grantId, fields: ['grantees'] }));
    expect(entryProblems(edited)).toEqual([expect.objectContaining({ grantId, eventId: null, fields: ['principal', 'grantees'] })]);
    expect(full.body.problems).toContainEqual(expect.objectContaining({ problem: 'grant-state', grantId, fields: ['grantees'] }));
    expect(entryProblems(full)).toEqual([
      expect.objectContaining({ grantId, eventId: null, fields: ['principal', 'grantees'] }),
      expect.objectContaining({
        grantId,
        fields: ['principal'],
        detail: expect.stringContaining(`${eve.sub} (${eve.email}) signed in (session ${session.body.sessionId})`),
      }),
    ]);
    expect(claims(session.body.token)).toMatchObject({ scope: 'read-only', modules: ['billing'], grant_id: grantId });
    expect(incremental.body.valid).toBe(false);
    expect(entryProblems(incremental)).toEqual([
      expect.objectContaining({ grantId, fields: ['grantees'], detail: expect.stringContaining(`-${eve.sub}`) }),
    ]);
    expect(jobKinds(job, p)).toEqual([{ 'access-entry': 1 }]);
  });

  it('refuses a sign-in under a support-team entry added by hand to a named grant, and names it before anyone uses it', async () => {
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
    const refused = await signIn(p, p.lead);
    const result = await verify(p);
    // Assess: the access check reads the entry alone; sign-in, under the grant, refuses the lead
    expect(allowed).toBe(true);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'ACCESS_NOT_GRANTED' });
    expect(await sessionsOf(p, grantId)).toEqual({ history: [], open: undefined });
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
