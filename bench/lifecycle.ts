/**
 * Tables 3b and 3c (v1.1 lifecycle):
 * - 3b: the expiry job's warnings and escalations with `due` of each among `live` grants whose
 *   warning is not yet due, against the idle run: the cost follows what is due (the sparse index
 *   holds each item's next action), and a rerun sends nothing twice.
 * - 3c: the CSV export of `rows` sessions: bytes, time, and the heap while it runs, against an
 *   export of a tenth as many rows (flat memory: the export holds one DynamoDB page at a time).
 */
import { monotonicFactory } from 'ulid';
import { runExpiry } from '../lambdas/modules/expiry/rules.ts';
import { exportSessions } from '../lambdas/kernel/export.ts';
import type { RequestRecord, SessionRecord } from '../lambdas/kernel/ports.ts';
import { requestItem, sessionItem as storeSessionItem } from '../lambdas/runtime/dynamo-store.ts';
import { figure, type Figure, type SectionResult } from './results.ts';
import { batchWrite, depsAt, entryItems, grantItem, grantRecord, GRANTOR, measured, withBenchTable } from './seed.ts';
import { int, ms, num, progress, table, timed } from './stats.ts';

const mib = (v: number) => `${(v / 1024 / 1024).toFixed(2)} MiB`;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Table 3b: warnings and escalations due among live grants. */
export async function lifecycleDueCost(endpoint: string, opts: { live: number; due: number }): Promise<SectionResult> {
  return withBenchTable(endpoint, 'bench-lifecycle-due', async (bt) => {
    const { m, tableName, ids } = bt;
    const t0 = Date.now();
    const created = new Date(t0 - HOUR).toISOString();
    const withWarning = (expiresAt: string) => new Date(Date.parse(expiresAt) - 30 * MINUTE).toISOString();
    // Live grants end between 2 hours and 30 days from now, warned 30 minutes before: not due.
    const live = function* () {
      for (let n = 0; n < opts.live; n++) {
        const expiresAt = new Date(t0 + 2 * HOUR + ((n * 7919) % (30 * 24)) * HOUR).toISOString();
        const g = {
          ...grantRecord(`live-${Math.floor(n / 100)}`, ids(t0 - HOUR), n, created, expiresAt),
          warnAt: withWarning(expiresAt),
          warned: false,
        };
        yield grantItem(g);
        yield* entryItems(g);
      }
    };
    progress(`lifecycle: seeding ${int(opts.live)} live grants`);
    await batchWrite(m.doc, tableName, live(), {
      total: opts.live * 2,
      every: 20_000,
      onProgress: (d, t) => progress(`lifecycle: seeded ${int(d)}/${int(t)} items`),
    });
    const runAt = new Date(t0 + 20 * MINUTE);
    const run = async () => {
      const { value: report, ...cost } = await measured(m, () => runExpiry(depsAt(bt, runAt)));
      return { report, ...cost, scanned: cost.dueIndexScanned };
    };
    await run();
    const idle = await run();
    // `due` grants whose warning falls due 10 minutes from now (they end in 40), and `due` requests
    // whose escalation does (they lapse in 12 hours).
    const warnAt = new Date(t0 + 10 * MINUTE).toISOString();
    const grants = Array.from({ length: opts.due }, (_, n) => ({
      ...grantRecord(`due-${Math.floor(n / 5)}`, ids(t0 - HOUR), n, created, new Date(t0 + 40 * MINUTE).toISOString()),
      warnAt,
      warned: false,
    }));
    const requests: RequestRecord[] = Array.from({ length: opts.due }, (_, n) => ({
      requestId: ids(t0 - HOUR),
      tenantId: `due-${Math.floor(n / 5)}`,
      kind: 'access',
      status: 'PENDING',
      ticketId: `T-${n}`,
      reason: 'benchmark seed',
      scope: { level: 'read-only' },
      durationHours: 1,
      requestedBy: { id: `agent-${n}`, email: `agent-${n}@vendor.example`, name: 'Agent' },
      requestedAt: created,
      expiresAt: new Date(t0 + 12 * HOUR).toISOString(),
      approvals: [],
      decidedAt: null,
      decidedBy: null,
      grantId: null,
      version: 1,
      escalateAt: warnAt,
      escalated: false,
    }));
    await batchWrite(m.doc, tableName, [...grants.flatMap((g) => [grantItem(g), ...entryItems(g)]), ...requests.map(requestItem)]);
    // Each due tenant has one (primary) contact: an escalation reads the tenant's contacts and,
    // with no backup contact, reminds that one (an outbox message), as it would for a real tenant.
    for (const tenantId of new Set(requests.map((r) => r.tenantId))) {
      const contact = {
        email: `contact@${tenantId}.example`,
        name: 'Contact',
        tier: 'primary' as const,
        addedAt: created,
        addedBy: GRANTOR,
      };
      await bt.store.saveContact(tenantId, contact, null, { audit: [], outbox: [] });
    }
    const busy = await run();
    if (busy.report.grantsWarned !== opts.due || busy.report.requestsEscalated !== opts.due)
      throw new Error(`expected ${opts.due} warned and escalated: ${JSON.stringify(busy.report)}`);
    const rerun = await run();
    if (rerun.report.grantsWarned + rerun.report.requestsEscalated !== 0)
      throw new Error(`the rerun sent again: ${JSON.stringify(rerun.report)}`);
    const rows = [
      [`idle: nothing due among ${int(opts.live)} live (baseline)`, idle],
      [`${opts.due} warnings + ${opts.due} escalations due`, busy],
      ['rerun right after', rerun],
    ].map(([label, r]) => {
      const x = r as typeof busy;
      return [
        label as string,
        int(x.report.grantsWarned),
        int(x.report.requestsEscalated),
        num(x.capacity),
        `${int(x.requests)} (${x.byCommand})`,
        int(x.scanned),
        ms(x.wallMs),
      ];
    });
    const figures: Figure[] = [
      figure({
        section: 'cost',
        name: `due-index items read, ${opts.due} warnings + ${opts.due} escalations among ${opts.live} live`,
        value: busy.scanned,
        unit: 'items',
        baseline: { name: 'due items', value: 2 * opts.due },
        target: 'exactly the due items',
        pass: busy.scanned === 2 * opts.due,
      }),
      figure({
        section: 'cost',
        name: `requests, ${opts.due} warnings + ${opts.due} escalations`,
        value: busy.requests,
        unit: 'requests',
        baseline: { name: 'idle run', value: idle.requests },
      }),
      figure({
        section: 'cost',
        name: 'warnings or escalations sent again by a rerun',
        value: rerun.report.grantsWarned + rerun.report.requestsEscalated,
        unit: 'messages',
        target: '0',
        pass: rerun.report.grantsWarned + rerun.report.requestsEscalated === 0,
      }),
    ];
    return {
      figures,
      text: table(
        ['run', 'grants warned', 'requests escalated', 'capacity (units)', 'DynamoDB requests', 'items read by due queries', 'wall time'],
        rows,
      ),
    };
  });
}

