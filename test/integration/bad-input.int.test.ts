/**
 * Bad input, route by route, through real HTTP: broken JSON, a wrong media type, a body too large,
 * unknown fields, every bound of the contract, list parameters and cursors, path parameters and
 * `Idempotency-Key`. Each refusal is the contract's problem AND leaves the tenant exactly as it
 * was (audit trail, contacts, policy, grants, requests, login history).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { routes, type RouteDef, type Role } from '../../lambdas/contract/routes.ts';
import {
  errorPaths,
  expectProblem,
  expectStatus,
  pathOf,
  prepareWorld,
  tenantState,
  validBody,
  type World,
} from '../helpers/guard-checks.ts';
import { startTestApi, type Res, type TestApi, type Who } from '../helpers/http.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.stop());

const ALL = routes as readonly RouteDef[];
const byId = (id: string) => ALL.find((r) => r.id === id)!;
const MAX_BODY = 16 * 1024;

/** The caller who would succeed on the route in a world (see `prepareWorld`). */
function callerOf(route: RouteDef, w: World, role?: Role): Who {
  if (role === 'support-lead') return w.p.lead;
  if (role === 'tenant-admin' || route.roles.includes('tenant-admin')) return w.p.admin;
  if (route.roles.includes('support-agent')) return w.p.agent;
  return w.p.lead;
}

interface Target {
  /** Test name: the route, and the role whose body it is when bodies differ by role. */
  name: string;
  route: RouteDef;
  role: Role | undefined;
}

/** A route whose two success statuses are for two callers (ExtendGrant), not two outcomes for one (PutContact: added or renamed). */
const splitByCaller = (route: RouteDef) =>
  Boolean(route.success.also) && route.roles.includes('tenant-admin') && route.roles.includes('support-lead');
/**
 * Every route that takes a body; CreateGrant once per role's body; a route with two success
 * statuses (ExtendGrant: a support lead asks, 201; a tenant admin extends at once, `also` 200)
 * once per caller.
 */
const BODY_TARGETS: Target[] = ALL.filter((r) => r.body).flatMap((route): Target[] =>
  route.bodyByRole
    ? (Object.keys(route.bodyByRole) as Role[]).map((role) => ({ name: `${route.id} (${role})`, route, role }))
    : splitByCaller(route)
      ? (['support-lead', 'tenant-admin'] as const).map((role) => ({ name: `${route.id} (${role})`, route, role }))
      : [{ name: route.id, route, role: undefined }],
);
/** The success status the target's caller gets: a tenant admin gets the `also` status where there is one. */
const successOf = (t: Target): number =>
  t.role === 'tenant-admin' && splitByCaller(t.route) ? t.route.success.also!.status : t.route.success.status;

type CallOpts = { body?: unknown; raw?: string; headers?: Record<string, string>; as?: Who; query?: string; path?: string };

/**
 * Refusals share a world per policy: a refusal changes nothing, and one that did would see its own
 * change in its after-snapshot (a neighbour might fail with it, but no change goes unseen).
 */
const worlds = new Map<string, Promise<World>>();
const sharedWorld = (policy?: Record<string, unknown>) => {
  const key = JSON.stringify(policy ?? {});
  if (!worlds.has(key)) worlds.set(key, prepareWorld(api, policy));
  return worlds.get(key)!;
};

/**
 * Sends a bad request and asserts the problem and that the tenant is exactly as it was before.
 * Returns the answer for further checks.
 */
async function refused(
  t: Target,
  status: number,
  code: string,
  opts: CallOpts | ((w: World) => CallOpts),
  policy?: Record<string, unknown>,
): Promise<Res> {
  // Prepare
  const w = await sharedWorld(policy);
  const o = typeof opts === 'function' ? opts(w) : opts;
  const before = await tenantState(api, w.p);
  // Act
  const res = await api.call(t.route.method, `${o.path ?? pathOf(t.route, w)}${o.query ?? ''}`, {
    as: o.as ?? callerOf(t.route, w, t.role),
    ...(o.body !== undefined ? { body: o.body } : {}),
    ...(o.raw !== undefined ? { raw: o.raw } : {}),
    ...(o.headers ? { headers: o.headers } : {}),
  });
  // Assess
  expectProblem(res, status, code);
  expect(await tenantState(api, w.p)).toEqual(before);
  return res;
}

/** A valid body of the route plus `extra`, for the target's role. */
const withBody =
  (t: Target, extra: Record<string, unknown>) =>
  (w: World): CallOpts => ({ body: { ...validBody(t.route, t.role ?? null, w), ...extra } });

