/**
 * The building blocks of the v1 contract's schemas (ids, emails, actors, scope) and `lazily`, which
 * every module's `schemas.ts` builds on.
 */
import * as z from 'zod';
import { canonicalEmail } from '../kernel/identity.ts';

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
export const text = (min: number, max: number) => z.string().trim().min(min).max(max).regex(SINGLE_LINE, singleLine);

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
