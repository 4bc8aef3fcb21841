/**
 * The ports of the domain: what it needs from the world, passed in as arguments.
 * Nothing here knows DynamoDB, SES or the local stack.
 */
import type { AccessRequest, AuditEvent, Contact, Grant, Grantee, Policy, Session } from '../contract/schemas.ts';
import type { AccessEntry, IdempotencyRecord, MailKind } from '../contract/records.ts';
import type { Role } from '../contract/routes.ts';

export interface Clock {
  now(): Date;
}

/**
 * Structured log lines (one JSON object each): a message and fields that are ids and figures,
 * never personal data (no emails, names, reasons, addresses). The runtime's logger implements it.
 */
export interface Log {
  info(message: string, ...fields: Record<string, unknown>[]): void;
  warn(message: string, ...fields: Record<string, unknown>[]): void;
  error(message: string, ...fields: Record<string, unknown>[]): void;
}

export interface Ids {
  /** A new time-ordered id (a ULID in production). */
  next(): string;
}

/** Who is calling, as the JWT says. `tenantId` is set for tenant users only. */
export interface Principal {
  id: string;
  /** Canonical (see `canonicalEmail`). */
  email: string;
  /** The token says the email is verified (`email_verified`); contact rights need it. */
  emailVerified: boolean;
  name: string;
  roles: Role[];
  tenantId: string | null;
}

/** A grant as stored: the contract's fields plus what guards its transitions. */
export interface GrantRecord extends Grant {
  /** Bumped by every write to the grant; transitions are conditioned on it. */
  version: number;
  /** Sessions open under this grant, so that ending it ends them in the same transaction. */
  openSessions: string[];
  /**
   * Its extension requests still PENDING, so that ending the grant expires them in the same
   * transaction (absent: none).
   */
  pendingExtensions?: string[];
  /** When its grantees are to be warned that it ends (null or absent: never; see `lifecycle.ts`). */
  warnAt?: string | null;
  /** The warning was sent for the current `expiresAt` (an extension clears it). */
  warned?: boolean;
}

/** A session as stored: the grant's end is kept so a read can tell a session ended by expiry. */
export interface SessionRecord extends Session {
  grantExpiresAt: string | null;
}

export type { AccessEntry };

/**
 * What a sign-in took from the access entry that admitted the caller, which the grant item must say
 * too: the entry is a copy, the grant is what was granted (and what verification checks).
 */
export interface EntryBacking {
  entry: AccessEntry;
  /** The grantee of a named grant the caller was admitted as, as the entry names them; null: the support team. */
  grantee: { id: string; email: string } | null;
}

export interface RequestRecord extends AccessRequest {
  version: number;
  /** When the backup contacts are to be told it is still PENDING (null or absent: never). */
  escalateAt?: string | null;
  /** The escalation was sent. */
  escalated?: boolean;
}

/** An email owed by a change, written in the same transaction as the change (the outbox). */
export interface OutboxMessage {
  messageId: string;
  tenantId: string;
  kind: MailKind;
  createdAt: string;
  /** Everything the template needs, captured when the change happened. */
  payload: Record<string, unknown>;
  /** Explicit recipients; absent: the tenant's authorized contacts when the mail is sent. */
  to?: string[];
  /**
   * Which contacts, when `to` is absent: `primary` (every contact when none is primary), `backup`,
   * or (absent) all of them.
   */
  toTier?: 'primary' | 'backup';
}

export type { MailKind };

/** Opaque position in a list; the HTTP layer signs it into a cursor. */
export type PageKey = Record<string, unknown>;
export interface Page<T> {
  items: T[];
  next: PageKey | null;
}
/** The login history's filters: sign-in time between `from` and `to` (inclusive), the person's email. */
export interface SessionFilter {
  from?: string | undefined;
  to?: string | undefined;
  accessedBy?: string | undefined;
}

export interface PageInput {
  limit: number;
  after?: PageKey | undefined;
}

/** Something that falls due: a grant or a request past its `expiresAt`. */
export interface DueItem {
  kind: 'grant' | 'request';
  tenantId: string;
  id: string;
}

