/**
 * Records the store keeps that are not in the REST contract, as zod schemas: the one source of
 * their types, and what the store parses each item with when it reads it.
 */
import * as z from 'zod';

/** An `Idempotency-Key`'s record: claimed (IN_PROGRESS), or COMPLETED with the answer to replay. */
export const IdempotencyRecord = z.object({
  status: z.enum(['IN_PROGRESS', 'COMPLETED']),
  hash: z.string(),
  /** Epoch seconds; past it the record is as good as absent. */
  expiresAt: z.number(),
  response: z.object({ statusCode: z.int(), body: z.string() }).optional(),
});
export type IdempotencyRecord = z.infer<typeof IdempotencyRecord>;