describe.concurrent('every route that takes a body', () => {
  it.each(BODY_TARGETS)('$name: the valid body is accepted (the control of the cases below)', async (t) => {
    // Prepare
    const w = await prepareWorld(api);
    // Act
    const res = await api.call(t.route.method, pathOf(t.route, w), {
      as: callerOf(t.route, w, t.role),
      body: validBody(t.route, t.role ?? null, w),
    });
    // Assess
    expect(res.status, JSON.stringify(res.body)).toBe(successOf(t));
  });

  it('ExtendGrant: a support lead asks (a PENDING extension request); a tenant admin moves the end by the hours at once', async () => {
    // Prepare
    const w = await prepareWorld(api);
    const route = byId('ExtendGrant');
    const before = await expectStatus(api.call('GET', `/v1/tenants/${w.p.tenantId}/grants/${w.grantId}`, { as: w.p.admin }), 200, 'grant');
    // Act
    const asked = await api.call('POST', pathOf(route, w), { as: w.p.lead, body: validBody(route, 'support-lead', w) });
    const extended = await api.call('POST', pathOf(route, w), { as: w.p.admin, body: validBody(route, 'tenant-admin', w) });
    // Assess
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    expect(asked.body).toMatchObject({ kind: 'extension', status: 'PENDING', grantId: w.grantId, durationHours: 2 });
    expect(extended.status, JSON.stringify(extended.body)).toBe(200);
    expect(extended.body.grantId).toBe(w.grantId);
    expect(Date.parse(extended.body.expiresAt) - Date.parse(before.body.expiresAt)).toBe(2 * 3600_000);
  });

  it.each(BODY_TARGETS)('$name: malformed JSON is 400 VALIDATION_FAILED', async (t) => {
    await refused(t, 400, 'VALIDATION_FAILED', { raw: '{"reason": "half', headers: { 'content-type': 'application/json' } });
  });

  it.each(BODY_TARGETS)('$name: JSON that is not an object is 400', async (t) => {
    for (const raw of ['[]', 'null', '"text"', '42']) {
      await refused(t, 400, 'VALIDATION_FAILED', { raw, headers: { 'content-type': 'application/json' } });
    }
  });

  it.each(BODY_TARGETS)('$name: a body in another media type is 415 UNSUPPORTED_MEDIA_TYPE', async (t) => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      await refused(t, 415, 'UNSUPPORTED_MEDIA_TYPE', (w) => ({
        raw: JSON.stringify(validBody(t.route, t.role ?? null, w)),
        headers: { 'content-type': type },
      }));
    }
  });

  it.each(BODY_TARGETS)('$name: a body without a content-type is 415', async (t) => {
    // fetch labels a string body text/plain; an explicit empty type is "none".
    await refused(t, 415, 'UNSUPPORTED_MEDIA_TYPE', (w) => ({
      raw: JSON.stringify(validBody(t.route, t.role ?? null, w)),
      headers: { 'content-type': '' },
    }));
  });

  it.each(BODY_TARGETS)('$name: a body of 16 KB + 1 byte is 413 PAYLOAD_TOO_LARGE, one of 16 KB is read', async (t) => {
    const sized = (w: World, bytes: number) => {
      const base = JSON.stringify({ ...validBody(t.route, t.role ?? null, w), padding: '' });
      return base.replace('"padding":""', `"padding":"${'x'.repeat(bytes - Buffer.byteLength(base))}"`);
    };
    await refused(t, 413, 'PAYLOAD_TOO_LARGE', (w) => ({ raw: sized(w, MAX_BODY + 1), headers: { 'content-type': 'application/json' } }));
    // At the limit the body is parsed, and the unknown `padding` is what is refused.
    const res = await refused(t, 400, 'VALIDATION_FAILED', (w) => ({
      raw: sized(w, MAX_BODY),
      headers: { 'content-type': 'application/json' },
    }));
    expect(errorPaths(res)).toContain('padding');
  });

  it.each(BODY_TARGETS)('$name: an unknown field is 400 naming it in errors[].path', async (t) => {
    const res = await refused(t, 400, 'VALIDATION_FAILED', withBody(t, { isAdmin: true }));
    expect(errorPaths(res)).toContain('isAdmin');
  });

  it.each(BODY_TARGETS.filter((t) => ['CreateAccessRequest', 'CreateGrant'].includes(t.route.id)))(
    '$name: an unknown field inside scope is 400 naming scope.<field>',
    async (t) => {
      const res = await refused(t, 400, 'VALIDATION_FAILED', withBody(t, { scope: { level: 'read-only', everything: true } }));
      expect(errorPaths(res)).toContain('scope.everything');
    },
  );

  /** The routes whose body has a required field (for the others, no body is a valid body). */
  const needsBody = (t: Target) => !((t.role && t.route.bodyByRole?.[t.role]) || t.route.body)!.safeParse({}).success;
  it('knows which bodies have a required field', () => {
    expect(
      BODY_TARGETS.filter((t) => !needsBody(t))
        .map((t) => t.route.id)
        .sort(),
    ).toEqual(['ApproveAccessRequest', 'CancelAccessRequest', 'DenyAccessRequest', 'EndSession', 'RefreshSessionToken', 'RevokeGrant']);
  });

  it.each(BODY_TARGETS.filter(needsBody))('$name: no body at all is 400 naming a required field', async (t) => {
    const res = await refused(t, 400, 'VALIDATION_FAILED', {});
    expect(errorPaths(res).length).toBeGreaterThan(0);
    expect(errorPaths(res)).not.toContain('');
  });
});

// ---- bounds ---------------------------------------------------------------------------------------

interface Bound {
  name: string;
  target: Target;
  /** Replaces fields of the valid body. */
  body: (w: World) => Record<string, unknown>;
  /** The field the 400 must name. */
  path: string;
  policy?: Record<string, unknown>;
  /** Path parameters to replace. */
  params?: Record<string, string>;
}

