/**
 * Table 6: audit verification from a checkpoint. A long trail (100,000 events; 20,000 with
 * --quick) and a short one (1,000) are seeded with `BatchWriteItem`: items exactly as the API and
 * the sealer leave them (the write-time MAC, the chain link, the head), far faster than through the
 * API. Each trail is verified once from its first event (which saves a checkpoint), then k new
 * sealed events are added and verified incrementally, as `VerifyAuditChain` runs it
 * (`verifyAuditTrail` over the DynamoDB store, metered).
 *
 * What it shows: an incremental verification costs the same on the long trail as on the short one
 * (the ratio), and grows with k; the full pass gives the rate from which the time of a 1,000,000
 * event trail is extrapolated (DynamoDB Local cannot hold one in a few minutes on this machine).
 *
 * Then the job's side (`watchAuditTrails`, as the expiry job runs it after sealing): the long
 * trail's checkpoint removed, the job's runs until its checkpoint is at the head; then new events
 * within the checkpoint's 10-minute margin, a run, a few more, and a user's verify: one call that
 * reads only the events of the margin and after, however long the trail.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import type { AuditEvent } from '../lambdas/contract/schemas.ts';
import { keys } from '../lambdas/contract/table.ts';
import { GENESIS, linkHash } from '../lambdas/modules/audit/chain.ts';
import { eventMac } from '../lambdas/kernel/audit-mac.ts';
import { VERIFY_MAX_EVENTS, VERIFY_READ_BUDGET_MS, verifyAuditTrail, type TrailVerification } from '../lambdas/modules/audit/verify.ts';
import { WATCH_BUDGET_MS, watchAuditTrails } from '../lambdas/modules/audit/watch.ts';
import { createDynamoStore } from '../lambdas/runtime/dynamo-store.ts';
import { ensureTable } from '../local/dynamodb.ts';
import { meteredClients, type MeteredClients } from './meter.ts';
import { figure, type Figure, type SectionResult } from './results.ts';
import { batchWrite } from './seed.ts';
import { int, ms, num, progress, table, timed } from './stats.ts';

const KEY = 'bench-audit-key';
const EVENT_KEY = 'bench-event-key';
const HOUR = 3_600_000;
/** The audit function's timeout (`lib/functions.ts` default) and API Gateway's integration limit. */
const FUNCTION_TIMEOUT_MS = 10_000;

export interface AuditVerifyConfig {
  long: number;
  short: number;
  tails: number[];
}

type Item = Record<string, unknown>;

/** One tenant's trail as the bench extends it: its chain position and the time of its next event. */
interface Trail {
  tenantId: string;
  seq: number;
  hash: string;
  at: number;
  next: (t: number) => string;
}

/** `count` sealed events appended to `trail`, `stepMs` apart, as items the API and the sealer leave. */
function* sealedEvents(trail: Trail, count: number, stepMs: number): Generator<Item> {
  for (let i = 0; i < count; i++) {
    trail.at += stepMs;
    const event: AuditEvent = {
      eventId: trail.next(trail.at),
      at: new Date(trail.at).toISOString(),
      actor: { id: 'admin-1', email: 'admin@tenant.example', name: 'Tenant Admin' },
      action: 'policy.updated',
      targetId: trail.tenantId,
      details: { maxDurationHours: 24 + (i % 48), notifyOnSignIn: true },
    };
    const seq = trail.seq + 1;
    const link = { seq, prev: trail.hash, hash: linkHash(KEY, trail.tenantId, seq, trail.hash, event) };
    trail.seq = seq;
    trail.hash = link.hash;
    yield {
      ...keys.audit(trail.tenantId, event.eventId),
      type: 'audit',
      tenantId: trail.tenantId,
      ...event,
      mac: eventMac(EVENT_KEY, trail.tenantId, event),
      chain: link,
    };
  }
}

async function append(m: MeteredClients, tableName: string, trail: Trail, count: number, stepMs = 1000): Promise<void> {
  let lastId = '';
  const items = (function* () {
    for (const item of sealedEvents(trail, count, stepMs)) {
      lastId = String(item.eventId);
      yield item;
    }
  })();
  await batchWrite(m.doc, tableName, items, {
    total: count,
    every: 20_000,
    onProgress: (d, t) => progress(`audit: ${trail.tenantId} ${int(d)} / ${int(t)} events`),
  });
  await m.doc.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...keys.chainHead(trail.tenantId),
        type: 'chain',
        tenantId: trail.tenantId,
        seq: trail.seq,
        hash: trail.hash,
        eventId: lastId,
        sealedAt: new Date(trail.at).toISOString(),
        // Queued for the job's verification, as every seal queues its tenant.
        ...keys.verifyQueue(trail.tenantId, new Date(trail.at).toISOString()),
      },
    }),
  );
}

interface Measured {
  label: string;
  wallMs: number;
  result: TrailVerification;
  requests: number;
  readUnits: number;
  writeUnits: number;
  calls: number;
  /** Events read over all the calls (a call that stops at its cap leaves the rest to the next). */
  eventsRead: number;
  /** The longest single call: what must fit in the function's timeout. */
  longestCallMs: number;
  /** Time with a DynamoDB request in flight. */
  dynamoMs: number;
}

