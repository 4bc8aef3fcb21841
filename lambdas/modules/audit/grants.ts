/**
 * Grants, and what sign-in trusts, against their events (`verifyAuditTrail` step 4).
 *
 * Sign-in and the access check read only the access entries (`ACCESS#…` items): the entry's scope
 * and end make the session token, its audience and grantees decide whom it covers. So verification
 * compares the stored grant **and each of its access entries** with the grant its sealed events
 * describe (`grant.activated` carries audience, scope, end and grantee ids; `grant.grantee_added`,
 * `grant.extended`, `grant.revoked`, `grant.expired` change it), and checks every `session.started`
 * it read: the agent must be one the grant covers. An entry can only be found by its key (the
 * principal and the grant), so an entry for someone no event or stored grant names is seen when it
 * is used (its sign-in is an event), not before.
 */
import { encodeTime } from 'ulid';
import type { AuditEvent } from '../../contract/schemas.ts';
import type { AccessPrincipal } from '../../contract/table.ts';
import type { ChainProblem } from './chain.ts';
import { canonicalEmail } from '../../kernel/identity.ts';
import type { AuditVerifyStore, StoredAccessEntry, StoredGrantState, StoredScope } from '../../kernel/ports.ts';

/** What a grant is, as its events say (or, for a grant older than the events read, as stored). */
export interface ExpectedGrant {
  status: string;
  expiresAt: string | null;
  grantees: Set<string>;
  /** null: not said (an activation event older than these fields). */
  audience: string | null;
  scope: StoredScope | null;
  /** The email of each grantee, where known. */
  emails: Map<string, string>;
}

/** Folds a grant's events, oldest first, into the state they say it has (null: no activation seen). */
export function stateFromEvents(events: AuditEvent[]): ExpectedGrant | null {
  let state: ExpectedGrant | null = null;
  for (const e of events) {
    const d = e.details;
    const action = e.action as string;
    if (action === 'grant.activated') {
      const scope = d.scope as { level?: unknown; modules?: unknown } | undefined;
      state = {
        status: 'ACTIVE',
        expiresAt: typeof d.expiresAt === 'string' ? d.expiresAt : null,
        grantees: new Set(Array.isArray(d.grantees) ? d.grantees.map(String) : []),
        audience: typeof d.audience === 'string' ? d.audience : null,
        scope:
          typeof scope === 'object' && scope !== null
            ? { level: String(scope.level), modules: Array.isArray(scope.modules) ? scope.modules.map(String) : undefined }
            : null,
        emails: new Map(),
      };
    } else if (!state) continue;
    else if (action === 'grant.grantee_added') {
      const g = d.grantee as { id?: unknown; email?: unknown } | undefined;
      if (typeof g?.id === 'string') {
        state.grantees.add(g.id);
        if (typeof g.email === 'string') state.emails.set(g.id, g.email);
      }
    } else if (action === 'grant.revoked') state.status = 'REVOKED';
    else if (action === 'grant.expired') state.status = 'EXPIRED';
    else if (action === 'grant.extended' && typeof d.expiresAt === 'string') state.expiresAt = d.expiresAt;
  }
  return state;
}

/** A stored grant taken as what it should be (for a grant whose events are older than the read). */
export const stateFromStored = (g: StoredGrantState): ExpectedGrant => ({
  status: g.status,
  expiresAt: g.expiresAt,
  grantees: new Set(g.grantees.map((x) => x.id)),
  audience: g.audience,
  scope: g.scope,
  emails: new Map(g.grantees.map((x) => [x.id, x.email])),
});

const scopeText = (s: StoredScope | null) =>
  s === null ? 'none' : `${s.level}${s.modules ? ` [${[...s.modules].sort().join(', ')}]` : ''}`;
const principalText = (p: AccessPrincipal) => (p.kind === 'team' ? 'the support team' : p.id);

/**
 * How an access entry differs from the grant it should copy: the fields (`entry`: an entry left
 * for a grant that ended; `principal`: an entry for someone the grant does not cover; `audience`,
 * `scope`, `expiresAt`, `grantees`, `email`) and what each says. Empty: the entry is what it should be.
 */
