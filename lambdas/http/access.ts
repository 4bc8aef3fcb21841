/** The hot path: `GetAccess` (one DynamoDB request) and `ListMyGrants`. */
import { getAccess, listMyGrants } from '../domain/sessions.ts';
import { api } from './api.ts';

export const handler = api('access', {
  GetAccess: async ({ deps, principal, params }) => ({ body: await getAccess(deps, principal, params.tenantId) }),
  ListMyGrants: async ({ deps, principal }) => ({ body: { items: await listMyGrants(deps, principal), nextCursor: null } }),
});
