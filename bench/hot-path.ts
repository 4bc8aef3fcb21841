/**
 * Table 1: every route that touches DynamoDB, through the local adapter (`startStack`: the JWT
 * check, the API Gateway v2 event, middy, zod, the Lambda handler) against DynamoDB Local, next
 * to a raw `GetItem` round trip timed in the same rounds. Every round calls every operation once,
 * in a new random order, so drift in the machine hits them alike. Per route: the DynamoDB requests
 * and capacity of one call, p50/p99 latency, and what the adapter and handler add: the call's
 * latency minus the time its requests spent in the SDK (`Meter.busyMs`).
 */
import { Agent, request as httpRequest } from 'node:http';
import { ExecuteStatementCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { keys } from '../lambdas/contract/table.ts';
import { ensureTable } from '../local/dynamodb.ts';
import { observeHandlerCpu } from '../local/server.ts';
import { startStack } from '../local/stack.ts';
import { BENCH_STACK } from './settings.ts';
import { meteredClients, type Meter } from './meter.ts';
import { figure, verdict, type Figure, type SectionResult } from './results.ts';
import { batchWrite, entryItems, grantItem, grantRecord } from './seed.ts';
import { median, ms, num, progress, quantile, ratio, table } from './stats.ts';

const T = 'tenant-hot';
const AGENT = 'agent-1';
/** The requester of the requests that are approved, denied and cancelled: not the measured agent. */
const REQUESTER = 'agent-2';
/** Named on the grants created, widened and revoked, so the measured agent's entries stay two. */
const OTHER = 'agent-9';
const ADMIN_EMAIL = `admin@${T}.example`;

/** The share of a raw GetItem's p50 that the adapter and handler may add to a route's p50. */
export const ADDED_TARGET = 0.5;
/** The access check's handler CPU time per call, p50, in milliseconds. */
export const ACCESS_CPU_TARGET_MS = 1;

type Who = 'admin' | 'agent' | 'requester';
type Json = Record<string, unknown>;

interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  expect: number;
  as: Who;
}

interface Op {
  /** The route id (`routes.ts`), or a baseline's name. */
  name: string;
  label: string;
  /** Untimed set-up that returns the call to time (a request to approve, a session to end). */
  prepare: () => Promise<Call>;
  /** Untimed clean-up after the timed call (signing out after a sign-in, revoking a new grant). */
  after?: (body: Json) => Promise<void>;
  /** Baselines that are not HTTP calls. */
  raw?: () => Promise<unknown>;
  /** Targets on requests per call. */
  maxRequests?: number;
}

interface Sample {
  latency: number[];
  added: number[];
  dynamo: number[];
  /** CPU time of the handler invocation (`process.cpuUsage` around it in the adapter). */
  cpu: number[];
}

