/**
 * The project's benchmark: `npm run bench` (or `npm run bench -- --quick`).
 *
 * Starts its own DynamoDB Local on a free port (stopped at the end, also on error or Ctrl-C) and
 * prints four markdown tables on stdout, progress on stderr:
 *   1. the hot path (access check, sign-in) against a raw DynamoDB Local GetItem, with requests;
 *   2. cold start: bundle bytes and module init time per Lambda, against an empty module;
 *   3. the expiry job's cost with 100 due among 100,000 live grants, against an idle run;
 *   4. 10,000 expirations in one run: wall time, peak RSS, transactions;
 *   5. load: concurrent clients against DynamoDB Local's raw rates;
 *   6. the first call of a fresh process (init + first request) next to a warm call;
 *   7. audit verification from a checkpoint: a long trail against a short one (`bench/audit-verify.ts`);
 *   8. the console: JavaScript on first load (gzip) and the request page's time to data in Chromium.
 * Ratios are taken against a baseline measured in the same run, never against fixed numbers.
 *   9. enforcement: offline token verifications vs access checks per second, revoke → refusal.
 *  10. the verify middleware with a Redis store against the in-memory store (`bench/verify-store.ts`).
 * Flags: --quick (10,000 live grants, fewer iterations, 5 s loads), --only=hot,cold,cost,bulk,load,first,audit,console,enforce,verify.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { startDynamoLocal, type DynamoLocal } from '../local/dynamodb.ts';
import { coldStart, NODE, ROOT } from './cold-start.ts';
import { auditVerify } from './audit-verify.ts';
import { consoleSection } from './console.ts';
import { enforcement } from './enforcement.ts';
import { expiryBulk, expiryCost } from './expiry.ts';
import { firstCall } from './first-call.ts';
import { csvExportCost, lifecycleDueCost } from './lifecycle.ts';
import { hotPath } from './hot-path.ts';
import { load } from './load.ts';
import { verifyStore } from './verify-store.ts';

import { verdict, type Figure, type SectionResult } from './results.ts';
import { num, progress, table, withTimeout } from './stats.ts';

const MINUTE = 60_000;
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const unknown = args.filter((a) => a !== '--quick' && !a.startsWith('--only='));
if (unknown.length) {
  console.error(
    `unknown arguments: ${unknown.join(' ')}\nusage: npm run bench [-- --quick] [-- --only=hot,cold,cost,bulk,load,first,audit,console,enforce,verify]`,
  );
  process.exit(2);
}
const wanted = (name: string) => !only || only.includes(name);

const config = {
  hot: { iterations: quick ? 100 : 300, warmup: quick ? 20 : 50 },
  cold: { runs: quick ? 3 : 7 },
  cost: { live: quick ? 10_000 : 100_000, due: 100 },
  bulk: { count: 10_000, sessionEvery: 10, memoryMb: 512 },
  load: { seconds: quick ? 5 : 20, connections: 10 },
  first: { runs: quick ? 5 : 9, warm: quick ? 50 : 100 },
  audit: { long: quick ? 20_000 : 100_000, short: 1_000, tails: quick ? [100, 1_000] : [100, 1_000, 10_000] },
  console: { rounds: quick ? 5 : 15 },
  enforce: { seconds: quick ? 2 : 5, revokes: quick ? 5 : 20 },
  verify: { requests: quick ? 1_000 : 5_000 },
};

/** The DynamoDB Locals now running (one per section), so that every exit path stops them. */
const running = new Set<DynamoLocal>();
const stopAll = async () => {
  for (const d of [...running]) {
    running.delete(d);
    await d.stop().catch((e: unknown) => console.error('stopping DynamoDB Local failed', e));
  }
};

/**
 * Runs `fn` against a fresh DynamoDB Local, stopped afterwards. One per section: DynamoDB Local
 * slows down sharply on writes to the second and later stream-enabled tables of one instance.
 */
