/**
 * The authorization table, route by route and caller by caller, through real HTTP: every route of
 * `routes.ts` is called by every kind of caller, and the answer must be the contract's one:
 * no token 401, a tenant user of another tenant 404, a missing role 403, a data rule that the
 * caller does not meet 403, and otherwise the route's success (validated with its schema).
 * A refused call that would have changed something must leave the tenant exactly as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes, type RouteDef, type Role } from '../../lambdas/contract/routes.ts';
import { expectProblem, pathOf, prepareWorld, tenantState, validBody, type World } from '../helpers/guard-checks.ts';
import { startTestApi, type TestApi, type Who } from '../helpers/http.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.stop());

const ALL = routes as readonly RouteDef[];

// ---- the callers ------------------------------------------------------------------------------

type CallerKey =
  | 'admin'
  | 'contact'
  | 'user'
  | 'agent'
  | 'agent2'
  | 'lead'
  | 'nobody'
  | 'foreignAdmin'
  | 'foreignUser'
  | 'foreignContact'
  | 'anonymous';

interface Caller {
  key: CallerKey;
  label: string;
  /** The role the caller holds for the tenant of the world (none for other tenants' people). */
  role: Role | null;
  foreign?: boolean;
  who: (w: World) => Who | null;
}

const CALLERS: Caller[] = [
  { key: 'admin', label: 'tenant-admin', role: 'tenant-admin', who: (w) => w.p.admin },
  { key: 'contact', label: 'tenant-user (authorized contact)', role: 'tenant-user', who: (w) => w.p.contact },
  { key: 'user', label: 'tenant-user (not a contact)', role: 'tenant-user', who: (w) => w.p.user },
  { key: 'agent', label: 'support-agent (requester, grantee, session agent)', role: 'support-agent', who: (w) => w.p.agent },
  { key: 'agent2', label: 'support-agent (none of those)', role: 'support-agent', who: (w) => w.p.agent2 },
  { key: 'lead', label: 'support-lead (grantee)', role: 'support-lead', who: (w) => w.p.lead },
  { key: 'nobody', label: 'token without a role', role: null, who: (w) => w.p.nobody },
  { key: 'foreignAdmin', label: 'tenant-admin of another tenant', role: null, foreign: true, who: (w) => w.p.foreignAdmin },
  { key: 'foreignUser', label: 'tenant-user of another tenant', role: null, foreign: true, who: (w) => w.foreignUser },
  {
    key: 'foreignContact',
    label: "tenant-user of another tenant with a contact's email",
    role: null,
    foreign: true,
    who: (w) => w.foreignContact,
  },
  { key: 'anonymous', label: 'no token', role: null, who: () => null },
];

/**
 * The data rules (`route.condition`), as outcomes for the callers who have the role but not the
 * data. In the world, `agent` asked for the request, is named on the grant and owns the session;
 * `lead` is named on the grant too; `agent2` is none of these.
 */
const FORBIDDEN = { status: 403, code: 'FORBIDDEN' } as const;
interface Refusal {
  status: number;
  code: string;
  /** The audit event that the refusal itself records (the contract's `session.denied`). */
  audits?: string;
}
const CONDITIONS: Record<string, Partial<Record<CallerKey, Refusal>>> = {
  ListAccessRequests: { user: FORBIDDEN },
  GetAccessRequest: { user: FORBIDDEN },
  // "never the requester": the requester is support, which the role check already refuses.
  ApproveAccessRequest: { user: FORBIDDEN },
  DenyAccessRequest: { user: FORBIDDEN },
  CancelAccessRequest: { agent2: FORBIDDEN, lead: FORBIDDEN },
  RevokeGrant: { agent2: FORBIDDEN },
  EndSession: { agent2: FORBIDDEN, lead: FORBIDDEN },
};
/** Not a route condition but data all the same: no grant covers `agent2`. */
const DATA_RULES: typeof CONDITIONS = {
  SignIn: { agent2: { status: 403, code: 'ACCESS_NOT_GRANTED', audits: 'session.denied' } },
};

const isTenantRoute = (r: RouteDef) => r.path.includes('{tenantId}');

/** What the contract promises for this caller on this route. */
function expected(route: RouteDef, caller: Caller): { status: number; code?: string; audits?: string } {
  if (!route.auth) return { status: route.success.status };
  if (caller.key === 'anonymous') return { status: 401, code: 'UNAUTHENTICATED' };
  if (caller.foreign && isTenantRoute(route)) return { status: 404, code: 'NOT_FOUND' };
  if (caller.role === null || !route.roles.includes(caller.role)) return FORBIDDEN;
  const rule = CONDITIONS[route.id]?.[caller.key] ?? DATA_RULES[route.id]?.[caller.key];
  return rule ?? { status: route.success.status };
}

const mutates = (route: RouteDef) => route.method !== 'GET';

interface Case {
  name: string;
  route: RouteDef;
  caller: Caller;
  status: number;
  code?: string;
  audits?: string;
}

const cases: Case[] = ALL.flatMap((route) =>
  CALLERS.map((caller) => {
    const e = expected(route, caller);
    return { name: `${route.id} (${route.method} ${route.path}) as ${caller.label} → ${e.status}${e.code ? ` ${e.code}` : ''}`, route, caller, ...e };
  }),
);

/**
 * Reads share one world. On a route that changes state, each success gets a world of its own (a
 * second revoke would be a 409), and the refusals share one world per route: each proves that it
 * changed nothing, so one that did would fail with its own after-snapshot.
 */
