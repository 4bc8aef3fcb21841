/**
 * Table 5: load. Concurrent clients (autocannon, in a process of its own) sign in and check access
 * through the local adapter for a fixed time, each client as its own agent at its own tenant; the
 * ceiling is DynamoDB Local's own throughput measured the same way: the same clients replaying one
 * signed, consistent `GetItem` straight at DynamoDB Local.
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ExecuteStatementCommand, GetItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { monotonicFactory } from 'ulid';
import { keys } from '../lambdas/contract/table.ts';
import { ensureTable } from '../local/dynamodb.ts';
import { startStack } from '../local/stack.ts';
import { BENCH_STACK } from './settings.ts';
import { ROOT } from './cold-start.ts';
import type { LoadConfig, LoadResult } from './load-client.ts';
import { meteredClients } from './meter.ts';
import { figure, verdict, type Figure, type SectionResult } from './results.ts';
import { batchWrite, entryItems, grantItem, grantRecord } from './seed.ts';
import { int, ms, num, progress, runJson, table } from './stats.ts';

/** The access check under load, at least this share of DynamoDB Local's raw rate for its statement. */
export const LOAD_ACCESS_TARGET = 0.8;

/**
 * Pins DynamoDB Local (every thread of its Java process) to the last core and this process (and
 * so the load client it starts next) to the others; `restore` gives this process every core back.
 * Null where there is no `taskset` or a single core.
 */
function pinCores(endpoint: string): { dynamoCore: number; restore: () => void } | null {
  const n = cpus().length;
  if (n < 2) return null;
  const port = new URL(endpoint).port;
  try {
    const java = execFileSync('pgrep', ['-f', `DynamoDBLocal.jar -port ${port} `])
      .toString()
      .trim()
      .split('\n')[0];
    if (!java) return null;
    const dynamoCore = n - 1;
    execFileSync('taskset', ['-a', '-p', '-c', String(dynamoCore), java], { stdio: 'ignore' });
    execFileSync('taskset', ['-a', '-p', '-c', `0-${n - 2}`, String(process.pid)], { stdio: 'ignore' });
    return {
      dynamoCore,
      restore: () => execFileSync('taskset', ['-a', '-p', '-c', `0-${n - 1}`, String(process.pid)], { stdio: 'ignore' }),
    };
  } catch {
    return null;
  }
}

/** Runs the load client in its own Node process and returns what it measured. */
async function runClient(config: LoadConfig): Promise<LoadResult> {
  const args = ['--import', 'tsx', join(ROOT, 'bench', 'load-client.ts'), JSON.stringify(config)];
  return runJson<LoadResult>(process.execPath, args, { cwd: ROOT }, (config.seconds + 60) * 1000, 'the load client');
}

