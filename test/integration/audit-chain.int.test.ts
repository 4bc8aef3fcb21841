/**
 * The tamper-evident audit trail: the job seals each tenant's audit events into a hash chain, and
 * `GET /v1/tenants/{t}/audit-events/verify` finds an event edited, deleted, reordered or slipped
 * in by someone who can write the table but does not hold the chain's key.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attr, keys } from '../../lambdas/contract/table.ts';
import { ConcurrentUpdateError } from '../../lambdas/kernel/errors.ts';
import { documentClient } from '../../lambdas/runtime/index.ts';
import { localDynamoClient } from '../../local/dynamodb.ts';
import { setupTenant, startTestApi, type People, type TestApi } from '../helpers/http.ts';
import { sealedHistory } from '../helpers/audit-history.ts';

let api: TestApi;
let doc: DynamoDBDocumentClient;
/** Every write the API's client sends that puts or updates an audit item, with its condition. */
const auditWrites: { op: string; condition: string | undefined }[] = [];
beforeAll(async () => {
  api = await startTestApi({
    onDynamoClient: (client) =>
      client.middlewareStack.add(
        (next) => async (args) => {
          const input = args.input as {
            TransactItems?: Record<
              string,
              { Item?: Record<string, unknown>; Key?: Record<string, unknown>; ConditionExpression?: string }
            >[];
            Item?: Record<string, unknown>;
            ConditionExpression?: string;
          };
          const isAudit = (x?: Record<string, unknown>) => JSON.stringify(x?.[attr.sk] ?? '').includes('AUDIT#');
          for (const t of input.TransactItems ?? []) {
            for (const [op, w] of Object.entries(t))
              if (isAudit(w.Item ?? w.Key)) auditWrites.push({ op, condition: w.ConditionExpression });
          }
          if (isAudit(input.Item)) auditWrites.push({ op: 'PutItem', condition: input.ConditionExpression });
          return next(args);
        },
        { step: 'initialize' },
      ),
  });
  doc = documentClient(localDynamoClient(api.stack.dynamoEndpoint));
});
afterAll(async () => api?.stop());

// The whole trail (`?full=true`): these tests are about what the chain shows. The job verifies each
// tenant after sealing, so a plain verify reads only what came after the job's checkpoint
// (`audit-checkpoint.int.test.ts` shows what that sees, and what it leaves to a full check).
const verify = (p: People) => api.call('GET', `/v1/tenants/${p.tenantId}/audit-events/verify?full=true`, { as: p.admin });
const runJob = () => api.call('POST', '/_local/jobs/expire');

const tenantWithHistory = () => sealedHistory(api);

const tableName = () => api.stack.tableName;
const auditKey = (p: People, eventId: string) => keys.audit(p.tenantId, eventId);

