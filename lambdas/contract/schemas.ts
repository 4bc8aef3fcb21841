/**
 * Request and response schemas of the v1 contract. zod is the only source of these types: every
 * `type X` below is `z.infer<typeof X>`, and the OpenAPI document is generated from the same values.
 */ import * as z from 'zod';
import { Email, Id, lazily } from './schema-base.ts';
import { GrantStatus } from '../modules/grants/schemas.ts';
import { RequestStatus } from '../modules/requests/schemas.ts';

export * from './schema-base.ts';
export * from '../modules/settings/schemas.ts';
export * from '../modules/grants/schemas.ts';
export * from '../modules/sessions/schemas.ts';
export * from '../modules/requests/schemas.ts';
export * from '../modules/audit/schemas.ts';

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