export async function load(endpoint: string, opts: { seconds: number; connections: number }): Promise<SectionResult> {
  const tableName = 'bench-load';
  await ensureTable(endpoint, tableName);
  const { client, doc, destroy } = meteredClients(endpoint);
  const stack = await startStack({ port: 0, sesPort: 0, dynamoEndpoint: endpoint, tableName, ...BENCH_STACK });
  try {
    // One agent per client, each named on a live grant at a tenant of its own: no client waits on
    // another's grant item.
    const ids = monotonicFactory();
    const now = new Date();
    const expiresAt = new Date(now.getTime() + 24 * 3600_000).toISOString();
    const clients = Array.from({ length: opts.connections }, (_, i) => {
      const grant = grantRecord(`load-${i}`, ids(), 2 * i + 1, now.toISOString(), expiresAt);
      return { grant, agent: grant.grantees[0]!.id, tenantId: grant.tenantId };
    });
    await batchWrite(
      doc,
      tableName,
      clients.flatMap((c) => [grantItem(c.grant), ...entryItems(c.grant)]),
    );
    const token = async (sub: string) => {
      const res = await fetch(`${stack.url}/_local/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sub, email: `${sub}@vendor.example`, name: sub, groups: ['support-agent'] }),
      });
      if (!res.ok) throw new Error(`POST /_local/token answered ${res.status}`);
      return `Bearer ${((await res.json()) as { token: string }).token}`;
    };
    const auth = await Promise.all(clients.map((c) => token(c.agent)));

    // The signed requests the SDK sends (one consistent GetItem; the access check's statement),
    // captured once and replayed.
    let captured: { path: string; headers: Record<string, string>; body: string } | undefined;
    client.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request as { path: string; headers: Record<string, string>; body: unknown };
        const body =
          req.body instanceof Uint8Array
            ? new TextDecoder().decode(req.body)
            : typeof req.body === 'string'
              ? req.body
              : JSON.stringify(req.body);
        captured = { path: req.path, headers: { ...req.headers }, body };
        return next(args);
      },
      { step: 'finalizeRequest', name: 'captureSigned', priority: 'low' },
    );
    const replay = async (command: GetItemCommand | ExecuteStatementCommand | TransactWriteItemsCommand) => {
      captured = undefined;
      await client.send(command as GetItemCommand);
      if (!captured) throw new Error('no signed request captured');
      const c: { path: string; headers: Record<string, string>; body: string } = captured;
      // autocannon sets host and content-length itself, to the values that were signed.
      return {
        method: 'POST' as const,
        path: c.path || '/',
        headers: Object.fromEntries(Object.entries(c.headers).filter(([k]) => !['host', 'content-length'].includes(k.toLowerCase()))),
        body: c.body,
      };
    };
    const first = clients[0]!;
    const grantKey = keys.grant(first.tenantId, first.grant.grantId);
    const rawGet = await replay(
      new GetItemCommand({ TableName: tableName, Key: { PK: { S: grantKey.PK }, SK: { S: grantKey.SK } }, ConsistentRead: true }),
    );
    const rawStatement = await replay(
      new ExecuteStatementCommand({
        Statement: `SELECT * FROM "${tableName}" WHERE PK IN [?, ?]`,
        Parameters: [
          { S: keys.accessPartition(first.tenantId, { kind: 'agent', id: first.agent }) },
          { S: keys.accessPartition(first.tenantId, { kind: 'team' }) },
        ],
        ConsistentRead: true,
      }),
    );
    // A transaction shaped like sign-in's (a conditional update of the grant, then puts of the
    // session, its audit event and its mail), on scratch items so that replaying it is harmless.
    const scratch = (sk: string) => ({ PK: { S: 'BENCH#LOAD' }, SK: { S: sk } });
    const filler = { S: 'x'.repeat(400) };
    const rawTransaction = await replay(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName,
              Key: scratch('GRANT'),
              UpdateExpression: 'ADD n :one',
              ConditionExpression: 'attribute_not_exists(gone)',
              ExpressionAttributeValues: { ':one': { N: '1' } },
            },
          },
          ...['SESSION', 'AUDIT', 'OUTBOX'].map((sk) => ({ Put: { TableName: tableName, Item: { ...scratch(sk), filler } } })),
        ],
      }),
    );

    // Warm up first (the handlers' modules load on their first request, then the JIT), untimed.
    for (let round = 0; round < 30; round++) {
      await Promise.all(
        clients.map(async (c, i) => {
          const access = await fetch(`${stack.url}/v1/tenants/${c.tenantId}/access`, { headers: { authorization: auth[i]! } });
          await access.text();
          const session = await fetch(`${stack.url}/v1/tenants/${c.tenantId}/sessions`, {
            method: 'POST',
            headers: { authorization: auth[i]!, 'content-type': 'application/json' },
            body: JSON.stringify({ reason: 'warm-up' }),
          });
          await session.text();
        }),
      );
    }

    const runs: { name: string; label: string; config: LoadConfig; result: LoadResult }[] = [];
    const go = async (name: string, label: string, config: LoadConfig) => {
      progress(`load: ${label}, ${opts.connections} clients for ${opts.seconds} s`);
      runs.push({ name, label, config, result: await runClient(config) });
    };
    await go('ceiling', 'DynamoDB Local: raw consistent GetItem (ceiling)', {
      url: endpoint,
      seconds: opts.seconds,
      requests: clients.map(() => rawGet),
    });
    await go('rawStatement', 'DynamoDB Local: the access check’s raw ExecuteStatement', {
      url: endpoint,
      seconds: opts.seconds,
      requests: clients.map(() => rawStatement),
    });
    await go('rawTransaction', 'DynamoDB Local: a raw TransactWriteItems shaped like sign-in’s', {
      url: endpoint,
      seconds: opts.seconds,
      requests: clients.map(() => rawTransaction),
    });
    await go('GetHealth', 'GET /v1/health (the adapter alone: no JWT, no DynamoDB)', {
      url: stack.url,
      seconds: opts.seconds,
      requests: clients.map(() => ({ method: 'GET', path: '/v1/health', headers: {} })),
    });
    await go('GetAccess', 'GET /v1/tenants/{t}/access (access check)', {
      url: stack.url,
      seconds: opts.seconds,
      requests: clients.map((c, i) => ({ method: 'GET', path: `/v1/tenants/${c.tenantId}/access`, headers: { authorization: auth[i]! } })),
    });
    await go('SignIn', 'POST /v1/tenants/{t}/sessions (sign-in)', {
      url: stack.url,
      seconds: opts.seconds,
      requests: clients.map((c, i) => ({
        method: 'POST',
        path: `/v1/tenants/${c.tenantId}/sessions`,
        headers: { authorization: auth[i]!, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'load' }),
      })),
    });

    // The same four rows again with DynamoDB Local on a core of its own (as DynamoDB runs on
    // servers of its own in AWS): the adapter, the handler and the load client on the other.
    const pinned = pinCores(endpoint);
    if (pinned) {
      try {
        for (const name of ['rawStatement', 'rawTransaction', 'GetAccess', 'SignIn']) {
          const shared = runs.find((r) => r.name === name)!;
          await go(`${name}Pinned`, `${shared.label}, DynamoDB Local on a core of its own`, shared.config);
        }
      } finally {
        pinned.restore();
      }
    }

    const ceiling = runs[0]!.result.rps;
    const rpsOf = (name: string) => runs.find((r) => r.name === name)!.result.rps;
    const figures: Figure[] = [];
    // Each route against DynamoDB Local's raw rate for its own requests, replayed the same way.
    const accessRatio = rpsOf('GetAccess') / rpsOf('rawStatement');
    const signInRatio = rpsOf('SignIn') / rpsOf('rawTransaction');
    // The target is held on the pinned rows when there are two cores to pin to: sharing them, the
    // Node side's CPU comes out of DynamoDB Local's, which no deployment does.
    const suffix = pinned ? 'Pinned' : '';
    const accessTarget = rpsOf(`GetAccess${suffix}`) / rpsOf(`rawStatement${suffix}`);
    const signInTarget = rpsOf(`SignIn${suffix}`) / rpsOf(`rawTransaction${suffix}`);
    figures.push(
      figure({
        section: 'load',
        name: `GetAccess req/s ÷ its raw ExecuteStatement${pinned ? ', DynamoDB Local on its own core' : ''}`,
        value: rpsOf(`GetAccess${suffix}`),
        unit: 'req/s',
        baseline: { name: 'DynamoDB Local, the same statement replayed', value: rpsOf(`rawStatement${suffix}`) },
        target: `≥ ${LOAD_ACCESS_TARGET} × the raw statement's rate`,
        pass: accessTarget >= LOAD_ACCESS_TARGET,
        note: pinned
          ? `DynamoDB Local on core ${pinned.dynamoCore}, the adapter, handler, SDK and load client on the others; sharing every core: ${accessRatio.toFixed(2)}×`
          : 'limited by the shared cores: the adapter, the handler and the SDK in one Node thread compete with DynamoDB Local (Java) and the load client for the same cores',
      }),
      figure({
        section: 'load',
        name: `SignIn req/s ÷ a raw transaction of its shape${pinned ? ', DynamoDB Local on its own core' : ''}`,
        value: rpsOf(`SignIn${suffix}`),
        unit: 'req/s',
        baseline: { name: 'DynamoDB Local, a TransactWriteItems of the same shape replayed', value: rpsOf(`rawTransaction${suffix}`) },
        note: `sign-in also reads (one ExecuteStatement) before its transaction; DynamoDB Local runs transactions one at a time; sharing every core: ${signInRatio.toFixed(2)}×`,
      }),
    );
    const rows = runs.map(({ name, label, result: r }) => {
      const errors = r.errors + r.timeouts + r.non2xx;
      const isCeiling = name === 'ceiling';
      figures.push(
        figure({
          section: 'load',
          name: `${name} requests per second`,
          value: r.rps,
          unit: 'req/s',
          ...(isCeiling ? {} : { baseline: { name: 'DynamoDB Local raw GetItem req/s (ceiling)', value: ceiling } }),
        }),
        figure({ section: 'load', name: `${name} p99`, value: r.p99, unit: 'ms', note: `p50 ${r.p50} ms` }),
        figure({
          section: 'load',
          name: `${name} errors`,
          value: errors,
          unit: 'requests',
          target: '0',
          pass: errors === 0,
          note: `of ${r.requests}; status codes ${JSON.stringify(r.statusCodes)}`,
        }),
      );
      return [
        label,
        int(r.requests),
        num(r.rps, 0),
        isCeiling ? '1.00×' : `${(r.rps / ceiling).toFixed(2)}×`,
        ms(r.p50),
        ms(r.p99),
        `${int(errors)} (${verdict(errors === 0)})`,
      ];
    });
    const text = `${table(['load', 'requests', 'req/s', 'of the ceiling', 'p50', 'p99', 'errors (target 0)'], rows)}

| route | req/s | DynamoDB Local's raw rate for its own requests | ratio | target |
|---|---:|---:|---:|---|
| access check, sharing every core | ${num(rpsOf('GetAccess'), 0)} | ${num(rpsOf('rawStatement'), 0)} (its ExecuteStatement) | ${accessRatio.toFixed(2)}× | ${pinned ? '— (reported)' : `≥ ${LOAD_ACCESS_TARGET}×: ${verdict(accessRatio >= LOAD_ACCESS_TARGET)}`} |
| sign-in, sharing every core | ${num(rpsOf('SignIn'), 0)} | ${num(rpsOf('rawTransaction'), 0)} (a TransactWriteItems of its shape) | ${signInRatio.toFixed(2)}× | — (reported) |${
      pinned
        ? `
| access check, DynamoDB Local on a core of its own | ${num(rpsOf('GetAccessPinned'), 0)} | ${num(rpsOf('rawStatementPinned'), 0)} | ${accessTarget.toFixed(2)}× | ≥ ${LOAD_ACCESS_TARGET}×: ${verdict(accessTarget >= LOAD_ACCESS_TARGET)} |
| sign-in, DynamoDB Local on a core of its own | ${num(rpsOf('SignInPinned'), 0)} | ${num(rpsOf('rawTransactionPinned'), 0)} | ${signInTarget.toFixed(2)}× | — (reported) |`
        : ''
    }`;
    const summary = [
      '',
      `- ${opts.connections} concurrent clients (autocannon, keep-alive, one request in flight each, in a Node process of their own) for ${opts.seconds} s per row; each client is its own agent with a grant at its own tenant. Sign-ins open a new session each time.`,
      '- The ceiling replays one signed consistent `GetItem` (captured from the SDK) straight at DynamoDB Local with the same clients: what DynamoDB Local itself serves on this machine, with no adapter, handler or SDK in the way. The access check’s own `ExecuteStatement` and a transaction shaped like sign-in’s are replayed the same way: the ceilings of those two routes.',
      pinned
        ? `- First every row with autocannon, the Node process of the adapter and DynamoDB Local (Java) sharing every core; then the two routes and their raw requests again with DynamoDB Local pinned to core ${pinned.dynamoCore} and everything else to the others (\`taskset\`), as in AWS, where DynamoDB does not run on the function's CPU. The target is read on the pinned rows: sharing the cores, every millisecond of CPU the adapter and the handler spend is taken from DynamoDB Local, which is what the shared rows show.`
        : '- autocannon, the Node process of the adapter and DynamoDB Local (Java) share the same cores (`taskset` or a second core is missing, so no pinned rows).',
    ].join('\n');
    return { text: text + '\n' + summary, figures };
  } finally {
    await stack.stop();
    destroy();
  }
}
