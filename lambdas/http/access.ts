/** The hot path: `GetAccess` (one DynamoDB request) and `ListMyGrants`. */
import { getAccess, listMyGrants } from '../domain/sessions.ts';
import { api, listReply } from './api.ts';

export const handler = api('access', {
  GetAccess: async ({ deps, principal, params }) => ({ body: await getAccess(deps, principal, params.tenantId) }),
  ListMyGrants: async (input) => listReply(input, await listMyGrants(input.deps, input.principal, input.page)),
});
