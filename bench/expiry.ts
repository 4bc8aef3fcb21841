/**
 * Tables 3 and 4: what the expiry job costs. The job runs as `lambdas/jobs/expire.ts` runs it
 * (`runExpiry` over the DynamoDB store), with a fixed clock, against a metered client that asks
 * for the consumed capacity of every request and counts the requests by command.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import { keys } from '../lambdas/contract/table.ts';
import type { GrantRecord } from '../lambdas/kernel/ports.ts';
import { principalsOf } from '../lambdas/runtime/dynamo-store.ts';
import { runExpiry, type ExpiryReport } from '../lambdas/modules/expiry/rules.ts';
import type { MeteredClients } from './meter.ts';
import {
  batchWrite,
  type BenchTable,
  depsAt,
  entryItems,
  grantItem,
  grantRecord,
  type Measured,
  measured,
  sessionItem,
  withBenchTable,
} from './seed.ts';
import { figure, ratioOf, verdict, type Figure, type SectionResult } from './results.ts';
import { int, mib, ms, num, progress, table, timed, withTimeout } from './stats.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

type Run = Omit<Measured<ExpiryReport>, 'value'> & { label: string; report: ExpiryReport };

/** Runs the job once at `at` and reads the meter. */
async function measureRun(t: BenchTable, at: Date, label: string): Promise<Run> {
  const { value: report, ...cost } = await measured(t.m, () => runExpiry(depsAt(t, at)));
  return { label, report, ...cost };
}

/** A tenant id for grant `n` when `perTenant` grants share a tenant. */
const tenantOf = (prefix: string, n: number, perTenant: number) => `${prefix}-${String(Math.floor(n / perTenant)).padStart(5, '0')}`;

/** Target: the job's read and write capacity at most this many times the items' own. */
export const ITEMS_ALONE_TARGET = 2;
/** Target: 10,000 expirations in one run within the job function's own timeout (5 of Lambda's 15 minutes). */
export const BULK_LIMIT_MS = 5 * MINUTE;

/**
 * The baseline of table 3: what reading and writing the items an expiry must touch costs with
 * plain requests, no transaction, no index: per grant one consistent `GetItem` of the grant, one
 * `PutItem` of it as EXPIRED, one `DeleteItem` per access entry and one `PutItem` of its audit event.
 */
async function itemsAlone(
  m: MeteredClients,
  tableName: string,
  grants: GrantRecord[],
  at: string,
): Promise<{ read: number; write: number; requests: number; wallMs: number }> {
  const ids = monotonicFactory();
  m.meter.reset();
  m.meter.returnCapacity = true;
  try {
    const { ms: wallMs } = await timed(() =>
      Promise.all(
        grants.map(async (g) => {
          await m.doc.send(new GetCommand({ TableName: tableName, Key: keys.grant(g.tenantId, g.grantId), ConsistentRead: true }));
          const ended: GrantRecord = {
            ...g,
            status: 'EXPIRED',
            endedAt: g.expiresAt,
            endedBy: null,
            endReason: 'expired',
            version: g.version + 1,
          };
          const { openSessions: _o, ...record } = ended;
          await m.doc.send(
            new PutCommand({ TableName: tableName, Item: { ...keys.grant(g.tenantId, g.grantId), type: 'grant', ...record } }),
          );
          for (const p of principalsOf(g))
            await m.doc.send(new DeleteCommand({ TableName: tableName, Key: keys.accessEntry(g.tenantId, p, g.grantId) }));
          const event = {
            eventId: ids(),
            at,
            actor: { id: 'system' },
            action: 'grant.expired',
            targetId: g.grantId,
            details: { expiresAt: g.expiresAt, sessionsEnded: [] },
          };
          await m.doc.send(
            new PutCommand({
              TableName: tableName,
              Item: { ...keys.audit(g.tenantId, event.eventId), type: 'audit', tenantId: g.tenantId, ...event },
            }),
          );
        }),
      ),
    );
    return { read: m.meter.readUnits, write: m.meter.writeUnits, requests: m.meter.totalRequests, wallMs };
  } finally {
    m.meter.returnCapacity = false;
  }
}

/**
 * Table 3: the cost of one run with 100 grants due among `live` grants that are not, against the
 * same run with nothing due (the idle cost) and against reading and writing those items alone.
 */