/** Table 3c: the CSV export of `rows` sessions, against a tenth as many. */
export async function csvExportCost(endpoint: string, opts: { rows: number }): Promise<SectionResult> {
  return withBenchTable(endpoint, 'bench-csv-export', async (bt) => {
    const { m, tableName } = bt;
    const t0 = Date.now() - 30 * 24 * HOUR;
    const seed = async (tenantId: string, count: number) => {
      const ids = monotonicFactory();
      const items = function* () {
        for (let n = 0; n < count; n++) {
          const at = t0 + n * 1000;
          const s: SessionRecord = {
            sessionId: ids(at),
            tenantId,
            grantId: 'g-1',
            accessedBy: { id: `agent-${n % 50}`, email: `agent-${n % 50}@vendor.example`, name: 'Agent, "Support"' },
            reason: n % 10 === 0 ? '=HYPERLINK("x")' : 'reproduce the export bug',
            signInAt: new Date(at).toISOString(),
            signOutAt: new Date(at + 600_000).toISOString(),
            endedBy: 'agent',
            grantedBy: GRANTOR,
            sourceIp: '203.0.113.7',
            userAgent: 'Mozilla/5.0 (bench)',
            grantExpiresAt: null,
          };
          yield storeSessionItem(s);
        }
      };
      await batchWrite(m.doc, tableName, items(), {
        total: count,
        every: 20_000,
        onProgress: (d, t) => progress(`csv: seeded ${int(d)}/${int(t)} sessions of ${tenantId}`),
      });
    };
    const measure = async (tenantId: string) => {
      const deps = depsAt(bt, new Date());
      globalThis.gc?.();
      const base = process.memoryUsage().heapUsed;
      let peak = base;
      let bytes = 0;
      let lines = 0;
      const { ms: wallMs } = await timed(async () => {
        for await (const chunk of exportSessions(deps, tenantId, {
          from: new Date(t0 - 1).toISOString(),
          to: new Date(Date.now()).toISOString(),
        })) {
          bytes += Buffer.byteLength(chunk);
          lines += chunk.split('\r\n').length - 1;
          peak = Math.max(peak, process.memoryUsage().heapUsed);
        }
      });
      return { bytes, lines, wallMs, heapGrowth: peak - base };
    };
    const small = Math.max(1, Math.floor(opts.rows / 10));
    await seed('csv-small', small);
    await seed('csv-large', opts.rows);
    const a = await measure('csv-small');
    const b = await measure('csv-large');
    if (b.lines !== opts.rows + 1) throw new Error(`exported ${b.lines} lines for ${opts.rows} sessions`);
    const rows = [
      [`${int(small)} sessions (baseline)`, int(a.lines), mib(a.bytes), ms(a.wallMs), mib(a.heapGrowth)],
      [`${int(opts.rows)} sessions`, int(b.lines), mib(b.bytes), ms(b.wallMs), mib(b.heapGrowth)],
    ];
    const ratio = a.heapGrowth > 0 ? b.heapGrowth / a.heapGrowth : Number.NaN;
    const figures: Figure[] = [
      figure({
        section: 'cost',
        name: `CSV export of ${opts.rows} sessions: bytes`,
        value: b.bytes,
        unit: 'bytes',
        baseline: { name: `${small} sessions`, value: a.bytes },
      }),
      figure({
        section: 'cost',
        name: `CSV export of ${opts.rows} sessions: time`,
        value: b.wallMs,
        unit: 'ms',
        baseline: { name: `${small} sessions`, value: a.wallMs },
      }),
      figure({
        section: 'cost',
        name: `CSV export of ${opts.rows} sessions: peak heap growth`,
        value: b.heapGrowth,
        unit: 'bytes',
        baseline: { name: `${small} sessions`, value: a.heapGrowth },
        target: '≤ 3 × the tenth (flat, not 10×)',
        pass: ratio <= 3,
      }),
    ];
    const text = `${table(['export', 'CSV lines (with header)', 'bytes', 'time', 'peak heap growth while exporting'], rows)}\n\nThe export reads ${100} sessions a page and keeps none: heap growth ${Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a'} for ten times the rows. Through the API the body is capped at 5 MB (Lambda's response limit; a larger window answers 413), so a window of ${int(opts.rows)} sessions (${mib(b.bytes)}) must be split into windows under the cap.`;
    return { figures, text };
  });
}
