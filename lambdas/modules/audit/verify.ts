/**
 * Incremental verification of a tenant's audit trail, from a signed checkpoint.
 *
 * A clean verification ends by saving a checkpoint: "the chain was whole up to position `seq`,
 * whose link hash is `hash`, at `at`; every event after it has an id of at least `fromEventId`",
 * MACed under the chain key (which the table does not hold). The next verification trusts a
 * checkpoint only if its MAC checks, and then reads only the events from `fromEventId` on (ids are
 * ULIDs: they sort by the time they were written), walks the chain from `seq`, and checks those
 * events' MACs, the head, and the grants those events speak of. Its cost grows with the events
 * since the checkpoint, not with the trail.
 *
 * One call reads at most `maxEvents`; a longer stretch is verified over several calls, each saving
 * the checkpoint it reached (the answer says `complete: false` and lists an `incomplete` problem).
 * `full` starts again from the first event, ignoring the checkpoint.
 *
 * What incremental verification does not see, by design: an event before the checkpoint that is
 * edited after it was verified, or one slipped in with an old id. A full verification sees both.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  forgedEvents,
  GENESIS,
  headProblems,
  linkHash,
  STALE_UNSEALED_MS,
  staleUnsealed,
  walkChain,
  type ChainDeps,
  type ChainProblem,
  type ChainVerification,
  type ChainWalk,
} from './chain.ts';
import { grantProblems, idFloor } from './grants.ts';
import type { AuditChainStore, AuditCheckpoint, AuditVerifyStore, StoredAuditEvent } from '../../kernel/ports.ts';

/** The most events one verification reads (a bound on its memory). */
export const VERIFY_MAX_EVENTS = 10_000;
/**
 * How long one verification goes on reading (the route passes it as `keepGoing`): well inside the
 * audit function's 10 s, whatever the read rate (`docs/performance.md` measures it).
 */
export const VERIFY_READ_BUDGET_MS = 5_000;
/** Events read per request of the store. */
const READ_PAGE = 1_000;

/**
 * How far before "now" a checkpoint's `fromEventId` is put when nothing is waiting: an event
 * written after the checkpoint by a writer whose clock is behind still has an id after it.
 */
export const CHECKPOINT_MARGIN_MS = STALE_UNSEALED_MS;

export interface VerifyDeps extends Omit<ChainDeps, 'chain'> {
  chain: AuditChainStore & AuditVerifyStore;
}

export interface VerifyOptions {
  /** Ignore the checkpoint: verify from the first event (over several calls if the trail is long). */
  full?: boolean;
  /** The most events read in this call (tests lower it). */
  maxEvents?: number;
  /** Asked before each further read: false stops reading (the time budget); the rest waits for the next call. */
  keepGoing?: () => boolean;
}

export interface TrailVerification extends ChainVerification {
  mode: 'incremental' | 'full';
  /** The checkpoint this verification started from (null: from the first event). */
  checkpoint: { seq: number; fromEventId: string; at: string } | null;
  /** Whether the read reached the end of the trail. */
  complete: boolean;
  /** The checkpoint saved by this verification (null: none saved, because of a problem). */
  saved: { seq: number; fromEventId: string; at: string } | null;
  /** Grants whose stored state was compared with their events. */
  grantsChecked: number;
}

/** The MAC of a checkpoint: HMAC-SHA256 under the chain key, bound to the tenant. */
export function checkpointMac(key: string, tenantId: string, c: Omit<AuditCheckpoint, 'mac'>): string {
  return createHmac('sha256', key).update(`cp1\n${tenantId}\n${c.seq}\n${c.hash}\n${c.eventId}\n${c.fromEventId}\n${c.at}`).digest('hex');
}

