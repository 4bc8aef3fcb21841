/**
 * The caller's own requests across tenants (`GET /v1/me/requests`) and a grant's sessions
 * (`GET /v1/tenants/{t}/grants/{id}/sessions`): paged newest first with signed cursors, read from
 * one index partition each (the requester's on GSI3, the grant's on GSI2).
 */
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attr, createTableInput, indexes, keys } from '../../lambdas/contract/table.ts';
import { documentClient } from '../../lambdas/runtime/index.ts';
import { backfillRequesterKeys } from '../../lambdas/modules/requests/store-migrations.ts';
import { ensureTable, localDynamoClient } from '../../local/dynamodb.ts';
import { setupTenant, startTestApi, type People, type Res, type TestApi, type Who } from '../helpers/http.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
const doc = documentClient(localDynamoClient(inject('dynamoEndpoint')));
afterAll(async () => {
  await api?.stop();
  doc.destroy();
});

type Req = { requestId: string; tenantId: string; status: string; requestedBy: { id: string }; ticketId: string };
type Sess = { sessionId: string; grantId: string; tenantId: string; accessedBy: { id: string } };

const ask = async (p: People, as: Who, ticketId: string) => {
  const res = await api.call('POST', `/v1/tenants/${p.tenantId}/access-requests`, {
    as,
    body: { ticketId, reason: 'customer cannot export', scope: { level: 'read-only' }, durationHours: 2 },
  });
  if (res.status !== 201) throw new Error(`request failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Req;
};

/** Every page of a list, following `nextCursor`; the pages' sizes too. */
async function walk<T>(path: string, as: Who, limit: number): Promise<{ items: T[]; sizes: number[] }> {
  const items: T[] = [];
  const sizes: number[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res: Res = await api.call('GET', `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { as });
    expect(res.status).toBe(200);
    items.push(...(res.body.items as T[]));
    sizes.push(res.body.items.length);
    cursor = res.body.nextCursor;
  } while (cursor);
  return { items, sizes };
}

describe('GET /v1/me/requests', () => {
  let a: People;
  let b: People;
  let agent: Who;
  let made: Req[];
  let others: Req[];
  beforeAll(async () => {
    // Two tenants; one agent asks at both, in turn, so that newest first alternates tenants.
    [a, b] = await Promise.all([setupTenant(api), setupTenant(api)]);
    agent = a.agent;
    made = [];
    for (let i = 0; i < 7; i++) made.push(await ask(i % 2 ? b : a, agent, `MY-${i}`));
    // Someone else asks at the same tenants: never in the agent's list.
    others = [await ask(a, a.agent2, 'OTHER-1'), await ask(b, a.lead, 'OTHER-2')];
    const deny = await api.call('POST', `/v1/tenants/${a.tenantId}/access-requests/${made[0]!.requestId}/deny`, {
      as: a.contact,
      body: {},
    });
    const cancel = await api.call('POST', `/v1/tenants/${b.tenantId}/access-requests/${made[1]!.requestId}/cancel`, { as: agent });
    expect([deny.status, cancel.status]).toEqual([200, 200]);
  });

  it("pages through the caller's requests at every tenant, newest first, each once", async () => {
    // Act
    const { items, sizes } = await walk<Req>('/v1/me/requests', agent, 3);
    // Assess
    expect(sizes).toEqual([3, 3, 1]);
    expect(items.map((r) => r.requestId)).toEqual([...made].reverse().map((r) => r.requestId));
    expect(new Set(items.map((r) => r.tenantId))).toEqual(new Set([a.tenantId, b.tenantId]));
    expect(items.every((r) => r.requestedBy.id === agent.sub)).toBe(true);
    expect(items.at(-1)).toMatchObject({ ticketId: 'MY-0', status: 'DENIED' });
  });

  it('keeps the requests in one status now, paged', async () => {
    // Act
    const pending = await walk<Req>('/v1/me/requests?status=PENDING', agent, 2);
    const denied = await walk<Req>('/v1/me/requests?status=DENIED', agent, 2);
    const cancelled = await walk<Req>('/v1/me/requests?status=CANCELLED', agent, 2);
    // Assess
    expect(pending.sizes).toEqual([2, 2, 1]);
    expect(pending.items.map((r) => r.ticketId)).toEqual(['MY-6', 'MY-5', 'MY-4', 'MY-3', 'MY-2']);
    expect(denied.items.map((r) => [r.ticketId, r.tenantId])).toEqual([['MY-0', a.tenantId]]);
    expect(cancelled.items.map((r) => [r.ticketId, r.tenantId])).toEqual([['MY-1', b.tenantId]]);
  });

  it('shows only what the caller asked for; another person sees their own', async () => {
    // Act
    const agent2 = await walk<Req>('/v1/me/requests', a.agent2, 25);
    const lead = await walk<Req>('/v1/me/requests', a.lead, 25);
    const fresh = await walk<Req>('/v1/me/requests', b.agent2, 25);
    // Assess
    expect(agent2.items.map((r) => r.requestId)).toEqual([others[0]!.requestId]);
    expect(lead.items.map((r) => r.requestId)).toEqual([others[1]!.requestId]);
    expect(fresh.items).toEqual([]);
  });

  it("refuses a cursor of another filter, and another caller's cursor, with a 400 that reads nothing", async () => {
    // Prepare
    const first = await api.call('GET', '/v1/me/requests?status=PENDING&limit=2', { as: agent });
    const cursor = encodeURIComponent(first.body.nextCursor as string);
    // Act
    const otherFilter = await api.call('GET', `/v1/me/requests?status=DENIED&limit=2&cursor=${cursor}`, { as: agent });
    const noFilter = await api.call('GET', `/v1/me/requests?limit=2&cursor=${cursor}`, { as: agent });
    const otherCaller = await api.call('GET', `/v1/me/requests?status=PENDING&limit=2&cursor=${cursor}`, { as: a.agent2 });
    const tenantList = await api.call('GET', `/v1/tenants/${a.tenantId}/access-requests?status=PENDING&limit=2&cursor=${cursor}`, {
      as: agent,
    });
    const same = await api.call('GET', `/v1/me/requests?status=PENDING&limit=2&cursor=${cursor}`, { as: agent });
    // Assess
    for (const res of [otherFilter, noFilter, otherCaller, tenantList]) {
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'cursor' }] });
    }
    expect(same.status).toBe(200);
    expect(same.body.items.map((r: Req) => r.ticketId)).toEqual(['MY-4', 'MY-3']);
  });

  it('refuses an unknown status and tenant people (the route is support-only)', async () => {
    // Act
    const bad = await api.call('GET', '/v1/me/requests?status=OPEN', { as: agent });
    const admin = await api.call('GET', '/v1/me/requests', { as: a.admin });
    // Assess
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ path: 'query.status' })]);
    expect(admin.status).toBe(403);
  });

  it('shows a PENDING request past its end as EXPIRED before the job has run', async () => {
    // Prepare: a tenant whose requests lapse after 1 hour; the job does not run in this stack.
    const c = await setupTenant(api, { requestTtlHours: 1 });
    const late = await ask(c, c.agent, 'LATE');
    await api.advance(3601);
    // Act
    const expired = await walk<Req>('/v1/me/requests?status=EXPIRED', c.agent, 25);
    const pending = await walk<Req>('/v1/me/requests?status=PENDING', c.agent, 25);
    // Assess
    expect(expired.items.map((r) => [r.requestId, r.status])).toEqual([[late.requestId, 'EXPIRED']]);
    expect(pending.items).toEqual([]);
  });
});

