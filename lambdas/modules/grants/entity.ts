/**
 * The grant entity and its access entries, in one place: the record, its keys, the items it is
 * stored as and the way back (every item parsed with zod when read, never cast). Key attribute
 * names and the shared builders (status, due) come from `contract/key-design.ts`; `contract/table.ts`
 * assembles these keys into the key design that CDK, the local stack and the docs read.
 *
 * The record types themselves are declared in `kernel/ports.ts`, beside the `Store` port whose
 * methods take them (the kernel imports no module); they are re-exported here.
 */
import * as z from 'zod';
import { AccessEntry } from '../../contract/records.ts';
import { Grant, lazily } from '../../contract/schemas.ts';
import { attr, designKeys, tenantPk } from '../../contract/key-design.ts';
import type { GrantRecord } from '../../kernel/ports.ts';

export type { AccessEntry, GrantRecord };

type Item = Record<string, unknown>;

/** Whom an access entry is for: the whole support team, or one agent. */
export type AccessPrincipal = { kind: 'team' } | { kind: 'agent'; id: string };

/** Sorts after every ISO timestamp: the "end" of a grant without one. */
const STANDING = '~';

/** The keys of grants and their access entries. */
export const grantKeys = {
  grant: (tenantId: string, grantId: string) => ({ PK: tenantPk(tenantId), SK: `GRANT#${grantId}` }),
  grantPrefix: (tenantId: string) => ({ PK: tenantPk(tenantId), SK: 'GRANT#' }),
  /**
   * Access entries: one per (grant, principal) while the grant is live, so the hot access check
   * reads exactly the entries of the caller and of the support team, in one request.
   */
  accessPartition: (tenantId: string, principal: AccessPrincipal) =>
    principal.kind === 'team' ? `ACCESS#${tenantId}#TEAM` : `ACCESS#${tenantId}#AGENT#${principal.id}`,
  accessEntry: (tenantId: string, principal: AccessPrincipal, grantId: string) => ({
    PK: grantKeys.accessPartition(tenantId, principal),
    SK: `GRANT#${grantId}`,
  }),
  /** GSI1 partition of an access entry: the agent's grants across tenants, or every team grant. */
  principalIndex: (principal: AccessPrincipal) => (principal.kind === 'team' ? 'TEAM' : `AGENT#${principal.id}`),
  /**
   * GSI1 sort key of an access entry: its grant's end first (`~`, after every timestamp, for a
   * standing grant), so `GSI1SK > now` reads only the entries still live, whatever the expiry job
   * has caught up with.
   */
  principalSort: (expiresAt: string | null, tenantId: string, grantId: string) => `${expiresAt ?? STANDING}#${tenantId}#${grantId}`,
} as const;

// ---- items: how a grant and its access entries are stored ------------------------------------

/** Who a grant covers: the whole support team, or each named grantee. */
export const principalsOf = (g: { audience: Grant['audience']; grantees: { id: string }[] }): AccessPrincipal[] =>
  g.audience === 'support-team' ? [{ kind: 'team' }] : g.grantees.map((x) => ({ kind: 'agent', id: x.id }));

/**
 * The access entry of a live grant for one principal. The access check reads its scope and end;
 * it carries a copy of the whole grant (as of its last change) so that `GET /v1/me/grants` is one
 * read of GSI1, with no second read of the grants.
 */
export const entryItem = (g: GrantRecord, p: AccessPrincipal): Item => {
  const { version: _v, openSessions: _o, pendingExtensions: _p, warnAt: _w, warned: _d, ...grant } = g;
  return {
    ...grantKeys.accessEntry(g.tenantId, p, g.grantId),
    [attr.gsi1pk]: grantKeys.principalIndex(p),
    [attr.gsi1sk]: grantKeys.principalSort(g.expiresAt, g.tenantId, g.grantId),
    [attr.type]: 'access',
    ...grant,
  };
};

/**
 * When the expiry job next has something to do for a grant: its warning while that is owed, else
 * its end. One due entry per item, always the next action, keeps the index sparse.
 */
export const grantDueAt = (g: GrantRecord): string | null =>
  g.status !== 'ACTIVE' || !g.expiresAt ? null : g.warnAt && !g.warned && g.warnAt < g.expiresAt ? g.warnAt : g.expiresAt;

/** A grant; while ACTIVE with an end it carries its GSI2 due keys (see `grantDueAt`). */
export const grantItem = (g: GrantRecord): Item => {
  const { openSessions, pendingExtensions, ...rest } = g;
  const dueAt = grantDueAt(g);
  return {
    ...grantKeys.grant(g.tenantId, g.grantId),
    ...designKeys.byStatus(g.tenantId, 'GRANT', g.status, g.grantId),
    [attr.type]: 'grant',
    ...rest,
    ...(openSessions.length ? { openSessions: new Set(openSessions) } : {}),
    ...(pendingExtensions?.length ? { pendingExtensions: new Set(pendingExtensions) } : {}),
    ...(dueAt ? designKeys.due('EXPIRY', g.grantId, dueAt, `GRANT#${g.tenantId}#${g.grantId}`) : {}),
  };
};

// ---- and back: items (keys stripped) parsed into records -------------------------------------

const GrantRecordSchema = lazily(() =>
  Grant.unwrap().extend({
    version: z.int(),
    openSessions: z.array(z.string()),
    pendingExtensions: z.array(z.string()).optional(),
    warnAt: z.string().nullable().optional(),
    warned: z.boolean().optional(),
  }),
);

/** String sets come back as `Set`; absent when empty. */
const toArray = (v: unknown): string[] => (v instanceof Set ? [...(v as Set<string>)] : Array.isArray(v) ? v : []);

export const parseGrant = (i: Item): GrantRecord =>
  GrantRecordSchema.parse({
    ...i,
    openSessions: toArray(i.openSessions),
    ...(i.pendingExtensions ? { pendingExtensions: toArray(i.pendingExtensions) } : {}),
  });
export const parseEntry = (i: Item): AccessEntry => AccessEntry.parse(i);
