/**
 * Incremental audit verification from a signed checkpoint, and grants checked against their
 * events: `GET /v1/tenants/{t}/audit-events/verify` reads only what came after the last clean
 * verification, does not trust a checkpoint it did not save, and names a grant whose stored state
 * someone with table write access changed by hand.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/contract/table.ts';
import { verifyAuditTrail } from '../../lambdas/modules/audit/verify.ts';
import { documentClient } from '../../lambdas/runtime/clients.ts';
import { createDynamoStore } from '../../lambdas/runtime/dynamo-store.ts';
import { localDynamoClient } from '../../local/dynamodb.ts';
import { setupTenant, startTestApi, type People, type TestApi } from '../helpers/http.ts';

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

/** A grant made and revoked, sealed: a few events. */
async function someHistory(p: People, reason = 'history'): Promise<string> {
  const g = await api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
    as: p.admin,
    body: { reason, scope: { level: 'read-only' }, durationHours: 1 },
  });
  expect(g.status).toBe(201);
  await api.call('POST', `/v1/tenants/${p.tenantId}/sessions`, { as: p.agent, body: { reason: 'look' } });
  await api.call('POST', `/v1/tenants/${p.tenantId}/grants/${g.body.grantId}/revoke`, { as: p.admin, body: {} });
  await runJob();
  return g.body.grantId as string;
}

async function eventsOf(p: People): Promise<{ eventId: string; action: string; targetId: string }[]> {
  const list = await api.call('GET', `/v1/tenants/${p.tenantId}/audit-events?limit=100`, { as: p.admin });
  return [...list.body.items].reverse();
}

describe('grants checked against their events', () => {
  it('an extended grant (at once by an admin, and by an approved request) verifies valid: its events say its new end', async () => {
    // Prepare: a named grant extended twice, by both paths, then sealed
    const p = await setupTenant(api);
    const t = `/v1/tenants/${p.tenantId}`;
    const g = await api.call('POST', `${t}/grants`, {
      as: p.admin,
      body: {
        reason: 'extend me',
        scope: { level: 'read-only' },
        durationHours: 1,
        grantees: [{ id: p.agent.sub, email: p.agent.email, name: p.agent.name }],
      },
    });
    expect(g.status).toBe(201);
    expect(
      (await api.call('POST', `${t}/grants/${g.body.grantId}/extensions`, { as: p.admin, body: { hours: 1, reason: 'at once' } })).status,
    ).toBe(200);
    const asked = await api.call('POST', `${t}/grants/${g.body.grantId}/extensions`, { as: p.agent, body: { hours: 2, reason: 'asked' } });
    expect(asked.status).toBe(201);
    expect((await api.call('POST', `${t}/access-requests/${asked.body.requestId}/approve`, { as: p.contact, body: {} })).status).toBe(200);
    await runJob();
    // Act
    const result = await verify(p, true);
    // Assess: three hours more on the same grant, and verify finds its state where its events put it
    const grant = await api.call('GET', `${t}/grants/${g.body.grantId}`, { as: p.admin });
    expect(Date.parse(grant.body.expiresAt) - Date.parse(g.body.expiresAt)).toBe(3 * 3_600_000);
    expect(result.body).toMatchObject({ valid: true, problems: [] });
    expect(result.body.grantsChecked).toBeGreaterThanOrEqual(1);
  });
});

