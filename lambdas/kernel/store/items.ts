/**
 * The one shape of each entity in the table (items built from records) and the way back (every
 * item parsed with zod when read, never cast). Key attribute names come from `contract/table.ts`.
 */
import * as z from 'zod';
import { AccessEntry, MailKind } from '../../contract/records.ts';
import { AuditEvent, Contact, Grant, lazily, Session } from '../../contract/schemas.ts';
import { attr, keyAttributes, keys, type AccessPrincipal } from '../../contract/table.ts';
import { canonicalEmail } from '../identity.ts';
import type { GrantRecord, OutboxMessage, OutboxRecord, SessionRecord, StoredAuditEvent } from '../ports.ts';

export type Item = Record<string, unknown>;

// ---- parsing items back into records (zod, not casts) ----------------------------------------

const GrantRecordSchema = lazily(() =>
  Grant.unwrap().extend({
    version: z.int(),
    openSessions: z.array(z.string()),
    pendingExtensions: z.array(z.string()).optional(),
    warnAt: z.string().nullable().optional(),
    warned: z.boolean().optional(),
  }),
);
const SessionRecordSchema = lazily(() => Session.unwrap().extend({ grantExpiresAt: z.string().nullable() }));
/** String sets come back as `Set`; absent when empty. */
export const toArray = (v: unknown): string[] => (v instanceof Set ? [...(v as Set<string>)] : Array.isArray(v) ? v : []);

export const parseGrant = (i: Item): GrantRecord =>
  GrantRecordSchema.parse({
    ...i,
    openSessions: toArray(i.openSessions),
    ...(i.pendingExtensions ? { pendingExtensions: toArray(i.pendingExtensions) } : {}),
  });
export const parseSession = (i: Item): SessionRecord => SessionRecordSchema.parse(i);
export const parseEntry = (i: Item): AccessEntry => AccessEntry.parse(i);
export const parseContact = (i: Item): Contact => Contact.parse(i);
export const parseAudit = (i: Item): AuditEvent => AuditEvent.parse(withRefusals(i));

/**
 * A `session.denied` event that counts refusals keeps its count in a top-level `refusals` number
 * (an atomic `ADD` cannot create a field inside a map the same write creates); it reads, is
 * sealed and is verified as `details.count`.
 */
export function withRefusals(i: Item): Item {
  if (typeof i.refusals !== 'number' || typeof i.details !== 'object' || i.details === null) return i;
  const { refusals, sealAfter: _s, ...rest } = i;
  return { ...rest, details: { ...(i.details as Item), count: refusals } };
}

/** Drops the key attributes and the type tag so only the record's own fields are left. */
export function strip(item: Item): Item {
  return Object.fromEntries(Object.entries(item).filter(([k]) => !keyAttributes.includes(k)));
}

// ---- items: the one shape of each entity in the table ---------------------------------------

/** An audit event, marked to be sealed into its tenant's hash chain (the sparse `SEAL#n` keys). */
export const auditItem = (tenantId: string, e: AuditEvent): Item => ({
  ...keys.audit(tenantId, e.eventId),
  ...keys.sealQueue(tenantId, e.at, e.eventId),
  [attr.type]: 'audit',
  tenantId,
  ...e,
});

/** Who a grant covers: the whole support team, or each named grantee. */
export const principalsOf = (g: { audience: Grant['audience']; grantees: { id: string }[] }): AccessPrincipal[] =>
  g.audience === 'support-team' ? [{ kind: 'team' }] : g.grantees.map((x) => ({ kind: 'agent', id: x.id }));

/**
 * The access entry of a live grant for one principal. The access check reads its scope and end;
 * it carries a copy of the whole grant (as of its last change) so that `GET /v1/me/grants` is one
 * read of GSI1, with no second read of the grants.
 */
export const entryItem = (g: GrantRecord, p: AccessPrincipal): Item => {
  const { version: _v, openSessions: _o, pendingExtensions: _p, warnAt: _w, warned: _d, ...grant } = g;
  return {
    ...keys.accessEntry(g.tenantId, p, g.grantId),
    [attr.gsi1pk]: keys.principalIndex(p),
    [attr.gsi1sk]: keys.principalSort(g.expiresAt, g.tenantId, g.grantId),
    [attr.type]: 'access',
    ...grant,
  };
};