export async function hotPath(endpoint: string, opts: { iterations: number; warmup: number }): Promise<SectionResult> {
  const tableName = 'bench-hot';
  await ensureTable(endpoint, tableName);
  const { client, doc, meter, destroy } = meteredClients(endpoint);
  // The adapter's handlers use the metered client.
  const stack = await startStack({ port: 0, sesPort: 0, dynamoEndpoint: endpoint, tableName, doc, ...BENCH_STACK });
  // A lean keep-alive client: Node's fetch adds 0.1-0.3 ms of its own to every call.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // Two live grants cover the measured agent: one for the whole support team, one naming it.
    const now = new Date();
    const createdAt = now.toISOString();
    const expiresAt = new Date(now.getTime() + 24 * 3600_000).toISOString();
    const grants = [
      grantRecord(T, '01HOTGRANTTEAM000000000000', 0, createdAt, expiresAt),
      grantRecord(T, '01HOTGRANTAGENT00000000000', 1, createdAt, expiresAt),
    ];
    await batchWrite(
      doc,
      tableName,
      grants.flatMap((g) => [grantItem(g), ...entryItems(g)]),
    );

    const port = Number(new URL(stack.url).port);
    const send = (method: string, path: string, headers: Record<string, string>, body?: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
    const token = async (sub: string, email: string, groups: string[], tenantId?: string) => {
      const res = await send(
        'POST',
        '/_local/token',
        { 'content-type': 'application/json' },
        JSON.stringify({ sub, email, name: sub, groups, tenantId }),
      );
      if (res.status !== 200) throw new Error(`POST /_local/token answered ${res.status}: ${res.text}`);
      return `Bearer ${(JSON.parse(res.text) as { token: string }).token}`;
    };
    const tokens: Record<Who, string> = {
      admin: await token('admin-1', ADMIN_EMAIL, ['tenant-admin'], T),
      agent: await token(AGENT, `${AGENT}@vendor.example`, ['support-agent']),
      requester: await token(REQUESTER, `${REQUESTER}@vendor.example`, ['support-agent']),
    };
    // The client's own work (serializing the request, parsing the answer) stays outside the timer.
    const encode = (c: Call) => {
      const headers: Record<string, string> = { authorization: tokens[c.as] };
      let body: string | undefined;
      if (c.body !== undefined) {
        body = JSON.stringify(c.body);
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(Buffer.byteLength(body));
      }
      return { headers, body };
    };
    const decode = (c: Call, res: { status: number; text: string }): Json => {
      if (res.status !== c.expect) throw new Error(`${c.method} ${c.path} answered ${res.status}: ${res.text}`);
      return res.text ? (JSON.parse(res.text) as Json) : {};
    };
    const http = async (c: Call): Promise<Json> => {
      const { headers, body } = encode(c);
      return decode(c, await send(c.method, c.path, headers, body));
    };
    const call = (method: Call['method'], path: string, as: Who, expect: number, body?: unknown): Call => ({
      method,
      path,
      as,
      expect,
      ...(body === undefined ? {} : { body }),
    });
    const fixed = (c: Call) => () => Promise.resolve(c);

    // The tenant: one contact (the admin), the default policy, one request and the two grants.
    await http(call('PUT', `/v1/tenants/${T}/contacts/${encodeURIComponent(ADMIN_EMAIL)}`, 'admin', 201, { name: 'Tenant Admin' }));
    const requestBody = { ticketId: 'T-1', reason: 'benchmark', scope: { level: 'read-only' }, durationHours: 4 };
    const newRequest = async (as: Who = 'requester') =>
      String((await http(call('POST', `/v1/tenants/${T}/access-requests`, as, 201, requestBody))).requestId);
    const aRequest = await newRequest();
    const grantBody = {
      reason: 'benchmark',
      scope: { level: 'read-only' },
      durationHours: 4,
      grantees: [{ id: OTHER, email: `${OTHER}@vendor.example`, name: 'Agent Nine' }],
    };
    const newGrant = async () => String((await http(call('POST', `/v1/tenants/${T}/grants`, 'admin', 201, grantBody))).grantId);
    const revoke = async (grantId: string) => {
      await http(call('POST', `/v1/tenants/${T}/grants/${grantId}/revoke`, 'admin', 200, {}));
    };
    const signOut = async (session: Json) => {
      await http(call('POST', `/v1/tenants/${T}/sessions/${String(session.sessionId)}/end`, 'agent', 200, {}));
    };
    /** A fresh number per prepared call (names a new contact, alternates a name). */
    let seq = 0;
    const grantKey = keys.grant(T, grants[0]!.grantId);
    const [agentPk, teamPk] = [keys.accessPartition(T, { kind: 'agent', id: AGENT }), keys.accessPartition(T, { kind: 'team' })];

    const baseline: Op = {
      name: 'GetItem',
      label: 'raw GetItem, consistent (baseline)',
      prepare: () => Promise.reject(new Error('not an HTTP call')),
      raw: () =>
        client.send(
          new GetItemCommand({ TableName: tableName, Key: { PK: { S: grantKey.PK }, SK: { S: grantKey.SK } }, ConsistentRead: true }),
        ),
    };
    const ops: Op[] = [
      baseline,
      {
        name: 'ExecuteStatement',
        label: 'raw ExecuteStatement, the access check’s 2 partitions',
        prepare: () => Promise.reject(new Error('not an HTTP call')),
        raw: () =>
          client.send(
            new ExecuteStatementCommand({
              Statement: `SELECT * FROM "${tableName}" WHERE PK IN [?, ?]`,
              Parameters: [{ S: agentPk }, { S: teamPk }],
              ConsistentRead: true,
            }),
          ),
      },
      {
        name: 'GetHealth',
        label: 'GET /v1/health (no JWT, no DynamoDB: the adapter floor)',
        prepare: fixed(call('GET', '/v1/health', 'agent', 200)),
      },
      {
        name: 'GetAccess',
        label: 'GET /v1/tenants/{t}/access',
        prepare: fixed(call('GET', `/v1/tenants/${T}/access`, 'agent', 200)),
        maxRequests: 1,
      },
      { name: 'ListMyGrants', label: 'GET /v1/me/grants', prepare: fixed(call('GET', '/v1/me/grants', 'agent', 200)), maxRequests: 1 },
      {
        name: 'SignIn',
        label: 'POST /v1/tenants/{t}/sessions (sign-in)',
        prepare: fixed(call('POST', `/v1/tenants/${T}/sessions`, 'agent', 201, { reason: 'benchmark' })),
        after: signOut,
        maxRequests: 2,
      },
      {
        name: 'EndSession',
        label: 'POST …/sessions/{id}/end (sign-out)',
        prepare: async () => {
          const s = await http(call('POST', `/v1/tenants/${T}/sessions`, 'agent', 201, { reason: 'benchmark' }));
          return call('POST', `/v1/tenants/${T}/sessions/${String(s.sessionId)}/end`, 'agent', 200, {});
        },
      },
      {
        name: 'ListSessions',
        label: 'GET /v1/tenants/{t}/sessions',
        prepare: fixed(call('GET', `/v1/tenants/${T}/sessions`, 'admin', 200)),
      },
      {
        name: 'ListContacts',
        label: 'GET /v1/tenants/{t}/contacts',
        prepare: fixed(call('GET', `/v1/tenants/${T}/contacts`, 'admin', 200)),
      },
      {
        name: 'PutContact',
        label: 'PUT /v1/tenants/{t}/contacts/{email} (rename)',
        prepare: () =>
          Promise.resolve(
            call('PUT', `/v1/tenants/${T}/contacts/${encodeURIComponent(ADMIN_EMAIL)}`, 'admin', 200, {
              name: `Tenant Admin ${++seq % 2}`,
            }),
          ),
      },
      {
        name: 'DeleteContact',
        label: 'DELETE /v1/tenants/{t}/contacts/{email}',
        prepare: async () => {
          const email = encodeURIComponent(`temp-${++seq}@${T}.example`);
          await http(call('PUT', `/v1/tenants/${T}/contacts/${email}`, 'admin', 201, { name: 'Temp' }));
          return call('DELETE', `/v1/tenants/${T}/contacts/${email}`, 'admin', 204);
        },
      },
      { name: 'GetPolicy', label: 'GET /v1/tenants/{t}/policy', prepare: fixed(call('GET', `/v1/tenants/${T}/policy`, 'admin', 200)) },
      {
        name: 'PutPolicy',
        label: 'PUT /v1/tenants/{t}/policy',
        prepare: () =>
          Promise.resolve(
            call('PUT', `/v1/tenants/${T}/policy`, 'admin', 200, {
              maxDurationHours: 72 + (++seq % 2),
              allowStandingAccess: false,
              approvalsRequired: 1,
              requestTtlHours: 12,
              notifyOnSignIn: true,
            }),
          ),
      },
      {
        name: 'CreateAccessRequest',
        label: 'POST /v1/tenants/{t}/access-requests',
        prepare: fixed(call('POST', `/v1/tenants/${T}/access-requests`, 'requester', 201, requestBody)),
        // An agent may have 5 pending requests at a tenant: withdraw each new one, untimed.
        after: async (r) => {
          await http(call('POST', `/v1/tenants/${T}/access-requests/${String(r.requestId)}/cancel`, 'requester', 200, {}));
        },
      },
      {
        name: 'ListAccessRequests',
        label: 'GET /v1/tenants/{t}/access-requests',
        prepare: fixed(call('GET', `/v1/tenants/${T}/access-requests`, 'admin', 200)),
      },
      {
        name: 'GetAccessRequest',
        label: 'GET …/access-requests/{id}',
        prepare: fixed(call('GET', `/v1/tenants/${T}/access-requests/${aRequest}`, 'admin', 200)),
      },
      {
        name: 'ApproveAccessRequest',
        label: 'POST …/access-requests/{id}/approve (grant ACTIVE)',
        prepare: async () => call('POST', `/v1/tenants/${T}/access-requests/${await newRequest()}/approve`, 'admin', 200, {}),
        after: async (r) => revoke(String(r.grantId)),
      },
      {
        name: 'DenyAccessRequest',
        label: 'POST …/access-requests/{id}/deny',
        prepare: async () => call('POST', `/v1/tenants/${T}/access-requests/${await newRequest()}/deny`, 'admin', 200, {}),
      },
      {
        name: 'CancelAccessRequest',
        label: 'POST …/access-requests/{id}/cancel',
        prepare: async () => call('POST', `/v1/tenants/${T}/access-requests/${await newRequest()}/cancel`, 'requester', 200, {}),
      },
      {
        name: 'CreateGrant',
        label: 'POST /v1/tenants/{t}/grants',
        prepare: fixed(call('POST', `/v1/tenants/${T}/grants`, 'admin', 201, grantBody)),
        after: async (g) => revoke(String(g.grantId)),
      },
      { name: 'ListGrants', label: 'GET /v1/tenants/{t}/grants', prepare: fixed(call('GET', `/v1/tenants/${T}/grants`, 'admin', 200)) },
      {
        name: 'GetGrant',
        label: 'GET …/grants/{id}',
        prepare: fixed(call('GET', `/v1/tenants/${T}/grants/${grants[0]!.grantId}`, 'admin', 200)),
      },
      {
        name: 'AddGrantee',
        label: 'POST …/grants/{id}/grantees',
        prepare: async () =>
          call('POST', `/v1/tenants/${T}/grants/${await newGrant()}/grantees`, 'admin', 200, {
            id: 'agent-8',
            email: 'agent-8@vendor.example',
            name: 'Agent Eight',
          }),
        after: async (g) => revoke(String(g.grantId)),
      },
      {
        name: 'RevokeGrant',
        label: 'POST …/grants/{id}/revoke',
        prepare: async () => call('POST', `/v1/tenants/${T}/grants/${await newGrant()}/revoke`, 'admin', 200, {}),
      },
      {
        name: 'ListAuditEvents',
        label: 'GET /v1/tenants/{t}/audit-events',
        prepare: fixed(call('GET', `/v1/tenants/${T}/audit-events`, 'admin', 200)),
      },
    ];

    // Correctness first: the access check sees both grants.
    const access = await http(call('GET', `/v1/tenants/${T}/access`, 'agent', 200));
    if (access.allowed !== true || (access.grantIds as string[]).length !== 2)
      throw new Error(`unexpected access ${JSON.stringify(access)}`);

    // The adapter reports the CPU time of every handler invocation; the timed call is the only one
    // in flight between resetting this and reading it (set-up and clean-up calls come before and after).
    let handlerCpu = Number.NaN;
    observeHandlerCpu((_route, cpuMs) => {
      handlerCpu = cpuMs;
    });

    /** Times one operation; returns its latency, the DynamoDB time inside it and the handler's CPU time. */
    const runOnce = async (op: Op, m: Meter) => {
      if (op.raw) {
        const t0 = performance.now();
        await op.raw();
        const latency = performance.now() - t0;
        return { latency, dynamo: latency, cpu: Number.NaN, body: {} as Json };
      }
      const c = await op.prepare();
      const { headers, body: payload } = encode(c);
      const busy0 = m.busyMs;
      handlerCpu = Number.NaN;
      const t0 = performance.now();
      const res = await send(c.method, c.path, headers, payload);
      const latency = performance.now() - t0;
      const cpu = handlerCpu;
      const dynamo = m.busyMs - busy0;
      const body = decode(c, res);
      await op.after?.(body);
      return { latency, dynamo, cpu, body };
    };

    const samples = new Map<string, Sample>(ops.map((o) => [o.name, { latency: [], added: [], dynamo: [], cpu: [] }]));
    const counts = new Map<string, { requests: number; detail: string; read: number; write: number }>();
    const rounds = opts.warmup + opts.iterations;
    progress(`hot path: ${opts.warmup} warm-up + ${opts.iterations} measured rounds of ${ops.length} operations`);
    const order = [...ops];
    for (let round = 0; round < rounds; round++) {
      if (round === opts.warmup) {
        // Requests and capacity of one call each, once warm (capacity asked only here, not while timing).
        meter.returnCapacity = true;
        for (const op of ops) {
          const c = op.raw ? undefined : await op.prepare();
          meter.reset();
          const body = op.raw ? await op.raw() : await http(c!);
          counts.set(op.name, {
            requests: meter.totalRequests,
            detail: meter.describeRequests(),
            read: meter.readUnits,
            write: meter.writeUnits,
          });
          if (!op.raw) await op.after?.(body as Json);
        }
        meter.returnCapacity = false;
      }
      // A new order every round, so no operation always runs right after the same one.
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (const op of order) {
        const r = await runOnce(op, meter);
        if (round < opts.warmup) continue;
        const s = samples.get(op.name)!;
        s.latency.push(r.latency);
        s.dynamo.push(r.dynamo);
        s.added.push(r.latency - r.dynamo);
        if (!Number.isNaN(r.cpu)) s.cpu.push(r.cpu);
      }
      if ((round + 1) % 50 === 0) progress(`hot path: round ${round + 1}/${rounds}`);
    }

    const base = median(samples.get(baseline.name)!.latency);
    const budget = ADDED_TARGET * base;
    const figures: Figure[] = [];
    const rows = ops.map((op) => {
      const s = samples.get(op.name)!;
      const c = counts.get(op.name)!;
      const p50 = median(s.latency);
      const p99 = quantile(s.latency, 0.99);
      const added = op.raw ? Number.NaN : median(s.added);
      const http = !op.raw;
      const touchesDynamo = c.requests > 0;
      const requestsPass = op.maxRequests === undefined ? undefined : c.requests <= op.maxRequests;
      const addedPass = http && touchesDynamo ? added <= budget : undefined;
      const [cpu50, cpu99] = [median(s.cpu), quantile(s.cpu, 0.99)];
      const cpuPass = op.name === 'GetAccess' ? cpu50 <= ACCESS_CPU_TARGET_MS : undefined;
      const baselineRef = { name: 'raw GetItem p50', value: base };
      figures.push(
        figure({ section: 'hot', name: `${op.name} p50`, value: p50, unit: 'ms', baseline: baselineRef }),
        figure({
          section: 'hot',
          name: `${op.name} p99`,
          value: p99,
          unit: 'ms',
          baseline: { name: 'raw GetItem p99', value: quantile(samples.get(baseline.name)!.latency, 0.99) },
        }),
        figure({
          section: 'hot',
          name: `${op.name} DynamoDB requests per call`,
          value: c.requests,
          unit: 'requests',
          note: c.detail,
          ...(op.maxRequests === undefined
            ? {}
            : { target: op.maxRequests === 1 ? 'exactly 1' : `at most ${op.maxRequests}`, pass: requestsPass }),
        }),
        figure({ section: 'hot', name: `${op.name} consumed read capacity per call`, value: c.read, unit: 'RCU (DynamoDB Local)' }),
        figure({ section: 'hot', name: `${op.name} consumed write capacity per call`, value: c.write, unit: 'WCU (DynamoDB Local)' }),
      );
      if (http) {
        figures.push(
          figure({
            section: 'hot',
            name: `${op.name} handler CPU p50`,
            value: cpu50,
            unit: 'ms',
            ...(cpuPass === undefined ? {} : { target: `≤ ${ACCESS_CPU_TARGET_MS} ms`, pass: cpuPass }),
            note: `p99 ${cpu99.toFixed(3)} ms; process.cpuUsage (user + system) around the handler invocation: DynamoDB's own work is in another process, waiting uses no CPU`,
          }),
          figure({ section: 'hot', name: `${op.name} handler CPU p99`, value: cpu99, unit: 'ms' }),
        );
      }
      if (http && touchesDynamo) {
        figures.push(
          figure({
            section: 'hot',
            name: `${op.name} added by adapter and handler p50`,
            value: added,
            unit: 'ms',
            baseline: baselineRef,
            target: `≤ ${ADDED_TARGET} × raw GetItem p50`,
            pass: addedPass,
            note: 'median over calls of (latency − time its DynamoDB requests spent in the SDK)',
          }),
        );
      }
      const targets = [
        requestsPass === undefined ? '' : `requests ${verdict(requestsPass)}`,
        addedPass === undefined ? '' : `added ${verdict(addedPass)}`,
        cpuPass === undefined ? '' : `CPU ${verdict(cpuPass)}`,
      ].filter(Boolean);
      return [
        op.label,
        c.requests === 1 || c.requests === 0 ? String(c.requests) : `${c.requests} (${c.detail})`,
        num(c.read, 1),
        num(c.write, 1),
        ms(p50),
        ms(p99),
        ratio(p50, base),
        http && touchesDynamo ? ms(median(s.dynamo)) : '—',
        http ? ms(added) : '—',
        http ? ratio(added, base) : '—',
        http ? ms(cpu50) : '—',
        http ? ms(cpu99) : '—',
        targets.join(', ') || '—',
      ];
    });
    const text = table(
      [
        'operation',
        'DynamoDB requests',
        'RCU',
        'WCU',
        'p50',
        'p99',
        'p50 ÷ GetItem',
        'in DynamoDB p50',
        'added p50',
        'added ÷ GetItem',
        'handler CPU p50',
        'handler CPU p99',
        'targets',
      ],
      rows,
    );
    const summary = [
      '',
      `- ${opts.iterations} measured rounds (${opts.warmup} warm-up) of every operation, in a new random order each round; raw GetItem p50 ${ms(base)}, so the budget for what the adapter and handler add is ${ms(budget)} (${ADDED_TARGET} × GetItem).`,
      '- **added** = a call’s latency minus the time its DynamoDB requests spent in the SDK (a middleware on the client); the median over calls. It is what the HTTP round trip, the JWT check, the event, middy, zod, the domain and the JSON add to the route’s own requests.',
      '- RCU/WCU: the capacity DynamoDB Local reports for one call (`ReturnConsumedCapacity: TOTAL`), after the warm-up.',
      `- **handler CPU**: \`process.cpuUsage()\` (user + system, all threads of the process) around the handler invocation in the adapter: middy, zod, the domain, the store, the SDK building, signing and parsing its requests, the socket reads and writes, and any garbage collection that falls in it. Waiting on DynamoDB uses no CPU, and DynamoDB Local is another process, so its work is not in it; the HTTP round trip and the JWT check happen outside the handler. Target: the access check ≤ ${ACCESS_CPU_TARGET_MS} ms at p50.`,
    ].join('\n');
    return { text: text + '\n' + summary, figures };
  } finally {
    observeHandlerCpu(undefined);
    agent.destroy();
    await stack.stop();
    destroy();
  }
}
