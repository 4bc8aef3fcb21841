/**
 * Request and response schemas of the v1 contract. zod is the only source of these types: every
 * `type X` below is `z.infer<typeof X>`, and the OpenAPI document is generated from the same values.
 */
import * as z from 'zod';
import { canonicalEmail } from '../domain/identity.ts';

/**
 * A schema built the first time it is used, not when the module loads. zod builds a schema eagerly
 * and not cheaply (each `.min()`, `.optional()`… is a new object with its methods): built at load,
 * this contract alone was about 40 ms of every function's cold start, although a call needs only
 * its route's few schemas and the records it reads. `.unwrap()` gives the built schema (to
 * `.extend` it, or read its `.shape`).
 */
export function lazily<T extends z.ZodType>(build: () => T): z.ZodLazy<T> {
  let built: T | undefined;
  return z.lazy(() => (built ??= build()));
}

// ---- building blocks ------------------------------------------------------------------------

/**
 * One line of text: no control character (Unicode category Cc: C0, DEL, C1, so CR, LF and TAB)
 * and no line or paragraph separator (U+2028, U+2029). These fields are printed into emails and
 * the console, where a line break would let a sender forge text that looks like ours.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const SINGLE_LINE = /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/;
const singleLine = 'must be one line: no control characters (CR, LF, TAB, ...) or line separators';
const text = (min: number, max: number) => z.string().trim().min(min).max(max).regex(SINGLE_LINE, singleLine);

/** Emails are compared in one canonical form (`canonicalEmail`), so they are stored in it. */
export const Email = lazily(() =>
  z
    .string()
    .trim()
    .max(254)
    .pipe(z.email({ message: 'must be an email address' }))
    .transform(canonicalEmail),
);

// Ids are not trimmed: the tenant check compares them as given, so validation must too.
export const Id = lazily(() =>
  z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._:@|+-]+$/, 'must contain only letters, digits and ._:@|+-'),
);
export const Timestamp = lazily(() => z.iso.datetime({ precision: 3 }).describe('ISO 8601 UTC with milliseconds'));

export const Actor = lazily(() => z.object({ id: z.string(), email: z.string(), name: z.string() }));
export type Actor = z.infer<typeof Actor>;
export const SystemActor = lazily(() => z.object({ id: z.literal('system') }));

export const ModuleName = lazily(() =>
  z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits and ._-'),
);
export const Scope = lazily(() =>
  z.strictObject({
    level: z.enum(['read-only', 'full']),
    modules: z
      .array(ModuleName)
      .min(1)
      .max(50)
      .refine((m) => new Set(m).size === m.length, 'must not repeat a module')
      .optional()
      .describe('No modules: every module'),
  }),
);
export type Scope = z.infer<typeof Scope>;

// ---- contacts and policy -------------------------------------------------------------------

