/**
 * The identity step's edges (claims → principal → route verdict) that the cases in
 * http-utils.test.ts leave open: what a caller reads in a refusal, the claims that are absent or of
 * the wrong type, strings that only half look like API Gateway's `[a b]` groups, and support staff
 * who also hold a tenant role elsewhere. Found by `npm run mutate` (docs/security.md, issue 22).
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { routesById, type Role } from '../../lambdas/contract/routes.ts';
import type { Principal } from '../../lambdas/kernel/ports.ts';
import { principalOf } from '../../lambdas/kernel/http/auth.ts';
import { parseGroups } from '../../lambdas/modules/tokens/index.ts';
import { authorize } from '../../lambdas/kernel/http/authorize.ts';
import { HttpError } from '../../lambdas/kernel/http/problem.ts';

/** Runs `fn` and returns the HttpError it threw (fails when it threw nothing or something else). */
function httpError(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HttpError);
    return e as HttpError;
  }
  throw new Error('expected an HttpError, got none');
}

const event = (claims: Record<string, unknown>) =>
  ({
    requestContext: {
      authorizer: { lambda: { verdict: 'ok', claims: JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 600, ...claims }) } },
    },
  }) as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;

const who = (roles: Role[], tenantId: string | null = null): Principal => ({
  id: 'u',
  email: 'u@example.com',
  emailVerified: true,
  name: 'U',
  roles,
  tenantId,
});

describe('groups that only half look like the [a b] form', () => {
  it.each<[string, string]>([
    ['an opening bracket with no closing one', '[tenant-admin,'],
    ['a closing bracket with no opening one', '(tenant-admin]'],
    ['several names without the opening bracket', 'support-agent tenant-admin]'],
  ])('grant nothing: %s (%s)', (_, raw) => {
    // Act
    const roles = parseGroups(raw);
    // Assess
    expect(roles).toEqual([]);
  });
});