export interface Change {
  audit: AuditEvent[];
  outbox: OutboxMessage[];
}

/** Persistence. Every write method is one atomic transaction guarded by conditions. */
export interface Store {
  // contacts and policy
  listContacts(tenantId: string): Promise<Contact[]>;
  getContact(tenantId: string, email: string): Promise<Contact | null>;
  /**
   * Writes a contact: a new one when `expected` is null, else over `expected` unchanged since it
   * was read. A lost race throws `ConcurrentUpdateError`.
   */
  saveContact(tenantId: string, contact: Contact, expected: Contact | null, change: Change): Promise<void>;
  /** Throws `NotFoundError` when there is no such contact. */
  deleteContact(tenantId: string, email: string, change: Change): Promise<void>;
  getPolicy(tenantId: string): Promise<Policy | null>;
  putPolicy(tenantId: string, policy: Policy, change: Change): Promise<void>;

  // grants
  createGrant(grant: GrantRecord, change: Change): Promise<void>;
  getGrant(tenantId: string, grantId: string): Promise<GrantRecord | null>;
  /**
   * Grants newest first that `keep` accepts. With `filter`, only those whose status as of `now` is
   * `filter.status` can be kept, and the store reads by status instead of reading every grant.
   */
  listGrants(tenantId: string, page: PageInput, keep: (g: GrantRecord) => boolean, filter?: StatusFilter): Promise<Page<GrantRecord>>;
  /** Conditioned on `expected.version` and ACTIVE; throws `ConcurrentUpdateError` when it lost. */
  addGrantee(expected: GrantRecord, grantee: Grantee, change: Change): Promise<GrantRecord>;
  /**
   * ACTIVE → REVOKED or EXPIRED, with its open sessions ended; conditioned on `expected.version`.
   * `lapsed`: its PENDING extension requests as they end (EXPIRED), written in the same transaction.
   */
  endGrant(expected: GrantRecord, ended: GrantRecord, sessionEnd: SessionEnd, change: Change, lapsed?: RequestRecord[]): Promise<void>;
  /**
   * Moves an ACTIVE grant's end (an extension): the grant and its access entries rewritten,
   * conditioned on `expected.version`, ACTIVE and not yet expired at `now`; with `request`, that
   * extension request's decision in the same transaction. A lost race: `ConcurrentUpdateError`.
   */
  extendGrant(
    expected: GrantRecord,
    next: GrantRecord,
    now: string,
    change: Change,
    request?: { expected: RequestRecord; next: RequestRecord },
  ): Promise<void>;
  /**
   * Writes a new PENDING extension request (counted like `createRequest`) and records it on its
   * grant, which must still be ACTIVE and unexpired at `now`; else `ConcurrentUpdateError`.
   */
  createExtensionRequest(request: RequestRecord, now: string, change: Change, maxPending: number): Promise<void>;
  /** Rewrites an ACTIVE grant's bookkeeping (the warning sent), conditioned on `expected.version`. */
  saveGrant(expected: GrantRecord, next: GrantRecord, change: Change): Promise<void>;
  /** The sessions opened under a grant (any state), oldest first. */
  grantSessions(tenantId: string, grantId: string): Promise<SessionRecord[]>;
  /** A page of the sessions opened under a grant, newest first (its GSI2 partition). */
  listGrantSessions(tenantId: string, grantId: string, page: PageInput): Promise<Page<SessionRecord>>;

  // access and sessions
  /** The live access entries of the agent and of the support team for a tenant: one request. */
  accessEntries(tenantId: string, agentId: string): Promise<AccessEntry[]>;
  /**
   * The live grants naming the agent or the whole team, across tenants, as of their last change:
   * only those whose end is after `now` are read.
   */
  grantsCovering(agentId: string, now: string): Promise<Grant[]>;
  /**
   * Opens the session if the grant is still ACTIVE and unexpired at `now` and says what `backing`
   * took from the access entry (else `GrantMismatchError`); a conflicting write: `ConcurrentUpdateError`.
   */
  startSession(session: SessionRecord, now: string, change: Change, backing: EntryBacking): Promise<void>;
  /** Conditioned on the session being open; else `ConcurrentUpdateError`. */
  endSession(session: SessionRecord, change: Change): Promise<void>;
  getSession(tenantId: string, sessionId: string): Promise<SessionRecord | null>;
  /** The login history, newest first; `filter` narrows it by a key condition (see `SessionFilter`). */
  listSessions(tenantId: string, page: PageInput, filter?: SessionFilter): Promise<Page<SessionRecord>>;

