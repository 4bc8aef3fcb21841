/** The bounds on what one support account may have waiting or ask for (requests and extensions). */
import { LimitReachedError } from '../../kernel/errors.ts';
import type { Deps, PageInput, Principal } from '../../kernel/ports.ts';

/**
 * The most PENDING requests one agent may have at one tenant at a time. Every request emails all of
 * the tenant's contacts, so this bounds the mail one support account can cause: a sixth waits until
 * one is approved, denied, cancelled or expired.
 */
export const MAX_PENDING_REQUESTS_PER_AGENT = 5;

/**
 * The most requests (access and extension) one requester may open at one tenant within an hour,
 * whatever became of them. Each one emails the contacts; the PENDING bound alone let an agent ask
 * and cancel in a loop (4 rounds of 5 asks and 5 cancels: 20 emails in seconds). A real support
 * agent asks a tenant a few times a day.
 */
export const MAX_ASKS_PER_HOUR = 10;

/**
 * Refuses (409 CONFLICT) a new ask when the caller opened `MAX_ASKS_PER_HOUR` requests at the
 * tenant in the hour before `now`. Reads the caller's own requests newest first (GSI3), only as far
 * back as the hour. Not transactional: asks racing each other may pass it together, but the
 * PENDING bound (in the write) still caps those at `MAX_PENDING_REQUESTS_PER_AGENT`.
 */
export async function assertAskBudget(deps: Deps, caller: Principal, tenantId: string, now: Date): Promise<void> {
  const since = now.getTime() - 3_600_000;
  let opened = 0;
  let after: PageInput['after'];
  for (;;) {
    const page = await deps.store.listRequestsBy(caller.id, { limit: 25, ...(after ? { after } : {}) }, () => true);
    const recent = page.items.filter((r) => Date.parse(r.requestedAt) > since);
    opened += recent.filter((r) => r.tenantId === tenantId).length;
    if (opened >= MAX_ASKS_PER_HOUR) {
      throw new LimitReachedError(
        `you opened ${MAX_ASKS_PER_HOUR} requests at this tenant in the last hour, the most one person may; ` +
          'every request emails its contacts: wait for an answer, or ask again later',
      );
    }
    if (!page.next || recent.length < page.items.length) return;
    after = page.next;
  }
}
