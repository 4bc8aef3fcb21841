/** Grants: `CreateGrant`, `ListGrants`, `GetGrant`, `AddGrantee`, `RevokeGrant`, `ExtendGrant`. */
import type { AdminGrantBody, UpfrontGrantBody } from '../contract/schemas.ts';
import { addGrantee, createGrant, getGrant, listGrants, revokeGrant } from '../domain/grants.ts';
import { extendGrant } from '../domain/lifecycle.ts';
import { api, listReply } from './api.ts';

export const handler = api('grants', {
  CreateGrant: async ({ deps, principal, params, body }) => ({
    status: 201,
    // The middleware validated the body with the caller's role's schema (see `bodyByRole`).
    body: await createGrant(deps, principal, params.tenantId, body as AdminGrantBody | UpfrontGrantBody),
  }),
  ListGrants: async (input) =>
    listReply(input, await listGrants(input.deps, input.params.tenantId, input.page, input.query.status)),
  GetGrant: async ({ deps, params }) => ({ body: await getGrant(deps, params.tenantId, params.grantId) }),
  AddGrantee: async ({ deps, principal, params, body }) => ({
    body: await addGrantee(deps, principal, params.tenantId, params.grantId, body),
  }),
  RevokeGrant: async ({ deps, principal, params, body }) => ({
    body: await revokeGrant(deps, principal, params.tenantId, params.grantId, body.reason),
  }),
  ExtendGrant: async ({ deps, principal, params, body }) => {
    const outcome = await extendGrant(deps, principal, params.tenantId, params.grantId, body);
    return outcome.kind === 'extended' ? { status: 200, body: outcome.grant } : { status: 201, body: outcome.request };
  },
});
