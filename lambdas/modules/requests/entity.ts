/**
 * The access request as the table holds it, in one place (like an ElectroDB entity): the record, its
 * keys (the table's main key, GSI1 by stored status, GSI3 by requester, GSI2 while due), the item
 * built from a record, the record parsed back from an item (zod, never a cast), and the counter
 * of a requester's PENDING requests. The key formats themselves are the table's key design
 * (`contract/table.ts`, which CDK and the docs read); this file is where a request meets them.
 */
import * as z from 'zod';
import { AccessRequest, lazily } from '../../contract/schemas.ts';
import { attr, keys } from '../../contract/table.ts';
import type { RequestRecord } from '../../kernel/ports.ts';

/**
 * The record: the contract's `AccessRequest` plus its bookkeeping. Declared in the kernel's ports
 * because the kernel's `Store` port names it (the kernel imports no module); read it from here.
 */
export type { RequestRecord };

type Item = Record<string, unknown>;

const RequestRecordSchema = lazily(() =>
  AccessRequest.unwrap().extend({
    version: z.int(),
    escalateAt: z.string().nullable().optional(),
    escalated: z.boolean().optional(),
  }),
);

/** A request item (its key attributes stripped) back into the record. */
export const parseRequest = (i: Item): RequestRecord => RequestRecordSchema.parse(i);

/** The main key of a request, and of all of a tenant's requests (newest first: ULID ids). */
export const requestKey = (tenantId: string, requestId: string) => keys.request(tenantId, requestId);
export const requestsOf = (tenantId: string) => keys.requestPrefix(tenantId);

/** When the expiry job next has something to do for a request: its escalation, else its lapse. */
export const requestDueAt = (r: RequestRecord): string | null =>
  r.status !== 'PENDING' ? null : r.escalateAt && !r.escalated && r.escalateAt < r.expiresAt ? r.escalateAt : r.expiresAt;

/** An access request; while PENDING it carries its GSI2 due keys (see `requestDueAt`). */
export const requestItem = (r: RequestRecord): Item => {
  const dueAt = requestDueAt(r);
  return {
    ...keys.request(r.tenantId, r.requestId),
    ...keys.byStatus(r.tenantId, 'REQUEST', r.status, r.requestId),
    ...keys.byRequester(r.requestedBy.id, r.requestId),
    [attr.type]: 'request',
    ...r,
    ...(dueAt ? keys.due('EXPIRY', r.requestId, dueAt, `REQUEST#${r.tenantId}#${r.requestId}`) : {}),
  };
};

/**
 * The count of the requester's PENDING requests at the tenant, as an update: +1 conditioned on
 * staying within `maxPending`, or -1 (`maxPending` null) when a request leaves PENDING. The
 * transition it rides with is itself conditioned (new request, or PENDING at the version read), so
 * each request is counted in and out exactly once, whatever runs concurrently.
 */
export const pendingCountUpdate = (r: RequestRecord, maxPending: number | null) => ({
  Key: keys.pendingCount(r.tenantId, r.requestedBy.id),
  UpdateExpression: 'ADD #pending :delta SET #type = :type',
  ExpressionAttributeNames: { '#pending': 'pending', '#type': attr.type },
  ExpressionAttributeValues: {
    ':delta': maxPending === null ? -1 : 1,
    ':type': 'pendingCount',
    ...(maxPending === null ? {} : { ':max': maxPending }),
  },
  ...(maxPending === null ? {} : { ConditionExpression: 'attribute_not_exists(#pending) OR #pending < :max' }),
});
