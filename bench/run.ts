/**
 * The project's benchmark: `npm run bench` (or `npm run bench -- --quick`).
 *
 * Starts its own DynamoDB Local on a free port (stopped at the end, also on error or Ctrl-C) and
 * prints four markdown tables on stdout, progress on stderr:
 *   1. the hot path (access check, sign-in) against a raw DynamoDB Local GetItem, with requests;
 *   2. cold start: bundle bytes and module init time per Lambda, against an empty module;
 *   3. the expiry job's cost with 100 due among 100,000 live grants, against an idle run;
 *   4. 10,000 expirations in one run: wall time, peak RSS, transactions.
 * Ratios are taken against a baseline measured in the same run, never against fixed numbers.
 * Flags: --quick (10,000 live grants, fewer iterations), --only=hot,cold,cost,bulk.
 */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { startDynamoLocal, type DynamoLocal } from '../local/dynamodb.ts';
import { coldStart, NODE } from './cold-start.ts';
import { expiryBulk, expiryCost } from './expiry.ts';
import { hotPath } from './hot-path.ts';
import { progress, withTimeout } from './stats.ts';

const MINUTE = 60_000;
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const unknown = args.filter((a) => a !== '--quick' && !a.startsWith('--only='));
if (unknown.length) {
  console.error(`unknown arguments: ${unknown.join(' ')}\nusage: npm run bench [-- --quick] [-- --only=hot,cold,cost,bulk]`);
  process.exit(2);
}
const wanted = (name: string) => !only || only.includes(name);

const config = {
  hot: { iterations: quick ? 100 : 300, warmup: quick ? 20 : 50 },
  cold: { runs: 5 },
  cost: { live: quick ? 10_000 : 100_000, due: 100 },
  bulk: { count: 10_000, sessionEvery: 10, memoryMb: 512 },
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
  const dynamo = await startDynamoLocal();
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

/** Runs one section under a time limit; prints its table now, or returns it for later. */
async function section(title: string, limitMs: number, body: () => Promise<string>, print = true): Promise<string> {
  progress(`${title}: starting (time limit ${limitMs / MINUTE} min)`);
  const t0 = Date.now();
  const text = await withTimeout(body(), limitMs, title);
  progress(`${title}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const out = `\n## ${title}\n\n${text}`;
  if (print) console.log(out);
  return out;
}

async function main(): Promise<void> {
  const nodeVersion = execFileSync(NODE, ['--version']).toString().trim();
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`# support-access benchmark${quick ? ' (--quick)' : ''}`);
  console.log(
    `\n${new Date().toISOString()} · ${cpus().length} cores (${cpu}) · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · bench on Node ${process.version}, cold starts on ${nodeVersion} · DynamoDB Local (in memory)`,
  );

  // Cold starts first, before Java is up to compete for the 2 cores; printed in its place below.
  const cold = wanted('cold') ? await section('2. Cold start: bundle size and module init per Lambda', 5 * MINUTE, () => coldStart(config.cold), false) : '';
  if (wanted('hot')) {
    await section('1. Hot path: latency and DynamoDB requests (local adapter, DynamoDB Local)', 10 * MINUTE, () => withDynamo((endpoint) => hotPath(endpoint, config.hot)));
  }
  if (cold) console.log(cold);
  if (wanted('cost')) {
    await section(`3. Expiry cost: ${config.cost.due} due among ${config.cost.live.toLocaleString('en-US')} live grants`, 25 * MINUTE, () =>
      withDynamo((endpoint) => expiryCost(endpoint, config.cost)),
    );
  }
  if (wanted('bulk')) {
    await section(`4. ${config.bulk.count.toLocaleString('en-US')} expirations in one run`, 20 * MINUTE, () => withDynamo((endpoint) => expiryBulk(endpoint, config.bulk)));
  }
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