describe('verification from a checkpoint', () => {
  it('saves a checkpoint, then reads only the events since it, and says from where', async () => {
    // Prepare: a history verified whole once, then older than the checkpoint's margin, then more
    // history, which the job seals and verifies
    const p = await setupTenant(api);
    await someHistory(p, 'before');
    await advance(3600);
    const first = await verify(p, true);
    await advance(3600);
    await someHistory(p, 'after');
    const total = (await eventsOf(p)).length;
    // Act
    const second = await verify(p);
    // Assess: the full check reads every event and saves where it got; the next one starts from the
    // checkpoint the job moved to the head since, and reads only what is new
    expect(first.body).toMatchObject({ valid: true, mode: 'full', checkpoint: null, complete: true, problems: [] });
    expect(first.body.saved).toMatchObject({ seq: first.body.head.seq });
    expect(first.body.events).toBe(first.body.head.seq);
    expect(second.body).toMatchObject({ valid: true, mode: 'incremental', complete: true, problems: [] });
    expect(second.body.checkpoint.seq).toBe(total);
    expect(second.body.events).toBe(total - first.body.head.seq);
    expect(second.body.saved.seq).toBe(second.body.head.seq);
    expect(second.body.head.seq).toBe(total);
  });

  it('reports an event edited after the checkpoint; one edited before it only under ?full=true', async () => {
    // Prepare
    const p = await setupTenant(api);
    await someHistory(p, 'old');
    const before = await eventsOf(p);
    await advance(3600);
    expect((await verify(p)).body.valid).toBe(true);
    await advance(3600);
    await someHistory(p, 'new');
    const after = (await eventsOf(p)).slice(before.length);
    // Act: the reason of the newest grant's activation, and of the oldest one, edited by hand
    const edit = (eventId: string) =>
      doc.send(
        new UpdateCommand({
          TableName: TableName(),
          Key: keys.audit(p.tenantId, eventId),
          UpdateExpression: 'SET details.ticketId = :t',
          ExpressionAttributeValues: { ':t': 'EDITED' },
        }),
      );
    const newActivation = after.find((e) => e.action === 'grant.activated')!;
    const oldActivation = before.find((e) => e.action === 'grant.activated')!;
    await edit(newActivation.eventId);
    await edit(oldActivation.eventId);
    const incremental = await verify(p);
    const full = await verify(p, true);
    // Assess: the incremental check names the new one only (the old one is before its checkpoint); the full one names both
    expect(incremental.body).toMatchObject({ valid: false, mode: 'incremental', saved: null });
    const named = (r: typeof incremental) =>
      r.body.problems.filter((x: { problem: string }) => x.problem === 'altered').map((x: { eventId: string }) => x.eventId);
    expect(named(incremental)).toEqual([newActivation.eventId]);
    expect(full.body).toMatchObject({ valid: false, mode: 'full', checkpoint: null });
    expect(named(full).sort()).toEqual([newActivation.eventId, oldActivation.eventId].sort());
  });

  it('does not trust a checkpoint edited or put by hand: reports it and verifies from the first event', async () => {
    // Prepare
    const p = await setupTenant(api);
    await someHistory(p);
    const first = await verify(p);
    const stored = (await doc.send(new GetCommand({ TableName: TableName(), Key: keys.auditCheckpoint(p.tenantId) }))).Item!;
    // Act: the checkpoint moved past a stretch someone wants unchecked (same MAC, other position)
    await doc.send(
      new PutCommand({ TableName: TableName(), Item: { ...stored, seq: stored.seq + 50, fromEventId: 'ZZZZZZZZZZZZZZZZZZZZZZZZZZ' } }),
    );
    const forged = await verify(p);
    // Assess
    expect(first.body.valid).toBe(true);
    expect(forged.body).toMatchObject({ valid: false, mode: 'full', checkpoint: null, saved: null });
    expect(forged.body.problems).toEqual([expect.objectContaining({ problem: 'checkpoint', seq: stored.seq + 50 })]);
    expect(forged.body.events).toBe(first.body.events);
  });

  it('reports the newest events cut and the head rewound, which the chain alone cannot show', async () => {
    // Prepare
    const p = await setupTenant(api);
    await someHistory(p);
    const verified = await verify(p);
    const events = await eventsOf(p);
    const head = verified.body.head;
    // Act: the last event deleted and the head moved back onto the one before
    const last = events.at(-1)!;
    const prev = events.at(-2)!;
    const prevItem = (await doc.send(new GetCommand({ TableName: TableName(), Key: keys.audit(p.tenantId, prev.eventId) }))).Item!;
    await doc.send(new DeleteCommand({ TableName: TableName(), Key: keys.audit(p.tenantId, last.eventId) }));
    await doc.send(
      new PutCommand({
        TableName: TableName(),
        Item: {
          ...keys.chainHead(p.tenantId),
          type: 'chain',
          tenantId: p.tenantId,
          seq: head.seq - 1,
          hash: prevItem.chain.hash,
          eventId: prev.eventId,
          sealedAt: head.sealedAt,
        },
      }),
    );
    const result = await verify(p);
    // Assess
    expect(result.body.valid).toBe(false);
    expect(result.body.problems).toEqual([expect.objectContaining({ problem: 'missing', seq: head.seq })]);
  });

  it('verifies a long stretch over several calls, each bounded, going on from the checkpoint it saved', async () => {
    // Prepare: the domain over the DynamoDB store, with a bound of 4 events a call
    const p = await setupTenant(api);
    await someHistory(p, 'one');
    await someHistory(p, 'two');
    const total = (await eventsOf(p)).length;
    const store = createDynamoStore({ doc, tableName: TableName() });
    const deps = { chain: store, clock: { now: () => new Date() }, key: 'local-only-audit-key', eventKey: 'local-only-event-key' };
    // Act
    const calls = [];
    for (let i = 0; i < 10; i++) {
      const r = await verifyAuditTrail(deps, p.tenantId, { maxEvents: 4 });
      calls.push(r);
      if (r.complete) break;
    }
    // Assess: every call but the last stops early and says so; positions only move forward; the last is valid
    const last = calls.at(-1)!;
    expect(calls.length).toBeGreaterThan(1);
    for (const r of calls.slice(0, -1)) {
      expect(r).toMatchObject({ valid: false, complete: false });
      expect(r.problems.map((x) => x.problem)).toEqual(['incomplete']);
      expect(r.events).toBeLessThanOrEqual(4);
    }
    const seqs = calls.map((r) => r.saved!.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(last).toMatchObject({ valid: true, complete: true, problems: [] });
    expect(last.saved!.seq).toBe(total);
  });
});

describe('grants against their events', () => {
  it('names a grant whose expiresAt, status or grantees were changed by hand, and what differs', async () => {
    // Prepare: two grants, one untouched
    const p = await setupTenant(api);
    const mk = async (reason: string) =>
      (
        await api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
          as: p.admin,
          body: { reason, scope: { level: 'full' }, durationHours: 1 },
        })
      ).body;
    const edited = await mk('edited');
    const untouched = await mk('untouched');
    const revoked = await mk('revoked');
    await api.call('POST', `/v1/tenants/${p.tenantId}/grants/${revoked.grantId}/revoke`, { as: p.admin, body: {} });
    await runJob();
    const clean = await verify(p, true);
    // Act: a year more, and a grantee nobody added; and the revoked grant made ACTIVE again
    await doc.send(
      new UpdateCommand({
        TableName: TableName(),
        Key: keys.grant(p.tenantId, edited.grantId),
        UpdateExpression: 'SET expiresAt = :e, grantees = list_append(grantees, :g)',
        ExpressionAttributeValues: {
          ':e': '2099-01-01T00:00:00.000Z',
          ':g': [{ id: 'mallory', email: 'mallory@vendor.test', name: 'Mallory', addedAt: edited.createdAt, addedBy: edited.grantedBy }],
        },
      }),
    );
    await doc.send(
      new UpdateCommand({
        TableName: TableName(),
        Key: keys.grant(p.tenantId, revoked.grantId),
        UpdateExpression: 'SET #s = :a',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':a': 'ACTIVE' },
      }),
    );
    const result = await verify(p, true);
    // Assess
    expect(clean.body).toMatchObject({ valid: true, problems: [] });
    expect(clean.body.grantsChecked).toBe(3);
    const grantProblems = result.body.problems.filter((x: { problem: string }) => x.problem === 'grant-state');
    expect(grantProblems).toHaveLength(2);
    expect(grantProblems).toContainEqual(expect.objectContaining({ grantId: edited.grantId, fields: ['expiresAt', 'grantees'] }));
    expect(grantProblems).toContainEqual(expect.objectContaining({ grantId: revoked.grantId, fields: ['status'] }));
    expect(grantProblems.find((x: { grantId: string }) => x.grantId === edited.grantId).detail).toMatch(/2099-01-01.*\+mallory/);
    expect(result.body.problems.some((x: { grantId?: string }) => x.grantId === untouched.grantId)).toBe(false);
  });

  it('names a grant put into the table by hand, which no event activated', async () => {
    // Prepare
    const p = await setupTenant(api);
    const real = (
      await api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
        as: p.admin,
        body: { reason: 'real', scope: { level: 'full' }, durationHours: 1 },
      })
    ).body;
    await runJob();
    expect((await verify(p)).body.valid).toBe(true);
    const item = (await doc.send(new GetCommand({ TableName: TableName(), Key: keys.grant(p.tenantId, real.grantId) }))).Item!;
    // Act: a copy under a new id, as a fresh grant
    const fakeId = `${real.grantId.slice(0, 10)}ZZZZZZZZZZZZZZZZ`;
    await doc.send(new PutCommand({ TableName: TableName(), Item: { ...item, ...keys.grant(p.tenantId, fakeId), grantId: fakeId } }));
    const result = await verify(p);
    // Assess: found by the incremental check (the grant is newer than its checkpoint's start)
    expect(result.body).toMatchObject({ valid: false, mode: 'incremental' });
    expect(result.body.problems).toEqual([expect.objectContaining({ problem: 'grant-state', grantId: fakeId, fields: ['grant'] })]);
  });
});