const target = (id: string, role?: Role): Target => ({ name: role ? `${id} (${role})` : id, route: byId(id), role });
const REQUEST = target('CreateAccessRequest');
const ADMIN_GRANT = target('CreateGrant', 'tenant-admin');
const LEAD_GRANT = target('CreateGrant', 'support-lead');
const POLICY = target('PutPolicy');
const CONTACT = target('PutContact');
const DEL_CONTACT = target('DeleteContact');
const GRANTEE = target('AddGrantee');
const REVOKE = target('RevokeGrant');
const SIGN_IN = target('SignIn');
const APPROVE = target('ApproveAccessRequest');
const DENY = target('DenyAccessRequest');

const grantees = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `agent-${i}`, email: `agent-${i}@vendor.test`, name: `Agent ${i}` }));
const over = (t: Target, field: string, value: unknown, path = field): Bound => ({
  name: `${t.name}: ${field} = ${JSON.stringify(value)?.slice(0, 40)}${JSON.stringify(value)?.length > 40 ? '…' : ''}`,
  target: t,
  body: (w) => ({ ...validBody(t.route, t.role ?? null, w), [field]: value }),
  path,
});

const BOUNDS: Bound[] = [
  // An access request and both kinds of grant share ticketId, reason, durationHours and scope.
  ...[REQUEST, LEAD_GRANT].flatMap((t) => [
    over(t, 'ticketId', ''),
    over(t, 'ticketId', '   '),
    over(t, 'ticketId', 'T'.repeat(65)),
    over(t, 'ticketId', 7),
  ]),
  over(ADMIN_GRANT, 'ticketId', 'T'.repeat(65)),
  ...[REQUEST, ADMIN_GRANT, LEAD_GRANT].flatMap((t) => [
    over(t, 'reason', ''),
    over(t, 'reason', '     '),
    over(t, 'reason', 'r'.repeat(501)),
    over(t, 'reason', ` ${'r'.repeat(501)} `),
    over(t, 'durationHours', 0),
    over(t, 'durationHours', -1),
    over(t, 'durationHours', 721),
    over(t, 'durationHours', 1.5),
    over(t, 'durationHours', '2'),
    // Over the default policy's 72 hours, and over a policy of 10 hours.
    over(t, 'durationHours', 73),
    {
      ...over(t, 'durationHours', 11),
      name: `${t.name}: durationHours = 11 over a policy of maxDurationHours 10`,
      policy: { maxDurationHours: 10 },
    },
    over(t, 'scope', { level: 'admin' }, 'scope.level'),
    over(t, 'scope', { level: 'full', modules: ['billing', 'billing'] }, 'scope.modules'),
    over(t, 'scope', { level: 'full', modules: [] }, 'scope.modules'),
    over(t, 'scope', { level: 'full', modules: ['Billing!'] }, 'scope.modules.0'),
    over(t, 'scope', 'full', 'scope'),
  ]),
  ...[ADMIN_GRANT, LEAD_GRANT].flatMap((t) => [
    over(t, 'grantees', grantees(21)),
    over(t, 'grantees', []),
    over(t, 'grantees', [...grantees(1), ...grantees(1)]),
    over(t, 'grantees', [{ id: 'a1', email: 'not-an-email', name: 'A' }], 'grantees.0.email'),
  ]),
  // Standing access: refused by the default policy; never together with durationHours.
  {
    ...over(ADMIN_GRANT, 'standing', true, 'standing'),
    name: 'CreateGrant (tenant-admin): standing while the policy forbids it',
    body: (w) => ({ ...validBody(ADMIN_GRANT.route, 'tenant-admin', w), durationHours: undefined, standing: true }),
  },
  {
    ...over(ADMIN_GRANT, 'standing', true, 'standing'),
    name: 'CreateGrant (tenant-admin): standing and durationHours together',
    policy: { allowStandingAccess: true },
  },
  {
    ...over(ADMIN_GRANT, 'standing', false, 'standing'),
    policy: { allowStandingAccess: true },
    body: (w) => ({ ...validBody(ADMIN_GRANT.route, 'tenant-admin', w), durationHours: undefined, standing: false }),
  },
  { ...over(ADMIN_GRANT, 'durationHours', undefined), name: 'CreateGrant (tenant-admin): neither durationHours nor standing' },
  over(LEAD_GRANT, 'approvedBy', 'not-an-email'),
  over(LEAD_GRANT, 'approvedBy', undefined),
  over(LEAD_GRANT, 'standing', true),
  // The policy: a whole one, every field within its bounds.
  ...(
    [
      ['approvalsRequired', 0],
      ['approvalsRequired', 4],
      ['approvalsRequired', 1.5],
      ['requestTtlHours', 0],
      ['requestTtlHours', 169],
      ['maxDurationHours', 0],
      ['maxDurationHours', 721],
      ['allowStandingAccess', 'yes'],
      ['notifyOnSignIn', null],
      ['notifyOnSignIn', undefined],
    ] as const
  ).map(([f, v]) => over(POLICY, f, v)),
  // Contacts: the name, and the email in the path.
  over(CONTACT, 'name', ''),
  over(CONTACT, 'name', '   '),
  over(CONTACT, 'name', 'n'.repeat(101)),
  {
    ...over(CONTACT, 'name', 'Nina'),
    name: 'PutContact: a path email that is no email',
    path: 'path.email',
    params: { email: 'not-an-email' },
  },
  {
    ...over(CONTACT, 'name', 'Nina'),
    name: 'PutContact: a path email of 255 characters',
    path: 'path.email',
    params: { email: `${'a'.repeat(248)}@x.test` },
  },
  // Grantees, revoke, sign-in and decisions.
  over(GRANTEE, 'email', 'agent3.vendor.test'),
  over(GRANTEE, 'id', 'has space'),
  over(GRANTEE, 'id', 'i'.repeat(129)),
  over(GRANTEE, 'name', '  '),
  over(REVOKE, 'reason', 'r'.repeat(501)),
  over(REVOKE, 'reason', '  '),
  over(SIGN_IN, 'reason', '  '),
  over(SIGN_IN, 'reason', 'r'.repeat(501)),
  over(SIGN_IN, 'reason', undefined),
  over(SIGN_IN, 'grantId', 'no/such grant'),
  ...[APPROVE, DENY].flatMap((t) => [over(t, 'comment', 'c'.repeat(501)), over(t, 'comment', '  '), over(t, 'comment', 42)]),
];

