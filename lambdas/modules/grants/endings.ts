/**
 * What the end of a grant owes besides the grant itself: the end-of-access digest (every session
 * under it) and the lapse of its PENDING extension requests.
 */
import type { Actor } from '../../contract/schemas.ts';
import { auditEvent, outboxMessage, SYSTEM } from '../../kernel/model.ts';
import type { Change, Ids, RequestRecord, SessionRecord } from '../../kernel/ports.ts';
import type { GrantRecord } from './entity.ts';

/** The digest lists at most this many sessions (the newest); its totals count them all. */
export const DIGEST_MAX_SESSIONS = 50;

/** One session as the end-of-access digest shows it. */
export interface DigestSession {
  sessionId: string;
  accessedBy: Actor;
  reason: string;
  signInAt: string;
  signOutAt: string;
  endedBy: 'agent' | 'revoked' | 'expired';
  sourceIp: string;
  userAgent: string;
}

export interface Digest {
  sessions: DigestSession[];
  /** Every session under the grant, listed or not. */
  sessionCount: number;
  /** Their total time, in milliseconds. */
  totalMs: number;
}

/**
 * The digest of a grant ending at `at`: its sessions as they will be once the end is written
 * (an open one ends at `at`, `endedBy` the grant's end), newest first.
 */
export function digestOf(sessions: SessionRecord[], at: string, endedBy: 'revoked' | 'expired'): Digest {
  const ended: DigestSession[] = sessions.map((s) => ({
    sessionId: s.sessionId,
    accessedBy: s.accessedBy,
    reason: s.reason,
    signInAt: s.signInAt,
    signOutAt: s.signOutAt ?? at,
    endedBy: s.signOutAt === null ? endedBy : (s.endedBy ?? 'agent'),
    sourceIp: s.sourceIp,
    userAgent: s.userAgent,
  }));
  ended.sort((a, b) => (a.signInAt < b.signInAt ? 1 : -1));
  const totalMs = ended.reduce((sum, s) => sum + Math.max(0, Date.parse(s.signOutAt) - Date.parse(s.signInAt)), 0);
  return { sessions: ended.slice(0, DIGEST_MAX_SESSIONS), sessionCount: ended.length, totalMs };
}

/**
 * The PENDING extension requests of a grant that is ending, as they end (EXPIRED), with their
 * `request.expired` events and the email each requester is owed. `requests` are those its
 * `pendingExtensions` name, read in the same attempt as the grant: every change to the list bumps
 * the grant's version, so a stale list loses the write. One no longer PENDING is left alone.
 */
export function lapse(
  make: { ids: Ids },
  now: Date,
  g: GrantRecord,
  requests: RequestRecord[],
): { lapsed: RequestRecord[]; change: Change } {
  const change: Change = { audit: [], outbox: [] };
  const lapsed: RequestRecord[] = [];
  for (const r of requests) {
    if (r.status !== 'PENDING') continue;
    const next: RequestRecord = { ...r, status: 'EXPIRED', version: r.version + 1 };
    lapsed.push(next);
    change.audit.push(auditEvent(make.ids, now, SYSTEM, 'request.expired', r.requestId, { expiresAt: r.expiresAt, grantEnded: g.grantId }));
    const { version: _v, escalateAt: _e, escalated: _d, ...view } = next;
    change.outbox.push(
      outboxMessage(make, now, g.tenantId, 'request.expired', { request: view, because: 'grant-ended' }, [r.requestedBy.email]),
    );
  }
  return { lapsed, change };
}
