/**
 * Table 6: the first call of a fresh process, next to a warm call. What a support agent waits for
 * when their request lands on a new Lambda container: module init, then the first request, which
 * also sets up the DynamoDB connection, resolves credentials and the endpoint, and runs every code
 * path for the first time (no JIT yet).
 *
 * For the access check and sign-in, each build of the function (the deployed bundle and the naive
 * one) runs in fresh Node processes of the pinned Node 24 with a Lambda-like environment
 * (`AWS_LAMBDA_FUNCTION_NAME`, credentials in the environment as Lambda passes them, the endpoint
 * in `AWS_ENDPOINT_URL_DYNAMODB` pointing at DynamoDB Local, over HTTPS through a loopback TLS
 * terminator as AWS's endpoints are: `bench/tls-front.ts`). The probe times `import(bundle)`, the
 * first `handler(event)`, then warm calls in the same process (wall time, and CPU time with
 * `process.cpuUsage`). Each process has a tenant and a grant of its own.
 *
 * It also measures what the cost figures of docs/performance.md need: the read units of the access
 * check's read, which DynamoDB Local does not report for PartiQL statements, as the same two
 * partitions read with consistent `Query` requests (which it does report).
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import { keys } from '../lambdas/contract/table.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, ensureTable } from '../local/dynamodb.ts';
import { deployedOptions, NODE, ROOT } from './cold-start.ts';
import { startExtensionStandIn } from './extension-stand-in.ts';
import { startKmsStandIn } from './kms-stand-in.ts';
import { loopbackCertificate, startTlsFront } from './tls-front.ts';
import { meteredClients } from './meter.ts';
import { figure, type Figure, type SectionResult } from './results.ts';
import { batchWrite, entryItems, grantItem, grantRecord } from './seed.ts';
import { median, ms, num, progress, quantile, ratio, runJson, table } from './stats.ts';

/** The probe a fresh process runs: init, the first call, then warm calls; prints JSON. */
const PROBE = `
// The function's log lines go to stderr (still written, still costing what they cost); stdout
// carries the probe's one JSON answer.
const answer = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);
const [bundle, eventJson, warm] = [process.argv[2], process.argv[3], Number(process.argv[4])];
const event = JSON.parse(eventJson);
const context = { functionName: 'bench', awsRequestId: 'bench', callbackWaitsForEmptyEventLoop: false, getRemainingTimeInMillis: () => 10_000 };
const call = async () => {
  const res = await handler({ ...event, requestContext: { ...event.requestContext, requestId: crypto.randomUUID() } }, context);
  if (res.statusCode >= 300) throw new Error('the handler answered ' + res.statusCode + ': ' + res.body);
};
const t0 = performance.now();
const { handler } = await import(bundle);
const initMs = performance.now() - t0;
const t1 = performance.now();
await call();
const firstMs = performance.now() - t1;
const warmMs = [];
const warmCpuMs = [];
for (let i = 0; i < warm; i++) {
  const c0 = process.cpuUsage();
  const t = performance.now();
  await call();
  warmMs.push(performance.now() - t);
  const c = process.cpuUsage(c0);
  warmCpuMs.push((c.user + c.system) / 1000);
}
answer(JSON.stringify({ initMs, firstMs, warmMs, warmCpuMs }), () => process.exit(0));
`;

interface ProbeResult {
  initMs: number;
  firstMs: number;
  warmMs: number[];
  warmCpuMs: number[];
}

const FUNCTIONS = [
  {
    name: 'GetAccess',
    label: 'access check (`GET …/access`)',
    entry: 'lambdas/modules/sessions/access-handlers.ts',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/access',
    body: undefined,
  },
  {
    name: 'SignIn',
    label: 'sign-in (`POST …/sessions`)',
    entry: 'lambdas/modules/sessions/handlers.ts',
    method: 'POST',
    path: '/v1/tenants/{tenantId}/sessions',
    body: JSON.stringify({ reason: 'first call' }),
  },
] as const;

const BUILDS = {
  deployed: () => deployedOptions(),
  naive: () => ({
    bundle: true,
    platform: 'node' as const,
    format: 'esm' as const,
    target: 'node24',
    banner: deployedOptions().banner ?? {},
  }),
};
type Build = keyof typeof BUILDS;