describe('verification finds tampering', () => {
  it('an edited event: its details changed in the table', async () => {
    // Prepare
    const { p, events } = await tenantWithHistory();
    const target = events.find((e) => e.action === 'grant.activated')!;
    // Act: widen what the record says, as an insider with table access would
    await doc.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: auditKey(p, target.eventId),
        UpdateExpression: 'SET details.#scope = :scope',
        ExpressionAttributeNames: { '#scope': 'scope' },
        ExpressionAttributeValues: { ':scope': { level: 'read-only', modules: ['billing'] } },
      }),
    );
    const result = await verify(p);
    // Assess
    expect(result.status).toBe(200);
    expect(result.body.valid).toBe(false);
    expect(result.body.problems).toEqual([expect.objectContaining({ problem: 'altered', eventId: target.eventId })]);
  });

  it('an edited actor: the event now blames someone else', async () => {
    // Prepare
    const { p, events } = await tenantWithHistory();
    const target = events.find((e) => e.action === 'grant.revoked')!;
    // Act
    await doc.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: auditKey(p, target.eventId),
        UpdateExpression: 'SET actor = :a',
        ExpressionAttributeValues: { ':a': { id: 'someone-else', email: 'x@example.test', name: 'X' } },
      }),
    );
    // Assess
    expect((await verify(p)).body.problems).toEqual([expect.objectContaining({ problem: 'altered', eventId: target.eventId })]);
  });

  it('a deleted event in the middle: the gap is named by its position', async () => {
    // Prepare
    const { p, events } = await tenantWithHistory();
    const target = events.find((e) => e.action === 'session.started')!;
    const stored = await doc.send(new GetCommand({ TableName: tableName(), Key: auditKey(p, target.eventId) }));
    // Act
    await doc.send(new DeleteCommand({ TableName: tableName(), Key: auditKey(p, target.eventId) }));
    const result = await verify(p);
    // Assess
    expect(result.body.valid).toBe(false);
    expect(result.body.problems).toEqual([expect.objectContaining({ problem: 'missing', seq: stored.Item!.chain.seq })]);
  });

  it('the newest event deleted: the head still counts it', async () => {
    // Prepare
    const { p } = await tenantWithHistory();
    const head = (await verify(p)).body.head;
    // Act
    await doc.send(new DeleteCommand({ TableName: tableName(), Key: auditKey(p, head.eventId) }));
    const result = await verify(p);
    // Assess
    expect(result.body.problems).toEqual([expect.objectContaining({ problem: 'missing', seq: head.seq })]);
  });

  it('an event re-chained by hand without the key: its hash gives it away', async () => {
    // Prepare
    const { p, events } = await tenantWithHistory();
    const target = events[1]!;
    const stored = await doc.send(new GetCommand({ TableName: tableName(), Key: auditKey(p, target.eventId) }));
    // Act: change the content and recompute a plain SHA-256 "hash" as someone without the key could
    await doc.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: auditKey(p, target.eventId),
        UpdateExpression: 'SET targetId = :t, chain.#hash = :h',
        ExpressionAttributeNames: { '#hash': 'hash' },
        ExpressionAttributeValues: { ':t': 'another-target', ':h': 'f'.repeat(64) },
      }),
    );
    const result = await verify(p);
    // Assess
    expect(stored.Item!.chain.seq).toBe(2);
    expect(result.body.valid).toBe(false);
    expect(result.body.problems.map((x: { problem: string }) => x.problem)).toContain('altered');
  });

  it('two sealed events swapped: each no longer links to the one before it', async () => {
    // Prepare
    const { p, events } = await tenantWithHistory();
    const [a, b] = [events[1]!, events[2]!];
    const ga = await doc.send(new GetCommand({ TableName: tableName(), Key: auditKey(p, a.eventId) }));
    const gb = await doc.send(new GetCommand({ TableName: tableName(), Key: auditKey(p, b.eventId) }));
    // Act: swap their chain positions
    await doc.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: auditKey(p, a.eventId),
        UpdateExpression: 'SET chain = :c',
        ExpressionAttributeValues: { ':c': gb.Item!.chain },
      }),
    );
    await doc.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: auditKey(p, b.eventId),
        UpdateExpression: 'SET chain = :c',
        ExpressionAttributeValues: { ':c': ga.Item!.chain },
      }),
    );
    const result = await verify(p);
    // Assess
    expect(result.body.valid).toBe(false);
    const altered = result.body.problems
      .filter((x: { problem: string }) => x.problem === 'altered')
      .map((x: { eventId: string }) => x.eventId);
    expect(altered.sort()).toEqual([a.eventId, b.eventId].sort());
  });

  it('an event slipped in outside the chain is reported once it has stayed unsealed too long', async () => {
    // Prepare
    const { p } = await tenantWithHistory();
    const at = new Date(api.stack.clock.now().getTime() - 60 * 60_000).toISOString();
    // Act: an insider adds a backdated event without the sealing marker
    await doc.send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...auditKey(p, '01FORGEDEVENT000000000000'),
          type: 'audit',
          tenantId: p.tenantId,
          eventId: '01FORGEDEVENT000000000000',
          at,
          actor: { id: p.admin.sub, email: p.admin.email, name: p.admin.name },
          action: 'request.approved',
          targetId: 'r-1',
          details: {},
        },
      }),
    );
    const result = await verify(p);
    // Assess
    expect(result.body.valid).toBe(false);
    expect(result.body.problems).toEqual([
      expect.objectContaining({ problem: 'forged', eventId: '01FORGEDEVENT000000000000', seq: null }),
      expect.objectContaining({ problem: 'unsealed-too-long', eventId: '01FORGEDEVENT000000000000' }),
    ]);
  });

  it('an event put by hand WITH the sealing marker is sealed like any other, and reported as forged at its position', async () => {
    // Prepare
    const { p } = await tenantWithHistory();
    const eventId = '01FORGEDSEALED00000000000';
    const event = {
      eventId,
      at: api.stack.clock.now().toISOString(),
      actor: { id: p.admin.sub, email: p.admin.email, name: p.admin.name },
      action: 'grant.revoked',
      targetId: 'g-1',
      details: { reason: 'looks routine' },
    };
    // Act: an insider with table write access writes the item exactly as the API would, minus the MAC
    await doc.send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...auditKey(p, eventId), ...keys.sealQueue(p.tenantId, event.at, eventId), type: 'audit', tenantId: p.tenantId, ...event },
      }),
    );
    await runJob();
    const result = await verify(p);
    // Assess: the chain took it in whole; only its MAC gives it away
    expect(result.body.unsealed).toBe(0);
    expect(result.body.valid).toBe(false);
    expect(result.body.problems).toEqual([expect.objectContaining({ problem: 'forged', eventId, seq: result.body.head.seq })]);
  });

  it('a MACed event copied to another tenant, or under another id, is reported: the MAC is bound to where it sits', async () => {
    // Prepare
    const { p, events } = await tenantWithHistory();
    const other = await setupTenant(api);
    await runJob();
    const source = (await doc.send(new GetCommand({ TableName: tableName(), Key: auditKey(p, events[0]!.eventId) }))).Item!;
    const { chain: _chain, ...unsealed } = source;
    const at = api.stack.clock.now().toISOString();
    // Act: replay it into the other tenant's trail, unsealed and marked to seal
    await doc.send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...unsealed,
          ...auditKey(other, source.eventId),
          ...keys.sealQueue(other.tenantId, at, source.eventId),
          tenantId: other.tenantId,
        },
      }),
    );
    await runJob();
    const result = await verify(other);
    // Assess
    expect(source.mac).toMatch(/^[0-9a-f]{64}$/);
    expect(result.body.problems).toEqual([expect.objectContaining({ problem: 'forged', eventId: source.eventId })]);
  });

  it('an event edited into something unreadable is reported, not a 500', async () => {
    // Prepare
    const { p, events } = await tenantWithHistory();
    const target = events[0]!;
    // Act
    await doc.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: auditKey(p, target.eventId),
        UpdateExpression: 'REMOVE actor, #at',
        ExpressionAttributeNames: { '#at': 'at' },
      }),
    );
    const result = await verify(p);
    // Assess
    expect(result.status).toBe(200);
    expect(result.body.problems).toEqual([expect.objectContaining({ problem: 'altered', eventId: target.eventId })]);
  });

  it('a chain field overwritten with something that is no link: reported as altered', async () => {
    // Prepare
    const { p, events } = await tenantWithHistory();
    const target = events[1]!;
    // Act
    await doc.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: auditKey(p, target.eventId),
        UpdateExpression: 'SET chain = :c',
        ExpressionAttributeValues: { ':c': 'trust me' },
      }),
    );
    const result = await verify(p);
    // Assess: that event, and the position it held, now empty
    expect(result.status).toBe(200);
    expect(result.body.problems).toEqual([
      expect.objectContaining({ problem: 'altered', eventId: target.eventId }),
      expect.objectContaining({ problem: 'missing', seq: 2 }),
    ]);
  });

  it('a rewound head: the chain runs past it', async () => {
    // Prepare
    const { p } = await tenantWithHistory();
    // Act
    await doc.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.chainHead(p.tenantId),
        UpdateExpression: 'SET seq = :s',
        ExpressionAttributeValues: { ':s': 1 },
      }),
    );
    const result = await verify(p);
    // Assess
    expect(result.body.problems).toEqual([expect.objectContaining({ problem: 'head-mismatch' })]);
  });
});