export function entryDifferences(expected: ExpectedGrant, entry: StoredAccessEntry): { fields: string[]; says: string[] } {
  if (expected.status !== 'ACTIVE') return { fields: ['entry'], says: [`its events say the grant is ${expected.status}`] };
  const fields: string[] = [];
  const says: string[] = [];
  const p = entry.principal;
  const team = expected.audience === 'support-team' || (expected.audience === null && expected.grantees.size === 0);
  if (p.kind === 'team' ? !team : team || !expected.grantees.has(p.id)) {
    fields.push('principal');
    says.push(`the grant does not cover ${principalText(p)}`);
  }
  if (expected.audience !== null && entry.audience !== expected.audience) {
    fields.push('audience');
    says.push(`audience ${entry.audience}, its events say ${expected.audience}`);
  }
  if (expected.scope !== null && scopeText(entry.scope) !== scopeText(expected.scope)) {
    fields.push('scope');
    says.push(`scope ${scopeText(entry.scope)}, its events say ${scopeText(expected.scope)}`);
  }
  if (entry.expiresAt !== expected.expiresAt) {
    fields.push('expiresAt');
    says.push(`expiresAt ${entry.expiresAt ?? 'null'}, its events say ${expected.expiresAt ?? 'null'}`);
  }
  const ids = new Set(entry.grantees.map((x) => x.id));
  const extra = [...ids].filter((id) => !expected.grantees.has(id));
  const gone = [...expected.grantees].filter((id) => !ids.has(id));
  if (extra.length || gone.length) {
    fields.push('grantees');
    says.push(`grantees ${[...extra.map((id) => `+${id}`), ...gone.map((id) => `-${id}`)].join(' ')}`);
  }
  const moved = entry.grantees.filter((x) => {
    const known = expected.emails.get(x.id);
    return known !== undefined && canonicalEmail(known) !== canonicalEmail(x.email);
  });
  if (moved.length) {
    fields.push('email');
    says.push(`grantee ${moved.map((x) => `${x.id} as ${x.email}`).join(', ')}, the grant names them with another email`);
  }
  return { fields, says };
}

/** Whether a `session.started` event's agent is one the grant covers (by `sub`, and email where known). */
export function sessionCovered(expected: ExpectedGrant, e: AuditEvent): boolean {
  if (expected.audience === 'support-team' || (expected.audience === null && expected.grantees.size === 0)) return true;
  const actor = e.actor as { id?: unknown; email?: unknown };
  if (typeof actor.id !== 'string' || !expected.grantees.has(actor.id)) return false;
  const known = expected.emails.get(actor.id);
  return known === undefined || typeof actor.email !== 'string' || canonicalEmail(known) === canonicalEmail(actor.email);
}

/**
 * Grants whose stored state (status, `expiresAt`, grantees, scope, audience) or whose access
 * entries differ from what their events say, among the grants whose whole history is in `events`
 * (activated since the checkpoint, or every grant when `fromEventId` is null), and grants stored
 * since then with no activation event at all (put by hand); the access entries of every other
 * grant stored ACTIVE against the grant as stored (which a full verification compares with its
 * events); and every `session.started` read whose agent its grant does not cover. A grant changed
 * after `now` (during this verification) is left for the next one.
 */
