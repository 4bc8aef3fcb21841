/**
 * Records the store keeps that are not in the REST contract, as zod schemas: the one source of
 * their types, and what the store parses each item with when it reads it.
 */
import * as z from 'zod';
import { Actor, Audience, lazily, Scope } from './schemas.ts';

/** An `Idempotency-Key`'s record: claimed (IN_PROGRESS), or COMPLETED with the answer to replay. */
export const IdempotencyRecord = lazily(() =>
  z.object({
    status: z.enum(['IN_PROGRESS', 'COMPLETED']),
    hash: z.string(),
    /** Epoch seconds; past it the record is as good as absent. */
    expiresAt: z.number(),
    response: z.object({ statusCode: z.int(), body: z.string() }).optional(),
  }),
);
export type IdempotencyRecord = z.infer<typeof IdempotencyRecord>;

/** The emails the outbox carries, one template each (`domain/mail.ts`). */
export const MailKind = lazily(() =>
  z.enum([
    'request.created',
    'request.denied',
    'request.approved',
    'request.expired',
    'request.decided',
    'request.escalated',
    'grant.extended',
    'grant.expiring',
    'grant.activated',
    'grant.grantee_added',
    'grant.revoked',
    'grant.expired',
    'session.started',
  ]),
);
export type MailKind = z.infer<typeof MailKind>;

/** A live grant as seen from one principal (an agent, or the whole support team). */
export const AccessEntry = lazily(() =>
  z.object({
    tenantId: z.string(),
    grantId: z.string(),
    scope: Scope,
    expiresAt: z.string().nullable(),
    grantedBy: Actor,
    createdAt: z.string(),
    /** The grant's ticket and reason, which the sign-in email names (absent on older entries). */
    ticketId: z.string().nullable().optional(),
    reason: z.string().optional(),
    /** Whom the grant names: sign-in under a named grant matches the grantee's `sub` and email. */
    audience: Audience,
    grantees: z.array(z.object({ id: z.string(), email: z.string() })),
  }),
);
export type AccessEntry = z.infer<typeof AccessEntry>;