/** Verifies until complete (a full pass takes several bounded calls), metered. */
async function measure(
  m: MeteredClients,
  tableName: string,
  tenantId: string,
  now: number,
  label: string,
  full = false,
): Promise<Measured> {
  const deps = { chain: createDynamoStore({ doc: m.doc, tableName }), clock: { now: () => new Date(now) }, key: KEY, eventKey: EVENT_KEY };
  m.meter.reset();
  m.meter.returnCapacity = true;
  let calls = 0;
  let eventsRead = 0;
  let longestCallMs = 0;
  const busy0 = m.meter.busyMs;
  const { ms: wallMs, value: result } = await timed(async () => {
    for (;;) {
      calls++;
      // As the route runs it: reading stops after its time budget, the next call goes on.
      const until = Date.now() + VERIFY_READ_BUDGET_MS;
      const t0 = performance.now();
      const r = await verifyAuditTrail(deps, tenantId, { full: full && calls === 1, keepGoing: () => Date.now() < until });
      longestCallMs = Math.max(longestCallMs, performance.now() - t0);
      eventsRead += r.events;
      if (r.complete) return r;
    }
  });
  if (!result.valid) throw new Error(`${label}: the seeded trail did not verify: ${JSON.stringify(result.problems.slice(0, 3))}`);
  const requests = [...m.meter.requests.values()].reduce((a, b) => a + b, 0);
  return {
    label,
    wallMs,
    result,
    requests,
    readUnits: m.meter.readUnits,
    writeUnits: m.meter.writeUnits,
    calls,
    eventsRead,
    longestCallMs,
    dynamoMs: m.meter.busyMs - busy0,
  };
}