describe('GET /v1/tenants/{t}/grants/{id}/sessions', () => {
  const grant = async (p: People) => {
    const res = await api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
      as: p.admin,
      body: { reason: 'incident', scope: { level: 'read-only' }, durationHours: 4 },
    });
    expect(res.status).toBe(201);
    return res.body.grantId as string;
  };
  const signInOut = async (p: People, as: Who, grantId: string, reason: string, out = true) => {
    const s = await api.call('POST', `/v1/tenants/${p.tenantId}/sessions`, { as, body: { reason, grantId } });
    expect(s.status).toBe(201);
    if (out) expect((await api.call('POST', `/v1/tenants/${p.tenantId}/sessions/${s.body.sessionId}/end`, { as })).status).toBe(200);
    return s.body.sessionId as string;
  };

  it("pages through one grant's sessions, newest first, and no other grant's", async () => {
    // Prepare: two support-team grants; five sessions under the first, one under the second.
    const p = await setupTenant(api);
    const [g1, g2] = [await grant(p), await grant(p)];
    const mine: string[] = [];
    for (let i = 0; i < 4; i++) mine.push(await signInOut(p, i % 2 ? p.lead : p.agent, g1, `look ${i}`));
    const other = await signInOut(p, p.agent, g2, 'elsewhere');
    mine.push(await signInOut(p, p.agent2, g1, 'still inside', false));
    // Act
    const asAdmin = await walk<Sess>(`/v1/tenants/${p.tenantId}/grants/${g1}/sessions`, p.admin, 2);
    const asLead = await walk<Sess>(`/v1/tenants/${p.tenantId}/grants/${g1}/sessions`, p.lead, 25);
    const second = await walk<Sess>(`/v1/tenants/${p.tenantId}/grants/${g2}/sessions`, p.admin, 25);
    // Assess
    expect(asAdmin.sizes).toEqual([2, 2, 1]);
    expect(asAdmin.items.map((s) => s.sessionId)).toEqual([...mine].reverse());
    expect(asAdmin.items[0]).toMatchObject({ accessedBy: { id: p.agent2.sub }, signOutAt: null, reason: 'still inside' });
    expect(asLead.items.map((s) => s.sessionId)).toEqual(asAdmin.items.map((s) => s.sessionId));
    expect(second.items.map((s) => s.sessionId)).toEqual([other]);
  });

  it("answers 404 for an unknown grant and another tenant's, and 400 for a cursor of another grant", async () => {
    // Prepare
    const [p, q] = await Promise.all([setupTenant(api), setupTenant(api)]);
    const [g1, g2] = [await grant(p), await grant(p)];
    for (let i = 0; i < 3; i++) await signInOut(p, p.agent, g1, `s${i}`);
    const first = await api.call('GET', `/v1/tenants/${p.tenantId}/grants/${g1}/sessions?limit=1`, { as: p.admin });
    const cursor = encodeURIComponent(first.body.nextCursor as string);
    // Act
    const unknown = await api.call('GET', `/v1/tenants/${p.tenantId}/grants/01JUNKNOWNGRANT0000000000000/sessions`, { as: p.admin });
    const foreign = await api.call('GET', `/v1/tenants/${q.tenantId}/grants/${g1}/sessions`, { as: q.admin });
    const transplanted = await api.call('GET', `/v1/tenants/${p.tenantId}/grants/${g2}/sessions?limit=1&cursor=${cursor}`, { as: p.admin });
    const agent = await api.call('GET', `/v1/tenants/${p.tenantId}/grants/${g1}/sessions`, { as: p.agent });
    // Assess
    expect([unknown.status, foreign.status]).toEqual([404, 404]);
    expect(transplanted.status).toBe(400);
    expect(transplanted.body.errors).toEqual([expect.objectContaining({ path: 'cursor' })]);
    expect(agent.status).toBe(403);
  });
});

