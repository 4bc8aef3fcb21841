/** The HTTP layer's own rules: signed list cursors, roles from JWT claims, and the authorization table. */
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ROLES, routes, routesById, type RouteDef, type Role } from '../../lambdas/contract/routes.ts';
import type { Principal } from '../../lambdas/kernel/ports.ts';
import { principalOf } from '../../lambdas/kernel/http/auth.ts';
import { parseGroups } from '../../lambdas/modules/tokens/index.ts';
import { authorize } from '../../lambdas/kernel/http/authorize.ts';
import { csvReply } from '../../lambdas/kernel/http/csv.ts';
import { decodeCursor, encodeCursor } from '../../lambdas/kernel/http/cursor.ts';
import { HttpError } from '../../lambdas/kernel/http/problem.ts';
import { keys } from '../../lambdas/contract/table.ts';
import { captured } from '../helpers/output.ts';

const SECRET = 'test-secret';
const BINDING = 'ListGrants|acme|status=ACTIVE|caller-1';
const KEY = keys.grant('acme', '01JZ0000000000000000000000');

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

describe('list cursors', () => {
  it('decode to the position they were made from', () => {
    // Prepare
    const cursor = encodeCursor(SECRET, BINDING, KEY);
    // Act
    const key = decodeCursor(SECRET, BINDING, cursor!);
    // Assess
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/); // safe in a query string as is
    expect(key).toEqual(KEY);
  });

  it('are null at the end of a list, and no cursor means the first page', () => {
    // Act / Assess
    expect(encodeCursor(SECRET, BINDING, null)).toBeNull();
    expect(decodeCursor(SECRET, BINDING, undefined)).toBeUndefined();
  });

  it.each([
    [
      'a tampered position',
      (c: string) => {
        const [, mac] = c.split('.');
        const data = Buffer.from(JSON.stringify({ k: keys.grant('globex', 'x'), b: BINDING })).toString('base64url');
        return `${data}.${mac}`;
      },
    ],
    ['a tampered signature', (c: string) => `${c.slice(0, -2)}${c.endsWith('AA') ? 'BB' : 'AA'}`],
    ['a cursor signed with another secret', () => encodeCursor('another-secret', BINDING, KEY)!],
    ['a cursor of another list (other binding)', () => encodeCursor(SECRET, 'ListGrants|globex|status=ACTIVE|caller-1', KEY)!],
    ['a cursor of the same list for another caller', () => encodeCursor(SECRET, 'ListGrants|acme|status=ACTIVE|caller-2', KEY)!],
    ['garbage', () => 'not-a-cursor'],
    ['three parts', (c: string) => `${c}.extra`],
    ['an empty signature', (c: string) => `${c.split('.')[0]}.`],
    [
      'a signed non-JSON payload',
      () => {
        const forged = encodeCursor(SECRET, BINDING, KEY)!;
        const [, mac] = forged.split('.');
        return `${Buffer.from('{not json').toString('base64url')}.${mac}`;
      },
    ],
  ])('answer 400 VALIDATION_FAILED naming `cursor` for %s', (_, forge) => {
    // Prepare
    const cursor = forge(encodeCursor(SECRET, BINDING, KEY)!);
    // Act
    const err = httpError(() => decodeCursor(SECRET, BINDING, cursor));
    // Assess
    expect(err.status).toBe(400);
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.errors?.map((e) => e.path)).toEqual(['cursor']);
  });
});

describe('parseGroups', () => {
  it.each<[string, unknown, Role[]]>([
    ['a JSON array', ['tenant-admin', 'support-lead'], ['tenant-admin', 'support-lead']],
    ['a JSON array in a string', '["support-agent","tenant-user"]', ['support-agent', 'tenant-user']],
    ["API Gateway's [a b] string", '[tenant-admin support-agent]', ['tenant-admin', 'support-agent']],
    ['a one-group [a] string', '[support-lead]', ['support-lead']],
    ['a bare group name', 'tenant-admin', ['tenant-admin']],
    ['unknown groups among known ones', ['admins', 'tenant-user', 'root', 'support-agent'], ['tenant-user', 'support-agent']],
    ['repeated groups', ['support-agent', 'support-agent'], ['support-agent']],
    ['no claim', undefined, []],
    ['an empty [] string', '[]', []],
    ['a number', 42, []],
    ['non-strings in an array', [1, null, { g: 'tenant-admin' }, 'tenant-admin'], ['tenant-admin']],
  ])('reads %s', (_, raw, expected) => {
    // Act
    const roles = parseGroups(raw);
    // Assess
    expect(roles).toEqual(expected);
  });

  // A group is a role only by its exact name. In the `[a b]` form a space may be inside a name,
  // so a string with any part that is not a role's exact name grants nothing.
  it.each<[string, unknown]>([
    ['a group with a role name and more, in a JSON array', ['tenant-admin (backup)']],
    ['that group as a JSON string', '["tenant-admin (backup)"]'],
    ['that group in the [a b] form', '[tenant-admin (backup)]'],
    ['that group beside a real one in the [a b] form', '[support-agent tenant-admin (backup)]'],
    ['a group named before a role, [a b] form', '[everyone support-lead]'],
    ['a comma-separated [a, b] string', '[tenant-user, support-agent]'],
    ['a role name in another case', ['Tenant-Admin']],
    ['a role name with a space around it', [' tenant-admin']],
    ['a bare name with a space', 'tenant-admin (backup)'],
    ['a double space in the [a b] form', '[tenant-admin  support-agent]'],
    ['a trailing space in the [a b] form', '[tenant-admin ]'],
    ['broken JSON', '["tenant-admin"'],
    ['a JSON string that is no array', '"tenant-admin"'],
    ['an unclosed [a b] form', '[tenant-admin'],
  ])('grants nothing for %s', (_, raw) => {
    // Act
    const roles = parseGroups(raw);
    // Assess
    expect(roles).toEqual([]);
  });
});

