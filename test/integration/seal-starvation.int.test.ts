/**
 * Issue 22, "sealing can be starved": one support agent's refused sign-ins at ~520 made-up tenant
 * ids of the victim's index shard, replayed over real HTTP against DynamoDB Local. They must
 * neither keep the victim's events from being sealed by the next run, nor leave a trail of their own.
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attr, shardOf } from '../../lambdas/contract/table.ts';
import { STALE_UNSEALED_MS, verifyAuditChain } from '../../lambdas/modules/audit/chain.ts';
import { DENIED_WINDOW_MS, deniedEventId } from '../../lambdas/modules/sessions/rules.ts';
import { documentClient } from '../../lambdas/runtime/index.ts';
import { localDynamoClient } from '../../local/dynamodb.ts';
import { setupTenant, startTestApi, type TestApi } from '../helpers/http.ts';

let api: TestApi;
let doc: DynamoDBDocumentClient;
beforeAll(async () => {
  api = await startTestApi();
  doc = documentClient(localDynamoClient(api.stack.dynamoEndpoint));
});
afterAll(async () => api?.stop());

/** Every item of the test's table whose partition is one of a made-up tenant's (`TENANT#x-…`, `ACCESS#x-…`). */
async function itemsOfMadeUpTenants(): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: api.stack.tableName,
        FilterExpression: 'begins_with(#pk, :tenant) OR begins_with(#pk, :access) OR begins_with(tenantId, :id)',
        ExpressionAttributeNames: { '#pk': attr.pk },
        ExpressionAttributeValues: { ':tenant': 'TENANT#x-', ':access': 'ACCESS#x-', ':id': 'x-' },
        ExclusiveStartKey: start,
      }),
    );
    found.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return found;
}

describe('refused sign-ins across made-up tenants of the victim shard', () => {
  it("leave the victim's events sealed by the next run with its chain valid, and no trail of their own", async () => {
    // Prepare: the victim, with its audited changes waiting to be sealed; 520 made-up tenant ids of
    // its shard (as `shardOf` computes it), which sort after it as the attack needs
    const victim = await setupTenant(api);
    const shard = shardOf(victim.tenantId);
    const madeUp: string[] = [];
    for (let i = 0; madeUp.length < 520; i++) if (shardOf(`x-${i}`) === shard) madeUp.push(`x-${i}`);
    const agent = victim.agent;
    await api.token(agent);
    const refuse = (tenantId: string) => api.call('POST', `/v1/tenants/${tenantId}/sessions`, { as: agent, body: { reason: 'probe' } });
    // Act: the flood, a few at a time, and one refusal at the victim itself; then the next job run
    const answers = [];
    for (let i = 0; i < madeUp.length; i += 20) answers.push(...(await Promise.all(madeUp.slice(i, i + 20).map(refuse))));
    answers.push(await refuse(victim.tenantId));
    await api.call('POST', '/_local/jobs/expire');
    const verify = () => api.call('GET', `/v1/tenants/${victim.tenantId}/audit-events/verify`, { as: victim.admin });
    const afterRun = await verify();
    // ... and long after, past the time an event may stay unsealed, the refusal's minute sealed too
    await api.advance(STALE_UNSEALED_MS / 1000 + 60);
    await api.call('POST', '/_local/jobs/expire');
    const later = await verify();
    const trail = await api.call('GET', `/v1/tenants/${victim.tenantId}/audit-events?limit=100`, { as: victim.admin });
    const leftOver = await itemsOfMadeUpTenants();
    // Assess: every refusal refused alike
    for (const a of answers) expect([a.status, a.body.code]).toEqual([403, 'ACCESS_NOT_GRANTED']);
    // (i) the victim's due events were all sealed by the run right after the flood
    expect(afterRun.body).toMatchObject({ valid: true, problems: [] });
    expect(afterRun.body.events).toBeGreaterThanOrEqual(3);
    expect(afterRun.body.unsealed).toBe(1); // its own refusal, still counting its minute
    expect(later.body).toMatchObject({ valid: true, problems: [], unsealed: 0 });
    expect(later.body.sealed).toBe(later.body.events);
    const denied = trail.body.items.filter((e: { action: string }) => e.action === 'session.denied');
    expect(denied.map((e: { details: { count: number } }) => e.details.count)).toEqual([1]);
    // (ii) not one item for any made-up tenant: no event, no chain head, nothing queued to seal
    expect(leftOver).toEqual([]);
  }, 600_000); // 520 sign-ins over HTTP: far more than a usual test's work (over 120 s with both cores busy)

  it("events still counting at 520 tenants of the shard, as the store keys them, never hide the victim's due events, and are sealed once due", async () => {
    // Prepare: 520 tenants of the victim's shard whose refusal events (written by the store, as
    // at tenants that exist) may be sealed only in an hour (the real wait is the refusal's minute
    // and two more, but the local clock runs on while 520 writes go through a busy machine, and the
    // events must still be waiting at the next run); the victim's due events
    const victim = await setupTenant(api);
    const shard = shardOf(victim.tenantId);
    const counting: string[] = [];
    for (let i = 0; counting.length < 520; i++) if (shardOf(`y-${i}`) === shard) counting.push(`y-${i}`);
    const now = api.stack.clock.now();
    const windowStart = Math.floor(now.getTime() / DENIED_WINDOW_MS) * DENIED_WINDOW_MS;
    const waitMs = 60 * 60_000;
    const sealAfter = new Date(now.getTime() + waitMs).toISOString();
    for (let i = 0; i < counting.length; i += 20) {
      await Promise.all(
        counting.slice(i, i + 20).map((tenantId) =>
          api.stack.runtime.store.countRefusal(
            tenantId,
            {
              eventId: deniedEventId(tenantId, victim.agent.sub, windowStart),
              at: now.toISOString(),
              actor: { id: victim.agent.sub, email: victim.agent.email, name: victim.agent.name },
              action: 'session.denied',
              targetId: victim.agent.sub,
              details: { reason: 'probe', grantId: null, sourceIp: '192.0.2.1', userAgent: 'test' },
            },
            sealAfter,
          ),
        ),
      );
    }
    // Act: the next run; then one once they are due
    const deps = { chain: api.stack.runtime.store, clock: api.stack.clock, key: 'local-only-audit-key' };
    const ends = [counting[0]!, counting.at(-1)!];
    await api.call('POST', '/_local/jobs/expire');
    const afterRun = await api.call('GET', `/v1/tenants/${victim.tenantId}/audit-events/verify`, { as: victim.admin });
    const waiting = await Promise.all(ends.map((t) => verifyAuditChain(deps, t)));
    await api.advance(waitMs / 1000 + 60);
    await api.call('POST', '/_local/jobs/expire');
    const sealed = await Promise.all(ends.map((t) => verifyAuditChain(deps, t)));
    // Assess: the victim whole at once; the 520 waited for their time, then were sealed in one run
    expect(afterRun.body).toMatchObject({ valid: true, problems: [], unsealed: 0 });
    for (const v of waiting) expect(v).toMatchObject({ valid: true, sealed: 0, unsealed: 1 });
    for (const v of sealed) expect(v).toMatchObject({ valid: true, sealed: 1, unsealed: 0 });
  }, 600_000); // 520 refusals counted through the store, then a run two minutes on
});
