/**
 * The tamper-evident audit trail: each tenant's audit events form a hash chain.
 *
 * An event is written append-only in the transaction of the change it records, marked "to seal".
 * The scheduled job then seals it: it gives the event the next sequence number of its tenant's
 * chain and a link hash over (tenant, sequence, the previous link's hash, the event's content),
 * and moves the chain's head, in one conditional transaction. Sealing after the fact keeps the hot
 * path (sign-in) free of a per-tenant head that every change would contend for.
 *
 * The link hash is an HMAC with a key kept outside the table (Secrets Manager in AWS), so someone
 * who can write the table but not read the key can neither edit an event, nor delete one, nor
 * rebuild the chain without `verifyAuditChain` noticing.
 */
import { createHmac } from 'node:crypto';
import type { AuditChainVerification, AuditEvent } from '../../contract/schemas.ts';
import { ConcurrentUpdateError } from '../../kernel/errors.ts';
import type { AuditChainStore, ChainHead, ChainLink, Clock, PageKey, StoredAuditEvent } from '../../kernel/ports.ts';
import { DUE_SHARDS } from '../../contract/table.ts';
import { eventContent, eventMacValid } from '../../kernel/audit-mac.ts';

/** The `prev` of a tenant's first link. */
export const GENESIS = '0'.repeat(64);
/** Events sealed in one transaction (DynamoDB allows 100 items; one is the head). */
export const SEAL_BATCH = 99;
/**
 * The most events of one tenant sealed per run (its fair share); the next run takes the rest.
 * Also the page size of the read of a shard's waiting events.
 */
export const SEAL_TENANT_SHARE = 500;
/** An event still unsealed after this long means the job is not running, or the event was slipped in. */
export const STALE_UNSEALED_MS = 10 * 60_000;

export interface ChainDeps {
  chain: AuditChainStore;
  clock: Clock;
  /** The HMAC key of the links. */
  key: string;
  /** The key of the events' write-time MACs (`kernel/audit-mac.ts`); when given, verify checks them. */
  eventKey?: string;
}

import { canonicalJson } from '../../kernel/canonical-json.ts';

export { canonicalJson, eventContent };

/** The link hash of one event: HMAC-SHA256 over version, tenant, sequence, previous hash and content. */
export function linkHash(key: string, tenantId: string, seq: number, prev: string, event: AuditEvent): string {
  const content = eventContent(event);
  return createHmac('sha256', key).update(`v1\n${tenantId}\n${seq}\n${prev}\n${content}`).digest('hex');
}

export interface SealReport {
  sealed: number;
  tenants: number;
  /** Tenants skipped because another sealer moved their head first (the next run retries them). */
  conflicts: number;
  /**
   * The new head of each tenant sealed. The job logs them: a copy of the heads outside the table
   * is what shows a truncated chain (the newest events deleted and the head rewound).
   */
  heads: { tenantId: string; seq: number; hash: string }[];
}

/**
 * Seals what is waiting, shard by shard, fairly across tenants. A shard's events wait in two
 * queues (`lambdas/contract/table.ts`), and only what is due is ever read:
 * 1. Events that had to wait (a `session.denied` counting its minute's refusals), keyed by when
 *    they may be sealed: the query asks for those due now, soonest first, page after page, so an
 *    event not due yet is never read and never stands in front of one that is.
 * 2. Events due when written, by tenant then oldest first: each tenant's oldest, then a skip past
 *    that tenant's remaining events to the next tenant.
 * Each tenant gets at most `SEAL_TENANT_SHARE` events a run over both queues: read its head, link
 * them in batches of `SEAL_BATCH`, each written with the new head in one transaction conditional
 * on the head being unchanged. A lost race skips the tenant for this run; nothing is half-sealed.
 * What is left waits for the next run, so one busy tenant never holds back the others.
 */