export async function expiryCost(endpoint: string, opts: { live: number; due: number }): Promise<SectionResult> {
  return withBenchTable(endpoint, 'bench-expiry-cost', async (bt) => {
    const { m, tableName, ids } = bt;
    const t0 = Date.now();
    const created = new Date(t0 - HOUR).toISOString();
    // Live grants end between 1 hour and 30 days from now: in the due index, but not due.
    const live = function* () {
      for (let n = 0; n < opts.live; n++) {
        const expiresAt = new Date(t0 + HOUR + ((n * 7919) % (30 * 24)) * HOUR).toISOString();
        const g = grantRecord(tenantOf('live', n, 100), ids(t0 - HOUR), n, created, expiresAt);
        yield grantItem(g);
        yield* entryItems(g);
      }
    };
    const itemsPerGrant = 2;
    progress(
      `expiry cost: seeding ${int(opts.live)} live grants (${int(opts.live * itemsPerGrant)} items, BatchWriteItem 25 × 6 in flight)`,
    );
    const seeded = await timed(() =>
      batchWrite(m.doc, tableName, live(), {
        total: opts.live * itemsPerGrant,
        every: 20_000,
        onProgress: (done, total) => progress(`expiry cost: seeded ${int(done)}/${int(total)} items`),
      }),
    );
    progress(`expiry cost: seeded ${int(seeded.value)} items in ${(seeded.ms / 1000).toFixed(1)} s`);

    // The due ones end 10 minutes from now; the job runs at +20 minutes, before any live one ends.
    const runAt = new Date(t0 + 20 * MINUTE);
    await measureRun(bt, runAt, 'warm-up (not reported)');
    const idle = await measureRun(bt, runAt, `idle: 0 due among ${int(opts.live)} live (baseline)`);
    if (idle.report.grantsExpired !== 0) throw new Error(`the idle run expired ${idle.report.grantsExpired} grants`);

    const dueAt = new Date(t0 + 10 * MINUTE).toISOString();
    const due = Array.from({ length: opts.due }, (_, n) => grantRecord(tenantOf('due', n, 5), ids(t0 - HOUR), n, created, dueAt));
    await batchWrite(
      m.doc,
      tableName,
      due.flatMap((g) => [grantItem(g), ...entryItems(g)]),
    );
    const busy = await measureRun(bt, runAt, `${opts.due} due among ${int(opts.live)} live`);
    if (busy.report.grantsExpired !== opts.due) throw new Error(`expected ${opts.due} expired, got ${JSON.stringify(busy.report)}`);
    const rerun = await measureRun(bt, runAt, 'rerun right after (nothing left to do)');
    if (rerun.report.grantsExpired !== 0) throw new Error(`the rerun expired ${rerun.report.grantsExpired} grants again`);
    // The baseline: as many grants of the same shape (ending later, so the job leaves them), read
    // and written with plain requests.
    const laterAt = new Date(t0 + 40 * 24 * HOUR).toISOString();
    const alike = Array.from({ length: opts.due }, (_, n) => grantRecord(tenantOf('alike', n, 5), ids(t0 - HOUR), n, created, laterAt));
    await batchWrite(
      m.doc,
      tableName,
      alike.flatMap((g) => [grantItem(g), ...entryItems(g)]),
    );
    const alone = await itemsAlone(m, tableName, alike, runAt.toISOString());

    const rows = [idle, busy, rerun].map((r) => [
      r.label,
      int(r.report.grantsExpired),
      num(r.capacity),
      r.capacityByCommand,
      `${int(r.requests)} (${r.byCommand})`,
      int(r.queryScanned),
      ms(r.wallMs),
    ]);
    const perGrant = (busy.capacity - idle.capacity) / opts.due;
    const perGrantRequests = (busy.requests - idle.requests) / opts.due;
    // DynamoDB Local reports 0 units for a query that finds nothing; DynamoDB bills such a query
    // 0.5 RCU (an eventually consistent read of up to 4 KB), so the idle floor is 16 × 0.5.
    const idleFloor = idle.requests * 0.5;
    const summary = [
      '',
      `- Idle run (baseline): ${num(idle.capacity)} capacity units as DynamoDB Local reports them (DynamoDB bills an empty query 0.5 RCU: ${num(idleFloor)} RCU) and ${idle.requests} requests, one \`Query\` per due-index shard, however many grants are live.`,
      `- ${opts.due} expirations: ${num(busy.capacity)} units, ${num(perGrant, 2)} per expired grant; ${int(busy.requests)} requests = ${idle.requests} index queries + ${num(perGrantRequests, 2)} per grant (${busy.byCommand}).`,
      `- The due-index queries evaluated ${int(busy.queryScanned)} items for ${opts.due} due among ${int(opts.live + opts.due)} grants: the cost follows what expires, not the ${int(opts.live)} live grants` +
        ` (a scan would read all ${int(opts.live * 2 + opts.due * 2)} items of grants and entries each minute).`,
      ...(idle.retries + busy.retries + rerun.retries
        ? [`- SDK retries (DynamoDB Local lock time-outs): ${idle.retries + busy.retries + rerun.retries}.`]
        : []),
    ].join('\n');
    const readRatio = ratioOf(busy.readUnits, alone.read);
    const writeRatio = ratioOf(busy.writeUnits, alone.write);
    const aloneTable = table(
      ['100 expirations', 'read units', 'write units', 'requests', 'wall time'],
      [
        [
          `items alone (baseline): GetItem + PutItem grant, DeleteItem entries, PutItem audit, ×${opts.due}`,
          num(alone.read),
          num(alone.write),
          int(alone.requests),
          ms(alone.wallMs),
        ],
        [
          `the job: ${opts.due} due among ${int(opts.live)} live`,
          num(busy.readUnits),
          num(busy.writeUnits),
          int(busy.requests),
          ms(busy.wallMs),
        ],
        [
          'job ÷ items alone',
          `${readRatio.toFixed(2)}× (${verdict(readRatio <= ITEMS_ALONE_TARGET)})`,
          `${writeRatio.toFixed(2)}× (${verdict(writeRatio <= ITEMS_ALONE_TARGET)})`,
          '',
          '',
        ],
      ],
    );
    const figures: Figure[] = [
      figure({
        section: 'cost',
        name: `read capacity, ${opts.due} due among ${opts.live} live`,
        value: busy.readUnits,
        unit: 'RCU (DynamoDB Local)',
        baseline: { name: 'reading those items alone', value: alone.read },
        target: `≤ ${ITEMS_ALONE_TARGET} × items alone`,
        pass: readRatio <= ITEMS_ALONE_TARGET,
      }),
      figure({
        section: 'cost',
        name: `write capacity, ${opts.due} due among ${opts.live} live`,
        value: busy.writeUnits,
        unit: 'WCU (DynamoDB Local)',
        baseline: { name: 'writing those items alone', value: alone.write },
        target: `≤ ${ITEMS_ALONE_TARGET} × items alone`,
        pass: writeRatio <= ITEMS_ALONE_TARGET,
      }),
      figure({
        section: 'cost',
        name: `requests, ${opts.due} due`,
        value: busy.requests,
        unit: 'requests',
        baseline: { name: 'idle run (nothing due)', value: idle.requests },
        note: busy.byCommand,
      }),
      figure({
        section: 'cost',
        name: 'capacity, idle run (nothing due)',
        value: idle.capacity,
        unit: 'units (DynamoDB Local)',
        note: `${idle.requests} requests; DynamoDB bills an empty query 0.5 RCU: ${idleFloor} RCU`,
      }),
      figure({
        section: 'cost',
        name: `due-index items read, ${opts.due} due among ${opts.live} live`,
        value: busy.queryScanned,
        unit: 'items',
        baseline: { name: 'due grants', value: opts.due },
        target: 'exactly the due grants',
        pass: busy.queryScanned === opts.due,
      }),
      figure({
        section: 'cost',
        name: `wall time, ${opts.due} due`,
        value: busy.wallMs,
        unit: 'ms',
        baseline: { name: 'items alone, plain requests', value: alone.wallMs },
      }),
    ];
    const text =
      table(
        [
          'run',
          'grants expired',
          'consumed capacity (units)',
          'capacity by command',
          'DynamoDB requests',
          'items read by due queries',
          'wall time',
        ],
        rows,
      ) +
      '\n' +
      summary +
      '\n\n' +
      aloneTable;
    return { figures, text };
  });
}

