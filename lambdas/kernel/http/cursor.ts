/**
 * List cursors: the store's position, bound to the list it came from (route, tenant, filter,
 * caller) and signed with HMAC-SHA256, so a forged or transplanted cursor is a 400, never a read.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { PageKey } from '../ports.ts';
import { HttpError } from './problem.ts';

const sign = (secret: string, data: string) => createHmac('sha256', secret).update(data).digest('base64url');

/** Encodes a position; `binding` names the list it belongs to. */
export function encodeCursor(secret: string, binding: string, key: PageKey | null): string | null {
  if (key === null) return null;
  const data = Buffer.from(JSON.stringify({ k: key, b: binding })).toString('base64url');
  return `${data}.${sign(secret, data)}`;
}

/** Decodes a cursor from `?cursor=`; anything not made by `encodeCursor` for this list is a 400. */
export function decodeCursor(secret: string, binding: string, cursor: string | undefined): PageKey | undefined {
  if (cursor === undefined) return undefined;
  const invalid = () =>
    new HttpError(400, 'VALIDATION_FAILED', 'the cursor is not valid for this list', [
      { path: 'cursor', message: 'is not a cursor this list gave out' },
    ]);
  const [data, mac, extra] = cursor.split('.');
  if (!data || !mac || extra !== undefined) throw invalid();
  const expected = Buffer.from(sign(secret, data));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid();
  try {
    const parsed = JSON.parse(Buffer.from(data, 'base64url').toString('utf8')) as { k?: unknown; b?: unknown };
    if (parsed.b !== binding || typeof parsed.k !== 'object' || parsed.k === null) throw invalid();
    return parsed.k as PageKey;
  } catch {
    throw invalid();
  }
}

/**
 * What a cursor is bound to: the route, the tenant, the caller, the list's filters (another
 * filter's position is a 400) and the resource it lists (every path parameter besides the tenant).
 */
export function cursorBinding(
  routeId: string,
  rawParams: Record<string, string | undefined>,
  callerId: string,
  query: Record<string, unknown>,
): string {
  const filters = Object.entries(query)
    .filter(([k, v]) => k !== 'limit' && k !== 'cursor' && v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const within = Object.entries(rawParams)
    .filter(([k]) => k !== 'tenantId')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${String(v)}`);
  return [
    routeId,
    rawParams.tenantId ?? '',
    callerId,
    filters.map(([k, v]) => `${k}=${String(v)}`).join('&'),
    ...(within.length ? [within.join('&')] : []),
  ].join('|');
}