export async function auditVerify(endpoint: string, config: AuditVerifyConfig): Promise<SectionResult> {
  const tableName = `bench-audit-${Date.now()}`;
  await ensureTable(endpoint, tableName, { stream: false });
  const m = meteredClients(endpoint);
  try {
    // A trail that began a year ago; "now" moves an hour between verifications.
    let now = Date.parse('2026-12-01T00:00:00.000Z');
    const start = now - 365 * 24 * HOUR;
    const trail = (tenantId: string): Trail => ({ tenantId, seq: 0, hash: GENESIS, at: start, next: monotonicFactory() });
    const long = trail('t-audit-long');
    const short = trail('t-audit-short');
    progress(`audit: seeding ${int(config.long)} + ${int(config.short)} sealed events`);
    const seeding = await timed(async () => {
      await append(m, tableName, long, config.long);
      await append(m, tableName, short, config.short);
    });

    const fullLong = await measure(m, tableName, long.tenantId, now, `full, ${int(config.long)} events`, true);
    const fullShort = await measure(m, tableName, short.tenantId, now, `full, ${int(config.short)} events`, true);
    const rate = config.long / (fullLong.wallMs / 1000);

    const rows: Measured[] = [fullLong, fullShort];
    const figures: Figure[] = [];
    for (const k of config.tails) {
      now += HOUR;
      for (const t of [long, short]) {
        // Within the half hour before now (one a second would put 10,000 of them in the future).
        t.at = Math.max(t.at, now - HOUR / 2);
        await append(m, tableName, t, k, Math.min(1000, Math.floor(HOUR / 2 / k)));
      }
      now += HOUR;
      const onLong = await measure(m, tableName, long.tenantId, now, `incremental, ${int(k)} new of ${int(long.seq)}`);
      const onShort = await measure(m, tableName, short.tenantId, now, `incremental, ${int(k)} new of ${int(short.seq)}`);
      rows.push(onLong, onShort);
      // Every new event, and none before the checkpoint; a call that stopped at its cap of
      // VERIFY_MAX_EVENTS leaves the rest to the next, which starts again at the checkpoint's event.
      if (onLong.eventsRead < k || onLong.eventsRead > k + onLong.calls - 1 || onLong.result.mode !== 'incremental') {
        throw new Error(
          `incremental verification read ${onLong.eventsRead} events in ${onLong.calls} calls for ${k} new (${onLong.result.mode})`,
        );
      }
      figures.push(
        figure({
          section: 'audit',
          name: `incremental verify, ${int(k)} new events on a ${int(long.seq)}-event trail`,
          value: onLong.wallMs,
          unit: 'ms',
          baseline: { name: `the same on a ${int(short.seq)}-event trail`, value: onShort.wallMs },
          target: 'within 1.5× of the short trail (cost follows the events since the checkpoint, not the trail)',
          pass: onLong.wallMs <= 1.5 * onShort.wallMs + 50,
          note: `${onLong.readUnits.toFixed(1)} vs ${onShort.readUnits.toFixed(1)} read units`,
        }),
      );
    }
    // The job's side: runs from no checkpoint, then a user's verify after a run.
    const watchDeps = () => ({
      chain: createDynamoStore({ doc: m.doc, tableName }),
      clock: { now: () => new Date(now) },
      key: KEY,
      eventKey: EVENT_KEY,
    });
    await m.doc.send(new DeleteCommand({ TableName: tableName, Key: keys.auditCheckpoint(long.tenantId) }));
    await append(m, tableName, long, 1);
    m.meter.reset();
    let runs = 0;
    let runEvents = 0;
    let longestRunMs = 0;
    const caughtUp = await timed(async () => {
      for (;;) {
        runs++;
        const until = Date.now() + WATCH_BUDGET_MS;
        const t0 = performance.now();
        const r = await watchAuditTrails(watchDeps(), () => Date.now() < until);
        longestRunMs = Math.max(longestRunMs, performance.now() - t0);
        runEvents += r.events;
        if (r.problems.length) throw new Error(`the job found problems in the seeded trail: ${JSON.stringify(r.problems)}`);
        const cp = await watchDeps().chain.auditCheckpoint(long.tenantId);
        if (cp && cp !== 'malformed' && cp.seq === long.seq) return r;
        if (runs >= 1000) throw new Error('the job did not reach the head of the long trail in 1,000 runs');
      }
    });
    const jobReadUnits = m.meter.readUnits;
    // 100 new events in the last 10 minutes, a run; a minute later 10 more, and a user's verify.
    long.at = now - 5 * 60_000;
    await append(m, tableName, long, 100);
    await watchAuditTrails(watchDeps(), () => true);
    now += 60_000;
    long.at = now - 30_000;
    await append(m, tableName, long, 10);
    const afterJob = await measure(m, tableName, long.tenantId, now, `user verify after the job ran, ${int(long.seq)}-event trail`);
    rows.push(afterJob);
    figures.push(
      figure({
        section: 'audit',
        name: `user verify after the job ran, ${int(long.seq)}-event trail`,
        value: afterJob.calls,
        unit: 'calls',
        baseline: { name: 'calls of a first verification from no checkpoint', value: fullLong.calls },
        target: 'one call, reading only the events of the last 10 minutes and after',
        pass: afterJob.calls === 1 && afterJob.result.events === 110,
        note: `${int(afterJob.result.events)} events read (100 re-read within the checkpoint's margin + 10 new), ${afterJob.readUnits.toFixed(1)} read units`,
      }),
    );
    const longest = Math.max(...rows.map((r) => r.longestCallMs));
    figures.push(
      figure({
        section: 'audit',
        name: 'longest single verify call (full passes included)',
        value: longest,
        unit: 'ms',
        baseline: { name: 'the audit function timeout', value: FUNCTION_TIMEOUT_MS },
        target: "under the audit function's 10 s timeout",
        pass: longest < FUNCTION_TIMEOUT_MS,
        note: `full pass rate ${num(rate, 0)} events/s on DynamoDB Local here; reading stops after ${VERIFY_READ_BUDGET_MS / 1000} s or ${int(VERIFY_MAX_EVENTS)} events`,
      }),
    );

    const text = [
      `Seeded ${int(config.long + config.short)} sealed events (BatchWriteItem, items as the API and the sealer write them) in ${ms(seeding.ms)}.`,
      '',
      table(
        [
          'verification',
          'calls',
          'events read (all calls)',
          'wall',
          'longest call',
          'in DynamoDB',
          'requests',
          'read units',
          'write units',
        ],
        rows.map((r) => [
          r.label,
          String(r.calls),
          int(r.eventsRead),
          ms(r.wallMs),
          ms(r.longestCallMs),
          ms(r.dynamoMs),
          int(r.requests),
          num(r.readUnits, 1),
          num(r.writeUnits, 1),
        ]),
      ),
      '',
      `Full pass rate: ${num(rate, 0)} events/s (DynamoDB Local on this machine; real DynamoDB reads a 1 MB page, about 2,500 of these events, per request). ` +
        `A verification call stops reading after ${VERIFY_READ_BUDGET_MS / 1000} s or ${int(VERIFY_MAX_EVENTS)} events and saves its checkpoint, so every call fits the function's 10 s; ` +
        `at this rate a first full pass over 1,000,000 events would take ${num(1_000_000 / rate, 0)} s of calls, ` +
        `after which each verification reads only the events since its checkpoint, as the rows above show (extrapolated: 1,000,000 events were not seeded here).`,
      '',
      `The job's verification (\`watchAuditTrails\`, ${WATCH_BUDGET_MS / 1000} s a run) took the ${int(long.seq - 110)}-event trail from no checkpoint to its head in ${runs} run(s) ` +
        `(${int(runEvents)} events, ${ms(caughtUp.ms)}, longest run ${ms(longestRunMs)}, ${num(jobReadUnits, 1)} read units); ` +
        `at the full pass rate one run verifies about ${int(rate * (WATCH_BUDGET_MS / 1000))} events, so 1,000,000 take about ${num(Math.ceil(1_000_000 / (rate * (WATCH_BUDGET_MS / 1000))), 0)} runs (minutes). ` +
        `After it, a user's verify took ${afterJob.calls} call(s) and read ${int(afterJob.result.events)} events: the 10 minutes before the job's last run and what came since.`,
    ].join('\n');
    return { text, figures };
  } finally {
    m.destroy();
  }
}