async function withDynamo<T>(fn: (endpoint: string) => Promise<T>): Promise<T> {
  progress('starting DynamoDB Local');
  // On a busy machine Java can take more than the tests' 30 s to come up; the benchmark waits longer.
  const dynamo = await startDynamoLocal({ startTimeoutMs: 150_000 });
  running.add(dynamo);
  progress(`DynamoDB Local at ${dynamo.endpoint}`);
  try {
    return await fn(dynamo.endpoint);
  } finally {
    running.delete(dynamo);
    await dynamo.stop();
    progress('DynamoDB Local stopped');
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping DynamoDB Local`);
    void stopAll().finally(() => process.exit(130));
  });
}

/** Every figure of the run, for `bench/results.json`. */
const figures: Figure[] = [];
const sectionTimes: Record<string, number> = {};

/** Runs one section under a time limit; prints its table now, or returns it for later. */
async function section(title: string, limitMs: number, body: () => Promise<SectionResult>, print = true): Promise<string> {
  progress(`${title}: starting (time limit ${limitMs / MINUTE} min)`);
  const t0 = Date.now();
  const result = await withTimeout(body(), limitMs, title);
  sectionTimes[title] = (Date.now() - t0) / 1000;
  progress(`${title}: done in ${sectionTimes[title].toFixed(1)} s`);
  figures.push(...result.figures);
  const out = `\n## ${title}\n\n${result.text}`;
  if (print) console.log(out);
  return out;
}

/** The targets of the run, one line each, PASS or MISS. */
function targetsTable(): string {
  const held = figures.filter((f) => f.target !== undefined);
  const rows = held.map((f) => [
    `${f.section}: ${f.name}`,
    `${num(f.value, 2)} ${f.unit}`,
    f.baseline ? `${num(f.baseline.value, 2)} (${f.baseline.name})` : '—',
    f.ratio === undefined ? '—' : `${f.ratio.toFixed(2)}×`,
    f.target!,
    verdict(f.pass),
  ]);
  const missed = held.filter((f) => f.pass === false).length;
  return `${table(['figure', 'value', 'baseline', 'ratio', 'target', 'verdict'], rows)}\n\n${held.length - missed} of ${held.length} targets hold${missed ? `; ${missed} MISS` : ''}.`;
}

async function main(): Promise<void> {
  const nodeVersion = execFileSync(NODE, ['--version']).toString().trim();
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const startedAt = new Date().toISOString();
  const machine = `${cpus().length} cores (${cpu}) · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · bench on Node ${process.version}, cold starts on ${nodeVersion} · DynamoDB Local (in memory)`;
  console.log(`# support-access benchmark${quick ? ' (--quick)' : ''}`);
  console.log(`\n${startedAt} · ${machine}`);

  // Cold starts first, before Java is up to compete for the 2 cores; printed in its place below.
  const cold = wanted('cold')
    ? await section('2. Cold start: bundle size and module init per Lambda', 12 * MINUTE, () => coldStart(config.cold), false)
    : '';
  if (wanted('hot')) {
    await section('1. Hot path: latency and DynamoDB requests (local adapter, DynamoDB Local)', 10 * MINUTE, () =>
      withDynamo((endpoint) => hotPath(endpoint, config.hot)),
    );
  }
  if (cold) console.log(cold);
  if (wanted('cost')) {
    await section(`3. Expiry cost: ${config.cost.due} due among ${config.cost.live.toLocaleString('en-US')} live grants`, 25 * MINUTE, () =>
      withDynamo((endpoint) => expiryCost(endpoint, config.cost)),
    );
  }
  if (wanted('cost')) {
    await section(
      `3b. Warnings and escalations: ${config.cost.due} of each due among ${config.cost.live.toLocaleString('en-US')} live grants`,
      25 * MINUTE,
      () => withDynamo((endpoint) => lifecycleDueCost(endpoint, config.cost)),
    );
    await section(`3c. CSV export of ${config.cost.live.toLocaleString('en-US')} sessions`, 15 * MINUTE, () =>
      withDynamo((endpoint) => csvExportCost(endpoint, { rows: config.cost.live })),
    );
  }
  if (wanted('bulk')) {
    await section(`4. ${config.bulk.count.toLocaleString('en-US')} expirations in one run`, 20 * MINUTE, () =>
      withDynamo((endpoint) => expiryBulk(endpoint, config.bulk)),
    );
  }
  if (wanted('load')) {
    await section(`5. Load: ${config.load.connections} concurrent clients, ${config.load.seconds} s each`, 5 * MINUTE, () =>
      withDynamo((endpoint) => load(endpoint, config.load)),
    );
  }
  if (wanted('first')) {
    await section('6. First call of a fresh process, next to a warm call', 10 * MINUTE, () =>
      withDynamo((endpoint) => firstCall(endpoint, config.first)),
    );
  }
  if (wanted('audit')) {
    await section(`7. Audit verification from a checkpoint: ${config.audit.long.toLocaleString('en-US')}-event trail`, 15 * MINUTE, () =>
      withDynamo((endpoint) => auditVerify(endpoint, config.audit)),
    );
  }
  if (wanted('console')) {
    await section('8. Console: first load and the request page in Chromium', 10 * MINUTE, () => consoleSection(config.console));
  }
  if (wanted('enforce')) {
    await section('9. Enforcement: offline verification vs the access check, revoke → refusal', 5 * MINUTE, () =>
      withDynamo((endpoint) => enforcement(endpoint, config.enforce)),
    );
  }
  if (wanted('verify')) {
    await section('10. Verify middleware: Redis store vs in-memory, µs per request', 5 * MINUTE, () => verifyStore(config.verify));
  }
  console.log(`\n## Targets\n\n${targetsTable()}`);
  const file = join(ROOT, 'bench', 'results.json');
  const results = {
    startedAt,
    finishedAt: new Date().toISOString(),
    quick,
    only: only ?? null,
    machine,
    config,
    sectionSeconds: sectionTimes,
    figures,
  };
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  progress(`wrote ${file}`);
}

try {
  await main();
} catch (e) {
  console.error('benchmark failed:', e);
  process.exitCode = 1;
} finally {
  // Normally each section has stopped its own; this covers a section that timed out.
  await stopAll();
}
// Open handles (keep-alive sockets, the SES server's timers) must not keep the process alive.
process.exit(process.exitCode ?? 0);