let shared: World;
beforeAll(async () => {
  shared = await prepareWorld(api);
});
const refusalWorlds = new Map<string, Promise<World>>();
/** `ownWorld`: a success, or a refusal that records something (the audited `session.denied`). */
function worldFor(route: RouteDef, ownWorld: boolean): Promise<World> {
  if (!mutates(route)) return Promise.resolve(shared);
  if (ownWorld) return prepareWorld(api);
  if (!refusalWorlds.has(route.id)) refusalWorlds.set(route.id, prepareWorld(api));
  return refusalWorlds.get(route.id)!;
}

describe.concurrent('every route × every caller', () => {
  it.each(cases)('$name', async ({ route, caller, status, code, audits }) => {
    // Prepare
    const w = await worldFor(route, status < 400 || audits !== undefined);
    const who = caller.who(w);
    const before = mutates(route) && status >= 400 ? await tenantState(api, w.p) : null;
    // Act
    const body = validBody(route, caller.role, w);
    const res = await api.call(route.method, pathOf(route, w), { ...(who ? { as: who } : {}), ...(body !== undefined ? { body } : {}) });
    // Assess
    if (status >= 400) {
      expectProblem(res, status, code!);
      if (!before) return;
      const after = await tenantState(api, w.p);
      if (audits) {
        // The refusal is audited, and that is the only change.
        const [first, ...rest] = (after.audit as { items: { action: string; actor: { id: string } }[] }).items;
        expect(first).toMatchObject({ action: audits, actor: { id: who!.sub } });
        after.audit = { ...(after.audit as object), items: rest };
      }
      expect(after).toEqual(before);
      return;
    }
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    if (route.success.schema) {
      expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
      const parsed = route.success.schema.safeParse(res.body);
      expect(parsed.error?.issues ?? []).toEqual([]);
    }
  });
});

describe('the authorization table itself', () => {
  it('has an expectation for every data rule that routes.ts declares', () => {
    // Prepare
    const conditional = ALL.filter((r) => r.condition !== undefined).map((r) => r.id);
    // Act
    const covered = Object.keys(CONDITIONS);
    // Assess
    expect(covered.sort()).toEqual(conditional.sort());
  });

  it('exercises every route, including the two public ones', () => {
    // Assess
    expect(new Set(cases.map((c) => c.route.id)).size).toBe(ALL.length);
    expect(ALL.filter((r) => !r.auth).map((r) => r.id).sort()).toEqual(['GetHealth', 'GetOpenApi']);
  });

  it('lets the qualifying caller through on every conditional route', () => {
    // Assess: each data rule refuses somebody, and somebody with the role succeeds.
    for (const r of ALL.filter((x) => x.condition !== undefined)) {
      const outcomes = CALLERS.map((c) => expected(r, c));
      expect(outcomes.some((o) => o.status === r.success.status), r.id).toBe(true);
      expect(
        CALLERS.some((c) => c.role !== null && r.roles.includes(c.role) && expected(r, c).status === 403),
        r.id,
      ).toBe(true);
    }
  });
});

describe('the order of the checks', () => {
  const authRoutes = ALL.filter((r) => r.auth);
  const tenantRoutes = authRoutes.filter(isTenantRoute);

  it.each(authRoutes.map((r) => ({ name: r.id, route: r })))('$name: no token is 401 even for an absent tenant and a broken body', async ({ route }) => {
    // Prepare
    const path = route.path.replace(/\{\w+\}/g, 'no-such-thing');
    // Act
    const res = await api.call(route.method, path, route.method === 'GET' ? {} : { raw: '{not json', headers: { 'content-type': 'application/json' } });
    // Assess
    expectProblem(res, 401, 'UNAUTHENTICATED');
  });

  it.each(tenantRoutes.map((r) => ({ name: r.id, route: r })))('$name: another tenant\'s admin gets 404 before any body check', async ({ route }) => {
    // Prepare
    const w = shared;
    // Act
    const res = await api.call(route.method, pathOf(route, w), {
      as: w.p.foreignAdmin,
      ...(route.method === 'GET' ? {} : { raw: '{not json', headers: { 'content-type': 'application/json' } }),
    });
    // Assess
    expectProblem(res, 404, 'NOT_FOUND');
  });

  it.each(authRoutes.map((r) => ({ name: r.id, route: r })))('$name: a token without a role gets 403 before any body check', async ({ route }) => {
    // Prepare
    const w = shared;
    // Act
    const res = await api.call(route.method, pathOf(route, w), {
      as: w.p.nobody,
      ...(route.method === 'GET' ? {} : { raw: '{not json', headers: { 'content-type': 'text/plain' } }),
    });
    // Assess
    expectProblem(res, 403, 'FORBIDDEN');
  });

  it('refuses a token signed by somebody else, a malformed header and an expired token with 401', async () => {
    // Prepare
    const w = shared;
    const path = `/v1/tenants/${w.p.tenantId}/grants`;
    const good = await api.token(w.p.admin);
    const [header, payload] = good.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), 'cognito:groups': ['support-lead'] })).toString('base64url');
    const forged = `${header}.${forgedPayload}.${good.split('.')[2]}`;
    const shortLived = await api.token({ ...w.p.admin, sub: `${w.p.admin.sub}-short` }, 1);
    await new Promise((r) => setTimeout(r, 2_100));
    // Act
    const answers = await Promise.all([
      api.call('GET', path, { token: forged }),
      api.call('GET', path, { headers: { authorization: good } }),
      api.call('GET', path, { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } }),
      api.call('GET', path, { token: shortLived }),
    ]);
    // Assess
    for (const res of answers) expectProblem(res, 401, 'UNAUTHENTICATED');
    expect((await api.call('GET', path, { token: good })).status).toBe(200);
  });
});
