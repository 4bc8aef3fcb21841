/** The hot path: `GetAccess` (one DynamoDB request) and `ListMyGrants`. */
import { getAccess, listMyGrants } from './service.ts';
import { type DepsSource, lambdaDeps } from '../../runtime/index.ts';
import { api, type Handlers, listReply } from '../../kernel/http/api.ts';

const routes: Handlers<'access'> = {
  GetAccess: async ({ deps, principal, params }) => ({ body: await getAccess(deps, principal, params.tenantId) }),
  ListMyGrants: async (input) => listReply(input, await listMyGrants(input.deps, input.principal, input.page)),
};

/** The function over the given dependencies (the local stack and tests bring their own). */
export const createHandler = (deps: DepsSource) => api('access', routes, deps);
export const handler = createHandler(lambdaDeps());