export async function sealAuditTrail(deps: ChainDeps, keepGoing: () => boolean = () => true): Promise<SealReport> {
  const report: SealReport = { sealed: 0, tenants: 0, conflicts: 0, heads: [] };
  const now = deps.clock.now().toISOString();
  await Promise.all(
    Array.from({ length: DUE_SHARDS }, async (_, shard) => {
      // A tenant is in one shard only, so each shard keeps its own tenants' tallies.
      const taken = new Map<string, number>();
      const lost = new Set<string>();
      const heads = new Map<string, ChainHead>();
      const seal = async (tenantId: string, waiting: AuditEvent[]) => {
        const events = waiting.slice(0, SEAL_TENANT_SHARE - (taken.get(tenantId) ?? 0));
        if (events.length === 0 || lost.has(tenantId)) return;
        taken.set(tenantId, (taken.get(tenantId) ?? 0) + events.length);
        try {
          const { sealed, head } = await sealTenant(deps, tenantId, events);
          report.sealed += sealed;
          if (head) heads.set(tenantId, head);
        } catch (e) {
          if (!(e instanceof ConcurrentUpdateError)) throw e;
          lost.add(tenantId);
        }
      };
      if (await sealDeferred(deps, shard, now, seal, keepGoing)) {
        for (const next of tenantsWaiting(deps, shard)) {
          if (!keepGoing()) break;
          const found = await next();
          if (!found) break;
          await seal(...found);
        }
      }
      report.tenants += taken.size;
      report.conflicts += lost.size;
      for (const [tenantId, { seq, hash }] of heads) report.heads.push({ tenantId, seq, hash });
    }),
  );
  return report;
}

/**
 * Step 1 of a shard: its waiting events due by now, soonest due first, a page at a time until none
 * is left (each page's tenants sealed before the next is read). False when time ran out.
 */
async function sealDeferred(
  deps: ChainDeps,
  shard: number,
  now: string,
  seal: (tenantId: string, events: AuditEvent[]) => Promise<void>,
  keepGoing: () => boolean,
): Promise<boolean> {
  let after: PageKey | undefined;
  do {
    if (!keepGoing()) return false;
    const page = await deps.chain.dueDeferredAudit(shard, now, { limit: SEAL_TENANT_SHARE, after });
    for (const [tenantId, events] of groupByTenant(page.items, now)) {
      if (!keepGoing()) return false;
      await seal(tenantId, events);
    }
    after = page.next ?? undefined;
  } while (after);
  return true;
}

/**
 * The tenants of one shard with waiting events, one after the other, each with its oldest
 * `SEAL_TENANT_SHARE` events at most. Each call of a step reads one page of the queue that starts
 * at the next tenant, so a tenant with 10,000 waiting events costs one read of `SEAL_TENANT_SHARE`.
 */
function* tenantsWaiting(deps: ChainDeps, shard: number): Generator<() => Promise<[string, AuditEvent[]] | null>> {
  let after: string | null = null;
  let buffered: [string, AuditEvent[]][] = [];
  let exhausted = false;
  for (;;) {
    yield async () => {
      if (buffered.length === 0 && !exhausted) {
        const page = await deps.chain.unsealedAudit(shard, after, SEAL_TENANT_SHARE);
        const groups = [...groupByTenant(page, deps.clock.now().toISOString())];
        // A full page may cut its last tenant short: leave that one for the next read, which
        // starts at it, unless it is the only one (a busy tenant: it gets its share, no more).
        exhausted = page.length < SEAL_TENANT_SHARE;
        buffered = !exhausted && groups.length > 1 ? groups.slice(0, -1) : groups;
      }
      const taken = buffered.shift();
      if (!taken) return null;
      after = taken[0];
      return [taken[0], taken[1].slice(0, SEAL_TENANT_SHARE)];
    };
  }
}

async function sealTenant(deps: ChainDeps, tenantId: string, events: AuditEvent[]): Promise<{ sealed: number; head: ChainHead | null }> {
  let head = await deps.chain.chainHead(tenantId);
  let sealed = 0;
  for (let i = 0; i < events.length; i += SEAL_BATCH) {
    const batch = events.slice(i, i + SEAL_BATCH);
    let seq = head?.seq ?? 0;
    let prev = head?.hash ?? GENESIS;
    const links = batch.map((event) => {
      seq += 1;
      const link: ChainLink = { seq, prev, hash: linkHash(deps.key, tenantId, seq, prev, event) };
      prev = link.hash;
      return { eventId: event.eventId, link };
    });
    const last = links.at(-1)!;
    const next: ChainHead = { seq: last.link.seq, hash: last.link.hash, eventId: last.eventId, sealedAt: deps.clock.now().toISOString() };
    await deps.chain.sealAudit(tenantId, head, links, next);
    head = next;
    sealed += links.length;
  }
  return { sealed, head };
}