describe.concurrent('every bound, the tenant policy included', () => {
  it.each(BOUNDS)('$name → 400 naming $path', async (b) => {
    const res = await refused(
      b.target,
      400,
      'VALIDATION_FAILED',
      (w) => ({ body: JSON.parse(JSON.stringify(b.body(w))), ...(b.params ? { path: pathOf(b.target.route, w, b.params) } : {}) }),
      b.policy,
    );
    expect(errorPaths(res)).toContain(b.path);
  });

  it.each([CONTACT, DEL_CONTACT])('$name: a path email that is no email → 400 naming path.email', async (t) => {
    const res = await refused(t, 400, 'VALIDATION_FAILED', (w) => ({
      path: pathOf(t.route, w, { email: 'nobody-at-all' }),
      ...(t.route.body ? { body: { name: 'Nina' } } : {}),
    }));
    expect(errorPaths(res)).toContain('path.email');
  });

  it.each(
    ALL.filter((r) => /\{(grantId|requestId|sessionId)\}/.test(r.path)).map((r) => ({
      name: r.id,
      route: r,
      role: undefined as Role | undefined,
    })),
  )('$name: an id in the path with forbidden characters or over 128 characters → 400', async (t) => {
    const param = /\{(grantId|requestId|sessionId)\}/.exec(t.route.path)![1]!;
    for (const bad of ['bad id!', 'x'.repeat(129)]) {
      const res = await refused(t, 400, 'VALIDATION_FAILED', (w) => ({
        path: pathOf(t.route, w, { [param]: bad }),
        ...(t.route.body ? { body: validBody(t.route, null, w) } : {}),
      }));
      expect(errorPaths(res)).toContain(`path.${param}`);
    }
  });

  it('a tenant id in the path with forbidden characters → 400 for support (whom no tenant hides)', async () => {
    // Prepare
    const w = await sharedWorld();
    // Act
    const res = await api.call('GET', `/v1/tenants/${encodeURIComponent('bad tenant!')}/grants`, { as: w.p.lead });
    // Assess
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(errorPaths(res)).toContain('path.tenantId');
  });
});

