/** Grants: `CreateGrant`, `ListGrants`, `GetGrant`, `AddGrantee`, `RevokeGrant`, `ExtendGrant`. */
import { METRICS } from '../../contract/metrics.ts';
import { addGrantee, getGrant, listGrants, placeGrant, revokeGrant } from './service.ts';
import { extendGrant } from '../requests/index.ts';
import { type DepsSource, lambdaDeps } from '../../runtime/index.ts';
import { api, type Handlers, listReply } from '../../kernel/http/api.ts';

const routes: Handlers<'grants'> = {
  CreateGrant: async ({ deps, principal, params, body }) => {
    // The body was read with the schema of the role the caller acts in, and comes tagged with it.
    const grant = await placeGrant(deps, principal, params.tenantId, body);
    deps.telemetry.count(METRICS.grantsActivated);
    return { status: 201, body: grant };
  },
  ListGrants: async (input) => listReply(input, await listGrants(input.deps, input.params.tenantId, input.page, input.query.status)),
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
};

/** The function over the given dependencies (the local stack and tests bring their own). */
export const createHandler = (deps: DepsSource) => api('grants', routes, deps);
export const handler = createHandler(lambdaDeps());
