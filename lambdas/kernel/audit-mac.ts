/**
 * Audit integrity beyond the chain (the kernel's, since every module's transaction writes audit
 * events and the table helper MACs each one as it writes it): every audit event carries a MAC computed when the API writes
 * it, under a key that only the API functions hold (the event key: a secret separate from the
 * chain key). Write access to the table alone cannot make an event the verifier accepts.
 *
 * The MAC binds the event's content to its tenant and its key in the table (`AUDIT#<eventId>`),
 * so a MACed event cannot be moved to another tenant or position, nor edited.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AuditEvent } from '../contract/schemas.ts';
import { keys } from '../contract/table.ts';
import { canonicalJson } from './canonical-json.ts';

/** What a hash or MAC of an event covers: its contract fields, in canonical JSON. */
export function eventContent(event: AuditEvent): string {
  const { eventId, at, actor, action, targetId, details } = event;
  return canonicalJson({ eventId, at, actor, action, targetId, details });
}

/** The MAC of one audit event as written by the API: HMAC-SHA256, hex. */
export function eventMac(key: string, tenantId: string, event: AuditEvent): string {
  const content = eventContent(event.action === 'session.denied' ? { ...event, details: withoutCount(event.details) } : event);
  return createHmac('sha256', key)
    .update(`ev1\n${tenantId}\n${keys.audit(tenantId, event.eventId).SK}\n${content}`)
    .digest('hex');
}

/**
 * A `session.denied` event counts the refusals of its minute after it is written
 * (`sessions.ts` `recordRefusal`), so its MAC leaves the count out: the MAC proves the API wrote
 * the event, and the hash chain, which seals it only once its minute has passed, covers the count.
 */
function withoutCount(details: Record<string, unknown>): Record<string, unknown> {
  const { count: _count, ...rest } = details;
  return rest;
}

/** Whether `mac` is the MAC of the event under `key` (constant time). */
export function eventMacValid(key: string, tenantId: string, event: AuditEvent, mac: string | null | undefined): boolean {
  if (typeof mac !== 'string') return false;
  const expected = Buffer.from(eventMac(key, tenantId, event));
  const given = Buffer.from(mac);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
