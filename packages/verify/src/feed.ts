/**
 * Catch-up from the event feed (`GET {api}/v1/events?after=&types=`, scope `events:read`) at start,
 * so that a restarted instance forgets no revocation: every page since the store's last cursor is
 * fed to the verifier, and the cursor saved after each page (a crash mid-way resumes there).
 */
import { REVOKING_TYPES, type FeedEvent } from './events.ts';
import type { Verifier } from './verifier.ts';

export interface CatchUpOptions {
  /** The API's base URL, e.g. `https://api.support.example`. */
  apiUrl: string | URL;
  /** An API token with scope `events:read` (client credentials, `POST /v1/auth/token`); called per page. */
  getToken: () => Promise<string> | string;
  verifier: Verifier;
  /** Event types asked for (default: the three that revoke). */
  types?: readonly string[];
  /** At most this many pages in one catch-up (default 1,000), so a broken feed cannot loop forever. */
  maxPages?: number;
  fetch?: typeof fetch;
}

export interface CatchUpResult {
  pages: number;
  events: number;
  revoked: number;
  cursor: string | null;
}

export async function catchUp(o: CatchUpOptions): Promise<CatchUpResult> {
  const get = o.fetch ?? fetch;
  const store = o.verifier.store;
  const result: CatchUpResult = { pages: 0, events: 0, revoked: 0, cursor: await store.getCursor() };
  for (let page = 0; page < (o.maxPages ?? 1000); page++) {
    const url = new URL('v1/events', `${String(o.apiUrl).replace(/\/+$/, '')}/`);
    if (result.cursor !== null) url.searchParams.set('after', result.cursor);
    url.searchParams.set('types', (o.types ?? REVOKING_TYPES).join(','));
    const res = await get(url, { headers: { authorization: `Bearer ${await o.getToken()}`, accept: 'application/json' } });
    if (!res.ok) throw new Error(`the event feed answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    const body = (await res.json()) as { items?: FeedEvent[]; nextCursor?: string | null };
    if (!Array.isArray(body.items)) throw new Error('the event feed answered no items');
    result.pages++;
    for (const item of body.items) {
      result.events++;
      if (await o.verifier.handleEvent(item)) result.revoked++;
    }
    const next = body.nextCursor;
    if (typeof next !== 'string' || next === '' || next === result.cursor) break;
    await store.setCursor(next);
    result.cursor = next;
    if (body.items.length === 0) break;
  }
  return result;
}
