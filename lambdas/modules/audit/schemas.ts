/** The audit module's part of the v1 contract's schemas (re-exported by `lambdas/contract/schemas.ts`). */
import * as z from 'zod';
import { Actor, SystemActor, Timestamp, lazily } from '../../contract/schema-base.ts';

// ---- audit -----------------------------------------------------------------------------------

export const AuditAction = lazily(() =>
  z.enum([
    'contact.added',
    'contact.removed',
    'policy.updated',
    'request.created',
    'request.approved',
    'request.denied',
    'request.cancelled',
    'request.expired',
    'request.escalated',
    'grant.activated',
    'grant.extended',
    'grant.grantee_added',
    'grant.revoked',
    'grant.expired',
    'session.started',
    'session.ended',
    'session.denied',
  ]),
);
export type AuditAction = z.infer<typeof AuditAction>;
export const AuditEvent = lazily(() =>
  z.object({
    eventId: z.string(),
    at: Timestamp,
    actor: z.union([Actor, SystemActor]),
    action: AuditAction,
    targetId: z.string(),
    details: z.record(z.string(), z.unknown()),
  }),
);
export type AuditEvent = z.infer<typeof AuditEvent>;

/** What `VerifyAuditChain` found: the tenant's hash chain checked from its checkpoint (or end to end). */
const CheckpointRef = lazily(() =>
  z.object({
    seq: z.int().describe('the chain was verified whole up to this position'),
    fromEventId: z.string().describe('every event after that position has an id from this one on'),
    at: Timestamp,
  }),
);
export const AuditChainVerification = lazily(() =>
  z.object({
    tenantId: z.string(),
    valid: z
      .boolean()
      .describe(
        'true when every event checked is intact, in place, the head names the last one, and the check reached the end of the trail',
      ),
    checkedAt: Timestamp,
    events: z.int().describe('audit events read (in incremental mode: those from the checkpoint on)'),
    sealed: z.int().describe('events read that are linked into the chain'),
    unsealed: z.int().describe('events written but not sealed yet (sealing runs every minute)'),
    head: z.object({ seq: z.int(), hash: z.string(), eventId: z.string(), sealedAt: Timestamp }).nullable(),
    problems: z.array(
      z.object({
        problem: z
          .enum([
            'altered',
            'missing',
            'broken-link',
            'duplicate',
            'head-mismatch',
            'unsealed-too-long',
            'forged',
            'checkpoint',
            'grant-state',
            'access-entry',
            'incomplete',
          ])
          .describe(
            "`forged`: the event's write-time MAC is missing or wrong (written by someone other than the API, or edited); `checkpoint`: the stored checkpoint was not saved by verification (not trusted); `grant-state`: a grant's stored status, expiresAt, grantees, scope or audience differ from what its events say; `access-entry`: an access entry (what sign-in and the access check read) differs from its grant (scope, audience, expiresAt, grantees, a grantee's email, or it covers someone the grant does not), or someone signed in under a grant that does not cover them; `incomplete`: this call stopped before the end of a long trail (call again: it goes on from the checkpoint it saved)",
          ),
        eventId: z.string().nullable(),
        seq: z.int().nullable(),
        detail: z.string(),
        grantId: z.string().optional().describe('`grant-state`, `access-entry`: the grant'),
        fields: z
          .array(z.string())
          .optional()
          .describe(
            "`grant-state`: the stored fields that differ (`status`, `expiresAt`, `grantees`, `scope`, `audience`, or `grant`: no event activated it); `access-entry`: the entry's fields that differ (`scope`, `audience`, `expiresAt`, `grantees`, `email`; `principal`: it covers someone the grant does not; `entry`: left for an ended grant)",
          ),
      }),
    ),
    mode: z.enum(['incremental', 'full']).describe('incremental: from the checkpoint; full: from the first event'),
    checkpoint: CheckpointRef.nullable().describe('the checkpoint this verification started from'),
    complete: z.boolean().describe('whether the check reached the end of the trail'),
    saved: CheckpointRef.nullable().describe('the checkpoint this verification saved (none when it found a problem)'),
    grantsChecked: z.int().describe('grants whose stored state was compared with their events'),
  }),
);
/** `?full=true`: verify from the first event, ignoring the checkpoint. */
export const VerifyQuery = lazily(() =>
  z.strictObject({
    full: z.enum(['true', 'false']).optional().describe('`true`: ignore the checkpoint and verify from the first event'),
  }),
);
export type AuditChainVerification = z.infer<typeof AuditChainVerification>;