export async function firstCall(endpoint: string, opts: { runs: number; warm: number }): Promise<SectionResult> {
  const tableName = 'bench-first';
  await ensureTable(endpoint, tableName);
  const { doc, meter, destroy } = meteredClients(endpoint);
  const dir = mkdtempSync(join(tmpdir(), 'support-access-first-'));
  // Sign-in signs its session token with kms:Sign: a stand-in on loopback answers it.
  const kms = await startKmsStandIn();
  // Both over HTTPS, as in AWS: the first request sets up TLS (bench/tls-front.ts says why).
  const certificate = loopbackCertificate();
  const dynamoTls = await startTlsFront(endpoint, certificate);
  const kmsTls = await startTlsFront(kms.endpoint, certificate);
  // The keys come from the Secrets extension when first needed, as deployed (sign-in: the event key).
  const arn = (name: string) => `arn:aws:secretsmanager:${LOCAL_REGION}:000000000000:secret:bench-${name}`;
  const extension = await startExtensionStandIn(
    { [arn('cursor')]: 'bench-cursor-secret', [arn('audit')]: 'bench-audit-key', [arn('event')]: 'bench-event-key' },
    'bench',
  );
  try {
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const probe = join(dir, 'probe.mjs');
    writeFileSync(probe, PROBE);
    const files = new Map<string, string>();
    for (const f of FUNCTIONS) {
      for (const b of Object.keys(BUILDS) as Build[]) {
        const file = join(dir, `${f.name}.${b}.mjs`);
        await build({ ...BUILDS[b](), entryPoints: [join(ROOT, f.entry)], outfile: file, logLevel: 'silent' });
        files.set(`${f.name}.${b}`, file);
      }
    }
    // One tenant and one grant (naming the agent) per process, so no process sees another's sessions.
    const ids = monotonicFactory();
    const now = new Date();
    const expiresAt = new Date(now.getTime() + 24 * 3600_000).toISOString();
    const jobs: { fn: (typeof FUNCTIONS)[number]; build: Build; tenantId: string; agent: string }[] = [];
    const grants = [];
    for (let run = 0; run < opts.runs; run++) {
      for (const fn of FUNCTIONS) {
        for (const b of Object.keys(BUILDS) as Build[]) {
          const g = grantRecord(`first-${run}-${fn.name}-${b}`, ids(), 1, now.toISOString(), expiresAt);
          grants.push(g);
          jobs.push({ fn, build: b, tenantId: g.tenantId, agent: g.grantees[0]!.id });
        }
      }
    }
    await batchWrite(
      doc,
      tableName,
      grants.flatMap((g) => [grantItem(g), ...entryItems(g)]),
    );

    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      // As Lambda sets them: the function's name, its role's credentials, the region.
      AWS_LAMBDA_FUNCTION_NAME: 'support-access-bench',
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: 'bench',
      AWS_REGION: LOCAL_REGION,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoTls.endpoint,
      AWS_ENDPOINT_URL_KMS: kmsTls.endpoint,
      NODE_EXTRA_CA_CERTS: certificate.certFile,
      SESSION_KEY_ARNS: kms.keyArn,
      SESSION_TOKEN_ISSUER: 'https://support-access.example.com',
      SESSION_TOKEN_AUDIENCE: 'vendor-app',
      TABLE_NAME: tableName,
      SUPPORT_EMAIL_DOMAINS: 'vendor.example',
      CURSOR_SECRET_ARN: arn('cursor'),
      AUDIT_KEY_SECRET_ARN: arn('audit'),
      EVENT_KEY_SECRET_ARN: arn('event'),
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: extension.port,
      MAIL_FROM: 'support-access@example.com',
      APP_BASE_URL: 'https://support-access.example.com',
    };
    const eventOf = (fn: (typeof FUNCTIONS)[number], tenantId: string, agent: string) => {
      // The Lambda authorizer's verdict on an API token, as the function gets it.
      const claims = JSON.stringify({
        sub: agent,
        email: `${agent}@vendor.example`,
        email_verified: true,
        name: 'Agent',
        roles: ['support-agent'],
        via: 'local',
        exp: Math.floor(Date.now() / 1000) + 3600,
      });
      const path = fn.path.replace('{tenantId}', tenantId);
      const routeKey = `${fn.method} ${fn.path}`;
      return {
        version: '2.0',
        routeKey,
        rawPath: path,
        rawQueryString: '',
        headers: fn.body ? { 'content-type': 'application/json' } : {},
        pathParameters: { tenantId },
        ...(fn.body ? { body: fn.body } : {}),
        isBase64Encoded: false,
        requestContext: {
          accountId: '000000000000',
          apiId: 'bench',
          domainName: 'bench',
          domainPrefix: 'bench',
          http: { method: fn.method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
          requestId: 'set by the probe',
          routeKey,
          stage: '$default',
          time: now.toUTCString(),
          timeEpoch: now.getTime(),
          authorizer: { lambda: { verdict: 'ok', claims } },
        },
      };
    };

    progress(`first call: ${FUNCTIONS.length} functions × 2 builds × ${opts.runs} fresh processes (${opts.warm} warm calls each)`);
    // In a new random order, so drift hits both builds alike.
    for (let i = jobs.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [jobs[i], jobs[j]] = [jobs[j]!, jobs[i]!];
    }
    const results = new Map<string, ProbeResult[]>();
    for (const job of jobs) {
      const key = `${job.fn.name}.${job.build}`;
      const r = await runJson<ProbeResult>(
        NODE,
        [probe, pathToFileURL(files.get(key)!).href, JSON.stringify(eventOf(job.fn, job.tenantId, job.agent)), String(opts.warm)],
        { env },
        60_000,
        `the first-call probe of ${key}`,
      );
      results.set(key, [...(results.get(key) ?? []), r]);
    }

    // The access check's read in units DynamoDB Local reports: its two partitions as consistent queries.
    const any = jobs.find((j) => j.fn.name === 'GetAccess')!;
    meter.reset();
    meter.returnCapacity = true;
    for (const pk of [
      keys.accessPartition(any.tenantId, { kind: 'agent', id: any.agent }),
      keys.accessPartition(any.tenantId, { kind: 'team' }),
    ]) {
      await doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
        }),
      );
    }
    const accessReadUnits = meter.readUnits;
    meter.returnCapacity = false;

    const figures: Figure[] = [];
    const rows: string[][] = [];
    for (const fn of FUNCTIONS) {
      const naive = results.get(`${fn.name}.naive`)!;
      const naiveTotal = median(naive.map((r) => r.initMs + r.firstMs));
      for (const b of Object.keys(BUILDS) as Build[]) {
        const rs = results.get(`${fn.name}.${b}`)!;
        const init = median(rs.map((r) => r.initMs));
        const first = median(rs.map((r) => r.firstMs));
        const total = median(rs.map((r) => r.initMs + r.firstMs));
        const warmAll = rs.flatMap((r) => r.warmMs);
        const warmCpu = rs.flatMap((r) => r.warmCpuMs);
        const warm = median(warmAll);
        if (b === 'deployed') {
          figures.push(
            figure({
              section: 'first',
              name: `${fn.name} first call (init + first request)`,
              value: total,
              unit: 'ms',
              baseline: { name: 'naive bundle, same', value: naiveTotal },
              note: `median of ${opts.runs} fresh processes; init ${init.toFixed(1)} ms, first request ${first.toFixed(1)} ms`,
            }),
            figure({
              section: 'first',
              name: `${fn.name} first request`,
              value: first,
              unit: 'ms',
              baseline: { name: 'warm call p50, same process', value: warm },
            }),
            figure({
              section: 'first',
              name: `${fn.name} warm call p50`,
              value: warm,
              unit: 'ms',
              note: `p99 ${quantile(warmAll, 0.99).toFixed(2)} ms; CPU p50 ${median(warmCpu).toFixed(3)} ms`,
            }),
          );
        }
        rows.push([
          `${fn.label}, ${b === 'deployed' ? 'deployed bundle' : 'naive bundle (baseline)'}`,
          ms(init),
          ms(first),
          ms(total),
          ratio(total, naiveTotal),
          ms(warm),
          ratio(first, warm),
          ms(median(warmCpu)),
        ]);
      }
    }
    figures.push(
      figure({
        section: 'first',
        name: 'GetAccess read units (its 2 partitions as consistent queries)',
        value: accessReadUnits,
        unit: 'RCU (DynamoDB Local)',
      }),
    );
    const text = table(
      ['function, build', 'init', 'first request', 'init + first request', '÷ naive', 'warm call p50', 'first ÷ warm', 'warm CPU p50'],
      rows,
    );
    const summary = [
      '',
      `- ${opts.runs} fresh processes per function and build (medians), each: \`import(bundle)\` (init), the first \`handler(event)\` (first request: the DynamoDB connection, credentials and endpoint resolution, first runs of every code path), then ${opts.warm} warm calls in the same process. Lambda-like environment: credentials in the environment, \`AWS_ENDPOINT_URL_DYNAMODB\` at DynamoDB Local over HTTPS (a TLS terminator on loopback, \`bench/tls-front.ts\`: the first request sets up TLS as in AWS, and the SDK sends through \`node:https\` as deployed). No HTTP adapter, no JWT check (API Gateway's authorizer does that in AWS).`,
      `- Sign-in signs its session token with \`kms:Sign\`: here a stand-in on loopback (\`bench/kms-stand-in.ts\`, Node's crypto, DER as KMS answers) at \`AWS_ENDPOINT_URL_KMS\`, also over HTTPS, so its first call includes a second connection and TLS set-up, and it reads its event key from a stand-in of the Parameters and Secrets extension (\`bench/extension-stand-in.ts\`) as deployed; in AWS, KMS's own time in the region comes on top.`,
      `- The access check's read, as DynamoDB Local reports it for its two partitions read as consistent queries: ${num(accessReadUnits, 1)} RCU (DynamoDB Local reports nothing for the PartiQL statement itself).`,
    ].join('\n');
    return { text: text + '\n' + summary, figures };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    destroy();
    await Promise.all([dynamoTls.stop(), kmsTls.stop(), extension.stop()]);
    certificate.remove();
    await kms.stop();
  }
}