describe('a refused token', () => {
  // The caller reads the problem's `detail` (the message) to learn what to send instead.
  it('without a subject answers 401 saying a bearer token is required', () => {
    // Act
    const err = httpError(() => principalOf(event({ email: 'x@example.com' })));
    // Assess
    expect([err.status, err.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(err.message).toMatch(/bearer token is required/);
  });

  it('with an empty subject answers the same as without one', () => {
    // Act
    const err = httpError(() => principalOf(event({ sub: '', email: 'x@example.com' })));
    // Assess
    expect([err.status, err.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(err.message).toMatch(/bearer token is required/);
  });

  it('with a subject that is not an id answers 401 saying the subject is the problem', () => {
    // Act
    const err = httpError(() => principalOf(event({ sub: 'TENANT#other', email: 'x@example.com' })));
    // Assess
    expect([err.status, err.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(err.message).toMatch(/subject is not a valid id/);
  });

  it("that the authorizer refused answers 401 with the authorizer's reason", () => {
    // Arrange
    const refused = {
      requestContext: { authorizer: { lambda: { verdict: 'refused', reason: 'the token is not an API token (typ "JWT")' } } },
    };
    // Act
    const err = httpError(() => principalOf(refused));
    // Assess
    expect([err.status, err.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(err.message).toMatch(/not an API token/);
  });

  it('without any verdict (no authorizer ran) answers 401', () => {
    expect(httpError(() => principalOf({ requestContext: {} })).status).toBe(401);
  });

  it('whose cached verdict outlived the token answers 401 saying it expired', () => {
    // Arrange: API Gateway caches a verdict for minutes; the token ended a second ago.
    const exp = Math.floor(Date.now() / 1000) - 1;
    const stale = { requestContext: { authorizer: { lambda: { verdict: 'ok', claims: JSON.stringify({ sub: 'u1', exp }) } } } };
    // Act
    const err = httpError(() => principalOf(stale));
    // Assess
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/expired/);
  });

  it.each<[string, unknown]>([
    ['a number', 42],
    ['an array', ['u1']],
    ['an object', { id: 'u1' }],
    ['true', true],
  ])('with a subject that is %s (no string) answers 401', (_, sub) => {
    // Act
    const err = httpError(() => principalOf(event({ sub, email: 'x@example.com' })));
    // Assess
    expect([err.status, err.code]).toEqual([401, 'UNAUTHENTICATED']);
  });
});

describe('claims that are absent or not strings', () => {
  it.each<[string, unknown]>([
    ['absent', undefined],
    ['empty', ''],
    ['a number', 7],
    ['an array', ['acme']],
  ])('a tenant claim that is %s gives no tenant', (_, tenantClaim) => {
    // Act
    const p = principalOf(event({ sub: 'u1', tenant_id: tenantClaim, roles: ['tenant-admin'] }));
    // Assess
    expect(p.tenantId).toBeNull();
    expect(p.roles).toEqual(['tenant-admin']); // the role is read, but counts on no tenant (below)
  });

  it('a tenant admin without a tenant claim is a stranger to every tenant (404)', () => {
    // Prepare
    const p = principalOf(event({ sub: 'u1', roles: ['tenant-admin'] }));
    // Act
    const err = httpError(() => authorize(routesById.get('PutPolicy')!, p, 'acme'));
    // Assess
    expect([err.status, err.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('no email and no name: the email is empty and the name is the subject', () => {
    // Act
    const p = principalOf(event({ sub: 'u1', email: 42, name: ['Carol'] }));
    // Assess
    expect(p).toMatchObject({ id: 'u1', email: '', emailVerified: false, name: 'u1', roles: [], tenantId: null });
  });

  it('no name, or one of only control characters and spaces: the name is the email', () => {
    // Act
    const absent = principalOf(event({ sub: 'u1', email: 'Carol@Example.com' }));
    const blank = principalOf(event({ sub: 'u1', email: 'Carol@Example.com', name: ' \u0000\t\u2029\u009f ' }));
    // Assess
    expect(absent.name).toBe('carol@example.com');
    expect(blank.name).toBe('carol@example.com');
  });

  it('a name is kept to its first 200 characters (it is printed in emails)', () => {
    // Act
    const p = principalOf(event({ sub: 'u1', name: `Carol ${'x'.repeat(500)}` }));
    // Assess
    expect(p.name).toBe(`Carol ${'x'.repeat(194)}`);
  });

  it('a name of 200 characters is kept whole', () => {
    // Act
    const p = principalOf(event({ sub: 'u1', name: 'y'.repeat(200) }));
    // Assess
    expect(p.name).toBe('y'.repeat(200));
  });
});

describe('a refused route', () => {
  it('answers 403 FORBIDDEN naming the route and each role it needs (who to ask for what)', () => {
    // Act
    const err = httpError(() => authorize(routesById.get('ListSessions')!, who(['support-agent']), 'acme'));
    // Assess
    expect([err.status, err.code]).toEqual([403, 'FORBIDDEN']);
    const words = err.message.split(/[\s,:]+/);
    expect(words).toContain('ListSessions');
    expect(words).toEqual(expect.arrayContaining(['tenant-admin', 'support-lead']));
  });

  it('of another tenant answers 404 NOT_FOUND saying only that there is no such tenant', () => {
    // Act
    const err = httpError(() => authorize(routesById.get('GetPolicy')!, who(['tenant-admin'], 'globex'), 'acme'));
    // Assess
    expect([err.status, err.code]).toEqual([404, 'NOT_FOUND']);
    expect(err.message).toBe('no such tenant'); // neither tenant's id: nothing to learn from it
  });
});

describe('support staff who are also tenant users elsewhere', () => {
  it.each<[string, Role, string, number]>([
    ['a support lead, on the login history of a tenant', 'support-lead', 'ListSessions', 200],
    ['a support lead, on a route for tenant admins only', 'support-lead', 'PutPolicy', 403],
    ['a support agent, on a support route', 'support-agent', 'GetAccess', 200],
  ])('are support staff there, not strangers: %s → %i', (_, supportRole, routeId, expected) => {
    // Prepare
    const p = who([supportRole, 'tenant-user'], 'globex');
    // Act
    let status = 200;
    try {
      authorize(routesById.get(routeId)!, p, 'acme');
    } catch (e) {
      status = (e as HttpError).status;
    }
    // Assess
    expect(status).toBe(expected);
  });
});