let timeZones: ReadonlySet<string> | undefined;
/** The IANA zones this runtime knows (its ICU data), and UTC, which `supportedValuesOf` leaves out. */
export const knownTimeZone = (zone: string): boolean => (timeZones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC'])).has(zone);
export const TimeZone = lazily(() =>
  z
    .string()
    .trim()
    .max(64)
    .refine((zone) => knownTimeZone(zone), 'must be an IANA time zone name, such as "Europe/Prague" or "UTC"'),
);

export const ContactTier = lazily(() =>
  z
    .enum(['primary', 'backup'])
    .describe(
      'primary: emailed every new request (and reminded after `escalateAfterMinutes` when the tenant has no backup contact); backup: emailed when a request is still PENDING `escalateAfterMinutes` after it was made',
    ),
);
export type ContactTier = z.infer<typeof ContactTier>;
export const Contact = lazily(() =>
  z.object({
    email: z.string(),
    name: z.string(),
    // Contacts stored before v1.1 have no tier: they read as primary.
    tier: ContactTier.default('primary'),
    addedAt: Timestamp,
    addedBy: Actor,
  }),
);
export type Contact = z.infer<typeof Contact>;
export const ContactList = lazily(() => z.object({ items: z.array(Contact) }));
export const PutContactBody = lazily(() =>
  z.strictObject({
    name: text(1, 100),
    tier: ContactTier.optional().describe('omitted: primary for a new contact, unchanged for an existing one'),
  }),
);
export type PutContactBody = z.infer<typeof PutContactBody>;

export const Policy = lazily(() =>
  z.strictObject({
    maxDurationHours: z.int().min(1).max(720),
    allowStandingAccess: z.boolean(),
    approvalsRequired: z.int().min(1).max(3),
    requestTtlHours: z.int().min(1).max(168),
    notifyOnSignIn: z.boolean(),
    allowUpfrontApproval: z
      .boolean()
      .default(true)
      .describe('A support lead may record an approval the contacts gave upfront (v1.1; omitted: true)'),
    expiryWarningMinutes: z
      .int()
      .min(0)
      .max(1440)
      .default(30)
      .describe("How long before a grant's end its grantees are warned, once (v1.1; 0: never; omitted: 30)"),
    escalateAfterMinutes: z
      .int()
      .min(0)
      .max(10080)
      .default(0)
      .describe(
        'A request still PENDING this long after it was made is emailed to the backup contacts, once; with no backup contact, to the primary ones as a reminder (v1.1; 0: never; omitted: 0)',
      ),
    timeZone: TimeZone.default('UTC').describe('IANA time zone in which emails show times next to UTC (v1.1; omitted: "UTC")'),
  }),
);
export type Policy = z.infer<typeof Policy>;
export const DEFAULT_POLICY: Policy = {
  maxDurationHours: 72,
  allowStandingAccess: false,
  approvalsRequired: 1,
  requestTtlHours: 12,
  notifyOnSignIn: true,
  allowUpfrontApproval: true,
  expiryWarningMinutes: 30,
  escalateAfterMinutes: 0,
  timeZone: 'UTC',
};

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

// ---- sessions and access ---------------------------------------------------------------------

export const Session = lazily(() =>
  z.object({
    sessionId: z.string(),
    tenantId: z.string(),
    grantId: z.string(),
    accessedBy: Actor,
    reason: z.string(),
    signInAt: Timestamp,
    signOutAt: Timestamp.nullable(),
    endedBy: z.enum(['agent', 'revoked', 'expired']).nullable(),
    grantedBy: Actor,
    sourceIp: z.string(),
    userAgent: z.string(),
  }),
);
export type Session = z.infer<typeof Session>;
export const SignInBody = lazily(() => z.strictObject({ reason: Reason, grantId: Id.optional() }));
export type SignInBody = z.infer<typeof SignInBody>;
export const EmptyBody = lazily(() => z.strictObject({}));
/**
 * A sign-in's (and a token refresh's) answer: the session plus its support-session token, an ES256
 * JWT the vendor's application verifies offline against `GET /v1/.well-known/jwks.json`. An
 * `Idempotency-Key` replay of a sign-in whose session has ended since answers no token.
 */
export const SessionWithToken = lazily(() =>
  Session.unwrap().extend({
    token: z
      .string()
      .optional()
      .describe(
        'The support-session token (ES256 JWT): claims iss, aud, sub, email, tenant_id, scope, modules (absent: every module), grant_id, session_id, jti, iat, exp',
      ),
    tokenExpiresAt: Timestamp.optional().describe("The token's exp: the earlier of the grant's end and 15 minutes after it was issued"),
  }),
);
export type SessionWithToken = z.infer<typeof SessionWithToken>;
/** The public keys that sign support-session tokens (RFC 7517), each with its `kid`. */
export const Jwks = lazily(() =>
  z.object({
    keys: z.array(
      z.object({
        kty: z.literal('EC'),
        crv: z.literal('P-256'),
        x: z.string(),
        y: z.string(),
        kid: z.string(),
        alg: z.literal('ES256'),
        use: z.literal('sig'),
      }),
    ),
  }),
);
export type Jwks = z.infer<typeof Jwks>;

export const Access = lazily(() =>
  z.object({
    allowed: z.boolean(),
    scope: Scope.nullable(),
    expiresAt: Timestamp.nullable().describe('null when a standing grant covers the caller'),
    grantIds: z.array(z.string()),
  }),
);
export type Access = z.infer<typeof Access>;

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

// ---- lists, params, problems -----------------------------------------------------------------

export const page = <T extends z.ZodType>(item: T) => lazily(() => z.object({ items: z.array(item), nextCursor: z.string().nullable() }));

export const ListQuery = lazily(() =>
  z.strictObject({
    limit: z.coerce.number().int().min(1).max(100).optional(),
    cursor: z.string().min(1).max(2048).optional(),
  }),
);
export const GrantListQuery = lazily(() => ListQuery.unwrap().extend({ status: GrantStatus.optional() }));
export const RequestListQuery = lazily(() => ListQuery.unwrap().extend({ status: RequestStatus.optional() }));
export type ListQuery = z.infer<typeof ListQuery>;
/**
 * The login history's filters, each answered by a key condition (never a filter over every item):
 * `from`/`to` bound the sign-in time (inclusive), `accessedBy` is the email of the person who
 * signed in. Paging keeps them: a cursor is bound to the filters it was given with.
 */
export const TenantParams = lazily(() => z.strictObject({ tenantId: Id }));
export const ContactParams = lazily(() => TenantParams.unwrap().extend({ email: Email }));
export const GrantParams = lazily(() => TenantParams.unwrap().extend({ grantId: Id }));
export const SessionParams = lazily(() => TenantParams.unwrap().extend({ sessionId: Id }));
export const RequestParams = lazily(() => TenantParams.unwrap().extend({ requestId: Id }));

/**
 * The export window of `Accept: text/csv` (v1.1): both ends required for CSV, at most
 * `MAX_EXPORT_DAYS` apart. JSON lists take them too, to narrow what they page through.
 */
export const MAX_EXPORT_DAYS = 366;
const exportWindow = () => ({
  from: z.iso.datetime().optional().describe('inclusive start (ISO 8601 UTC); required with Accept: text/csv'),
  to: z.iso.datetime().optional().describe('exclusive end (ISO 8601 UTC); required with Accept: text/csv'),
});
function checkWindow(q: { from?: string | undefined; to?: string | undefined }, ctx: z.RefinementCtx): void {
  if (q.from !== undefined && q.to !== undefined) {
    const span = Date.parse(q.to) - Date.parse(q.from);
    if (span < 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
    else if (span > MAX_EXPORT_DAYS * 86_400_000)
      ctx.addIssue({ code: 'custom', path: ['to'], message: `must be at most ${MAX_EXPORT_DAYS} days after from` });
  }
}
export const ExportQuery = lazily(() => ListQuery.unwrap().extend(exportWindow()).superRefine(checkWindow));
export type ExportQuery = z.infer<typeof ExportQuery>;

/** The login history's query: the export window (signed in within it), and optionally one person. */
export const SessionListQuery = lazily(() =>
  ListQuery.unwrap()
    .extend({
      ...exportWindow(),
      accessedBy: Email.optional().describe('Only the sign-ins of the person with this email'),
    })
    .superRefine(checkWindow),
);
export type SessionListQuery = z.infer<typeof SessionListQuery>;

export const ProblemCode = lazily(() =>
  z.enum([
    'VALIDATION_FAILED',
    'UNAUTHENTICATED',
    'FORBIDDEN',
    'ACCESS_NOT_GRANTED',
    'NOT_FOUND',
    'CONFLICT',
    'NO_AUTHORIZED_CONTACT',
    'PAYLOAD_TOO_LARGE',
    'UNSUPPORTED_MEDIA_TYPE',
    'IDEMPOTENCY_KEY_REUSED',
    'INTERNAL',
  ]),
);
export type ProblemCode = z.infer<typeof ProblemCode>;
export const Problem = lazily(() =>
  z.object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    code: ProblemCode,
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
);
export type Problem = z.infer<typeof Problem>;
export const Health = lazily(() => z.object({ status: z.literal('ok') }));
