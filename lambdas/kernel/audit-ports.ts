/** The ports of incremental audit verification (`modules/audit/verify.ts`, `modules/audit/grants.ts`), apart from `ports.ts`. */
import type { AccessPrincipal } from '../contract/table.ts';
import type { StoredAuditEvent } from './ports.ts';

/**
 * A verification checkpoint as stored: the chain was verified whole up to `seq` (link hash
 * `hash`) at `at`, and every event after it has an id of at least `fromEventId`. Its `mac` (under
 * the chain key) is what makes it trusted (see `audit-verify.ts`).
 */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  /** The event at `seq` ('' at 0): the next verification finds it still in place. */
  eventId: string;
  fromEventId: string;
  at: string;
  mac: string;
}

/** A grant's state as stored, read leniently (a hand-edited item still reads), for verification. */
export interface StoredGrantState {
  grantId: string;
  status: string;
  expiresAt: string | null;
  grantees: { id: string; email: string; addedAt: string }[];
  endedAt: string | null;
  audience: string;
  /** null: none stored (or not an object). */
  scope: StoredScope | null;
}

/** A scope as stored, read leniently. */
export interface StoredScope {
  level: string;
  modules?: string[] | undefined;
}

/**
 * An access entry as stored (what the access check and sign-in read: the scope and end of the
 * session token, and whom it covers), read leniently, with the principal its key names.
 */
export interface StoredAccessEntry {
  principal: AccessPrincipal;
  grantId: string;
  audience: string;
  scope: StoredScope | null;
  expiresAt: string | null;
  grantees: { id: string; email: string; addedAt: string }[];
}

/** What incremental verification reads and writes besides the chain (`audit-verify.ts`). */
export interface AuditVerifyStore {
  /**
   * A tenant's audit events with ids from `fromEventId` on (null: from the first), in id order, at
   * most `limit`; `more` tells whether the read stopped before the end of the trail.
   */
  auditFrom(tenantId: string, fromEventId: string | null, limit: number): Promise<{ items: StoredAuditEvent[]; more: boolean }>;
  /** The tenant's checkpoint: null when none, `malformed` when the item is no checkpoint. */
  auditCheckpoint(tenantId: string): Promise<AuditCheckpoint | 'malformed' | null>;
  /**
   * Saves the tenant's checkpoint. `queuedSince`: the verification stopped short of the head, so
   * the tenant is put in the verification queue (from that time) for the job to go on.
   */
  putAuditCheckpoint(tenantId: string, checkpoint: AuditCheckpoint, queuedSince?: string | null): Promise<void>;
  /**
   * Grants by id: the ones named, or (`fromGrantId`) every grant with an id from it on (null: all),
   * or (`active`) the grants stored ACTIVE (their status index).
   */
  grantStates(tenantId: string, which: { ids: string[] } | { fromGrantId: string | null } | { active: true }): Promise<StoredGrantState[]>;
  /** Every access entry of the tenant stored under each of `principals` (one query of each principal's partition). */
  accessEntryStates(tenantId: string, principals: AccessPrincipal[]): Promise<StoredAccessEntry[]>;
  /**
   * The verification queue of one shard of tenants (see `audit-watch.ts`): tenants sealed since
   * their checkpoint last reached their head, or whose last verification stopped short, longest
   * waiting first, at most `limit` entries (a tenant may be listed twice: by its head and by its
   * checkpoint).
   */
  tenantsToVerify(shard: number, limit: number): Promise<{ tenantId: string; since: string }[]>;
  /** Takes the tenant out of the queue if its head is still `head` (a head sealed since keeps it in). */
  verifiedToHead(tenantId: string, head: { seq: number; hash: string }): Promise<void>;
  /** Moves a tenant still in the queue to its back (`since`: now), behind the tenants waiting. */
  requeueVerify(tenantId: string, since: string): Promise<void>;
}
