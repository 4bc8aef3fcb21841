/**
 * The scheduled job's verification of the audit trails: after sealing, the job verifies the
 * tenants it sealed (and those still behind) with the same incremental verification as
 * `GET /v1/tenants/{t}/audit-events/verify` (`verifyAuditTrail`: the chain, the events' MACs, the
 * grants against their events), so each tenant's checkpoint follows its sealed head. A user's
 * verification then reads only what was written since the job's last run, and finishes in one
 * call whatever the trail's length.
 *
 * Which tenants: the verification queue (GSI2 `VERIFY#n`), which every seal joins (`sealAudit`,
 * in the same write as the head), and so does a verification that stops short (a user's first
 * verification of a long trail: its checkpoint is queued); a tenant leaves it once its checkpoint
 * reaches the head it read. A tenant that stopped short or showed a problem stays in it, moved to
 * the back.
 *
 * Fairly: in rounds, longest waiting first; each round gives every tenant still behind one
 * verification of at most `share` events, so a tenant with a long backlog gets one share per round
 * and every other tenant is verified in the first round. The run stops starting work when
 * `keepGoing` says so (its time budget); what is left waits at its place in the queue.
 */
import { DUE_SHARDS } from '../../contract/table.ts';
import type { ChainProblemKind } from './chain.ts';
import { VERIFY_MAX_EVENTS, verifyAuditTrail, type VerifyDeps } from './verify.ts';

/** The most events of one tenant verified in one round (its share); a longer backlog waits for the next round or run. */
export const WATCH_TENANT_SHARE = VERIFY_MAX_EVENTS;
/**
 * How long one run of the job verifies (the job passes it with its own budget): the job runs every
 * minute, one at a time, so its verification ends well inside the minute.
 */
export const WATCH_BUDGET_MS = 30_000;
/** Tenants read from each shard of the queue per run (the rest, waiting less long, next run). */
const QUEUE_READ = 1_000;
/** Tenants verified at once. */
const PARALLEL = 4;

export interface WatchOptions {
  /** The most events of one tenant per round (tests lower it). */
  share?: number;
  /** The most rounds in this run. */
  rounds?: number;
  /** Tenants verified at once (tests lower it). */
  parallel?: number;
}

export interface WatchReport {
  /** Tenants verified in this run (at least one share each). */
  tenants: number;
  /** Events read. */
  events: number;
  /** Tenants whose checkpoint reached their head: out of the queue. */
  caughtUp: number;
  /** Tenants in the queue at the end of the run: not reached, stopped short, or with problems. */
  waiting: number;
  /**
   * Tenants whose verification found a problem (no checkpoint was saved past it), with how many of
   * each kind. The details are those of `GET /v1/tenants/{t}/audit-events/verify`.
   */
  problems: { tenantId: string; kinds: Partial<Record<ChainProblemKind, number>> }[];
  /**
   * Tenants whose verification failed (a read refused, an item that does not parse): the others
   * are still verified; the tenant stays queued and is tried again next run.
   */
  failed: { tenantId: string; error: string }[];
}

/**
 * Verifies the tenants of the verification queue, in rounds of one share each, until the queue is
 * empty, `rounds` are done or `keepGoing` says stop.
 * 1. Read the queue, every shard, longest waiting first.
 * 2. Each round: one `verifyAuditTrail` of at most `share` events for each tenant still behind,
 *    `PARALLEL` at a time. Reached the head, clean: out of the queue (if no seal moved the head
 *    since). Problems: reported, no checkpoint saved, not verified again in this run. Stopped
 *    short: in the next round.
 * 3. A tenant verified but left behind (stopped short, or problems) goes to the back of the queue.
 */
export async function watchAuditTrails(deps: VerifyDeps, keepGoing: () => boolean, options: WatchOptions = {}): Promise<WatchReport> {
  const share = options.share ?? WATCH_TENANT_SHARE;
  const rounds = options.rounds ?? Number.POSITIVE_INFINITY;
  const parallel = options.parallel ?? PARALLEL;
  const report: WatchReport = { tenants: 0, events: 0, caughtUp: 0, waiting: 0, problems: [], failed: [] };

  // 1. The queue (a tenant at its earliest entry: its head's or its checkpoint's).
  const entries = (
    await Promise.all(Array.from({ length: DUE_SHARDS }, (_, shard) => deps.chain.tenantsToVerify(shard, QUEUE_READ)))
  ).flat();
  const earliest = new Map<string, string>();
  for (const { tenantId, since } of entries) if (!(earliest.get(tenantId)! <= since)) earliest.set(tenantId, since);
  const queued = [...earliest]
    .map(([tenantId, since]) => ({ tenantId, since }))
    .sort((a, b) => (a.since === b.since ? cmp(a.tenantId, b.tenantId) : cmp(a.since, b.since)));

  // 2. Rounds.
  const verified = new Set<string>();
  const left = new Set<string>();
  let behind = queued.map((q) => q.tenantId);
  for (let round = 0; round < rounds && behind.length > 0; round++) {
    const next: string[] = [];
    await eachLimited(behind, parallel, async (tenantId) => {
      if (!keepGoing()) {
        next.push(tenantId);
        return;
      }
      let r: Awaited<ReturnType<typeof verifyAuditTrail>>;
      try {
        r = await verifyAuditTrail(deps, tenantId, { maxEvents: share, keepGoing });
      } catch (e) {
        // One tenant's failure does not stop the others' verification.
        report.failed.push({ tenantId, error: e instanceof Error ? e.message : String(e) });
        return;
      }
      verified.add(tenantId);
      report.events += r.events;
      const found = r.problems.filter((p) => p.problem !== 'incomplete');
      if (found.length > 0) {
        const kinds: Partial<Record<ChainProblemKind, number>> = {};
        for (const p of found) kinds[p.problem] = (kinds[p.problem] ?? 0) + 1;
        report.problems.push({ tenantId, kinds });
        left.add(tenantId);
      } else if (r.complete && r.saved && r.head && r.saved.seq === r.head.seq) {
        await deps.chain.verifiedToHead(tenantId, { seq: r.head.seq, hash: r.head.hash });
        report.caughtUp++;
      } else next.push(tenantId);
    });
    behind = next;
    if (!keepGoing()) break;
  }
  for (const tenantId of behind) if (verified.has(tenantId)) left.add(tenantId);

  // 3. Verified and still behind: to the back of the queue.
  const now = deps.clock.now().toISOString();
  await eachLimited([...left], parallel, (tenantId) => deps.chain.requeueVerify(tenantId, now));

  report.tenants = verified.size;
  report.waiting = queued.length - report.caughtUp;
  report.problems.sort((a, b) => cmp(a.tenantId, b.tenantId));
  report.failed.sort((a, b) => cmp(a.tenantId, b.tenantId));
  return report;
}

/** Runs `fn` over `items`, at most `limit` at a time, in order. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