export async function grantProblems(
  chain: AuditVerifyStore,
  tenantId: string,
  events: AuditEvent[],
  fromEventId: string | null,
  now: Date,
  suspect: Set<string>,
): Promise<{ checked: number; problems: ChainProblem[] }> {
  const byGrant = new Map<string, AuditEvent[]>();
  const sessions: AuditEvent[] = [];
  for (const e of [...events].sort((a, b) => (a.eventId < b.eventId ? -1 : 1))) {
    if (e.action === 'session.started') sessions.push(e);
    if (!e.action.startsWith('grant.')) continue;
    byGrant.set(e.targetId, [...(byGrant.get(e.targetId) ?? []), e]);
  }
  const activated = [...byGrant].filter(([, es]) => es.some((e) => e.action === 'grant.activated')).map(([id]) => id);
  // A grant's id is made with its activation event, in the same instant: a grant whose id is a
  // minute past the checkpoint's start must have its activation among the events read.
  const since = fromEventId === null ? null : idFloor(decodeFloor(fromEventId) + 60_000);
  const [named, recent, active] = await Promise.all([
    chain.grantStates(tenantId, { ids: activated }),
    chain.grantStates(tenantId, { fromGrantId: since }),
    fromEventId === null ? [] : chain.grantStates(tenantId, { active: true }),
  ]);
  const grants = new Map([...named, ...recent].map((g) => [g.grantId, g]));
  const problems: ChainProblem[] = [];
  const iso = now.toISOString();
  const changedSince = (g: StoredGrantState) => (g.endedAt !== null && g.endedAt >= iso) || g.grantees.some((x) => x.addedAt >= iso);
  /** What each grant should be, to compare its entries and its sessions with. */
  const expectedOf = new Map<string, Known>();
  for (const g of grants.values()) {
    if (suspect.has(g.grantId)) continue;
    const expected = stateFromEvents(byGrant.get(g.grantId) ?? []);
    if (!expected) {
      problems.push({
        problem: 'grant-state',
        eventId: null,
        seq: null,
        grantId: g.grantId,
        fields: ['grant'],
        detail: `grant ${g.grantId} is stored but no event of the API activated it`,
      });
      continue;
    }
    // Changed while we read: its event may be newer than our read of the trail.
    if (changedSince(g)) continue;
    for (const x of g.grantees) if (!expected.emails.has(x.id)) expected.emails.set(x.id, x.email);
    expectedOf.set(g.grantId, { expected, stored: g, says: 'its events say' });
    const differs = grantDifferences(g, expected);
    if (differs.fields.length) {
      problems.push({
        problem: 'grant-state',
        eventId: null,
        seq: null,
        grantId: g.grantId,
        fields: differs.fields,
        detail: `grant ${g.grantId} stored with ${differs.says.join('; ')}`,
      });
    }
  }
  // Older grants still ACTIVE: their entries against the grant as stored.
  for (const g of active) {
    if (!grants.has(g.grantId) && !suspect.has(g.grantId) && !changedSince(g)) {
      expectedOf.set(g.grantId, { expected: stateFromStored(g), stored: g, says: 'the grant says' });
    }
  }
  // Sessions under grants not read yet: those grants as stored.
  const unread = [...new Set(sessions.map(grantOfSession))].filter(
    (id): id is string => id !== null && !expectedOf.has(id) && !suspect.has(id),
  );
  for (const g of unread.length ? await chain.grantStates(tenantId, { ids: unread }) : []) {
    if (!grants.has(g.grantId)) expectedOf.set(g.grantId, { expected: stateFromStored(g), stored: g, says: 'the grant says' });
  }
  problems.push(...(await entryProblems(chain, tenantId, expectedOf, iso)));
  for (const e of sessions) {
    const grantId = grantOfSession(e);
    const known = grantId === null ? undefined : expectedOf.get(grantId);
    if (known && !sessionCovered(known.expected, e)) {
      const actor = e.actor as { id?: unknown; email?: unknown };
      problems.push({
        problem: 'access-entry',
        eventId: e.eventId,
        seq: null,
        grantId: grantId!,
        fields: ['principal'],
        detail: `${String(actor.id)} (${String(actor.email)}) signed in (session ${e.targetId}) under grant ${grantId}, which ${known.says === 'its events say' ? 'its events say does' : 'does'} not cover them`,
      });
    }
  }
  return { checked: grants.size, problems };
}

/** What a grant should be, and who says so. */
interface Known {
  expected: ExpectedGrant;
  stored?: StoredGrantState;
  says: 'its events say' | 'the grant says';
}

const grantOfSession = (e: AuditEvent): string | null => (typeof e.details.grantId === 'string' ? e.details.grantId : null);

