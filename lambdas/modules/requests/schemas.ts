/** The requests module's part of the v1 contract's schemas (re-exported by `lambdas/contract/schemas.ts`). */
import * as z from 'zod';
import { Actor, Scope, Timestamp, lazily, text } from '../../contract/schema-base.ts';
import { DurationHours, Grant, Reason, TicketId } from '../grants/schemas.ts';

// ---- access requests -------------------------------------------------------------------------

export const RequestStatus = lazily(() => z.enum(['PENDING', 'APPROVED', 'DENIED', 'CANCELLED', 'EXPIRED']));
export type RequestStatus = z.infer<typeof RequestStatus>;
export const RequestKind = lazily(() =>
  z
    .enum(['access', 'extension'])
    .describe('access: asks for a new grant; extension: asks for more time on the ACTIVE grant `grantId` (v1.1)'),
);
export const AccessRequest = lazily(() =>
  z.object({
    requestId: z.string(),
    tenantId: z.string(),
    // Requests stored before v1.1 have no kind: they asked for access.
    kind: RequestKind.default('access'),
    status: RequestStatus,
    ticketId: z.string(),
    reason: z.string(),
    scope: Scope,
    durationHours: z.int(),
    requestedBy: Actor,
    requestedAt: Timestamp,
    expiresAt: Timestamp,
    approvals: z.array(z.object({ by: Actor, at: Timestamp, comment: z.string().optional() })),
    decidedAt: Timestamp.nullable(),
    decidedBy: Actor.nullable(),
    grantId: z.string().nullable().describe('access: the grant its approval made; extension: the grant it would extend (set at creation)'),
  }),
);
export type AccessRequest = z.infer<typeof AccessRequest>;
export const CreateRequestBody = lazily(() =>
  z.strictObject({ ticketId: TicketId, reason: Reason, scope: Scope, durationHours: DurationHours }),
);
export type CreateRequestBody = z.infer<typeof CreateRequestBody>;
export const DecisionBody = lazily(() => z.strictObject({ comment: text(1, 500).optional() }));
export type DecisionBody = z.infer<typeof DecisionBody>;

/** More time on an ACTIVE grant (v1.1); `hours` is also capped by the policy's `maxDurationHours`. */
export const ExtensionBody = lazily(() => z.strictObject({ hours: DurationHours, reason: Reason }));
export type ExtensionBody = z.infer<typeof ExtensionBody>;
/** A tenant admin's extension answers the extended grant; anyone else's asks, with a request. */
export const ExtensionResult = lazily(() => z.union([Grant, AccessRequest]));
