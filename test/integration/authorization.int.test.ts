/**
 * The authorization table, route by route and caller by caller, through real HTTP: every route of
 * `routes.ts` is called by every kind of caller, and the answer must be the contract's one:
 * no token 401, a tenant user of another tenant 404, a missing role 403, a data rule that the
 * caller does not meet 403, and otherwise the route's success (validated with its schema).
 * A refused call that would have changed something must leave the tenant exactly as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, SignJWT } from 'jose';
import { routes, routesById, type RouteDef, type Role } from '../../lambdas/contract/routes.ts';
import { expectProblem, pathOf, prepareWorld, tenantState, validBody, type World } from '../helpers/guard-checks.ts';
import { startTestApi, type TestApi, type Who } from '../helpers/http.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.stop());

const ALL = routes as readonly RouteDef[];

// ---- the callers ------------------------------------------------------------------------------

/** The columns of the table below, in its order. */
const COLUMNS = [
  'admin',
  'contact',
  'user',
  'agent',
  'agent2',
  'lead',
  'nobody',
  'anonymous',
  'expired',
  'otherIssuer',
  'tampered',
  'foreignAdmin',
  'foreignUser',
  'foreignContact',
  'unverified',
  'adminSupport',
] as const;
type CallerKey = (typeof COLUMNS)[number];

interface Caller {
  key: CallerKey;
  label: string;
  /** The role the caller holds for the tenant of the world (none for other tenants' people). */
  role: Role | null;
  /** The bearer token it sends (none: no `authorization` header). */
  token: (w: World) => Promise<string | null>;
  /** Its identity, when the server would know it (for the audit of `session.denied`). */
  who?: (w: World) => Who;
}

const as = (pick: (w: World) => Who): Pick<Caller, 'token' | 'who'> => ({ who: pick, token: (w) => api.token(pick(w)) });

/** A key pair of somebody else, who signs tokens as another issuer for the same audience. */
const otherIssuer = generateKeyPair('ES256');

/** The header and payload of a JWT are base64url JSON: rewriting one keeps the old signature. */
function tamper(token: string, edit: (claims: Record<string, unknown>) => Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  return `${header}.${Buffer.from(JSON.stringify(edit(claims))).toString('base64url')}.${signature}`;
}

/** Claims that would make the bearer the world's tenant admin. */
const adminClaims = (w: World) => ({
  sub: w.p.admin.sub,
  email: w.p.admin.email,
  name: w.p.admin.name,
  email_verified: true,
  roles: ['tenant-admin'],
  tenant_id: w.p.tenantId,
  via: 'local',
});

const CALLERS: Caller[] = [
  { key: 'admin', label: 'tenant-admin', role: 'tenant-admin', ...as((w) => w.p.admin) },
  { key: 'contact', label: 'tenant-user (authorized contact)', role: 'tenant-user', ...as((w) => w.p.contact) },
  { key: 'user', label: 'tenant-user (not a contact)', role: 'tenant-user', ...as((w) => w.p.user) },
  { key: 'agent', label: 'support-agent (requester, grantee, session agent)', role: 'support-agent', ...as((w) => w.p.agent) },
  { key: 'agent2', label: 'support-agent (none of those)', role: 'support-agent', ...as((w) => w.p.agent2) },
  { key: 'lead', label: 'support-lead (grantee)', role: 'support-lead', ...as((w) => w.p.lead) },
  { key: 'nobody', label: 'token without a role', role: null, ...as((w) => w.p.nobody) },
  { key: 'anonymous', label: 'no token', role: null, token: async () => null },
  {
    key: 'expired',
    label: "the tenant admin's token, expired a minute ago",
    role: null,
    token: (w) => api.stack.issuer.issue({ ...w.p.admin, expiresInSeconds: -60 }),
  },
  {
    key: 'otherIssuer',
    label: 'a token of another issuer (its own key) naming the tenant admin',
    role: null,
    token: async (w) => {
      const { privateKey } = await otherIssuer;
      return new SignJWT(adminClaims(w))
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: api.stack.issuer.keys.signer.kid() })
        .setIssuer('https://issuer.attacker.test/')
        .setAudience(api.stack.issuer.audience)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(privateKey);
    },
  },
  {
    key: 'tampered',
    label: "a role-less caller's real token with its claims rewritten to the tenant admin's",
    role: null,
    token: async (w) => tamper(await api.token(w.p.nobody), (c) => ({ ...c, ...adminClaims(w) })),
  },
  { key: 'foreignAdmin', label: 'tenant-admin of another tenant', role: null, ...as((w) => w.p.foreignAdmin) },
  { key: 'foreignUser', label: 'tenant-user of another tenant', role: null, ...as((w) => w.foreignUser) },
  { key: 'foreignContact', label: "tenant-user of another tenant with a contact's email", role: null, ...as((w) => w.foreignContact) },
  {
    key: 'unverified',
    label: 'the authorized contact with email_verified false',
    role: 'tenant-user',
    ...as((w) => ({ ...w.p.contact, emailVerified: false })),
  },
  { key: 'adminSupport', label: 'tenant-admin of the tenant who is also a support-agent', role: 'tenant-admin', ...as(adminSupport) },
];