/**
 * Each grant's access entries against what the grant should be: one `access-entry` problem per
 * entry that differs. Entries are read by principal (one query of each partition: the team's, and
 * each agent any of these grants names), so an entry of one of these grants under any of those
 * principals is compared, whoever it names.
 */
async function entryProblems(
  chain: AuditVerifyStore,
  tenantId: string,
  expectedOf: Map<string, Known>,
  iso: string,
): Promise<ChainProblem[]> {
  // An ended grant's entries are deleted with it, and sign-in re-checks the grant is ACTIVE: only
  // a grant its events or its item call ACTIVE has entries worth reading.
  const live = new Map([...expectedOf].filter(([, k]) => k.expected.status === 'ACTIVE' || k.stored?.status === 'ACTIVE'));
  if (live.size === 0) return [];
  const agents = new Set(
    [...live.values()].flatMap(({ expected, stored }) => [...expected.grantees, ...(stored?.grantees.map((x) => x.id) ?? [])]),
  );
  const principals: AccessPrincipal[] = [{ kind: 'team' }, ...[...agents].map((id) => ({ kind: 'agent' as const, id }))];
  const problems: ChainProblem[] = [];
  for (const entry of await chain.accessEntryStates(tenantId, principals)) {
    const known = live.get(entry.grantId);
    // A grantee added while we read: the entry is newer than our read of the trail.
    if (!known || entry.grantees.some((x) => x.addedAt >= iso)) continue;
    const differs = entryDifferences(known.expected, entry);
    if (differs.fields.length === 0) continue;
    const text = differs.says.map((s) => s.replace('its events say', known.says));
    problems.push({
      problem: 'access-entry',
      eventId: null,
      seq: null,
      grantId: entry.grantId,
      fields: differs.fields,
      detail: `the access entry of ${principalText(entry.principal)} for grant ${entry.grantId} (what sign-in reads) has ${text.join('; ')}`,
    });
  }
  return problems;
}

/** How a stored grant differs from what its events say. */
function grantDifferences(g: StoredGrantState, expected: ExpectedGrant): { fields: string[]; says: string[] } {
  const fields: string[] = [];
  const says: string[] = [];
  if (g.status !== expected.status) {
    fields.push('status');
    says.push(`status ${g.status}, its events say ${expected.status}`);
  }
  if (g.expiresAt !== expected.expiresAt) {
    fields.push('expiresAt');
    says.push(`expiresAt ${g.expiresAt ?? 'null'}, its events say ${expected.expiresAt ?? 'null'}`);
  }
  const stored = new Set(g.grantees.map((x) => x.id));
  const extra = [...stored].filter((id) => !expected.grantees.has(id));
  const gone = [...expected.grantees].filter((id) => !stored.has(id));
  if (extra.length || gone.length) {
    fields.push('grantees');
    says.push(`grantees ${[...extra.map((id) => `+${id}`), ...gone.map((id) => `-${id}`)].join(' ')} against its events`);
  }
  if (expected.audience !== null && g.audience !== expected.audience) {
    fields.push('audience');
    says.push(`audience ${g.audience}, its events say ${expected.audience}`);
  }
  if (expected.scope !== null && scopeText(g.scope) !== scopeText(expected.scope)) {
    fields.push('scope');
    says.push(`scope ${scopeText(g.scope)}, its events say ${scopeText(expected.scope)}`);
  }
  return { fields, says };
}

/** The smallest ULID of an instant: every id made at or after it sorts at or after this. */
export const idFloor = (ms: number) => `${encodeTime(Math.max(0, ms), 10)}${'0'.repeat(16)}`;

/** The instant a ULID was made (0 for an id that is not a ULID: then every grant is looked at). */
function decodeFloor(id: string): number {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let ms = 0;
  for (const ch of id.slice(0, 10).toUpperCase()) {
    const v = alphabet.indexOf(ch);
    if (v < 0) return 0;
    ms = ms * 32 + v;
  }
  return ms;
}