  // access requests
  /**
   * Writes a new PENDING request and counts it among its requester's PENDING requests at the
   * tenant, in one transaction; `LimitReachedError` when `maxPending` are PENDING already.
   * Leaving PENDING (`updateRequest` to any other status) takes it off the count.
   */
  createRequest(request: RequestRecord, change: Change, maxPending: number): Promise<void>;
  getRequest(tenantId: string, requestId: string): Promise<RequestRecord | null>;
  /** Requests newest first that `keep` accepts; `filter` as for `listGrants`. */
  listRequests(tenantId: string, page: PageInput, keep: (r: RequestRecord) => boolean, filter?: StatusFilter): Promise<Page<RequestRecord>>;
  /**
   * The requests made by one requester (`requestedBy.id`), every tenant, newest first, that `keep`
   * accepts: one partition (GSI3), read from the position on until a page is kept.
   */
  listRequestsBy(requesterId: string, page: PageInput, keep: (r: RequestRecord) => boolean): Promise<Page<RequestRecord>>;
  /**
   * Writes the request conditioned on `expected.version` and PENDING; with `grant`, activates it
   * in the same transaction.
   */
  updateRequest(expected: RequestRecord, next: RequestRecord, grant: GrantRecord | null, change: Change): Promise<void>;

  // audit and the due-at index
  appendAudit(tenantId: string, change: Change): Promise<void>;
  /**
   * Counts one refused sign-in into `event` (a `session.denied` with a window's fixed id): writes
   * it with `details.count` 1 when absent, else adds 1 to its count, in one atomic write; it is
   * not sealed before `sealAfter`. False, changing nothing, when it is sealed already.
   */
  countRefusal(tenantId: string, event: AuditEvent, sealAfter: string): Promise<boolean>;
  /** Whether the tenant has any audit event: every change of a tenant that exists wrote one. */
  hasAuditTrail(tenantId: string): Promise<boolean>;
  listAudit(tenantId: string, page: PageInput, range?: TimeRange): Promise<Page<AuditEvent>>;
  /** Items of one shard whose deadline is at or before `now`, oldest deadline first. */
  dueItems(shard: number, now: string, page: PageInput): Promise<Page<DueItem>>;
}

/** Items made in `[from, to)` (sessions by sign-in, audit events by time). */
export interface TimeRange {
  from: string;
  to: string;
}

/** A list asked for one status as of `now` (a grant or request past its `expiresAt` shows EXPIRED). */
export interface StatusFilter {
  status: string;
  now: string;
}

/** How the open sessions of an ending grant end. */
export interface SessionEnd {
  at: string;
  endedBy: 'revoked' | 'expired';
  /** The `session.ended` event of each open session, by session id, written with its end. */
  audit: Record<string, AuditEvent>;
}

// ---- the outbox ------------------------------------------------------------------------------

export type OutboxStatus = 'PENDING' | 'SENDING' | 'SENT' | 'FAILED';
export interface OutboxRecord extends OutboxMessage {
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  sentAt: string | null;
  leaseUntil: string | null;
  /** Recipients already sent to, so a retry after a partial failure skips them. */
  sentTo: string[];
}

/** The outbox as the delivery sees it. */
export interface OutboxStore {
  getOutbox(messageId: string): Promise<OutboxRecord | null>;
  /** Messages due for a (re)try at `now`, one shard. */
  dueOutbox(shard: number, now: string, limit: number): Promise<string[]>;
  /** Takes the message for sending until `leaseUntil`; false if another sender has it or it is done. */
  claimOutbox(messageId: string, now: string, leaseUntil: string): Promise<OutboxRecord | null>;
  /** Records that one recipient got the message. */
  markRecipientSent(messageId: string, email: string): Promise<void>;
  markSent(messageId: string, now: string, ttl: number): Promise<void>;
  /** Records a failed try: due again at `nextAttemptAt`, or FAILED (the dead letter) when null. */
  markFailed(messageId: string, error: string, nextAttemptAt: string | null): Promise<void>;
  listFailedOutbox(limit: number): Promise<OutboxRecord[]>;
  /** Puts a FAILED message back in line, its tries counted from zero. */
  redriveOutbox(messageId: string, now: string): Promise<boolean>;
}

