/**
 * The three shapes an event reaches an application in, read as one: an EventBridge rule's target
 * (`{ 'detail-type', detail: { eventId, tenantId, at, session | grant } }`), a webhook body
 * (`{ type, timestamp, data }`, its id in the `webhook-id` header) and an item of the event feed
 * (`{ eventId, type, at, tenantId, data }`). `Session Ended` revokes its session; `Grant Revoked`
 * and `Grant Expired` every session of the grant; the others revoke nothing.
 */

/** An event as an EventBridge rule target receives it (or as `GET /_local/events` lists it). */
export interface SupportAccessEvent {
  'detail-type': string;
  detail: {
    eventId: string;
    tenantId: string;
    at: string;
    session?: { sessionId: string; grantId: string };
    grant?: { grantId: string };
  };
}

/** A webhook's body (Standard Webhooks: the id travels in `webhook-id`). */
export interface WebhookEvent {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/** One item of `GET /v1/events`. */
export interface FeedEvent {
  eventId: string;
  type: string;
  at: string;
  tenantId: string;
  data: Record<string, unknown>;
}

/** What an event asks of the revocation store. */
export interface Revocation {
  eventId: string | undefined;
  kind: 'session' | 'grant';
  id: string;
}

export const REVOKING_TYPES = ['Session Ended', 'Grant Revoked', 'Grant Expired'] as const;

const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The revocation an event carries, or null (another type, or no id where the type needs one).
 * The resource is read from `data.session` / `data.grant` (as in an EventBridge detail), or from
 * `data` itself when it is the resource.
 */
export function revocationOf(event: unknown, webhookId?: string): Revocation | null {
  const e = obj(event);
  if (!e) return null;
  let type: unknown;
  let body: Record<string, unknown> | undefined;
  let eventId: string | undefined;
  if (typeof e['detail-type'] === 'string') {
    type = e['detail-type'];
    body = obj(e.detail);
    eventId = str(body?.eventId);
  } else {
    type = e.type;
    body = obj(e.data);
    eventId = str(e.eventId) ?? webhookId ?? str(body?.eventId);
  }
  if (!body) return null;
  if (type === 'Session Ended') {
    const id = str(obj(body.session)?.sessionId) ?? str(body.sessionId);
    return id ? { eventId, kind: 'session', id } : null;
  }
  if (type === 'Grant Revoked' || type === 'Grant Expired') {
    const id = str(obj(body.grant)?.grantId) ?? str(body.grantId);
    return id ? { eventId, kind: 'grant', id } : null;
  }
  return null;
}