describe.concurrent('strings are trimmed', () => {
  it('stores " x " as "x" in a request and a contact name; bounds count the trimmed string', async () => {
    // Prepare
    const w = await prepareWorld(api);
    const t = `/v1/tenants/${w.p.tenantId}`;
    // Act
    const req = await api.call('POST', `${t}/access-requests`, {
      as: w.p.agent,
      body: { ticketId: `  ${'T'.repeat(64)}  `, reason: ' x ', scope: { level: 'full', modules: [' billing '] }, durationHours: 1 },
    });
    const contact = await api.call('PUT', `${t}/contacts/${encodeURIComponent(' New.Person@Example.TEST ')}`, {
      as: w.p.admin,
      body: { name: '  Nina  ' },
    });
    // Assess
    expect(req.status, JSON.stringify(req.body)).toBe(201);
    expect(req.body).toMatchObject({ ticketId: 'T'.repeat(64), reason: 'x', scope: { level: 'full', modules: ['billing'] } });
    const stored = await api.call('GET', `${t}/access-requests/${req.body.requestId}`, { as: w.p.admin });
    expect(stored.body).toMatchObject({ ticketId: 'T'.repeat(64), reason: 'x' });
    expect(contact.status, JSON.stringify(contact.body)).toBe(201);
    expect(contact.body).toMatchObject({ email: 'new.person@example.test', name: 'Nina' });
    const contacts = await api.call('GET', `${t}/contacts`, { as: w.p.admin });
    expect(contacts.body.items).toContainEqual(expect.objectContaining({ email: 'new.person@example.test', name: 'Nina' }));
  });

  it('accepts every bound itself (inclusive): durationHours 1 and the policy max, 500-character reasons, 20 grantees, policy extremes', async () => {
    // Prepare
    const w = await prepareWorld(api, { maxDurationHours: 720 });
    const t = `/v1/tenants/${w.p.tenantId}`;
    // Act
    const answers = await Promise.all([
      api.call('POST', `${t}/access-requests`, {
        as: w.p.agent,
        body: { ticketId: 'T', reason: 'r'.repeat(500), scope: { level: 'read-only' }, durationHours: 720 },
      }),
      api.call('POST', `${t}/access-requests`, {
        as: w.p.agent,
        body: { ticketId: 'T', reason: 'r', scope: { level: 'read-only' }, durationHours: 1 },
      }),
      api.call('POST', `${t}/grants`, {
        as: w.p.admin,
        body: { reason: 'r'.repeat(500), scope: { level: 'read-only' }, durationHours: 720, grantees: grantees(20) },
      }),
      api.call('POST', `${t}/grants`, {
        as: w.p.lead,
        body: { ticketId: 'T'.repeat(64), reason: 'r', scope: { level: 'read-only' }, durationHours: 1, approvedBy: w.p.contact.email },
      }),
    ]);
    const policies = [];
    for (const policy of [
      { maxDurationHours: 1, allowStandingAccess: true, approvalsRequired: 1, requestTtlHours: 1, notifyOnSignIn: false },
      { maxDurationHours: 720, allowStandingAccess: false, approvalsRequired: 3, requestTtlHours: 168, notifyOnSignIn: true },
    ]) {
      policies.push(await api.call('PUT', `${t}/policy`, { as: w.p.admin, body: policy }));
    }
    // Assess
    for (const res of answers) expect(res.status, JSON.stringify(res.body)).toBe(201);
    for (const res of policies) expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
});

// ---- lists -------------------------------------------------------------------------------------

/** The paged lists: the routes whose answer is a page (`items` and `nextCursor`), not every route with a query. */
const isList = (r: RouteDef) => Boolean(shapeOf(r.success.schema)?.nextCursor);
/** An object schema's fields, through `lazily` (the contract builds its schemas on first use). */
function shapeOf(schema: z.ZodType | null | undefined): Record<string, z.ZodType> | undefined {
  const built = schema instanceof z.ZodLazy ? (schema.unwrap() as z.ZodType) : schema;
  return built instanceof z.ZodObject ? built.shape : undefined;
}
const LISTS = ALL.filter(isList).map((r) => ({ name: r.id, route: r, role: undefined as Role | undefined }));
/** A caller who may read each list. */
const listReader = (route: RouteDef, w: World) => (route.roles.includes('support-lead') ? w.p.lead : w.p.admin);

/** A world with two of everything, so that `limit=1` gives a cursor on every list. */
let richWorlds: Promise<[World, World]> | undefined;
/** Two rich worlds, shared by the list tests that only read. */
const sharedRichWorlds = () => (richWorlds ??= Promise.all([richWorld(), richWorld()]));

async function richWorld(): Promise<World> {
  const w = await prepareWorld(api);
  const t = `/v1/tenants/${w.p.tenantId}`;
  await expectStatus(
    api.call('POST', `${t}/access-requests`, {
      as: w.p.agent,
      body: { ticketId: 'T-9', reason: 'again', scope: { level: 'read-only' }, durationHours: 1 },
    }),
    201,
    'request',
  );
  await expectStatus(
    api.call('POST', `${t}/grants`, { as: w.p.admin, body: { reason: 'again', scope: { level: 'read-only' }, durationHours: 1 } }),
    201,
    'grant',
  );
  await expectStatus(api.call('POST', `${t}/sessions`, { as: w.p.agent2, body: { reason: 'again' } }), 201, 'session');
  // The support lead (who reads the lists of support) asks twice and signs in under the world's
  // grant: two of the lead's own requests, two sessions of that grant.
  for (const ticketId of ['T-10', 'T-11'])
    await expectStatus(
      api.call('POST', `${t}/access-requests`, {
        as: w.p.lead,
        body: { ticketId, reason: 'lead asks', scope: { level: 'read-only' }, durationHours: 1 },
      }),
      201,
      'lead request',
    );
  await expectStatus(
    api.call('POST', `${t}/sessions`, { as: w.p.lead, body: { reason: 'again', grantId: w.grantId } }),
    201,
    'lead session',
  );
  return w;
}

async function firstCursor(route: RouteDef, w: World, query = ''): Promise<string> {
  const res = await expectStatus(
    api.call('GET', `${pathOf(route, w)}?limit=1${query}`, { as: listReader(route, w) }),
    200,
    `${route.id} page 1`,
  );
  expect(res.body.items).toHaveLength(1);
  expect(typeof res.body.nextCursor).toBe('string');
  return res.body.nextCursor as string;
}

describe.concurrent('list parameters', () => {
  it('are checked on every paged list of the contract', () => {
    expect(LISTS.map((t) => t.name).sort()).toEqual([
      'ListAccessRequests',
      'ListAuditEvents',
      'ListGrantSessions',
      'ListGrants',
      'ListMyGrants',
      'ListMyRequests',
      'ListSessions',
    ]);
  });

  const BAD_QUERIES: [string, string][] = [
    ['?limit=0', 'query.limit'],
    ['?limit=101', 'query.limit'],
    ['?limit=abc', 'query.limit'],
    ['?limit=1.5', 'query.limit'],
    ['?limit=-1', 'query.limit'],
    ['?limit=', 'query.limit'],
    ['?cursor=', 'query.cursor'],
    ['?cursor=forged', 'cursor'],
    ['?cursor=eyJrIjp7fSwiYiI6IngifQ.AAAA', 'cursor'],
    ['?sort=asc', 'query.sort'],
  ];
  const cases = LISTS.flatMap((t) => BAD_QUERIES.map(([query, path]) => ({ name: `${t.name}${query}`, t, query, path })));

  it.each(cases)('$name → 400 naming $path', async ({ t, query, path }) => {
    const res = await refused(t, 400, 'VALIDATION_FAILED', (w) => ({ query, as: listReader(t.route, w) }));
    expect(errorPaths(res)).toContain(path);
  });

  it.each(LISTS.filter((t) => 'status' in (shapeOf(t.route.query) ?? {})))('$name?status=BOGUS → 400 naming query.status', async (t) => {
    const res = await refused(t, 400, 'VALIDATION_FAILED', (w) => ({ query: '?status=BOGUS', as: listReader(t.route, w) }));
    expect(errorPaths(res)).toContain('query.status');
  });

  it.each(
    ALL.filter((r) => r.auth && !isList(r)).map((r) => ({ name: `${r.method} ${r.id}`, route: r, role: undefined as Role | undefined })),
  )('$name: an unknown query parameter → 400 naming it', async (t) => {
    const res = await refused(t, 400, 'VALIDATION_FAILED', (w) => ({
      query: '?debug=1',
      as: t.route.id === 'ListMyGrants' ? w.p.agent : callerOf(t.route, w),
      ...(t.route.body ? { body: validBody(t.route, null, w) } : {}),
    }));
    expect(errorPaths(res)).toContain('query.debug');
  });

  it('VerifyAuditChain takes only full=true|false: no paging parameter, no other value', async () => {
    const t: Target = { name: 'VerifyAuditChain', route: byId('VerifyAuditChain'), role: undefined };
    expect(LISTS.map((l) => l.route.id)).not.toContain('VerifyAuditChain');
    for (const [query, path] of [
      ['?limit=1', 'query.limit'],
      ['?cursor=forged', 'query.cursor'],
      ['?full=yes', 'query.full'],
      ['?full=', 'query.full'],
    ] as const) {
      const res = await refused(t, 400, 'VALIDATION_FAILED', (w) => ({ query, as: listReader(t.route, w) }));
      expect(errorPaths(res), query).toContain(path);
    }
    // Prepare: its own world, as verification saves a checkpoint.
    const w = await prepareWorld(api);
    // Act
    const answers = [];
    for (const q of ['', '?full=true', '?full=false'])
      answers.push(await api.call('GET', `${pathOf(t.route, w)}${q}`, { as: listReader(t.route, w) }));
    // Assess
    for (const res of answers) {
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ tenantId: w.p.tenantId, valid: expect.any(Boolean), problems: expect.any(Array) });
    }
  });

  it.each(LISTS)('$name: limit 1 and 100 are accepted and a cursor walks on', async (t) => {
    // Prepare
    const [w] = await sharedRichWorlds();
    const reader = listReader(t.route, w);
    // Act
    const all = await api.call('GET', `${pathOf(t.route, w)}?limit=100`, { as: reader });
    const cursor = await firstCursor(t.route, w);
    const next = await api.call('GET', `${pathOf(t.route, w)}?limit=100&cursor=${encodeURIComponent(cursor)}`, { as: reader });
    // Assess
    expect(all.status).toBe(200);
    expect(next.status).toBe(200);
    expect(next.body.items).toEqual(all.body.items.slice(1));
  });

  it.each(LISTS)("$name: a tampered cursor, another tenant's cursor or another list's cursor → 400", async (t) => {
    // Prepare
    const [w, other] = await sharedRichWorlds();
    const reader = listReader(t.route, w);
    const mine = await firstCursor(t.route, w);
    const [data, mac] = mine.split('.') as [string, string];
    const flip = (s: string) => s.slice(0, -1) + (s.endsWith('A') ? 'B' : 'A');
    const theirs = await firstCursor(t.route, { ...other, p: { ...other.p, admin: w.p.admin, lead: w.p.lead } });
    const anotherList = LISTS.find((l) => l.route.id !== t.route.id && listReader(l.route, w) === reader)!;
    const elsewhere = await firstCursor(anotherList.route, w);
    const before = await tenantState(api, w.p);
    // Act
    const answers = await Promise.all(
      // `/v1/me/grants` has no tenant: the same caller's cursor from another world is the same list.
      [
        `${flip(data)}.${mac}`,
        `${data}.${flip(mac)}`,
        `${data}.${mac}.x`,
        ...(t.route.path.includes('{tenantId}') ? [theirs] : []),
        elsewhere,
      ].map((c) => api.call('GET', `${pathOf(t.route, w)}?limit=1&cursor=${encodeURIComponent(c)}`, { as: reader })),
    );
    // Assess
    for (const res of answers) {
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(errorPaths(res)).toContain('cursor');
    }
    expect(await tenantState(api, w.p)).toEqual(before);
  });

  it.each(LISTS.filter((t) => t.route.id === 'ListGrants' || t.route.id === 'ListAccessRequests'))(
    '$name: a cursor of one status filter is refused under another',
    async (t) => {
      // Prepare
      const [w] = await sharedRichWorlds();
      const status = t.route.id === 'ListGrants' ? 'ACTIVE' : 'PENDING';
      const other = t.route.id === 'ListGrants' ? 'REVOKED' : 'APPROVED';
      const cursor = await firstCursor(t.route, w, `&status=${status}`);
      // Act
      const res = await api.call('GET', `${pathOf(t.route, w)}?status=${other}&cursor=${encodeURIComponent(cursor)}`, {
        as: listReader(t.route, w),
      });
      // Assess
      expectProblem(res, 400, 'VALIDATION_FAILED');
    },
  );
});