/**
 * The waiting events by tenant, oldest first. An event that may still change until its `sealAfter`
 * (a `session.denied` still counting) is left out until then, but its tenant is still listed, so
 * the reader moves past it.
 */
function groupByTenant(waiting: StoredAuditEvent[], now: string): Map<string, AuditEvent[]> {
  const byTenant = new Map<string, AuditEvent[]>();
  for (const { tenantId, event, sealAfter } of waiting) {
    const list = byTenant.get(tenantId) ?? [];
    if (sealAfter === undefined || sealAfter <= now) list.push(event);
    byTenant.set(tenantId, list);
  }
  for (const list of byTenant.values()) list.sort((a, b) => (a.at === b.at ? cmp(a.eventId, b.eventId) : cmp(a.at, b.at)));
  return byTenant;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** What a verification found (the contract's schema is the one source of these types). */
// The whole-chain part of it: the checkpoint's fields are incremental verification's (`audit-verify.ts`).
export type ChainVerification = Omit<AuditChainVerification, 'mode' | 'checkpoint' | 'complete' | 'saved' | 'grantsChecked'>;
export type ChainProblem = ChainVerification['problems'][number];
export type ChainProblemKind = ChainProblem['problem'];

/**
 * Checks a tenant's whole chain.
 * 1. Read every audit event and the head.
 * 2. Walk the sealed events by sequence: no gap or duplicate, each `prev` is the hash before it,
 *    each hash is the HMAC of the event as stored now.
 * 3. The head names the last link; events left unsealed for long are reported.
 */
export async function verifyAuditChain(deps: ChainDeps, tenantId: string): Promise<ChainVerification> {
  const [stored, head] = await Promise.all([deps.chain.allAudit(tenantId), deps.chain.chainHead(tenantId)]);
  const now = deps.clock.now();
  const walk = walkChain(deps.key, tenantId, stored);
  const problems = [...walk.problems, ...headProblems(head, walk)];
  const { sealed, unsealed } = walk;

  if (deps.eventKey !== undefined) {
    // An event already reported as altered by the chain is not reported a second time.
    const altered = new Set(problems.filter((p) => p.problem === 'altered').map((p) => p.eventId));
    problems.push(
      ...forgedEvents(
        deps.eventKey,
        tenantId,
        stored.filter((s) => !altered.has(s.event.eventId)),
      ),
    );
  }

  problems.push(...staleUnsealed(unsealed, now));

  return {
    tenantId,
    valid: problems.length === 0,
    checkedAt: now.toISOString(),
    events: stored.length,
    sealed: sealed.length,
    unsealed: unsealed.length,
    head,
    problems,
  };
}

/** Where a walk starts: after the link `seq` whose hash is `hash` (0 and `GENESIS`: the start). */
export interface WalkStart {
  seq: number;
  hash: string;
}

export interface ChainWalk {
  /** The last position reached without a gap, and its hash. */
  lastSeq: number;
  prev: string;
  sealed: (StoredAuditEvent & { link: ChainLink })[];
  unsealed: StoredAuditEvent[];
  problems: ChainProblem[];
  /** Whether a gap ended the walk early (`stopAtGap`). */
  stopped: boolean;
}

/**
 * Walks the sealed events by sequence from `start`: no gap or duplicate, each `prev` is the hash
 * before it, each hash is the HMAC of the event as stored now. Events at or before `start` (a
 * checkpoint) are only checked on their own (hash), not for their place. With `stopAtGap` (a
 * read cut short: the next events may simply not be read yet) a gap ends the walk unreported.
 */
export function walkChain(
  key: string,
  tenantId: string,
  stored: StoredAuditEvent[],
  start: WalkStart = { seq: 0, hash: GENESIS },
  stopAtGap = false,
): ChainWalk {
  const problems: ChainProblem[] = [];
  const sealed = stored
    .filter((s): s is StoredAuditEvent & { link: ChainLink } => s.link !== null && s.link !== 'malformed')
    .sort((a, b) => a.link.seq - b.link.seq);
  const unsealed = stored.filter((s) => s.link === null);
  for (const { event } of stored.filter((s) => s.link === 'malformed')) {
    problems.push({ problem: 'altered', eventId: event.eventId, seq: null, detail: 'its chain link is not a link any more' });
  }

  let expected = start.seq + 1;
  let prev = start.hash;
  let stopped = false;
  for (const { event, link } of sealed) {
    const intact = linkHash(key, tenantId, link.seq, link.prev, event) === link.hash;
    if (link.seq <= start.seq) {
      // Before the checkpoint: its place was verified then; its content is checked again now.
      if (!intact)
        problems.push({
          problem: 'altered',
          eventId: event.eventId,
          seq: link.seq,
          detail: 'its content or link differs from what was sealed',
        });
      else if (link.seq === start.seq && link.hash !== start.hash) {
        problems.push({
          problem: 'broken-link',
          eventId: event.eventId,
          seq: link.seq,
          detail: 'differs from the link the checkpoint verified at this position',
        });
      }
      continue;
    }
    if (stopped) continue;
    if (link.seq < expected) {
      problems.push({ problem: 'duplicate', eventId: event.eventId, seq: link.seq, detail: `a second event claims position ${link.seq}` });
      continue;
    }
    const gap = link.seq > expected;
    if (gap && stopAtGap) {
      stopped = true;
      continue;
    }
    if (gap) {
      problems.push({ problem: 'missing', eventId: null, seq: expected, detail: missing(expected, link.seq - 1) });
    } else if (link.prev !== prev) {
      problems.push({ problem: 'broken-link', eventId: event.eventId, seq: link.seq, detail: 'does not link to the event before it' });
    }
    if (!intact)
      problems.push({
        problem: 'altered',
        eventId: event.eventId,
        seq: link.seq,
        detail: 'its content or link differs from what was sealed',
      });
    expected = link.seq + 1;
    prev = link.hash;
  }
  return { lastSeq: expected - 1, prev, sealed, unsealed, problems, stopped };
}

/** What the head says against where the walk ended: a head past the end means events were cut. */
export function headProblems(head: ChainHead | null, walk: Pick<ChainWalk, 'lastSeq' | 'prev' | 'sealed'>): ChainProblem[] {
  const { lastSeq, prev } = walk;
  if (!head && lastSeq > 0) {
    return [{ problem: 'head-mismatch', eventId: null, seq: null, detail: `${walk.sealed.length} sealed events but no chain head` }];
  }
  if (!head) return [];
  if (head.seq > lastSeq) return [{ problem: 'missing', eventId: null, seq: lastSeq + 1, detail: missing(lastSeq + 1, head.seq) }];
  if (head.seq < lastSeq || head.hash !== prev) {
    return [
      {
        problem: 'head-mismatch',
        eventId: head.eventId,
        seq: head.seq,
        detail: `the head names link ${head.seq}, the chain ends at ${lastSeq}`,
      },
    ];
  }
  return [];
}

/** Events whose write-time MAC is absent or wrong: written by someone other than the API, or edited. */
export function forgedEvents(eventKey: string, tenantId: string, stored: StoredAuditEvent[]): ChainProblem[] {
  return stored
    .filter((s) => !eventMacValid(eventKey, tenantId, s.event, s.mac))
    .map(({ event, link }) => ({
      problem: 'forged' as const,
      eventId: event.eventId,
      seq: link !== null && link !== 'malformed' ? link.seq : null,
      detail: 'its MAC is missing or wrong: not written by the API as it stands',
    }));
}

/** Events left unsealed longer than the sealer ever leaves them. */
export function staleUnsealed(unsealed: StoredAuditEvent[], now: Date): ChainProblem[] {
  return unsealed
    .filter(({ event }) => now.getTime() - Date.parse(event.at) > STALE_UNSEALED_MS)
    .map(({ event }) => ({
      problem: 'unsealed-too-long' as const,
      eventId: event.eventId,
      seq: null,
      detail: `not sealed since ${event.at}`,
    }));
}

const missing = (from: number, to: number) => (from === to ? `event ${from} is missing` : `events ${from} to ${to} are missing`);