describe('principalOf', () => {
  const event = (claims: Record<string, unknown>) =>
    ({
      requestContext: {
        authorizer: { lambda: { verdict: 'ok', claims: JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 600, ...claims }) } },
      },
    }) as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;

  it('reads who is calling from the claims, with the email canonical', () => {
    // Act
    const p = principalOf(
      event({
        sub: 'u1',
        email: ' Carol@Example.COM',
        email_verified: 'true',
        name: 'Carol',
        roles: ['tenant-user'],
        tenant_id: 'acme',
      }),
    );
    // Assess
    expect(p).toEqual({
      id: 'u1',
      email: 'carol@example.com',
      emailVerified: true,
      name: 'Carol',
      roles: ['tenant-user'],
      tenantId: 'acme',
    });
  });

  it.each<[string, unknown, boolean]>([
    ['the JSON boolean true', true, true],
    ['the string "true"', 'true', true],
    ['false', false, false],
    ['the string "false"', 'false', false],
    ['"TRUE"', 'TRUE', false],
    ['1', 1, false],
    ['no claim', undefined, false],
  ])('reads email_verified: %s', (_, claim, verified) => {
    expect(principalOf(event({ sub: 'u1', email: 'c@example.com', email_verified: claim })).emailVerified).toBe(verified);
  });

  it('canonicalises the email with NFKC (fullwidth letters are the ASCII ones)', () => {
    expect(principalOf(event({ sub: 'u1', email: 'ＣＡＲＯＬ@acme.test' })).email).toBe('carol@acme.test');
  });

  it('turns line breaks in a claimed name into spaces (names are printed in emails)', () => {
    expect(principalOf(event({ sub: 'u1', name: 'Eve\r\nBcc: x@evil.example\u2028' })).name).toBe('Eve  Bcc: x@evil.example');
  });

  it('answers 401 without a subject', () => {
    // Act
    const err = httpError(() => principalOf(event({ email: 'x@example.com' })));
    // Assess
    expect(err.status).toBe(401);
    expect(err.code).toBe('UNAUTHENTICATED');
  });

  it.each(['a#b', 'TENANT#other', 'x'.repeat(129), 'has space', 'a/b', 'é'])(
    'answers 401 for a subject that is not an id (%s), which keys could not hold safely',
    (sub) => {
      // Act
      const err = httpError(() => principalOf(event({ sub, email: 'x@example.com' })));
      // Assess
      expect(err.status).toBe(401);
      expect(err.code).toBe('UNAUTHENTICATED');
    },
  );

  it.each(['3f2504e0-4f89-11d3-9a0c-0305e82c3301', 'auth0|5f7c8ec7c33c6c004bbafe82', 'google-oauth2|1234'])(
    'accepts the subjects real issuers give (%s)',
    (sub) => {
      expect(principalOf(event({ sub })).id).toBe(sub);
    },
  );
});