function checkpointValid(key: string, tenantId: string, c: AuditCheckpoint): boolean {
  const expected = Buffer.from(checkpointMac(key, tenantId, c));
  const given = Buffer.from(c.mac);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Verifies a tenant's trail from its newest valid checkpoint.
 * 1. Read the checkpoint (unless `full`); one whose MAC does not check is reported and ignored.
 * 2. Read the head and the events from the checkpoint's `fromEventId` on, at most `maxEvents`.
 * 3. Walk the chain from the checkpoint's position; check the events' MACs; report events left
 *    unsealed; when the read reached the end, check the head and a checkpoint the chain fell
 *    behind (its newest events cut).
 * 4. Compare the grants these events speak of, and their access entries (what sign-in reads), with
 *    what the events say (`grantProblems`, `audit-grants.ts`).
 * 5. No problem: save the checkpoint reached (queued for the job's verification if the read
 *    stopped short of the end).
 */
export async function verifyAuditTrail(deps: VerifyDeps, tenantId: string, options: VerifyOptions = {}): Promise<TrailVerification> {
  const now = deps.clock.now();
  const max = options.maxEvents ?? VERIFY_MAX_EVENTS;
  const problems: ChainProblem[] = [];

  // 1. The checkpoint.
  let checkpoint: AuditCheckpoint | null = null;
  if (!options.full) {
    const stored = await deps.chain.auditCheckpoint(tenantId);
    if (stored === 'malformed' || (stored && !checkpointValid(deps.key, tenantId, stored))) {
      problems.push({
        problem: 'checkpoint',
        eventId: null,
        seq: stored === 'malformed' ? null : stored.seq,
        detail:
          'the verification checkpoint is not one that verification saved (its MAC does not check): not trusted; verified from the first event',
      });
    } else checkpoint = stored;
  }

  // 2. The head, then the events.
  let head = await deps.chain.chainHead(tenantId);
  const { stored, more } = await readTrail(deps.chain, tenantId, checkpoint?.fromEventId ?? null, max, options.keepGoing ?? (() => true));
  const complete = !more;

  // 3. The chain from the checkpoint.
  const start = checkpoint ? { seq: checkpoint.seq, hash: checkpoint.hash } : { seq: 0, hash: GENESIS };
  const walk = walkChain(deps.key, tenantId, stored, start, !complete);
  // Sealed while we read: the head read before is behind the events; read it again.
  if (head && walk.lastSeq > head.seq) head = await deps.chain.chainHead(tenantId);
  problems.push(...walk.problems);
  const anchor = checkpoint ? await anchorProblems(deps, tenantId, checkpoint, stored) : [];
  problems.push(...anchor);
  if (complete) {
    if (checkpoint && head && head.seq < checkpoint.seq) {
      // The chain was cut back behind the checkpoint: one finding, the anchor's if it named it.
      if (anchor.length === 0)
        problems.push({
          problem: 'missing',
          eventId: null,
          seq: head.seq + 1,
          detail: `the chain was verified up to event ${checkpoint.seq} on ${checkpoint.at}; it now ends at ${head.seq}: its newest events were removed`,
        });
    } else if (checkpoint && !head && checkpoint.seq > 0) {
      if (anchor.length === 0)
        problems.push({
          problem: 'head-mismatch',
          eventId: null,
          seq: null,
          detail: `the chain was verified up to event ${checkpoint.seq} on ${checkpoint.at}; its head is gone`,
        });
    } else problems.push(...headProblems(head, walk));
  }
  let forged: Set<string> = new Set();
  if (deps.eventKey !== undefined) {
    const altered = new Set(problems.filter((p) => p.problem === 'altered').map((p) => p.eventId));
    const found = forgedEvents(
      deps.eventKey,
      tenantId,
      stored.filter((s) => !altered.has(s.event.eventId)),
    );
    problems.push(...found);
    forged = new Set([...found.map((p) => p.eventId!), ...altered].filter((id): id is string => id !== null));
  }
  problems.push(...staleUnsealed(walk.unsealed, now));

  // 4. The grants, against the events that are the API's own (a grant with an event reported
  // above is not compared: that event is the finding).
  let grantsChecked = 0;
  if (complete) {
    const suspect = new Set(stored.filter((s) => forged.has(s.event.eventId)).map((s) => s.event.targetId));
    const trusted = stored.filter((s) => !forged.has(s.event.eventId)).map((s) => s.event);
    const checked = await grantProblems(deps.chain, tenantId, trusted, checkpoint === null ? null : checkpoint.fromEventId, now, suspect);
    grantsChecked = checked.checked;
    problems.push(...checked.problems);
  } else {
    problems.push({
      problem: 'incomplete',
      eventId: null,
      seq: walk.lastSeq,
      detail: `verified up to event ${walk.lastSeq} of ${head?.seq ?? 0} (one call reads at most ${max} events, for at most a few seconds); verify again to go on from the checkpoint saved`,
    });
  }

  // 5. The checkpoint reached.
  let saved: TrailVerification['saved'] = null;
  const clean = problems.every((p) => p.problem === 'incomplete');
  if (clean) {
    const next = nextCheckpoint(stored, walk, checkpoint, more, now);
    const mac = checkpointMac(deps.key, tenantId, next);
    // Stopped short: queued, so the job goes on from here even if nothing new is sealed.
    await deps.chain.putAuditCheckpoint(tenantId, { ...next, mac }, more ? now.toISOString() : null);
    saved = { seq: next.seq, fromEventId: next.fromEventId, at: next.at };
  }

  return {
    tenantId,
    valid: problems.length === 0,
    checkedAt: now.toISOString(),
    events: stored.length,
    sealed: walk.sealed.length,
    unsealed: walk.unsealed.length,
    head,
    problems,
    mode: checkpoint ? 'incremental' : 'full',
    checkpoint: checkpoint ? { seq: checkpoint.seq, fromEventId: checkpoint.fromEventId, at: checkpoint.at } : null,
    complete,
    saved,
    grantsChecked,
  };
}

/** The events from `fromEventId` on, a page at a time, until the end, `max` events, or `keepGoing` says stop. */
async function readTrail(
  chain: AuditVerifyStore,
  tenantId: string,
  fromEventId: string | null,
  max: number,
  keepGoing: () => boolean,
): Promise<{ stored: StoredAuditEvent[]; more: boolean }> {
  const stored: StoredAuditEvent[] = [];
  let from = fromEventId;
  for (;;) {
    // After the first page, `from` is the last event read: asked for again, and dropped.
    const again = stored.length > 0 ? 1 : 0;
    const page = await chain.auditFrom(tenantId, from, Math.min(READ_PAGE, max - stored.length) + again);
    const items = again ? page.items.filter((s) => s.event.eventId !== from) : page.items;
    stored.push(...items);
    if (!page.more) return { stored, more: false };
    if (stored.length >= max || !keepGoing() || items.length === 0) return { stored, more: true };
    from = stored.at(-1)!.event.eventId;
  }
}

/**
 * The checkpoint after a clean walk to `seq`: the next verification must read every event not yet
 * verified in place (sealed after `seq`, or unsealed) and every event written from now on. So it
 * starts at the smallest id of those read; when the read reached the end, never later than
 * `CHECKPOINT_MARGIN_MS` ago (events still being written); when it was cut, never later than the
 * last event read (the rest is not read yet).
 */
function nextCheckpoint(
  stored: StoredAuditEvent[],
  walk: ChainWalk,
  previous: AuditCheckpoint | null,
  cut: boolean,
  now: Date,
): Omit<AuditCheckpoint, 'mac'> {
  const seq = walk.lastSeq;
  const last = stored.at(-1)?.event.eventId;
  let from = cut && last !== undefined ? last : idFloor(now.getTime() - CHECKPOINT_MARGIN_MS);
  for (const s of stored) {
    const pending = s.link === null || s.link === 'malformed' || s.link.seq > seq;
    if (pending && s.event.eventId < from) from = s.event.eventId;
  }
  const at = walk.sealed.find((s) => s.link.seq === seq)?.event.eventId ?? (previous && previous.seq === seq ? previous.eventId : '');
  return { seq, hash: walk.prev, eventId: at, fromEventId: from, at: now.toISOString() };
}

/**
 * The checkpoint's own event must still be where it was verified: read it if the read did not
 * reach back to it. This is what shows the newest events deleted down to the checkpoint.
 */
async function anchorProblems(
  deps: VerifyDeps,
  tenantId: string,
  checkpoint: AuditCheckpoint,
  stored: StoredAuditEvent[],
): Promise<ChainProblem[]> {
  if (checkpoint.seq === 0 || stored.some((s) => s.event.eventId === checkpoint.eventId)) return [];
  const found = (await deps.chain.auditFrom(tenantId, checkpoint.eventId, 1)).items[0];
  if (!found || found.event.eventId !== checkpoint.eventId) {
    return [
      {
        problem: 'missing',
        eventId: checkpoint.eventId,
        seq: checkpoint.seq,
        detail: `event ${checkpoint.seq}, verified on ${checkpoint.at}, is gone`,
      },
    ];
  }
  const link = found.link;
  if (
    link === null ||
    link === 'malformed' ||
    link.seq !== checkpoint.seq ||
    link.hash !== checkpoint.hash ||
    linkHash(deps.key, tenantId, link.seq, link.prev, found.event) !== link.hash
  ) {
    return [
      {
        problem: 'altered',
        eventId: checkpoint.eventId,
        seq: checkpoint.seq,
        detail: 'its content or link differs from what was sealed and verified',
      },
    ];
  }
  return [];
}