/** Table 4: `count` expirations in one run, some grants with an open session to end. */
export async function expiryBulk(
  endpoint: string,
  opts: { count: number; sessionEvery: number; memoryMb: number },
): Promise<SectionResult> {
  return withBenchTable(endpoint, 'bench-expiry-bulk', async (bt) => {
    const { m, tableName, ids } = bt;
    const t0 = Date.now();
    const created = new Date(t0 - 2 * HOUR).toISOString();
    const dueAt = new Date(t0 - HOUR).toISOString();
    let sessions = 0;
    const items = function* () {
      for (let n = 0; n < opts.count; n++) {
        const g = grantRecord(tenantOf('bulk', n, 50), ids(t0 - 2 * HOUR), n, created, dueAt);
        if (n % opts.sessionEvery === 0) {
          const sessionId = ids(t0 - 90 * MINUTE);
          g.openSessions = [sessionId];
          sessions++;
          yield sessionItem(g, sessionId, new Date(t0 - 90 * MINUTE).toISOString());
        }
        yield grantItem(g);
        yield* entryItems(g);
      }
    };
    progress(`expiry bulk: seeding ${int(opts.count)} due grants (1 in ${opts.sessionEvery} with an open session)`);
    const seeded = await timed(() =>
      batchWrite(m.doc, tableName, items(), { every: 10_000, onProgress: (d) => progress(`expiry bulk: seeded ${int(d)} items`) }),
    );
    progress(`expiry bulk: seeded ${int(seeded.value)} items in ${(seeded.ms / 1000).toFixed(1)} s; running the job once`);

    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    let run: Run;
    try {
      run = await withTimeout(measureRun(bt, new Date(t0), `${int(opts.count)} due`), 15 * MINUTE, 'the 10,000-expiry run');
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    if (run.report.grantsExpired !== opts.count) throw new Error(`expected ${opts.count} expired, got ${JSON.stringify(run.report)}`);

    const rate = opts.count / (run.wallMs / 1000);
    const rows = [
      ['grants expired', int(run.report.grantsExpired)],
      ['sessions ended', `${int(run.report.sessionsEnded)} (of ${int(sessions)} open)`],
      ['wall time', `${num(run.wallMs / 1000, 1)} s (${num(rate, 0)} grants/s)`],
      ['TransactWriteItems', int(run.transactions)],
      ['DynamoDB requests', `${int(run.requests)} (${run.byCommand})`],
      ['consumed capacity', `${num(run.capacity)} units (${run.capacityByCommand})`],
      ['SDK retries (DynamoDB Local lock time-outs)', int(run.retries)],
      ['peak RSS of the benchmark process', `${mib(peak)} (${mib(rssBefore)} before the run, +${mib(peak - rssBefore)})`],
      [
        'against Lambda (15 min, ' + opts.memoryMb + ' MB)',
        `${num((run.wallMs / (15 * MINUTE)) * 100, 1)} % of the timeout; peak RSS ${num((peak / 1024 / 1024 / opts.memoryMb) * 100, 0)} % of ${opts.memoryMb} MB`,
      ],
    ];
    // The projection: at this rate, what one run gets through before Lambda's 15 minutes, and before
    // the job's own 5-minute timeout less the minute it keeps in hand (lib/jobs.ts, runExpiry).
    const in15 = rate * 15 * 60;
    const inJob = rate * 4 * 60;
    rows.push(
      ['projection: expirations in 15 minutes at this rate', int(in15)],
      ['projection: expirations per run of the 5-minute job (stops with 1 minute left)', int(inJob)],
    );
    const pass = run.wallMs <= BULK_LIMIT_MS;
    const figures: Figure[] = [
      figure({
        section: 'bulk',
        name: `wall time, ${opts.count} expirations in one run`,
        value: run.wallMs / 1000,
        unit: 's',
        baseline: { name: "Lambda's 15-minute limit", value: 15 * 60 },
        target: `≤ ${BULK_LIMIT_MS / 1000} s (the job's own timeout, a third of Lambda's 15 minutes)`,
        pass,
        note: `${num(rate, 0)} grants/s; projected ${int(in15)} expirations in 15 minutes, ${int(inJob)} per 5-minute run`,
      }),
      figure({
        section: 'bulk',
        name: 'peak RSS of the benchmark process',
        value: peak / 1024 / 1024,
        unit: 'MiB',
        baseline: { name: 'function memory', value: opts.memoryMb },
      }),
      figure({
        section: 'bulk',
        name: `requests, ${opts.count} expirations`,
        value: run.requests,
        unit: 'requests',
        baseline: { name: 'expired grants', value: opts.count },
        note: run.byCommand,
      }),
    ];
    return { figures, text: table(['10,000 expirations in one run', 'value'], rows) };
  });
}
