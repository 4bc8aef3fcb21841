/**
 * Events for the vendor's application: every state change, as an EventBridge event. They come from
 * the same outbox as the email: the audit event that each change writes in its own transaction
 * (written once, only when the change commits) is what the publisher reads from the table's
 * stream, so an event is never published for a change that did not happen, and its `eventId` (the
 * audit event's) is the same however often a delivery is retried. Consumers de-duplicate on it.
 */
import type { AccessRequest, AuditEvent, Grant, Session } from '../../contract/schemas.ts';
import { grantView, requestView, sessionView } from '../../kernel/model.ts';
import type { Clock, Store } from '../../kernel/ports.ts';

/** The `source` of every event. */
export const EVENT_SOURCE = 'support-access';

/** The detail-type of each audit action that is published (the contract's list), by resource. */
export const DETAIL_TYPES = {
  'request.created': ['Access Request Created', 'request'],
  'request.approved': ['Access Request Approved', 'request'],
  'request.denied': ['Access Request Denied', 'request'],
  'request.cancelled': ['Access Request Cancelled', 'request'],
  'request.expired': ['Access Request Expired', 'request'],
  'request.escalated': ['Access Request Escalated', 'request'],
  'grant.activated': ['Grant Activated', 'grant'],
  'grant.extended': ['Grant Extended', 'grant'],
  'grant.revoked': ['Grant Revoked', 'grant'],
  'grant.expired': ['Grant Expired', 'grant'],
  'grant.grantee_added': ['Grant Grantee Added', 'grant'],
  'session.started': ['Session Started', 'session'],
  'session.ended': ['Session Ended', 'session'],
  'session.denied': ['Session Denied', 'denial'],
} as const satisfies Record<string, readonly [string, 'request' | 'grant' | 'session' | 'denial']>;

export type PublishedAction = keyof typeof DETAIL_TYPES;
export type DetailType = (typeof DETAIL_TYPES)[PublishedAction][0];

/** A refused sign-in, as `Session Denied` carries it (there is no session to show). */
export interface Denial {
  agent: AuditEvent['actor'];
  grantId: string | null;
  reason: string | null;
  sourceIp: string | null;
  userAgent: string | null;
}

export interface EventDetail {
  eventId: string;
  tenantId: string;
  at: string;
  request?: AccessRequest;
  grant?: Grant;
  session?: Session;
  denial?: Denial;
}

/** One event as it goes onto the bus. */
export interface BusEvent {
  source: typeof EVENT_SOURCE;
  detailType: DetailType;
  detail: EventDetail;
  /** The change's time (EventBridge's `time`). */
  time: string;
}

/** The bus: puts a batch, answering the indexes of the entries it did not take. Throws when it is down. */
export interface EventBus {
  put(events: BusEvent[]): Promise<{ failed: number[] }>;
}

export const isPublished = (action: string): action is PublishedAction => action in DETAIL_TYPES;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * The event of one audit event, with its resource as the API shows it when the event is published
 * (read now: the detail-type and `at` say what happened, the resource what it is now). Null for an
 * action that is not published (settings changes), for an approval that did not yet complete the
 * request, and for a resource that no longer exists.
 */
export async function eventOf(deps: { store: Store; clock: Clock }, tenantId: string, e: AuditEvent): Promise<BusEvent | null> {
  if (!isPublished(e.action)) return null;
  const [detailType, resource] = DETAIL_TYPES[e.action];
  if (e.action === 'request.approved') {
    const { approvals, approvalsRequired } = e.details as { approvals?: number; approvalsRequired?: number };
    if (typeof approvals === 'number' && typeof approvalsRequired === 'number' && approvals < approvalsRequired) return null;
  }
  const now = deps.clock.now();
  const detail: EventDetail = { eventId: e.eventId, tenantId, at: e.at };
  switch (resource) {
    case 'request': {
      const r = await deps.store.getRequest(tenantId, e.targetId);
      if (!r) return null;
      detail.request = requestView(r, now);
      break;
    }
    case 'grant': {
      const g = await deps.store.getGrant(tenantId, e.targetId);
      if (!g) return null;
      detail.grant = grantView(g, now);
      break;
    }
    case 'session': {
      const s = await deps.store.getSession(tenantId, e.targetId);
      if (!s) return null;
      detail.session = sessionView(s, now);
      break;
    }
    case 'denial':
      detail.denial = {
        agent: e.actor,
        grantId: str(e.details.grantId),
        reason: str(e.details.reason),
        sourceIp: str(e.details.sourceIp),
        userAgent: str(e.details.userAgent),
      };
      break;
  }
  return { source: EVENT_SOURCE, detailType, detail, time: e.at };
}

/** Tries of one batch within a delivery before the batch is failed back to its trigger (which retries it). */
export const PUT_TRIES = 3;

/**
 * Publishes the events of audit events written by committed changes.
 * 1. Build each event (one read of its resource); skip what is not published.
 * 2. Put them on the bus, in batches of 10; put again what the bus did not take, with a short
 *    backoff, up to `PUT_TRIES` times.
 * 3. Still refused, or the bus down: throw, so the trigger retries the whole delivery (the same
 *    `eventId`s) and, after its last try, parks it in its dead-letter queue, which is alarmed.
 */
export async function publishAuditEvents(
  deps: { store: Store; clock: Clock; bus: EventBus; sleep?: (ms: number) => Promise<void> },
  audits: { tenantId: string; event: AuditEvent }[],
): Promise<{ published: number }> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const events = (await Promise.all(audits.map((a) => eventOf(deps, a.tenantId, a.event)))).filter((e): e is BusEvent => e !== null);
  for (let i = 0; i < events.length; i += 10) {
    let batch = events.slice(i, i + 10);
    for (let attempt = 1; ; attempt++) {
      let failed: number[];
      try {
        ({ failed } = await deps.bus.put(batch));
      } catch (e) {
        if (attempt >= PUT_TRIES) throw e;
        failed = batch.map((_, j) => j);
      }
      if (failed.length === 0) break;
      if (attempt >= PUT_TRIES) throw new Error(`the bus refused ${failed.length} event(s) after ${PUT_TRIES} tries`);
      batch = failed.map((j) => batch[j]!);
      await sleep(100 * 2 ** (attempt - 1));
    }
  }
  return { published: events.length };
}
