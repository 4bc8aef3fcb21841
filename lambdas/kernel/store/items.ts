/**
 * The one shape of each entity in the table (items built from records) and the way back (every
 * item parsed with zod when read, never cast), for the entities without a module entity file of
 * their own: requests, grants, access entries and sessions are in the `entity.ts` of
 * `modules/requests`, `modules/grants` and `modules/sessions`. Key attribute names come from `contract/table.ts`.
 */
import * as z from 'zod';
import { MailKind } from '../../contract/records.ts';
import { AuditEvent, Contact, lazily } from '../../contract/schemas.ts';
import { attr, keyAttributes, keys } from '../../contract/table.ts';
import type { OutboxMessage, OutboxRecord, StoredAuditEvent } from '../ports.ts';

export type Item = Record<string, unknown>;

// ---- parsing items back into records (zod, not casts) ----------------------------------------

/** String sets come back as `Set`; absent when empty. */
export const toArray = (v: unknown): string[] => (v instanceof Set ? [...(v as Set<string>)] : Array.isArray(v) ? v : []);

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
