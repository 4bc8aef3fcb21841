/** The expiry job: makes stored state catch up with deadlines that every read already honours. */
import { DUE_SHARDS } from '../../contract/table.ts';
import { expireGrant } from '../grants/index.ts';
import { escalateRequest, warnGrant } from '../requests/index.ts';
import { iso } from '../../kernel/model.ts';
import type { Deps, DueItem, PageKey } from '../../kernel/ports.ts';
import { expireRequest } from '../requests/index.ts';

export interface ExpiryReport {
  now: string;
  grantsExpired: number;
  requestsExpired: number;
  /** Grants whose grantees were warned that they end soon. */
  grantsWarned: number;
  /** Requests emailed to the backup contacts. */
  requestsEscalated: number;
  sessionsEnded: number;
  /** Due items that needed nothing (already ended by a revoke or an earlier run). */
  skipped: number;
  /** True when the run stopped for lack of time; the next run picks up the rest. */
  incomplete: boolean;
}

/** How many due items one shard works on at once. */
const CONCURRENCY_PER_SHARD = 4;
const PAGE = 100;

/**
 * One run of the expiry job.
 * 1. For every shard of the due-at index, page through the items due at or before now (the
 *    index is sparse: only live deadlines are in it, so the cost follows what expires).
 * 2. Move each grant or request to EXPIRED with a conditional transaction; one not yet at its end
 *    is due for its warning (grant) or escalation (request), sent once and marked in the same
 *    transaction. One already moved or marked is skipped, so a rerun, or two runs at once, never
 *    apply a transition or send a warning twice.
 * 3. Stop taking new pages when `keepGoing` says time is short: reads already exact, the next run
 *    finishes the catch-up.
 */
export async function runExpiry(deps: Deps, keepGoing: () => boolean = () => true): Promise<ExpiryReport> {
  const now = iso(deps.clock.now());
  const report: ExpiryReport = {
    now,
    grantsExpired: 0,
    requestsExpired: 0,
    grantsWarned: 0,
    requestsEscalated: 0,
    sessionsEnded: 0,
    skipped: 0,
    incomplete: false,
  };
  const handle = async (item: DueItem) => {
    // An item is due for its next action: its end when that has passed, else its warning or
    // escalation (the index holds one due time per item; see `grantDueAt`, `requestDueAt`).
    if (item.kind === 'grant') {
      const ended = await expireGrant(deps, item.tenantId, item.id);
      if (ended !== null) {
        report.grantsExpired++;
        report.sessionsEnded += ended;
      } else if (await warnGrant(deps, item.tenantId, item.id)) report.grantsWarned++;
      else report.skipped++;
    } else if (await expireRequest(deps, item.tenantId, item.id)) report.requestsExpired++;
    else if (await escalateRequest(deps, item.tenantId, item.id)) report.requestsEscalated++;
    else report.skipped++;
  };
  await Promise.all(
    Array.from({ length: DUE_SHARDS }, async (_, shard) => {
      let after: PageKey | undefined;
      do {
        if (!keepGoing()) {
          report.incomplete = true;
          return;
        }
        const page = await deps.store.dueItems(shard, now, { limit: PAGE, after });
        for (let i = 0; i < page.items.length; i += CONCURRENCY_PER_SHARD) {
          await Promise.all(page.items.slice(i, i + CONCURRENCY_PER_SHARD).map(handle));
        }
        after = page.next ?? undefined;
      } while (after);
    }),
  );
  return report;
}