describe('no overwrite of an audit event by the API', () => {
  it('every audit put the API sends is conditioned on the event being new; sealing only adds the link once', async () => {
    // Prepare
    auditWrites.length = 0;
    // Act: a history with every kind of write: grant, sign-in, revoke (ending a session), sealing
    await tenantWithHistory();
    // Assess
    const puts = auditWrites.filter((w) => w.op === 'Put' || w.op === 'PutItem');
    const others = auditWrites.filter((w) => w.op !== 'Put' && w.op !== 'PutItem');
    expect(puts.length).toBeGreaterThanOrEqual(4);
    for (const w of puts) expect(w.condition).toBe(`attribute_not_exists(${attr.pk})`);
    expect(others.length).toBeGreaterThan(0);
    for (const w of others) expect(w).toEqual({ op: 'Update', condition: `attribute_exists(${attr.pk}) AND attribute_not_exists(#chain)` });
  });

  it('an audit event written again under its id is refused, and the stored one stays as it was', async () => {
    // Prepare
    const { p, events } = await tenantWithHistory();
    const target = events[0]!;
    const before = (await doc.send(new GetCommand({ TableName: tableName(), Key: auditKey(p, target.eventId) }))).Item!;
    const rewrite = {
      eventId: target.eventId,
      at: before.at,
      actor: { id: 'system' as const },
      action: 'grant.revoked' as const,
      targetId: 'x',
      details: {},
    };
    // Act
    const attempt = api.stack.runtime.store.appendAudit(p.tenantId, { audit: [rewrite], outbox: [] });
    // Assess
    await expect(attempt).rejects.toThrow(ConcurrentUpdateError);
    const after = (await doc.send(new GetCommand({ TableName: tableName(), Key: auditKey(p, target.eventId) }))).Item!;
    expect(after).toEqual(before);
  });
});