describe('authorize', () => {
  const route = (id: string) => routesById.get(id)!;
  const who = (roles: Role[], tenantId: string | null = null): Principal => ({
    id: 'u',
    email: 'u@example.com',
    emailVerified: true,
    name: 'U',
    roles,
    tenantId,
  });
  const outcome = (r: RouteDef, p: Principal, tenantId: string | undefined) => {
    try {
      authorize(r, p, tenantId);
      return 200;
    } catch (e) {
      return (e as HttpError).status;
    }
  };

  it.each<[string, string, Principal, string | undefined, number]>([
    ['an admin, on its own tenant', 'PutPolicy', who(['tenant-admin'], 'acme'), 'acme', 200],
    ['a tenant user, on an admin-only route of its own tenant', 'PutPolicy', who(['tenant-user'], 'acme'), 'acme', 403],
    ['an admin of another tenant', 'GetPolicy', who(['tenant-admin'], 'globex'), 'acme', 404],
    ['a tenant user of another tenant, even on a route it lacks the role for', 'ListSessions', who(['tenant-user'], 'globex'), 'acme', 404],
    ['a tenant user with no tenant claim', 'ListContacts', who(['tenant-user'], null), 'acme', 404],
    ['a support agent, on a support route', 'SignIn', who(['support-agent']), 'acme', 200],
    ['a support agent, on a route for tenant admins and leads', 'ListSessions', who(['support-agent']), 'acme', 403],
    ['a support lead, on the login history', 'ListSessions', who(['support-lead']), 'acme', 200],
    [
      'a support agent that is also admin elsewhere: tenant roles do not travel',
      'PutPolicy',
      who(['support-agent', 'tenant-admin'], 'globex'),
      'acme',
      403,
    ],
    [
      'a support agent that is also admin elsewhere, on a support route',
      'GetAccess',
      who(['support-agent', 'tenant-admin'], 'globex'),
      'acme',
      200,
    ],
    ['a support agent that is also admin of this tenant', 'PutPolicy', who(['support-agent', 'tenant-admin'], 'acme'), 'acme', 200],
    ['a tenant admin, on a route with no tenant', 'ListMyGrants', who(['tenant-admin'], 'acme'), undefined, 403],
    ['a support agent, on a route with no tenant', 'ListMyGrants', who(['support-agent']), undefined, 200],
    ['a caller with no role at all', 'ListContacts', who([]), 'acme', 403],
    ['a tenant user, on a tenant admin or contact route', 'ApproveAccessRequest', who(['tenant-user'], 'acme'), 'acme', 200],
    ['a support lead, on approve', 'ApproveAccessRequest', who(['support-lead']), 'acme', 403],
  ])('%s → %i (%s)', (_, routeId, principal, tenantId, expected) => {
    // Act
    const status = outcome(route(routeId), principal, tenantId);
    // Assess
    expect(status).toBe(expected);
  });

  it('walks every tenant route with every role: allowed exactly by the route table, foreign tenant users 404', () => {
    // Prepare
    const tenantRoutes = (routes as readonly RouteDef[]).filter((r) => r.auth && r.path.includes('{tenantId}'));
    const rows: string[] = [];
    // Act
    for (const r of tenantRoutes) {
      for (const role of ROLES) {
        const isTenantRole = role === 'tenant-admin' || role === 'tenant-user';
        const own = outcome(r, who([role], isTenantRole ? 'acme' : null), 'acme');
        const expectedOwn = r.roles.includes(role) ? 200 : 403;
        if (own !== expectedOwn) rows.push(`${r.id} ${role} own: ${own} != ${expectedOwn}`);
        if (isTenantRole) {
          const foreign = outcome(r, who([role], 'globex'), 'acme');
          if (foreign !== 404) rows.push(`${r.id} ${role} foreign: ${foreign} != 404`);
        }
      }
    }
    // Assess
    expect(tenantRoutes.length).toBeGreaterThan(15);
    expect(rows).toEqual([]);
  });
});

describe('an unexpected error', () => {
  it('answers a 500 problem that says nothing internal, and logs the cause with the request id', async () => {
    // Prepare
    const { toProblem } = await import('../../lambdas/kernel/http/problem.ts');
    const { createTelemetry } = await import('../../lambdas/runtime/telemetry.ts');
    const { lambdaContext } = await import('../../local/server.ts');
    const telemetry = createTelemetry();
    // Act
    let res!: ReturnType<typeof toProblem>;
    const out = await captured(async () => {
      telemetry.begin(lambdaContext('support-access-grants'), { requestId: 'req-42' });
      res = toProblem(new Error('ConditionalCheckFailed on table prod-support-access PK=TENANT#acme'), 'req-42', telemetry.log);
      await telemetry.end();
    });
    // Assess
    expect(res.statusCode).toBe(500);
    const body = JSON.parse(res.body as string);
    expect(body).toMatchObject({ status: 500, code: 'INTERNAL' });
    expect(body.detail).toContain('req-42');
    expect(JSON.stringify(body)).not.toMatch(/prod-support-access|TENANT#|ConditionalCheck/);
    expect(out.logs()).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'unhandled error',
        requestId: 'req-42',
        error: expect.objectContaining({ name: 'Error', message: expect.stringContaining('prod-support-access') }),
      }),
    ]);
  });
});

describe('a CSV export over the cap', () => {
  /** CSV pages as the export yields them: a header, then `pages` pages of `bytes` bytes. */
  async function* chunks(pages: number, bytes: number) {
    yield 'a,b\r\n';
    for (let i = 0; i < pages; i++) yield `${'x'.repeat(bytes - 2)}\r\n`;
  }
  const route = routesById.get('ListSessions')!;

  it('answers 413 PAYLOAD_TOO_LARGE, as its OpenAPI entry says, and never a cut file', async () => {
    // Act
    const refused = await csvReply(route, 'acme', chunks(3, 100), 250).then(
      () => null,
      (e: unknown) => e,
    );
    // Assess
    expect(refused).toBeInstanceOf(HttpError);
    expect(refused).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect((refused as HttpError).message).toMatch(/narrow the window/);
  });

  it('answers the whole CSV under the cap, named after its route and tenant', async () => {
    const reply = await csvReply(route, 'acme', chunks(2, 100), 250);
    expect(reply).toMatchObject({ status: 200, filename: 'login-history-acme.csv', contentType: expect.stringMatching(/^text\/csv/) });
    expect(reply.raw).toHaveLength(205);
  });
});