describe('requests written before the requester index', () => {
  it('are not in My requests until the backfill gives them their keys; a second run finds nothing', async () => {
    // Prepare: a request as written before GSI3 (its keys removed), and one written since.
    const p = await setupTenant(api);
    const old = await ask(p, p.agent, 'OLD');
    const since = await ask(p, p.agent, 'NEW');
    await doc.send(
      new UpdateCommand({
        TableName: api.stack.tableName,
        Key: keys.request(p.tenantId, old.requestId),
        UpdateExpression: 'REMOVE #a, #b',
        ExpressionAttributeNames: { '#a': attr.gsi3pk, '#b': attr.gsi3sk },
      }),
    );
    const before = await walk<Req>('/v1/me/requests', p.agent, 25);
    // Act
    const first = await backfillRequesterKeys(doc, api.stack.tableName);
    const after = await walk<Req>('/v1/me/requests', p.agent, 25);
    const second = await backfillRequesterKeys(doc, api.stack.tableName);
    // Assess
    expect(before.items.map((r) => r.ticketId)).toEqual(['NEW']);
    expect(first).toBe(1);
    expect(after.items.map((r) => r.requestId)).toEqual([since.requestId, old.requestId]);
    expect(second).toBe(0);
  });

  it('a kept local table from before GSI3 gains the index and its requests their keys when the stack starts', async () => {
    // Prepare: a table made with the indexes of before (GSI1, GSI2), holding one request.
    const endpoint = inject('dynamoEndpoint');
    const client = localDynamoClient(endpoint);
    const tableName = `old-${Date.now()}`;
    const input = createTableInput(tableName, { stream: false });
    const before = input.GlobalSecondaryIndexes.filter((i) => i.IndexName !== indexes.byRequester.name);
    await client.send(
      new CreateTableCommand({
        ...input,
        AttributeDefinitions: input.AttributeDefinitions.filter((a) => !a.AttributeName.startsWith('GSI3')),
        GlobalSecondaryIndexes: before,
      }),
    );
    const p = await setupTenant(api);
    const req = await ask(p, p.agent, 'KEPT');
    const { Item } = await doc.send(new GetCommand({ TableName: api.stack.tableName, Key: keys.request(p.tenantId, req.requestId) }));
    const { [attr.gsi3pk]: _pk, [attr.gsi3sk]: _sk, ...oldItem } = Item!;
    await doc.send(new PutCommand({ TableName: tableName, Item: oldItem }));
    // Act
    await ensureTable(endpoint, tableName, { stream: false });
    // Assess
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const { Item: migrated } = await doc.send(new GetCommand({ TableName: tableName, Key: keys.request(p.tenantId, req.requestId) }));
    expect(Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.IndexStatus]).sort()).toEqual([
      ['GSI1', 'ACTIVE'],
      ['GSI2', 'ACTIVE'],
      ['GSI3', 'ACTIVE'],
    ]);
    expect(migrated).toMatchObject(keys.byRequester(p.agent.sub, req.requestId));
    await client.send(new DeleteTableCommand({ TableName: tableName }));
    client.destroy();
  });
});
