/**
 * The events the stack publishes on its EventBridge bus (source `support-access`): one zod schema
 * of `detail` per detail-type. `docs/events/*.json` are generated from these
 * (`npm run events:schemas`; a test fails when they are stale).
 */
import * as z from 'zod';
import { AccessRequest, Actor, Grant, lazily, Session, SystemActor, Timestamp } from '../../contract/schemas.ts';

const base = () => ({
  eventId: z.string().describe('Stable across retries: consumers de-duplicate on it (the audit event id of the change)'),
  tenantId: z.string(),
  at: Timestamp.describe('When the change happened'),
});

const withRequest = lazily(() =>
  z.object({ ...base(), request: AccessRequest.describe('The request as the API shows it when the event is published') }),
);
const withGrant = lazily(() => z.object({ ...base(), grant: Grant.describe('The grant as the API shows it when the event is published') }));
const withSession = lazily(() =>
  z.object({ ...base(), session: Session.describe('The session as the API shows it when the event is published') }),
);
const withDenial = lazily(() =>
  z.object({
    ...base(),
    denial: z
      .object({
        agent: z.union([Actor, SystemActor]),
        grantId: z.string().nullable(),
        reason: z.string().nullable(),
        sourceIp: z.string().nullable(),
        userAgent: z.string().nullable(),
      })
      .describe('The refused sign-in (no session was opened)'),
  }),
);

/** `detail` of each detail-type. */
export const EventDetails = {
  'Access Request Created': withRequest,
  'Access Request Approved': withRequest,
  'Access Request Denied': withRequest,
  'Access Request Cancelled': withRequest,
  'Access Request Expired': withRequest,
  'Access Request Escalated': withRequest,
  'Grant Activated': withGrant,
  'Grant Extended': withGrant,
  'Grant Revoked': withGrant,
  'Grant Expired': withGrant,
  'Grant Grantee Added': withGrant,
  'Session Started': withSession,
  'Session Ended': withSession,
  'Session Denied': withDenial,
} as const;
export type EventDetailType = keyof typeof EventDetails;

/** The JSON Schema of one detail-type's event as a rule target receives it (the EventBridge envelope). */
export function eventJsonSchema(detailType: EventDetailType): Record<string, unknown> {
  const detail = z.toJSONSchema(EventDetails[detailType], { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' });
  const { $schema: _s, ...detailSchema } = detail as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: detailType,
    description: `The "${detailType}" event of support-access on its EventBridge bus`,
    type: 'object',
    required: ['source', 'detail-type', 'detail'],
    properties: {
      source: { const: 'support-access' },
      'detail-type': { const: detailType },
      time: { type: 'string' },
      detail: detailSchema,
    },
  };
}

/** `Grant Revoked` → `grant-revoked.json`. */
export const schemaFileName = (detailType: string) => `${detailType.toLowerCase().replace(/ /g, '-')}.json`;