// ---- Idempotency-Key ------------------------------------------------------------------------------

/** The idempotent routes as the callers whom they create something for (201): ExtendGrant as a support lead, who asks. */
const IDEMPOTENT: Target[] = BODY_TARGETS.filter((t) => t.route.idempotent && successOf(t) === 201);
/** The list a create adds to, and the audit action it records. */
const effectOf = (route: RouteDef): { list: 'requests' | 'grants' | 'sessions'; action: string } =>
  route.id === 'CreateAccessRequest' || route.id === 'ExtendGrant'
    ? { list: 'requests', action: 'request.created' }
    : route.id === 'CreateGrant'
      ? { list: 'grants', action: 'grant.activated' }
      : { list: 'sessions', action: 'session.started' };
const idOf = (route: RouteDef, body: Record<string, string>) =>
  route.id === 'CreateAccessRequest' || route.id === 'ExtendGrant'
    ? body.requestId
    : route.id === 'CreateGrant'
      ? body.grantId
      : body.sessionId;

/**
 * How many messages the tenant's contacts hold once delivery has settled. The tests of this file
 * run concurrently and each drain skips what another is sending, so one drain is not enough:
 * drain and count until three readings in a row agree.
 */
async function mailCount(w: World): Promise<number> {
  let last = -1;
  let agreeing = 0;
  for (;;) {
    await expectStatus(api.call('POST', '/_local/jobs/deliver'), 200, 'deliver');
    const n = (await api.mailTo(w.p.contact.email)).length + (await api.mailTo(w.p.admin.email)).length;
    agreeing = n === last ? agreeing + 1 : 0;
    last = n;
    if (agreeing >= 2) return n;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.concurrent('Idempotency-Key', () => {
  it('covers the four creating routes (ExtendGrant creates an extension request)', () => {
    expect(IDEMPOTENT.map((t) => t.route.id).sort()).toEqual([
      'CreateAccessRequest',
      'CreateGrant',
      'CreateGrant',
      'ExtendGrant',
      'SignIn',
    ]);
    // Every idempotent route is covered: the ones that answer 200 to some caller too.
    expect(new Set(BODY_TARGETS.filter((t) => t.route.idempotent).map((t) => t.route.id))).toEqual(
      new Set(IDEMPOTENT.map((t) => t.route.id)),
    );
  });

  it("ExtendGrant as a tenant admin: the same key and body replays the 200, the grant's end moves once", async () => {
    // Prepare
    const w = await prepareWorld(api);
    const route = byId('ExtendGrant');
    const body = validBody(route, 'tenant-admin', w)!;
    const headers = { 'idempotency-key': 'extend-once' };
    const grantOf = async () =>
      (await expectStatus(api.call('GET', `/v1/tenants/${w.p.tenantId}/grants/${w.grantId}`, { as: w.p.admin }), 200, 'grant')).body;
    const before = await grantOf();
    // Act
    const first = await api.call('POST', pathOf(route, w), { as: w.p.admin, body, headers });
    const afterFirst = await tenantState(api, w.p);
    const again = await api.call('POST', pathOf(route, w), { as: w.p.admin, body, headers });
    const reused = await api.call('POST', pathOf(route, w), { as: w.p.admin, body: { ...body, hours: 3 }, headers });
    // Assess
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expectProblem(reused, 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await tenantState(api, w.p)).toEqual(afterFirst);
    expect(Date.parse((await grantOf()).expiresAt) - Date.parse(before.expiresAt)).toBe(2 * 3600_000);
  });

  it.each(IDEMPOTENT)('$name: a key of 256 characters, or with a space or a non-ASCII character, → 400', async (t) => {
    for (const key of ['k'.repeat(256), 'two words', 'clé']) {
      const res = await refused(t, 400, 'VALIDATION_FAILED', (w) => ({
        body: validBody(t.route, t.role ?? null, w),
        headers: { 'idempotency-key': key },
      }));
      expect(errorPaths(res)).toContain('header.idempotency-key');
    }
  });

  it.each(IDEMPOTENT)('$name: the same key and body replays the first answer, with no second side effect', async (t) => {
    // Prepare
    const w = await prepareWorld(api);
    const who = callerOf(t.route, w, t.role);
    const body = validBody(t.route, t.role ?? null, w)!;
    const key = 'k'.repeat(255);
    const { list, action } = effectOf(t.route);
    const before = await tenantState(api, w.p);
    const mailBefore = await mailCount(w);
    // Act
    const first = await api.call(t.route.method, pathOf(t.route, w), { as: who, body, headers: { 'idempotency-key': key } });
    const afterFirst = await tenantState(api, w.p);
    const mailAfterFirst = await mailCount(w);
    // The same body with its fields in another order and other spacing is the same body.
    const reordered = `{ ${Object.entries(body)
      .reverse()
      .map(([k, v]) => `${JSON.stringify(k)} : ${JSON.stringify(v)}`)
      .join(' ,\n ')} }`;
    const again = await api.call(t.route.method, pathOf(t.route, w), {
      as: who,
      raw: reordered,
      headers: { 'idempotency-key': key, 'content-type': 'application/json' },
    });
    const third = await api.call(t.route.method, pathOf(t.route, w), { as: who, body, headers: { 'idempotency-key': key } });
    // Assess
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    for (const res of [again, third]) {
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.headers.get('idempotent-replayed')).toBe('true');
      expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
      // A replayed sign-in answers its (still open) session with a fresh support-session token.
      const tokenless = (b: any) => (t.route.id === 'SignIn' ? { ...b, token: undefined, tokenExpiresAt: undefined } : b);
      expect(tokenless(res.body)).toEqual(tokenless(first.body));
      if (t.route.id === 'SignIn') expect(res.body.token).toEqual(expect.any(String));
    }
    const after = await tenantState(api, w.p);
    expect(after).toEqual(afterFirst);
    const items = (s: typeof after) => (s[list] as { items: Record<string, string>[] }).items;
    expect(items(after).length).toBe(items(before).length + 1);
    expect(items(after).filter((x) => idOf(t.route, x) === idOf(t.route, first.body)).length).toBe(1);
    const actions = (s: typeof after) => (s.audit as { items: { action: string }[] }).items.filter((e) => e.action === action).length;
    expect(actions(after)).toBe(actions(before) + 1);
    expect(await mailCount(w)).toBe(mailAfterFirst);
    // The first call did email the contacts, so the unchanged count above means something.
    expect(mailAfterFirst).toBeGreaterThan(mailBefore);
  });

  it.each(IDEMPOTENT)('$name: the same key with another body → 422 IDEMPOTENCY_KEY_REUSED, and nothing more happens', async (t) => {
    // Prepare
    const w = await prepareWorld(api);
    const who = callerOf(t.route, w, t.role);
    const body = validBody(t.route, t.role ?? null, w)!;
    const first = await api.call(t.route.method, pathOf(t.route, w), { as: who, body, headers: { 'idempotency-key': 'key-1' } });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const before = await tenantState(api, w.p);
    // Act
    const res = await api.call(t.route.method, pathOf(t.route, w), {
      as: who,
      body: { ...body, reason: `${body.reason as string}, and more` },
      headers: { 'idempotency-key': 'key-1' },
    });
    // Assess
    expectProblem(res, 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await tenantState(api, w.p)).toEqual(before);
  });

  it("keeps one caller's keys from another caller and another tenant: each gets its own resource", async () => {
    // Prepare
    const w = await prepareWorld(api);
    const other = await prepareWorld(api);
    const body = { ticketId: 'T-5', reason: 'same words', scope: { level: 'read-only' }, durationHours: 1 };
    const headers = { 'idempotency-key': 'shared-key' };
    // Act
    const mine = await api.call('POST', `/v1/tenants/${w.p.tenantId}/access-requests`, { as: w.p.agent, body, headers });
    const colleague = await api.call('POST', `/v1/tenants/${w.p.tenantId}/access-requests`, { as: w.p.agent2, body, headers });
    const elsewhere = await api.call('POST', `/v1/tenants/${other.p.tenantId}/access-requests`, { as: w.p.agent, body, headers });
    // Assess
    for (const res of [mine, colleague, elsewhere]) {
      expect(res.status).toBe(201);
      expect(res.headers.get('idempotent-replayed')).toBeNull();
    }
    expect(colleague.body.requestedBy.id).toBe(w.p.agent2.sub);
    expect(new Set([mine.body.requestId, colleague.body.requestId, elsewhere.body.requestId]).size).toBe(3);
  });

  it('remembers nothing for a refused request: the key can be used again once the input is right', async () => {
    // Prepare
    const w = await prepareWorld(api);
    const path = `/v1/tenants/${w.p.tenantId}/access-requests`;
    const headers = { 'idempotency-key': 'retry-me' };
    const good = { ticketId: 'T-6', reason: 'fixed', scope: { level: 'read-only' }, durationHours: 1 };
    // Act
    const bad = await api.call('POST', path, { as: w.p.agent, body: { ...good, durationHours: 100 }, headers });
    const retried = await api.call('POST', path, { as: w.p.agent, body: good, headers });
    // Assess
    expectProblem(bad, 400, 'VALIDATION_FAILED');
    expect(retried.status, JSON.stringify(retried.body)).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });
});