/**
 * When the expiry job next has something to do for a grant: its warning while that is owed, else
 * its end. One due entry per item, always the next action, keeps the index sparse.
 */
export const grantDueAt = (g: GrantRecord): string | null =>
  g.status !== 'ACTIVE' || !g.expiresAt ? null : g.warnAt && !g.warned && g.warnAt < g.expiresAt ? g.warnAt : g.expiresAt;
/** A grant; while ACTIVE with an end it carries its GSI2 due keys (see `grantDueAt`). */
export const grantItem = (g: GrantRecord): Item => {
  const { openSessions, pendingExtensions, ...rest } = g;
  const dueAt = grantDueAt(g);
  return {
    ...keys.grant(g.tenantId, g.grantId),
    ...keys.byStatus(g.tenantId, 'GRANT', g.status, g.grantId),
    [attr.type]: 'grant',
    ...rest,
    ...(openSessions.length ? { openSessions: new Set(openSessions) } : {}),
    ...(pendingExtensions?.length ? { pendingExtensions: new Set(pendingExtensions) } : {}),
    ...(dueAt ? keys.due('EXPIRY', g.grantId, dueAt, `GRANT#${g.tenantId}#${g.grantId}`) : {}),
  };
};

export const sessionItem = (s: SessionRecord): Item => ({
  ...keys.session(s.tenantId, s.sessionId),
  ...keys.byGrant(s.tenantId, s.grantId, s.sessionId),
  ...keys.sessionByPerson(s.tenantId, canonicalEmail(s.accessedBy.email), s.sessionId),
  [attr.type]: 'session',
  ...s,
});

// ---- the audit hash chain ----

const ChainLinkSchema = lazily(() => z.object({ seq: z.int().positive(), prev: z.string(), hash: z.string() }));
export const ChainHeadSchema = lazily(() =>
  z.object({ seq: z.int().positive(), hash: z.string(), eventId: z.string(), sealedAt: z.string() }),
);
/**
 * Reads an audit item leniently: what was edited into something that no longer parses is kept as
 * stored (its hash will not match, so the verifier reports it), instead of failing the whole read.
 */
export const parseStoredAudit = (i: Item): StoredAuditEvent => {
  const raw = withRefusals(strip(i));
  const event = AuditEvent.safeParse(raw);
  const link = i.chain === undefined ? null : ChainLinkSchema.safeParse(i.chain);
  return {
    tenantId: String(i.tenantId),
    event: event.success
      ? event.data
      : ({ ...raw, eventId: String(i[attr.sk]).slice(keys.auditPrefix(String(i.tenantId)).SK.length) } as AuditEvent),
    link: link === null ? null : link.success ? link.data : 'malformed',
    mac: typeof i.mac === 'string' ? i.mac : null,
    ...(typeof i.sealAfter === 'string' ? { sealAfter: i.sealAfter } : {}),
  };
};

// ---- the outbox ----

export function outboxItem(m: OutboxMessage): Item {
  return {
    ...keys.outbox(m.messageId),
    ...keys.due('OUTBOX', m.messageId, m.createdAt, m.messageId),
    [attr.type]: 'outbox',
    ...m,
    status: 'PENDING',
    attempts: 0,
    nextAttemptAt: m.createdAt,
    lastError: null,
    sentAt: null,
    leaseUntil: null,
  };
}

const OutboxRecordSchema = lazily(() =>
  z.object({
    messageId: z.string(),
    tenantId: z.string(),
    kind: MailKind,
    createdAt: z.string(),
    payload: z.record(z.string(), z.unknown()),
    to: z.array(z.string()).optional(),
    toTier: z.enum(['primary', 'backup']).optional(),
    status: z.enum(['PENDING', 'SENDING', 'SENT', 'FAILED']),
    attempts: z.int(),
    nextAttemptAt: z.string(),
    lastError: z.string().nullable(),
    sentAt: z.string().nullable(),
    // Removed once a try ends (sent, failed or put back in line): absent reads as no lease.
    leaseUntil: z.string().nullable().default(null),
    sentTo: z.array(z.string()),
  }),
);
export const parseOutbox = (i: Item): OutboxRecord => OutboxRecordSchema.parse({ ...strip(i), sentTo: toArray(i.sentTo) });
