/**
 * The session entity, in one place: the record, its keys, the item it is stored as and the way
 * back (parsed with zod when read, never cast). Key attribute names come from
 * `contract/key-design.ts`; `contract/table.ts` assembles these keys into the key design.
 *
 * The record types are declared in `kernel/ports.ts`, beside the `Store` port whose methods take
 * them (the kernel imports no module); they are re-exported here.
 */
import * as z from 'zod';
import { lazily, Session } from '../../contract/schemas.ts';
import { attr, tenantPk, ulidTime } from '../../contract/key-design.ts';
import { canonicalEmail } from '../../kernel/identity.ts';
import type { AccessEntry, EntryBacking, SessionRecord } from '../../kernel/ports.ts';

export type { AccessEntry, EntryBacking, SessionRecord };

type Item = Record<string, unknown>;

/** How much later than its `signInAt` a session id's time may be (the id is made right after). */
export const SESSION_ID_SLACK_MS = 1000;

/** The keys of sessions: the login history, by person, by grant. */
export const sessionKeys = {
  session: (tenantId: string, sessionId: string) => ({ PK: tenantPk(tenantId), SK: `SESSION#${sessionId}` }),
  sessionPrefix: (tenantId: string) => ({ PK: tenantPk(tenantId), SK: 'SESSION#' }),
  /**
   * GSI1 keys of a session by the person who signed in (canonical email): the login history
   * filtered by person reads that partition only, its sort key bounded by the dates.
   */
  sessionByPerson: (tenantId: string, email: string, sessionId: string) => ({
    GSI1PK: sessionKeys.sessionPersonPartition(tenantId, email),
    GSI1SK: `SESSION#${sessionId}`,
  }),
  sessionPersonPartition: (tenantId: string, email: string) => `SESSIONS#${tenantId}#PERSON#${email}`,
  /**
   * Sort-key bounds of the sessions signed in between `from` and `to`: session ids are ULIDs
   * stamped by the clock just after it read the sign-in time, so an id's time is at or a moment
   * after `signInAt` (its first 10 characters encode that millisecond). The upper bound allows
   * `SESSION_ID_SLACK_MS` for that moment; the reader drops the few it catches past `to`.
   */
  sessionRange: (from: string | undefined, to: string | undefined) => ({
    low: `SESSION#${from ? ulidTime(from) : ''}`,
    high: `SESSION#${to ? `${ulidTime(new Date(Date.parse(to) + SESSION_ID_SLACK_MS).toISOString())}~` : '~'}`,
  }),
  /**
   * GSI2 keys of a session by its grant, so that the end-of-access digest reads exactly the
   * sessions of the grant that ended (sessions written before v1.1 lack them). On GSI2 because a
   * session's GSI1 keys are its person's partition (the login history's filter) and a session is
   * never due: its partition is apart from the due shards, which are the only ones the jobs read.
   */
  byGrant: (tenantId: string, grantId: string, sessionId: string) => ({
    GSI2PK: sessionKeys.grantSessionsPartition(tenantId, grantId),
    GSI2SK: `SESSION#${sessionId}`,
  }),
  grantSessionsPartition: (tenantId: string, grantId: string) => `SESSIONS#${tenantId}#GRANT#${grantId}`,
} as const;

/** A session: in its tenant's login history, its person's partition and its grant's. */
export const sessionItem = (s: SessionRecord): Item => ({
  ...sessionKeys.session(s.tenantId, s.sessionId),
  ...sessionKeys.byGrant(s.tenantId, s.grantId, s.sessionId),
  ...sessionKeys.sessionByPerson(s.tenantId, canonicalEmail(s.accessedBy.email), s.sessionId),
  [attr.type]: 'session',
  ...s,
});

const SessionRecordSchema = lazily(() => Session.unwrap().extend({ grantExpiresAt: z.string().nullable() }));

/** A session item (keys stripped) as its record. */
export const parseSession = (i: Item): SessionRecord => SessionRecordSchema.parse(i);
