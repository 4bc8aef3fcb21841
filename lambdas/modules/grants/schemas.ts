/** The grants module's part of the v1 contract's schemas (re-exported by `lambdas/contract/schemas.ts`). */
import * as z from 'zod';
import { Actor, Email, Id, Scope, Timestamp, lazily, text } from '../../contract/schema-base.ts';

// ---- grants ----------------------------------------------------------------------------------

export const GrantStatus = lazily(() => z.enum(['ACTIVE', 'REVOKED', 'EXPIRED']));
export type GrantStatus = z.infer<typeof GrantStatus>;
export const GranteeInput = lazily(() => z.strictObject({ id: Id, email: Email, name: text(1, 100) }));
export type GranteeInput = z.infer<typeof GranteeInput>;
export const Grantee = lazily(() => z.object({ id: z.string(), email: z.string(), name: z.string(), addedAt: Timestamp, addedBy: Actor }));
export type Grantee = z.infer<typeof Grantee>;
/** A grant names at most this many people, so that ending it stays one transaction. */
export const MAX_GRANTEES = 20;

const Grantees = lazily(() =>
  z
    .array(GranteeInput)
    .min(1)
    .max(MAX_GRANTEES)
    .refine((g) => new Set(g.map((x) => x.id)).size === g.length, 'must not name the same grantee twice'),
);

/** Whom a grant covers: the whole support team, or the grantees it names. */
export const Audience = lazily(() => z.enum(['support-team', 'named']));

export const Grant = lazily(() =>
  z.object({
    grantId: z.string(),
    tenantId: z.string(),
    status: GrantStatus,
    origin: z.enum(['tenant-admin', 'access-request', 'upfront-approval']),
    requestId: z.string().nullable(),
    ticketId: z.string().nullable(),
    reason: z.string(),
    scope: Scope,
    audience: Audience,
    grantees: z.array(Grantee),
    grantedBy: Actor,
    approvedBy: z.array(Actor),
    createdAt: Timestamp,
    expiresAt: Timestamp.nullable().describe('null: standing access'),
    endedAt: Timestamp.nullable(),
    endedBy: Actor.nullable().describe('who revoked it; null while ACTIVE and when it expired'),
    endReason: z.string().nullable(),
  }),
);
export type Grant = z.infer<typeof Grant>;

export const DurationHours = lazily(() => z.int().min(1).max(720));
export const TicketId = lazily(() => text(1, 64));
export const Reason = lazily(() => text(1, 500));

/** A tenant admin switches access on directly. */
export const AdminGrantBody = lazily(() =>
  z
    .strictObject({
      reason: Reason,
      scope: Scope,
      durationHours: DurationHours.optional(),
      standing: z.literal(true).optional(),
      ticketId: TicketId.optional(),
      grantees: Grantees.optional().describe('No grantees: the whole support team'),
    })
    .superRefine((b, ctx) => {
      if (b.durationHours === undefined && b.standing === undefined) {
        ctx.addIssue({ code: 'custom', path: ['durationHours'], message: 'give durationHours, or standing: true' });
      }
      if (b.durationHours !== undefined && b.standing !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['standing'], message: 'give durationHours or standing, not both' });
      }
    }),
);
export type AdminGrantBody = z.infer<typeof AdminGrantBody>;

/** A support lead records an approval that a contact gave upfront. */
export const UpfrontGrantBody = lazily(() =>
  z.strictObject({
    ticketId: TicketId,
    reason: Reason,
    scope: Scope,
    durationHours: DurationHours,
    approvedBy: z
      .union([
        Email,
        z
          .array(Email)
          .min(1)
          .max(3)
          .refine((a) => new Set(a).size === a.length, 'must not name the same contact twice'),
      ])
      .describe("the authorized contact(s) who approved: one email, or 1-3 different ones; at least the policy's approvalsRequired"),
    grantees: Grantees.optional().describe('No grantees: the whole support team'),
  }),
);
export type UpfrontGrantBody = z.infer<typeof UpfrontGrantBody>;
export const CreateGrantBody = lazily(() => z.union([AdminGrantBody, UpfrontGrantBody]));

export const AddGranteeBody = lazily(() => GranteeInput);
export const RevokeGrantBody = lazily(() => z.strictObject({ reason: Reason.optional() }));
export type RevokeGrantBody = z.infer<typeof RevokeGrantBody>;
