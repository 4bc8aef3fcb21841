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
import { DEFAULT_POLICY } from '../../lambdas/contract/schemas.ts';
import { DUE_SHARDS } from '../../lambdas/contract/table.ts';
import { ConcurrentUpdateError } from '../../lambdas/domain/errors.ts';
import { runExpiry } from '../../lambdas/domain/expiry.ts';
import { addGrantee, createGrant, revokeGrant } from '../../lambdas/domain/grants.ts';
import { getAccess, listMyGrants, signIn } from '../../lambdas/domain/sessions.ts';
import { putContact } from '../../lambdas/domain/settings.ts';
import type { Deps, Principal } from '../../lambdas/domain/ports.ts';
import { documentClient, ulidIds } from '../../lambdas/http/runtime.ts';
import { createDynamoStore } from '../../lambdas/store/dynamo-store.ts';
import { ensureTable, LOCAL_REGION, localDynamoClient } from '../../local/dynamodb.ts';
import { freshTableName } from '../helpers/http.ts';
import { LocalClock } from '../../local/clock.ts';

let deps: Deps & { store: ReturnType<typeof createDynamoStore> };
let clock: LocalClock;
let requests: string[];
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
  doc = documentClient(client);
  clock = new LocalClock();
  deps = { store: createDynamoStore({ doc, tableName }), clock, ids: ulidIds(clock) };
  requests = [];
});

const admin = (tenantId: string): Principal => ({ id: `admin-${tenantId}`, email: `admin@${tenantId}.test`, name: 'Admin', roles: ['tenant-admin'], tenantId });
const agent: Principal = { id: 'agent-store', email: 'agent@vendor.test', name: 'Agent', roles: ['support-agent'], tenantId: null };

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
  it('is created from table.ts with both indexes and a stream', async () => {
    const res = await localDynamoClient(inject('dynamoEndpoint')).send(new DescribeTableCommand({ TableName: tableName }));
    expect(res.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual(['GSI1', 'GSI2']);
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

  it('shows a grantee added later on every grantee\'s copy of the grant', async () => {
    // Prepare: a grant naming the agent, then a second agent added
    const tenantId = `s-${ulid().toLowerCase()}`;
    await putContact(deps, admin(tenantId), tenantId, `admin@${tenantId}.test`, 'Admin');
    const me = { id: agent.id, email: agent.email, name: agent.name };
    const g = await createGrant(deps, admin(tenantId), tenantId, { reason: 'named', scope: { level: 'read-only' }, durationHours: 1, grantees: [me] });
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
    // Assess: one index query per shard, then per due grant a read and one transaction
    expect(report.grantsExpired).toBe(3);
    const queries = requests.filter((r) => r === 'QueryCommand').length;
    expect(queries).toBe(DUE_SHARDS);
    expect(requests.filter((r) => r === 'TransactWriteItemsCommand')).toHaveLength(3);
    for (const id of due.ids) expect((await deps.store.getGrant(due.tenantId, id))?.status).toBe('EXPIRED');
  });
});

describe('ending a grant with many open sessions', () => {
  it('ends every session and audits each, beyond what one transaction holds', async () => {
    // Prepare: 60 open sessions under one grant (one transaction holds about 45 with the grant)
    const { tenantId, ids } = await tenantWithGrants(1);
    const agents = Array.from({ length: 60 }, (_, i): Principal => ({ ...agent, id: `agent-many-${i}` }));
    const sessions = await Promise.all(agents.map((a) => signIn(deps, a, tenantId, { reason: 'crowd', sourceIp: '127.0.0.1', userAgent: 'test' })));
    // Act
    await revokeGrant(deps, admin(tenantId), tenantId, ids[0]!, 'too many cooks');
    // Assess
    const history = await deps.store.listSessions(tenantId, { limit: 100 });
    expect(history.items).toHaveLength(60);
    expect(history.items.every((s) => s.endedBy === 'revoked' && s.signOutAt !== null)).toBe(true);
    const audit = await deps.store.listAudit(tenantId, { limit: 100 });
    const ended = audit.items.filter((e) => e.action === 'session.ended').map((e) => e.targetId).sort();
    expect(ended).toEqual(sessions.map((s) => s.sessionId).sort());
  }, 60_000);
});

describe('conditional transitions', () => {
  it('refuses to end a grant from a stale version', async () => {
    const { tenantId, ids } = await tenantWithGrants(1);
    const stale = (await deps.store.getGrant(tenantId, ids[0]!))!;
    await revokeGrant(deps, admin(tenantId), tenantId, ids[0]!, undefined);
    const ended = { ...stale, status: 'REVOKED' as const, version: stale.version + 1 };
    await expect(deps.store.endGrant(stale, ended, { at: clock.now().toISOString(), endedBy: 'revoked', audit: {} }, { audit: [], outbox: [] })).rejects.toBeInstanceOf(
      ConcurrentUpdateError,
    );
  });
});

describe('the dead letter in AWS: npm run outbox', () => {
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, [join('node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/outbox.ts', ...args], {
      env: { ...process.env, TABLE_NAME: tableName, DYNAMODB_ENDPOINT: inject('dynamoEndpoint'), AWS_REGION: LOCAL_REGION, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' },
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
