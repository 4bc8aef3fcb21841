/**
 * Helpers of the authorization and bad-input tests: the problem shape every refusal must have,
 * and a snapshot of everything a tenant holds, to prove that a refused call changed nothing.
 */
import { ulid } from 'ulid';
import { expect } from 'vitest';
import type { RouteDef, Role } from '../../lambdas/contract/routes.ts';
import { setupTenant, type People, type Res, type TestApi, type Who } from './http.ts';

/** Asserts an RFC 9457 problem answer with the contract's fields, status and code. */
export function expectProblem(res: Res, status: number, code: string): void {
  expect({ status: res.status, body: res.body }, JSON.stringify(res.body)).toMatchObject({ status, body: { code } });
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/problem\+json\b/);
  expect(res.body).toEqual(
    expect.objectContaining({
      type: expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.any(String),
      code,
    }),
  );
  expect(res.body.type.length).toBeGreaterThan(0);
  expect(res.body.title.length).toBeGreaterThan(0);
  expect(res.body.detail.length).toBeGreaterThan(0);
}

/** The field paths that a 400 names. */
export const errorPaths = (res: Res): string[] => ((res.body?.errors ?? []) as { path: string }[]).map((e) => e.path);

export interface TenantState {
  audit: unknown;
  contacts: unknown;
  policy: unknown;
  grants: unknown;
  requests: unknown;
  sessions: unknown;
}

/**
 * Everything the tenant's API shows, read by its admin and support lead: the audit trail, the
 * contacts, the policy, the grants, the requests and the login history (up to 100 each).
 */
export async function tenantState(api: TestApi, p: People): Promise<TenantState> {
  const base = `/v1/tenants/${p.tenantId}`;
  const read = async (path: string) => {
    const res = await api.call('GET', `${base}${path}`, { as: p.admin });
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
    return res.body;
  };
  const [audit, contacts, policy, grants, requests, sessions] = await Promise.all([
    read('/audit-events?limit=100'),
    read('/contacts'),
    read('/policy'),
    read('/grants?limit=100'),
    read('/access-requests?limit=100'),
    read('/sessions?limit=100'),
  ]);
  return { audit, contacts, policy, grants, requests, sessions };
}

// ---- a tenant with something of everything -----------------------------------------------------

/** A tenant with contacts, a PENDING request, an ACTIVE named grant and an open session. */
export interface World {
  p: People;
  /** A contact that DeleteContact may remove. */
  spareContact: string;
  /** Not yet a contact: PutContact creates it. */
  newContact: string;
  /** Asked by `agent`. */
  requestId: string;
  /** Names `agent` and `lead`. */
  grantId: string;
  /** Of `agent`, under `grantId`. */
  sessionId: string;
  foreignUser: Who;
  /** A tenant user of another tenant whose email is on this tenant's contact list. */
  foreignContact: Who;
}

export async function expectStatus(res: Promise<Res> | Res, status: number, what: string): Promise<Res> {
  const r = await res;
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

export async function prepareWorld(api: TestApi, policy?: Record<string, unknown>): Promise<World> {
  const p = await setupTenant(api, policy);
  const t = `/v1/tenants/${p.tenantId}`;
  const spareContact = `spare@${p.tenantId}.test`;
  await expectStatus(
    api.call('PUT', `${t}/contacts/${encodeURIComponent(spareContact)}`, { as: p.admin, body: { name: 'Spare' } }),
    201,
    'spare contact',
  );
  const request = await expectStatus(
    api.call('POST', `${t}/access-requests`, {
      as: p.agent,
      body: { ticketId: 'T-1', reason: 'customer cannot export invoices', scope: { level: 'read-only' }, durationHours: 2 },
    }),
    201,
    'request',
  );
  const grant = await expectStatus(
    api.call('POST', `${t}/grants`, {
      as: p.admin,
      body: {
        reason: 'look at the export job',
        scope: { level: 'read-only' },
        durationHours: 4,
        grantees: [p.agent, p.lead].map((x) => ({ id: x.sub, email: x.email, name: x.name })),
      },
    }),
    201,
    'grant',
  );
  const session = await expectStatus(
    api.call('POST', `${t}/sessions`, { as: p.agent, body: { reason: 'reproduce the bug', grantId: grant.body.grantId } }),
    201,
    'session',
  );
  const tag = p.tenantId.slice(-8);
  const otherTenant = `other-${tag}`;
  return {
    p,
    spareContact,
    newContact: `new-${ulid().toLowerCase()}@${p.tenantId}.test`,
    requestId: request.body.requestId,
    grantId: grant.body.grantId,
    sessionId: session.body.sessionId,
    foreignUser: {
      sub: `fuser-${tag}`,
      email: `user@${otherTenant}.test`,
      name: 'Fay Foreign',
      groups: ['tenant-user'],
      tenantId: otherTenant,
    },
    foreignContact: {
      sub: `fcontact-${tag}`,
      email: p.contact.email,
      name: 'Cleo Elsewhere',
      groups: ['tenant-user'],
      tenantId: otherTenant,
    },
  };
}

/** The world's value of every path parameter, as the route would be called on its own tenant. */
export function paramsOf(route: RouteDef, w: World) {
  return {
    tenantId: w.p.tenantId,
    email: route.id === 'DeleteContact' ? w.spareContact : w.newContact,
    requestId: w.requestId,
    grantId: w.grantId,
    sessionId: w.sessionId,
  };
}

/** The route's path with the world's ids (or `override`s) in it. */
export function pathOf(route: RouteDef, w: World, override: Record<string, string> = {}): string {
  const values: Record<string, string> = { ...paramsOf(route, w), ...override };
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no value for {${name}} in ${route.path}`);
    return encodeURIComponent(v);
  });
}

/** A valid body for the route, as a caller with `role` would send it (undefined: no body). */
export function validBody(route: RouteDef, role: Role | null, w: World): Record<string, unknown> | undefined {
  const scope = { level: 'read-only' };
  switch (route.id) {
    case 'PutContact':
      return { name: 'Nina New' };
    case 'PutPolicy':
      return { maxDurationHours: 48, allowStandingAccess: false, approvalsRequired: 1, requestTtlHours: 12, notifyOnSignIn: true };
    case 'CreateAccessRequest':
      return { ticketId: 'T-2', reason: 'second look', scope, durationHours: 1 };
    case 'ApproveAccessRequest':
    case 'DenyAccessRequest':
      return { comment: 'decided' };
    case 'CancelAccessRequest':
    case 'EndSession':
    case 'RefreshSessionToken':
      return {};
    case 'CreateGrant':
      return role === 'support-lead'
        ? { ticketId: 'T-3', reason: 'approved on the phone', scope, durationHours: 1, approvedBy: w.p.contact.email }
        : { reason: 'quick look', scope, durationHours: 1 };
    case 'AddGrantee':
      return { id: `agent3-${w.p.tenantId.slice(-8)}`, email: 'agent3@vendor.test', name: 'Ari Agent' };
    case 'RevokeGrant':
      return { reason: 'done' };
    case 'ExtendGrant':
      return { hours: 2, reason: 'the export needs another run' };
    case 'SignIn':
      return { reason: 'follow up' };
    default:
      if (route.body) throw new Error(`no body for ${route.id}`);
      return undefined;
  }
}
