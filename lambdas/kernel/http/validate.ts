/**
 * Step 4, validation: path, query and body with the route's zod schemas (a 400 names each field);
 * a body that differs by role is read with the schema of the role the caller acts in.
 */
import * as z from 'zod';
import type { RouteDef, Role } from '../../contract/routes.ts';
import { lazily } from '../../contract/schemas.ts';
import { ForbiddenError } from '../errors.ts';
import { actingRole } from '../model.ts';
import type { Principal } from '../ports.ts';
import { fieldErrors, HttpError } from './problem.ts';

export function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new HttpError(
      400,
      'VALIDATION_FAILED',
      `the ${where} is not valid`,
      fieldErrors(result.error, where === 'body' ? undefined : where),
    );
  }
  return result.data;
}

/** The paging fields of a list's validated query. */
export const PageQuery = lazily(() => z.object({ limit: z.number().optional(), cursor: z.string().optional() }));

/** Parameters in the query of a route that takes none: a 400 naming each. */
export function noQuery(route: RouteDef, queryIn: Record<string, unknown>): void {
  if (!route.query && Object.keys(queryIn).length > 0) {
    throw new HttpError(
      400,
      'VALIDATION_FAILED',
      'this route takes no query parameters',
      Object.keys(queryIn).map((k) => ({ path: `query.${k}`, message: 'unknown parameter' })),
    );
  }
}

export /**
 * The body's schema and how it is handed on. A route whose body differs by role (CreateGrant)
 * reads it with the schema of the role the caller acts in (`actingRole`, decided here once) and
 * hands it on tagged with that role.
 */
function bodyReader(
  route: RouteDef,
  principal: Principal,
  tenantId: string | null,
): { schema: z.ZodType; tag: (body: unknown) => unknown } | undefined {
  if (!route.bodyByRole) return route.body ? { schema: route.body, tag: (body) => body } : undefined;
  const byRole = route.bodyByRole;
  const role = actingRole(principal, tenantId, Object.keys(byRole) as Role[]);
  const schema = role ? byRole[role] : undefined;
  if (!role || !schema) throw new ForbiddenError('no body of this route is for your role');
  return { schema, tag: (body) => ({ as: role, body }) };
}