describe('who may verify', () => {
  it('the tenant admin and a support lead; a tenant user, an agent and another tenant may not', async () => {
    // Prepare
    const p = await setupTenant(api);
    const other = await setupTenant(api);
    const path = `/v1/tenants/${p.tenantId}/audit-events/verify`;
    // Act
    const [admin, lead, user, agent, foreign] = await Promise.all([
      api.call('GET', path, { as: p.admin }),
      api.call('GET', path, { as: p.lead }),
      api.call('GET', path, { as: p.user }),
      api.call('GET', path, { as: p.agent }),
      api.call('GET', path, { as: other.admin }),
    ]);
    // Assess
    expect([admin.status, lead.status, user.status, agent.status, foreign.status]).toEqual([200, 200, 403, 403, 404]);
    expect(foreign.body.code).toBe('NOT_FOUND');
  });

  it('audit items stay readable in the list after sealing, without chain internals', async () => {
    // Prepare
    const { p } = await tenantWithHistory();
    // Act
    const list = await api.call('GET', `/v1/tenants/${p.tenantId}/audit-events`, { as: p.admin });
    const raw = await doc.send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: `${attr.pk} = :pk AND begins_with(${attr.sk}, :sk)`,
        ExpressionAttributeValues: { ':pk': keys.auditPrefix(p.tenantId).PK, ':sk': 'AUDIT#' },
      }),
    );
    // Assess
    for (const e of list.body.items) expect(Object.keys(e).sort()).toEqual(['action', 'actor', 'at', 'details', 'eventId', 'targetId']);
    for (const item of raw.Items ?? []) {
      expect(item.chain).toBeDefined();
      expect(item[attr.gsi2pk]).toBeUndefined();
    }
  });
});