/** One person holding both sides: a tenant admin of the world's tenant and a support agent. */
function adminSupport(w: World): Who {
  const tag = w.p.tenantId.slice(-8);
  return {
    sub: `adminsup-${tag}`,
    email: `adminsup@${w.p.tenantId}.test`,
    name: 'Ada Both',
    groups: ['tenant-admin', 'support-agent'],
    tenantId: w.p.tenantId,
  };
}

/**
 * THE AUTHORIZATION TABLE: what each caller gets on each route, declared here as data (not derived
 * from `routes.ts`, so a change of a route's roles must be made in both places to pass).
 * In the world (`prepareWorld`), `agent` asked for the request, is named on the grant and owns the
 * session; `lead` is named on the grant too; `agent2` is none of these; the admin and `contact`
 * are authorized contacts, `user` is not. Tokens: a status with the contract's code for it (401
 * UNAUTHENTICATED, 403 FORBIDDEN, 404 NOT_FOUND), or `403!`: 403 ACCESS_NOT_GRANTED, audited as
 * `session.denied`. A route of `routes.ts` without a row fails this file. `unvf` is `contact` with an
 * unverified email (no contact rights); `adSp` holds tenant-admin of the tenant and support-agent
 * (an admin everywhere, but never a decision on a request).
 */
// prettier-ignore
const TABLE: Record<string, string> = {
  //                      admin cont user agnt agt2 lead none anon expd issr tamp fAdm fUsr fCon unvf adSp
  GetHealth:             '200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200',
  GetOpenApi:            '200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200',
  GetJwks:               '200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200',
  GetTokenIssuerConfiguration: '200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200',
  GetApiTokenJwks:       '200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200',
  ListContacts:          '200  200  200  200  200  200  403  401  401  401  401  404  404  404  200  200',
  PutContact:            '201  403  403  403  403  403  403  401  401  401  401  404  404  404  403  201',
  DeleteContact:         '204  403  403  403  403  403  403  401  401  401  401  404  404  404  403  204',
  GetPolicy:             '200  200  200  200  200  200  403  401  401  401  401  404  404  404  200  200',
  PutPolicy:             '200  403  403  403  403  403  403  401  401  401  401  404  404  404  403  200',
  CreateAccessRequest:   '403  403  403  201  201  201  403  401  401  401  401  404  404  404  403  201',
  ListAccessRequests:    '200  200  403  200  200  200  403  401  401  401  401  404  404  404  403  200',
  ListMyRequests:        '403  403  403  200  200  200  403  401  401  401  401  403  403  403  403  200',
  GetAccessRequest:      '200  200  403  200  200  200  403  401  401  401  401  404  404  404  403  200',
  ApproveAccessRequest:  '200  200  403  403  403  403  403  401  401  401  401  404  404  404  403  403',
  DenyAccessRequest:     '200  200  403  403  403  403  403  401  401  401  401  404  404  404  403  403',
  CancelAccessRequest:   '403  403  403  200  403  403  403  401  401  401  401  404  404  404  403  403',
  CreateGrant:           '201  403  403  403  403  201  403  401  401  401  401  404  404  404  403  201',
  ListGrants:            '200  200  200  200  200  200  403  401  401  401  401  404  404  404  200  200',
  GetGrant:              '200  200  200  200  200  200  403  401  401  401  401  404  404  404  200  200',
  AddGrantee:            '200  403  403  403  403  200  403  401  401  401  401  404  404  404  403  200',
  RevokeGrant:           '200  403  403  200  403  200  403  401  401  401  401  404  404  404  403  200',
  ExtendGrant:           '200  403  403  201  403  201  403  401  401  401  401  404  404  404  403  200',
  SignIn:                '403  403  403  201  403! 201  403  401  401  401  401  404  404  404  403  403!',
  EndSession:            '403  403  403  200  403  403  403  401  401  401  401  404  404  404  403  403',
  RefreshSessionToken:   '403  403  403  200  403  403  403  401  401  401  401  404  404  404  403  403',
  ListSessions:          '200  403  403  403  403  200  403  401  401  401  401  404  404  404  403  200',
  ListGrantSessions:     '200  403  403  403  403  200  403  401  401  401  401  404  404  404  403  200',
  GetAccess:             '403  403  403  200  200  200  403  401  401  401  401  404  404  404  403  200',
  ListMyGrants:          '403  403  403  200  200  200  403  401  401  401  401  403  403  403  403  200',
  ListAuditEvents:       '200  403  403  403  403  200  403  401  401  401  401  404  404  404  403  200',
  VerifyAuditChain:      '200  403  403  403  403  200  403  401  401  401  401  404  404  404  403  200',
};