/** Where an audit event sits in its tenant's hash chain (see `audit-chain.ts`). */
export interface ChainLink {
  seq: number;
  /** The hash of the link before (`GENESIS` for the first). */
  prev: string;
  hash: string;
}

/** The last sealed link of a tenant's chain. */
export interface ChainHead {
  seq: number;
  hash: string;
  eventId: string;
  sealedAt: string;
}

/** An audit event as stored, with its link once sealed. */
export interface StoredAuditEvent {
  tenantId: string;
  event: AuditEvent;
  /** null: not sealed yet; `malformed`: a `chain` field is there but is no link (edited by hand). */
  link: ChainLink | 'malformed' | null;
  /** The MAC the API wrote with the event (see `kernel/audit-mac.ts`); absent: none. */
  mac?: string | null;
  /** Not to be sealed before this instant (an event that may still change until then). */
  sealAfter?: string | undefined;
}

/** The audit hash chain as the sealer and the verifier see it. */
export interface AuditChainStore {
  /**
   * Audit events not yet sealed, one shard of tenants, by tenant then oldest first, starting with
   * the first tenant after `afterTenant` (null: from the start).
   */
  unsealedAudit(shard: number, afterTenant: string | null, limit: number): Promise<StoredAuditEvent[]>;
  /** Events of one shard that had to wait (`sealAfter`) and are due at `now`, soonest due first. */
  dueDeferredAudit(shard: number, now: string, page: PageInput): Promise<Page<StoredAuditEvent>>;
  chainHead(tenantId: string): Promise<ChainHead | null>;
  /**
   * Links `links` into the chain and moves the head to `head`, in one transaction, only if the head
   * is still `expected` and none of the events is sealed yet; else `ConcurrentUpdateError`. The
   * same write puts the tenant in the verification queue (`tenantsToVerify`), keeping the time it
   * was queued if it already waits.
   */
  sealAudit(tenantId: string, expected: ChainHead | null, links: { eventId: string; link: ChainLink }[], head: ChainHead): Promise<void>;
  /** Every audit event of a tenant, sealed or not (the verifier reads them all). */
  allAudit(tenantId: string): Promise<StoredAuditEvent[]>;
}

export type { IdempotencyRecord };

/** The records of `Idempotency-Key`s (see `lambdas/kernel/http/api.ts`). */
export interface IdempotencyStore {
  /** Claims the key; returns the existing record when there is a live one. */
  beginIdempotent(
    tenantId: string,
    scope: string,
    key: string,
    hash: string,
    nowSeconds: number,
    ttlSeconds: number,
  ): Promise<IdempotencyRecord | null>;
  completeIdempotent(tenantId: string, scope: string, key: string, response: { statusCode: number; body: string }): Promise<void>;
  releaseIdempotent(tenantId: string, scope: string, key: string): Promise<void>;
}

// The verification's ports (checkpoint, stored grants and access entries) live in `audit-ports.ts`.
export type { AuditCheckpoint, AuditVerifyStore, StoredAccessEntry, StoredGrantState, StoredScope } from './audit-ports.ts';

/** Sends one email. Throws when the provider refused or failed. */
export interface Mailer {
  send(mail: { to: string[]; subject: string; text: string; html: string }): Promise<{ providerId: string }>;
}

/** What every service is given. */
export interface Deps {
  store: Store;
  clock: Clock;
  ids: Ids;
  /**
   * The deployment's support email domains (`SUPPORT_EMAIL_DOMAINS`): a grantee's email must be in
   * one. Absent: no grantee can be named (fail closed).
   */
  supportEmailDomains?: readonly string[];
}
