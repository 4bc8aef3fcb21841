/**
 * Table 1: the hot path. Every operation is timed in the same rounds (one call of each per round,
 * in a shuffled order, round after round), so drift in the machine affects them alike, and each is reported against a
 * raw DynamoDB Local `GetItem` round trip measured in the same rounds.
 */
import { ExecuteStatementCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { keys } from '../lambdas/contract/table.ts';
import type { Deps, Principal } from '../lambdas/domain/ports.ts';
import { endSession, getAccess, signIn } from '../lambdas/domain/sessions.ts';
import { setRuntime, systemClock, ulidIds } from '../lambdas/http/runtime.ts';
import { createDynamoStore } from '../lambdas/store/dynamo-store.ts';
import { ensureTable } from '../local/dynamodb.ts';
import { startStack } from '../local/stack.ts';
import { meteredClients } from './meter.ts';
import { batchWrite, entryItems, grantItem, grantRecord } from './seed.ts';
import { median, ms, p95, progress, ratio, table } from './stats.ts';

const TENANT = 'tenant-hot';
const AGENT = 'agent-1';

interface Op {
  name: string;
  run: () => Promise<unknown>;
  /** Untimed clean-up after a timed call (signing out after a sign-in). */
  after?: (result: unknown) => Promise<void>;
}

export async function hotPath(endpoint: string, opts: { iterations: number; warmup: number }): Promise<string> {
  const tableName = 'bench-hot';
  await ensureTable(endpoint, tableName);
  const { client, doc, meter, destroy } = meteredClients(endpoint);
  const stack = await startStack({ port: 0, sesPort: 0, dynamoEndpoint: endpoint, tableName });
  try {
    // Two live grants cover the agent: one for the whole support team, one naming the agent.
    const now = new Date();
    const createdAt = now.toISOString();
    const expiresAt = new Date(now.getTime() + 24 * 3600_000).toISOString();
    const grants = [grantRecord(TENANT, '01HOTGRANTTEAM000000000000', 0, createdAt, expiresAt), grantRecord(TENANT, '01HOTGRANTAGENT00000000000', 1, createdAt, expiresAt)];
    await batchWrite(doc, tableName, grants.flatMap((g) => [grantItem(g), ...entryItems(g)]));

    const store = createDynamoStore({ doc, tableName });
    const deps: Deps = { store, clock: systemClock, ids: ulidIds(systemClock) };
    // The adapter's handlers use this store (the metered client); the stack keeps its clock.
    setRuntime({ ...stack.runtime, store });
    const caller: Principal = { id: AGENT, email: `${AGENT}@vendor.example`, name: 'Agent One', roles: ['support-agent'], tenantId: null };

    const tokenRes = await fetch(`${stack.url}/_local/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub: AGENT, email: caller.email, name: caller.name, groups: ['support-agent'] }),
    });
    if (!tokenRes.ok) throw new Error(`POST /_local/token answered ${tokenRes.status}`);
    const { token } = (await tokenRes.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}` };
    const http = async (method: 'GET' | 'POST', path: string, expect: number, body?: unknown) => {
      const res = await fetch(`${stack.url}${path}`, {
        method,
        headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (res.status !== expect) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
      return JSON.parse(text) as Record<string, unknown>;
    };
    const [agentPk, teamPk] = [keys.accessPartition(TENANT, { kind: 'agent', id: AGENT }), keys.accessPartition(TENANT, { kind: 'team' })];
    const signOut = async (session: unknown) => {
      await endSession(deps, caller, TENANT, String((session as { sessionId: string }).sessionId));
    };

    const baseline: Op = {
      name: 'raw GetItem (baseline)',
      run: () => client.send(new GetItemCommand({ TableName: tableName, Key: { PK: { S: keys.grant(TENANT, grants[0]!.grantId).PK }, SK: { S: keys.grant(TENANT, grants[0]!.grantId).SK } }, ConsistentRead: true })),
    };
    const ops: Op[] = [
      baseline,
      {
        name: 'raw ExecuteStatement, 2 access partitions',
        run: () =>
          client.send(
            new ExecuteStatementCommand({
              Statement: `SELECT * FROM "${tableName}" WHERE PK IN [?, ?]`,
              Parameters: [{ S: agentPk }, { S: teamPk }],
              ConsistentRead: true,
            }),
          ),
      },
      { name: 'store.accessEntries', run: () => store.accessEntries(TENANT, AGENT) },
      { name: 'domain getAccess', run: () => getAccess(deps, caller, TENANT) },
      { name: 'HTTP GET /v1/tenants/{t}/access', run: () => http('GET', `/v1/tenants/${TENANT}/access`, 200) },
      { name: 'domain signIn', run: () => signIn(deps, caller, TENANT, { reason: 'benchmark', sourceIp: '127.0.0.1', userAgent: 'bench' }), after: signOut },
      { name: 'HTTP POST /v1/tenants/{t}/sessions (sign-in)', run: () => http('POST', `/v1/tenants/${TENANT}/sessions`, 201, { reason: 'benchmark' }), after: signOut },
    ];

    // Correctness first: the access check must see both grants.
    const access = await getAccess(deps, caller, TENANT);
    if (!access.allowed || access.grantIds.length !== 2) throw new Error(`unexpected access ${JSON.stringify(access)}`);

    // DynamoDB requests per operation (one call each, counted by the client middleware).
    const requests = new Map<string, string>();
    for (const op of ops) {
      meter.reset();
      const result = await op.run();
      const count = meter.totalRequests;
      const detail = meter.describeRequests();
      requests.set(op.name, count === 1 ? String(count) : `${count} (${detail})`);
      await op.after?.(result);
    }

    const samples = new Map<string, number[]>(ops.map((o) => [o.name, []]));
    const rounds = opts.warmup + opts.iterations;
    progress(`hot path: ${opts.warmup} warm-up + ${opts.iterations} measured rounds of ${ops.length} operations`);
    const order = [...ops];
    for (let round = 0; round < rounds; round++) {
      // A new order every round, so no operation always runs right after the same one.
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (const op of order) {
        const t0 = performance.now();
        const result = await op.run();
        const elapsed = performance.now() - t0;
        if (round >= opts.warmup) samples.get(op.name)!.push(elapsed);
        await op.after?.(result);
      }
      if ((round + 1) % 100 === 0) progress(`hot path: round ${round + 1}/${rounds}`);
    }

    const base = { median: median(samples.get(baseline.name)!), p95: p95(samples.get(baseline.name)!) };
    const raw = median(samples.get(ops[1]!.name)!);
    const rows = ops.map((op) => {
      const s = samples.get(op.name)!;
      return [op.name, ms(median(s)), ms(p95(s)), ratio(median(s), base.median), ratio(p95(s), base.p95), ratio(median(s), raw), requests.get(op.name)!];
    });
    return table(['operation', 'median', 'p95', 'median ÷ GetItem', 'p95 ÷ GetItem', 'median ÷ raw ExecuteStatement', 'DynamoDB requests'], rows);
  } finally {
    await stack.stop();
    destroy();
  }
}
