/** Step 3, the body: over 16 KB 413; not JSON 415; malformed 400 (a route without a body takes none). */
import type { RouteDef } from '../../contract/routes.ts';
import { HttpError } from './problem.ts';
import type { Event } from './types.ts';

/** Bodies above this are refused before parsing. */
export const MAX_BODY_BYTES = 16 * 1024;

/** A request header, by its lower-case name. */
export function header(event: Event, name: string): string | undefined {
  const headers = event.headers ?? {};
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key ? headers[key] : undefined;
}

export function readBody(event: Event, route: RouteDef): unknown {
  const raw = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) {
    throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `the body must be at most ${MAX_BODY_BYTES} bytes`);
  }
  if (raw.trim() === '') return {};
  const type = (header(event, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  }
  if (!route.body) throw new HttpError(400, 'VALIDATION_FAILED', 'this route takes no body', [{ path: '', message: 'must be empty' }]);
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new HttpError(400, 'VALIDATION_FAILED', 'the body is not valid JSON', [{ path: '', message: 'must be a JSON object' }]);
  }
}
