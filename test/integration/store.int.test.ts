/**
 * The repository against DynamoDB Local: the key design does what the docs say (sparse due index,
 * one request for the access check), and transitions are guarded by conditions.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ulid } from 'ulid';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { DUE_SHARDS } from '../../lambdas/contract/table.ts';
import { DEFAULT_POLICY } from '../../lambdas/contract/schemas.ts';
import { AccessNotGrantedError, ConcurrentUpdateError } from '../../lambdas/kernel/errors.ts';
import { runExpiry } from '../../lambdas/modules/expiry/rules.ts';
import { addGrantee, createGrant, listGrants, revokeGrant } from '../../lambdas/modules/grants/service.ts';
import { cancelRequest, createRequest, denyRequest, listMyRequests, listRequests } from '../../lambdas/modules/requests/service.ts';
import { DENIED_SEAL_DELAY_MS, DENIED_WINDOW_MS } from '../../lambdas/modules/sessions/rules.ts';
import { getAccess, listMyGrants, signIn } from '../../lambdas/modules/sessions/service.ts';
import { sealAuditTrail, verifyAuditChain } from '../../lambdas/modules/audit/chain.ts';
import { putContact } from '../../lambdas/modules/settings/rules.ts';
import type { Deps, Principal } from '../../lambdas/kernel/ports.ts';
import { documentClient, ulidIds } from '../../lambdas/runtime/index.ts';
import { createDynamoStore } from '../../lambdas/runtime/dynamo-store.ts';
import { ensureTable, LOCAL_REGION, localDynamoClient } from '../../local/dynamodb.ts';
import { freshTableName } from '../helpers/http.ts';
import { LocalClock } from '../../local/clock.ts';

let deps: Deps & { store: ReturnType<typeof createDynamoStore> };
let clock: LocalClock;
let requests: string[];
let reads: { command: string; scanned: number | undefined; items: number | undefined; capacity: number | undefined }[] = [];
let tableName: string;
let doc: ReturnType<typeof documentClient>;

beforeAll(async () => {
  tableName = freshTableName();
  await ensureTable(inject('dynamoEndpoint'), tableName);
  const client = localDynamoClient(inject('dynamoEndpoint'));
  // Count every request the store sends, by command name.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      requests.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  // And what each answer says it read: items (a query's ScannedCount) and capacity.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const res = await next(args);
      const out = res.output as { ScannedCount?: number; Count?: number; Items?: unknown[]; ConsumedCapacity?: { CapacityUnits?: number } };
      reads.push({
        command: String(context.commandName),
        scanned: out.ScannedCount,
        items: out.Items?.length ?? out.Count,
        capacity: out.ConsumedCapacity?.CapacityUnits,
      });
      return res;
    },
    { step: 'initialize', name: 'countReads' },
  );
  doc = documentClient(client);
  clock = new LocalClock();
  deps = { store: createDynamoStore({ doc, tableName }), clock, ids: ulidIds(clock), supportEmailDomains: ['vendor.test'] };
  requests = [];
});

const admin = (tenantId: string): Principal => ({
  id: `admin-${tenantId}`,
  email: `admin@${tenantId}.test`,
  emailVerified: true,
  name: 'Admin',
  roles: ['tenant-admin'],
  tenantId,
});
const agent: Principal = {
  id: 'agent-store',
  email: 'agent@vendor.test',
  emailVerified: true,
  name: 'Agent',
  roles: ['support-agent'],
  tenantId: null,
};

async function tenantWithGrants(n: number, durationHours = 1) {
  const tenantId = `s-${ulid().toLowerCase()}`;
  await putContact(deps, admin(tenantId), tenantId, `admin@${tenantId}.test`, 'Admin');
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const g = await createGrant(deps, admin(tenantId), tenantId, { reason: `r${i}`, scope: { level: 'read-only' }, durationHours });
    ids.push(g.grantId);
  }
  return { tenantId, ids };
}

describe('the table', () => {
  it('is created from table.ts with its three indexes and a stream', async () => {
    const res = await localDynamoClient(inject('dynamoEndpoint')).send(new DescribeTableCommand({ TableName: tableName }));
    expect(res.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual(['GSI1', 'GSI2', 'GSI3']);
    expect(res.Table?.StreamSpecification?.StreamEnabled).toBe(true);
  });
});

describe('the access check', () => {
  it('is one DynamoDB request, whatever the tenant holds', async () => {
    // Prepare
    const { tenantId } = await tenantWithGrants(5);
    requests = [];
    // Act
    const access = await getAccess(deps, agent, tenantId);
    // Assess
    expect(access.allowed).toBe(true);
    expect(access.grantIds).toHaveLength(5);
    expect(requests).toEqual(['ExecuteStatementCommand']);
  });
});

describe('me/requests', () => {
  it("is one query of the requester's partition, across tenants, reading the page and one more", async () => {
    // Prepare: six requests by one agent at two tenants, in turn.
    const me: Principal = { ...agent, id: `agent-${ulid().toLowerCase()}` };
    const [a, b] = [await tenantWithGrants(0), await tenantWithGrants(0)];
    for (let i = 0; i < 6; i++)
      await createRequest(deps, me, (i % 2 ? b : a).tenantId, {
        ticketId: `M-${i}`,
        reason: 'mine',
        scope: { level: 'read-only' },
        durationHours: 1,
      });
    requests = [];
    reads = [];
    // Act
    const page = await listMyRequests(deps, me, { limit: 3 });
    // Assess
    expect(page.items.map((r) => [r.ticketId, r.tenantId])).toEqual([
      ['M-5', b.tenantId],
      ['M-4', a.tenantId],
      ['M-3', b.tenantId],
    ]);
    expect(requests).toEqual(['QueryCommand']);
    expect(reads[0]!.scanned).toBe(4);
  });
});

describe('me/grants', () => {
  it('is one DynamoDB request: the access entries carry their grant', async () => {
    // Prepare
    await tenantWithGrants(3);
    await tenantWithGrants(2);
    requests = [];
    // Act
    const page = await listMyGrants(deps, agent, { limit: 100 });
    // Assess: the agent's and the team's GSI1 partitions in one statement, no read of the grants
    expect(page.items.length).toBeGreaterThanOrEqual(5);
    expect(requests).toEqual(['ExecuteStatementCommand']);
  });

  it('reads only live grants: team grants of other tenants past their end are not read, job or no job', async () => {
    // Prepare: a standing-free world where team grants of many tenants are past their end (the job
    // has not run), and one is live
    const ended = await Promise.all(Array.from({ length: 6 }, () => tenantWithGrants(3, 1)));
    clock.advance(3600 + 60);
    const live = await tenantWithGrants(1, 72);
    const before = (await listMyGrants(deps, agent, { limit: 100 })).items.length;
    reads = [];
    // Act
    const page = await listMyGrants(deps, agent, { limit: 100 });
    // Assess: the live one is listed, none of the 18 ended ones, and the statement read only what
    // it returned (capacity: 0.5 units per 4 KB read, eventually consistent)
    expect(page.items.map((g) => g.grantId)).toContain(live.ids[0]);
    for (const t of ended) for (const id of t.ids) expect(page.items.map((g) => g.grantId)).not.toContain(id);
    expect(page.items).toHaveLength(before);
    console.log('me/grants reads', JSON.stringify(reads));
    expect(reads).toHaveLength(1);
    expect(reads[0]!.items).toBe(page.items.length);
  });

  it("shows a grantee added later on every grantee's copy of the grant", async () => {
    // Prepare: a grant naming the agent, then a second agent added
    const tenantId = `s-${ulid().toLowerCase()}`;
    await putContact(deps, admin(tenantId), tenantId, `admin@${tenantId}.test`, 'Admin');
    const me = { id: agent.id, email: agent.email, name: agent.name };
    const g = await createGrant(deps, admin(tenantId), tenantId, {
      reason: 'named',
      scope: { level: 'read-only' },
      durationHours: 1,
      grantees: [me],
    });
    await addGrantee(deps, admin(tenantId), tenantId, g.grantId, { id: 'agent-other', email: 'other@vendor.test', name: 'Other' });
    // Act
    const mine = (await listMyGrants(deps, agent, { limit: 100 })).items.find((x) => x.grantId === g.grantId);
    // Assess
    expect(mine?.grantees.map((x) => x.id)).toEqual([agent.id, 'agent-other']);
  });
});

describe('sign-in', () => {
  it('is two DynamoDB requests: the access read and one transaction', async () => {
    // Prepare
    const { tenantId } = await tenantWithGrants(2);
    requests = [];
    // Act
    const session = await signIn(deps, agent, tenantId, { reason: 'ticket', sourceIp: '127.0.0.1', userAgent: 'test' });
    // Assess
    expect(session.signOutAt).toBeNull();
    expect(requests).toEqual(['ExecuteStatementCommand', 'TransactWriteItemsCommand']);
  });
});

describe('a refused sign-in', () => {
  const refuse = (tenantId: string, reason: string) =>
    signIn(deps, agent, tenantId, { reason, sourceIp: '127.0.0.1', userAgent: 'test' }).catch((e: unknown) => e);

  it("is three DynamoDB requests: the access read, one item's read of the tenant's trail, one atomic write that creates or counts the minute's event", async () => {
    // Prepare: a tenant that exists (its contact's change is audited)
    const { tenantId } = await tenantWithGrants(0);
    clock.advance((DENIED_WINDOW_MS - (clock.now().getTime() % DENIED_WINDOW_MS)) / 1000 + 1);
    requests = [];
    // Act
    await refuse(tenantId, 'one');
    await refuse(tenantId, 'two');
    // Assess
    const once = ['ExecuteStatementCommand', 'QueryCommand', 'UpdateItemCommand'];
    expect(requests).toEqual([...once, ...once]);
    const audit = (await deps.store.listAudit(tenantId, { limit: 10 })).items.filter((e) => e.action === 'session.denied');
    expect(audit.map((e) => [e.details.count, e.details.reason])).toEqual([[2, 'one']]);
  });

  it('at a tenant that has no audit trail (does not exist) writes nothing: two reads', async () => {
    // Prepare
    const tenantId = `s-${ulid().toLowerCase()}`;
    requests = [];
    // Act
    const refused = await refuse(tenantId, 'probe');
    // Assess
    expect(refused).toBeInstanceOf(AccessNotGrantedError);
    expect(requests).toEqual(['ExecuteStatementCommand', 'QueryCommand']);
    expect(await deps.store.hasAuditTrail(tenantId)).toBe(false);
  });

  it("that comes after its minute's event was sealed is an event of its own, and the chain stays valid", async () => {
    // Prepare: a refusal, its event sealed once its time came
    const { tenantId } = await tenantWithGrants(0);
    const chain = { chain: deps.store, clock, key: 'test-key' };
    await refuse(tenantId, 'first');
    const denied = async () => (await deps.store.listAudit(tenantId, { limit: 10 })).items.filter((e) => e.action === 'session.denied');
    const [event] = await denied();
    clock.advance((DENIED_WINDOW_MS + DENIED_SEAL_DELAY_MS) / 1000);
    await sealAuditTrail(chain);
    // Act: a refusal of that same window that reached the table late
    const late = await deps.store.countRefusal(tenantId, { ...event!, details: { reason: 'late' } }, '2000-01-01T00:00:00.000Z');
    // Assess: the sealed event is unchanged; the domain then appends its own event
    expect(late).toBe(false);
    expect(await denied()).toEqual([event]);
    expect(await verifyAuditChain(chain, tenantId)).toMatchObject({ valid: true, sealed: 2, events: 2 });
  });
});

describe('the due-at index', () => {
  it('holds only live deadlines: a revoked grant leaves it', async () => {
    // Prepare
    const { tenantId, ids } = await tenantWithGrants(2);
    await revokeGrant(deps, admin(tenantId), tenantId, ids[0]!, 'done');
    clock.advance(3600);
    // Act
    const report = await runExpiry(deps);
    // Assess: only the one still ACTIVE is expired; the revoked one was never due again
    expect(report.grantsExpired).toBeGreaterThanOrEqual(1);
    expect((await deps.store.getGrant(tenantId, ids[0]!))?.status).toBe('REVOKED');
    expect((await deps.store.getGrant(tenantId, ids[1]!))?.status).toBe('EXPIRED');
  });

  it('costs what expires, not what exists: a run reads only the due items', async () => {
    // Prepare: many grants far from their end, a few due
    await runExpiry(deps); // settle anything earlier tests left due
    await tenantWithGrants(60, 72);
    const due = await tenantWithGrants(3, 1);
    clock.advance(3600);
    requests = [];
    // Act
    const report = await runExpiry(deps);
    // Assess: one index query per shard, then per due grant a read, one query of its sessions (the
    // v1.1 end-of-access digest reads them through SESSIONS#t#GRANT#g) and one transaction
    expect(report.grantsExpired).toBe(3);
    const queries = requests.filter((r) => r === 'QueryCommand').length;
    expect(queries).toBe(DUE_SHARDS + due.ids.length);
    expect(requests.filter((r) => r === 'TransactWriteItemsCommand')).toHaveLength(3);
    for (const id of due.ids) expect((await deps.store.getGrant(due.tenantId, id))?.status).toBe('EXPIRED');
  });
});

describe('ending a grant with many open sessions', () => {
  it('ends every session and audits each, beyond what one transaction holds', async () => {
    // Prepare: 60 open sessions under one grant (one transaction holds about 45 with the grant)
    const { tenantId, ids } = await tenantWithGrants(1);
    const agents = Array.from({ length: 60 }, (_, i): Principal => ({ ...agent, id: `agent-many-${i}` }));
    const sessions = await Promise.all(
      agents.map((a) => signIn(deps, a, tenantId, { reason: 'crowd', sourceIp: '127.0.0.1', userAgent: 'test' })),
    );
    // Act
    await revokeGrant(deps, admin(tenantId), tenantId, ids[0]!, 'too many cooks');
    // Assess
    const history = await deps.store.listSessions(tenantId, { limit: 100 });
    expect(history.items).toHaveLength(60);
    expect(history.items.every((s) => s.endedBy === 'revoked' && s.signOutAt !== null)).toBe(true);
    const audit = await deps.store.listAudit(tenantId, { limit: 100 });
    const ended = audit.items
      .filter((e) => e.action === 'session.ended')
      .map((e) => e.targetId)
      .sort();
    expect(ended).toEqual(sessions.map((s) => s.sessionId).sort());
  }, 60_000);
});

describe('conditional transitions', () => {
  it('refuses to end a grant from a stale version', async () => {
    const { tenantId, ids } = await tenantWithGrants(1);
    const stale = (await deps.store.getGrant(tenantId, ids[0]!))!;
    await revokeGrant(deps, admin(tenantId), tenantId, ids[0]!, undefined);
    const ended = { ...stale, status: 'REVOKED' as const, version: stale.version + 1 };
    await expect(
      deps.store.endGrant(stale, ended, { at: clock.now().toISOString(), endedBy: 'revoked', audit: {} }, { audit: [], outbox: [] }),
    ).rejects.toBeInstanceOf(ConcurrentUpdateError);
  });
});

describe('the dead letter in AWS: npm run outbox', () => {
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, [join('node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/outbox.ts', ...args], {
      env: {
        ...process.env,
        TABLE_NAME: tableName,
        DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
        AWS_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      },
    }).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
    );

  it('lists failed mail with its error and puts one back in line, once', async () => {
    // Prepare: a grant's email that failed its last try
    const { tenantId } = await tenantWithGrants(1);
    const due: string[] = [];
    for (let shard = 0; shard < DUE_SHARDS; shard++) due.push(...(await deps.store.dueOutbox(shard, '9999', 1000)));
    const messages = await Promise.all(due.map((id) => deps.store.getOutbox(id)));
    const messageId = messages.find((m) => m?.tenantId === tenantId)?.messageId;
    await deps.store.markFailed(messageId!, 'Throttling: Maximum sending rate exceeded.', null);
    // Act
    const failed = await run(['failed']);
    const redrive = await run(['redrive', messageId!]);
    const again = await run(['redrive', messageId!]);
    // Assess
    expect(failed.out).toMatch(new RegExp(`${messageId}.*grant\\.activated.*Throttling`));
    expect(redrive).toMatchObject({ code: 0 });
    expect((await deps.store.getOutbox(messageId!))?.status).toBe('PENDING');
    expect(again.code).toBe(1);
  }, 60_000);
});

describe('filtered lists read what they return', () => {
  /** The items DynamoDB read (ScannedCount) over every request of a call, and what it returned. */
  const measured = async <T>(call: () => Promise<{ items: T[] }>) => {
    reads = [];
    const page = await call();
    return { items: page.items, read: reads.reduce((n, r) => n + (r.scanned ?? 0), 0), requests: reads.map((r) => r.command) };
  };

  it('?status= of grants reads its status partition, not every grant; ACTIVE and EXPIRED follow the clock before the job', async () => {
    // Prepare: 8 revoked, 4 past their end (the job not run), 2 live
    const { tenantId, ids } = await tenantWithGrants(12, 1);
    for (const id of ids.slice(0, 8)) await revokeGrant(deps, admin(tenantId), tenantId, id, 'done');
    clock.advance(3600 + 1);
    const fresh = [];
    for (let i = 0; i < 2; i++)
      fresh.push(
        (await createGrant(deps, admin(tenantId), tenantId, { reason: `live ${i}`, scope: { level: 'read-only' }, durationHours: 72 }))
          .grantId,
      );
    const list = (status: 'ACTIVE' | 'EXPIRED' | 'REVOKED') => measured(() => listGrants(deps, tenantId, { limit: 100 }, status));
    // Act
    const revoked = await list('REVOKED');
    const active = await list('ACTIVE');
    const expired = await list('EXPIRED');
    const pages = async (status: 'EXPIRED' | 'REVOKED') => {
      const seen: string[] = [];
      let after: Record<string, unknown> | undefined;
      do {
        const page = await listGrants(deps, tenantId, { limit: 3, after }, status);
        seen.push(...page.items.map((g) => g.grantId));
        after = page.next ?? undefined;
      } while (after);
      return seen;
    };
    const expiredPaged = await pages('EXPIRED');
    const revokedPaged = await pages('REVOKED');
    await runExpiry(deps);
    const expiredAfterJob = await list('EXPIRED');
    const activeAfterJob = await list('ACTIVE');
    // Assess: the answers, newest first
    expect(revoked.items.map((g) => g.grantId)).toEqual(ids.slice(0, 8).reverse());
    expect(active.items.map((g) => g.grantId)).toEqual([...fresh].reverse());
    expect(expired.items.map((g) => g.grantId)).toEqual(ids.slice(8).reverse());
    expect(expired.items.every((g) => g.status === 'EXPIRED')).toBe(true);
    expect(expiredAfterJob.items.map((g) => g.grantId)).toEqual(ids.slice(8).reverse());
    expect(expiredPaged).toEqual(ids.slice(8).reverse());
    expect(revokedPaged).toEqual(ids.slice(0, 8).reverse());
    // And what was read: 14 grants are stored; each list reads its own partition
    expect(revoked.read).toBe(8);
    expect(active.read).toBe(2 + 4); // the live partition still holds the 4 the job has not ended
    expect(activeAfterJob.read).toBe(2);
    expect(expired.read).toBe(0 + 6); // none stored EXPIRED yet; the live partition filtered for those past their end
    expect(expiredAfterJob.read).toBe(4 + 2);
    expect(revoked.requests).toEqual(['QueryCommand']);
  });

  it('?status= of requests reads its status partition; PENDING past its end is EXPIRED at once', async () => {
    // Prepare: 2 denied, 1 cancelled, 2 pending of which one is then past its end
    const { tenantId } = await tenantWithGrants(0);
    const ask = (who: Principal) =>
      createRequest(deps, who, tenantId, { ticketId: 'T-1', reason: 'r', scope: { level: 'read-only' }, durationHours: 1 });
    const made = [];
    for (let i = 0; i < 4; i++) made.push((await ask(agent)).requestId);
    for (const id of made.slice(0, 2)) await denyRequest(deps, admin(tenantId), tenantId, id, 'no');
    await cancelRequest(deps, agent, tenantId, made[2]!);
    clock.advance(13 * 3600);
    const fresh = (await ask(agent)).requestId;
    const list = (status: 'PENDING' | 'EXPIRED' | 'DENIED') =>
      measured(() => listRequests(deps, admin(tenantId), tenantId, { limit: 100 }, status));
    // Act
    const denied = await list('DENIED');
    const pending = await list('PENDING');
    const expired = await list('EXPIRED');
    // Assess
    expect(denied.items.map((r) => r.requestId)).toEqual(made.slice(0, 2).reverse());
    expect(pending.items.map((r) => r.requestId)).toEqual([fresh]);
    expect(expired.items.map((r) => [r.requestId, r.status])).toEqual([[made[3], 'EXPIRED']]);
    expect(denied.read).toBe(2);
    expect(pending.read).toBe(2);
    expect(expired.read).toBe(2);
  });
});

describe('audit events and the IAM that cannot protect them by key', () => {
  it('never writes over an existing audit event: a change that reuses an event id is refused whole', async () => {
    // Prepare
    const tenantId = `s-${ulid().toLowerCase()}`;
    await putContact(deps, admin(tenantId), tenantId, `admin@${tenantId}.test`, 'Admin');
    const [original] = (await deps.store.listAudit(tenantId, { limit: 10 })).items;
    const forged = { ...original!, action: 'policy.updated' as const, details: { forged: true } };

    // Act
    const attempt = deps.store.putPolicy(tenantId, { ...DEFAULT_POLICY, approvalsRequired: 2 }, { audit: [forged], outbox: [] });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConcurrentUpdateError);
    expect((await deps.store.listAudit(tenantId, { limit: 10 })).items).toEqual([original]);
    expect(await deps.store.getPolicy(tenantId)).toBeNull();
  });
});
