/** The bounds on what one support account may have waiting or ask for (requests and extensions). Pure. */
import { LimitReachedError } from '../../kernel/errors.ts';
import type { RequestRecord } from './entity.ts';

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
 * One page of the caller's own requests, newest first, counted against the ask budget: `opened` is
 * how many they opened at the tenant in the hour before `now` so far (this page included); `more`
 * says whether the next page can still hold requests of that hour. Refuses (409 CONFLICT) once
 * `MAX_ASKS_PER_HOUR` are counted. Not transactional: asks racing each other may pass it together,
 * but the PENDING bound (in the write) still caps those at `MAX_PENDING_REQUESTS_PER_AGENT`.
 */
export function countAsks(page: RequestRecord[], tenantId: string, now: Date, openedBefore: number): { opened: number; more: boolean } {
  const since = now.getTime() - 3_600_000;
  const recent = page.filter((r) => Date.parse(r.requestedAt) > since);
  const opened = openedBefore + recent.filter((r) => r.tenantId === tenantId).length;
  if (opened >= MAX_ASKS_PER_HOUR) {
    throw new LimitReachedError(
      `you opened ${MAX_ASKS_PER_HOUR} requests at this tenant in the last hour, the most one person may; ` +
        'every request emails its contacts: wait for an answer, or ask again later',
    );
  }
  return { opened, more: recent.length === page.length };
}
