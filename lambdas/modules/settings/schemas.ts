/** The settings module's part of the v1 contract's schemas (re-exported by `lambdas/contract/schemas.ts`). */
import * as z from 'zod';
import { Actor, Timestamp, lazily, text } from '../../contract/schema-base.ts';

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