const CODES: Record<number, string> = { 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND' };

interface Outcome {
  status: number;
  code?: string;
  /** The audit event that the refusal itself records (the contract's `session.denied`). */
  audits?: string;
}

/** The declared outcome of one cell; a route without a row throws, failing its cases. */
function expected(route: RouteDef, caller: CallerKey): Outcome {
  const row = TABLE[route.id];
  if (row === undefined) throw new Error(`${route.id} has no row in the authorization table of this file: declare who may call it`);
  const cell = row.trim().split(/\s+/)[COLUMNS.indexOf(caller)];
  if (cell === undefined) throw new Error(`${route.id}: the row has fewer cells than columns`);
  if (cell === '403!') return { status: 403, code: 'ACCESS_NOT_GRANTED', audits: 'session.denied' };
  const status = Number(cell);
  return status >= 400 ? { status, code: CODES[status]! } : { status };
}

const mutates = (route: RouteDef) => route.method !== 'GET';
const isTenantRoute = (r: RouteDef) => r.path.includes('{tenantId}');

interface Case extends Outcome {
  name: string;
  route: RouteDef;
  caller: Caller;
}

const cases: Case[] = ALL.flatMap((route) =>
  CALLERS.map((caller) => {
    let e: Outcome;
    try {
      e = expected(route, caller.key);
    } catch {
      e = { status: 0 };
    }
    return {
      name: `${route.id} (${route.method} ${route.path}) as ${caller.label} → ${e.status || 'UNDECLARED'}${e.code ? ` ${e.code}` : ''}`,
      route,
      caller,
      ...e,
    };
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

describe.concurrent('every route × every caller, as the table declares', () => {
  it.each(cases)('$name', async ({ route, caller, status, code, audits }) => {
    // Prepare
    expect(status, `${route.id} has no row in TABLE`).toBeGreaterThan(0);
    const w = await worldFor(route, status < 400 || audits !== undefined);
    const token = await caller.token(w);
    const before = mutates(route) && status >= 400 ? await tenantState(api, w.p) : null;
    // Act
    const body = validBody(route, caller.role, w);
    const res = await api.call(route.method, pathOf(route, w), { ...(token ? { token } : {}), ...(body !== undefined ? { body } : {}) });
    // Assess
    if (status >= 400) {
      expectProblem(res, status, code!);
      if (!before) return;
      const after = await tenantState(api, w.p);
      if (audits) {
        // The refusal is audited, and that is the only change.
        const [first, ...rest] = (after.audit as { items: { action: string; actor: { id: string } }[] }).items;
        expect(first).toMatchObject({ action: audits, actor: { id: caller.who!(w).sub } });
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
  it('has one row for every route of routes.ts, and none for a route that does not exist', () => {
    // Assess
    expect(Object.keys(TABLE).sort()).toEqual(ALL.map((r) => r.id).sort());
  });

  it('has one cell per caller in every row, each a status the contract allows there', () => {
    for (const [id, row] of Object.entries(TABLE)) {
      const cells = row.trim().split(/\s+/);
      expect(cells, id).toHaveLength(COLUMNS.length);
      // A route's success status, and the other success status its contract allows (`also`: ExtendGrant's 200 for a tenant admin).
      const { success: ok } = routesById.get(id)!;
      const success = [String(ok.status), ...(ok.also ? [String(ok.also.status)] : [])];
      for (const c of cells) expect(['401', '403', '403!', '404', ...success], `${id}: ${c}`).toContain(c);
    }
  });

  it('lets somebody through on every route, and refuses every failed authentication on the protected ones', () => {
    for (const route of ALL) {
      const outcomes = COLUMNS.map((c) => expected(route, c).status);
      expect(
        outcomes.some((s) => s < 400),
        route.id,
      ).toBe(true);
      if (route.auth)
        for (const c of ['anonymous', 'expired', 'otherIssuer', 'tampered'] as const)
          expect(expected(route, c).status, `${route.id} ${c}`).toBe(401);
    }
  });

  it('refuses, on every route with a data rule, somebody who holds the role but not the data', () => {
    // Assess: the rule is exercised (a 403 for a caller with one of the route's roles).
    for (const r of ALL.filter((x) => x.condition !== undefined)) {
      expect(
        CALLERS.some((c) => c.role !== null && r.roles.includes(c.role) && expected(r, c.key).status === 403),
        r.id,
      ).toBe(true);
    }
  });
});

/** The routes that name one object of the tenant in their path, and the ids of that object. */
const OBJECT_ROUTES = ALL.filter((r) => /\{(requestId|grantId|sessionId)\}/.test(r.path));
/** The caller who succeeds on the route in the table (the first column that does). */
const qualifying = (route: RouteDef) => CALLERS.find((c) => expected(route, c.key).status < 400)!;

describe.concurrent("another tenant's objects", () => {
  it.each(OBJECT_ROUTES.map((r) => ({ name: r.id, route: r })))(
    '$name: the caller who may act on its own tenant gets 404 for an id of another tenant, and neither tenant changes',
    async ({ route }) => {
      // Prepare: two tenants, each with a request, a grant and a session; the ids of `theirs` are
      // put in a path of `mine`, and mine in a path of theirs (support is of no tenant: both).
      const [mine, theirs] = await Promise.all([prepareWorld(api), prepareWorld(api)]);
      const caller = qualifying(route);
      const ids = (w: World) => ({ requestId: w.requestId, grantId: w.grantId, sessionId: w.sessionId });
      const before = await Promise.all([tenantState(api, mine.p), tenantState(api, theirs.p)]);
      // Act
      const answers = await Promise.all(
        [
          { w: mine, other: theirs },
          { w: theirs, other: mine },
        ].map(async ({ w, other }) => {
          // A tenant user calls their own tenant; support, of no tenant, calls both.
          if (caller.role?.startsWith('tenant') && w !== mine) return null;
          const body = validBody(route, caller.role, w);
          return api.call(route.method, pathOf(route, w, ids(other)), {
            token: (await caller.token(w))!,
            ...(body !== undefined ? { body } : {}),
          });
        }),
      );
      // Assess
      for (const res of answers) if (res) expectProblem(res, 404, 'NOT_FOUND');
      expect(await Promise.all([tenantState(api, mine.p), tenantState(api, theirs.p)])).toEqual(before);
    },
  );
});

describe('the order of the checks', () => {
  const authRoutes = ALL.filter((r) => r.auth);
  const tenantRoutes = authRoutes.filter(isTenantRoute);

  it.each(authRoutes.map((r) => ({ name: r.id, route: r })))(
    '$name: no token is 401 even for an absent tenant and a broken body',
    async ({ route }) => {
      // Prepare
      const path = route.path.replace(/\{\w+\}/g, 'no-such-thing');
      // Act
      const res = await api.call(
        route.method,
        path,
        route.method === 'GET' ? {} : { raw: '{not json', headers: { 'content-type': 'application/json' } },
      );
      // Assess
      expectProblem(res, 401, 'UNAUTHENTICATED');
    },
  );

  it.each(tenantRoutes.map((r) => ({ name: r.id, route: r })))(
    "$name: another tenant's admin gets 404 before any body check",
    async ({ route }) => {
      // Prepare
      const w = shared;
      // Act
      const res = await api.call(route.method, pathOf(route, w), {
        as: w.p.foreignAdmin,
        ...(route.method === 'GET' ? {} : { raw: '{not json', headers: { 'content-type': 'application/json' } }),
      });
      // Assess
      expectProblem(res, 404, 'NOT_FOUND');
    },
  );

  it.each(authRoutes.map((r) => ({ name: r.id, route: r })))(
    '$name: a token without a role gets 403 before any body check',
    async ({ route }) => {
      // Prepare
      const w = shared;
      // Act
      const res = await api.call(route.method, pathOf(route, w), {
        as: w.p.nobody,
        ...(route.method === 'GET' ? {} : { raw: '{not json', headers: { 'content-type': 'text/plain' } }),
      });
      // Assess
      expectProblem(res, 403, 'FORBIDDEN');
    },
  );

  it('refuses every token the authorizer would refuse (forged, re-signed, unsigned, of another audience, expired, malformed) and a subject that is no id', async () => {
    // Prepare
    const w = shared;
    const path = `/v1/tenants/${w.p.tenantId}/grants`;
    const good = await api.token(w.p.admin);
    const { issuer, audience } = api.stack.issuer;
    const { privateKey } = await otherIssuer;
    const signed = (claims: Record<string, unknown>, o: { iss?: string; aud?: string; exp?: number | string } = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: api.stack.issuer.keys.signer.kid() })
        .setIssuer(o.iss ?? issuer)
        .setAudience(o.aud ?? audience)
        .setIssuedAt()
        .setExpirationTime(o.exp ?? '10m')
        .sign(privateKey);
    const unsigned = (claims: Record<string, unknown>) =>
      `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + 600;
    const bad: Record<string, string> = {
      'claims rewritten (support-lead)': tamper(good, (c) => ({ ...c, roles: ['support-lead'] })),
      'claims rewritten (another tenant)': tamper(good, (c) => ({ ...c, tenant_id: w.p.foreignAdmin.tenantId })),
      'expiry rewritten': tamper(await api.stack.issuer.issue({ ...w.p.admin, expiresInSeconds: -60 }), (c) => ({ ...c, exp })),
      'header rewritten to alg none': `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${good.split('.')[1]}.`,
      'signature of another token': `${good.split('.').slice(0, 2).join('.')}.${(await api.token(w.p.lead)).split('.')[2]}`,
      'signature stripped': `${good.split('.').slice(0, 2).join('.')}.`,
      'unsigned (alg none)': unsigned({ ...adminClaims(w), iss: issuer, aud: audience, iat, exp }),
      'signed by another key as this issuer': await signed(adminClaims(w)),
      'signed by another issuer': await signed(adminClaims(w), { iss: 'https://issuer.attacker.test/' }),
      'expired a minute ago': await api.stack.issuer.issue({ ...w.p.admin, expiresInSeconds: -60 }),
      'of this issuer but for another audience (re-signed)': await signed(adminClaims(w), { aud: 'another-app' }),
      'not a JWT': 'not-a-jwt',
      // Validly signed, but its subject would become part of keys: it must be an id.
      'a subject with a key separator': await api.stack.issuer.issue({ ...w.p.lead, sub: `${w.p.lead.sub}#TEAM` }),
      'a subject of 129 characters': await api.stack.issuer.issue({ ...w.p.lead, sub: 'x'.repeat(129) }),
    };
    // Act
    const answers = await Promise.all([
      ...Object.entries(bad).map(async ([name, token]) => ({ name, res: await api.call('GET', path, { token }) })),
      { name: 'no Bearer scheme', res: await api.call('GET', path, { headers: { authorization: good } }) },
      { name: 'Basic credentials', res: await api.call('GET', path, { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } }) },
      { name: 'two tokens', res: await api.call('GET', path, { headers: { authorization: `Bearer ${good} ${good}` } }) },
    ]);
    // Assess
    for (const { name, res } of answers) {
      expect(res.status, name).toBe(401);
      expectProblem(res, 401, 'UNAUTHENTICATED');
    }
    expect((await api.call('GET', path, { token: good })).status).toBe(200);
  });
});
