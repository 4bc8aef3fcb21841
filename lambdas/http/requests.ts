/** Access requests: create, list, read, approve, deny, cancel. */
import { approveRequest, cancelRequest, createRequest, denyRequest, getRequest, listRequests } from '../domain/requests.ts';
import { api, listReply } from './api.ts';

export const handler = api('requests', {
  CreateAccessRequest: async ({ deps, principal, params, body }) => ({
    status: 201,
    body: await createRequest(deps, principal, params.tenantId, body),
  }),
  ListAccessRequests: async (input) =>
    listReply(input, await listRequests(input.deps, input.principal, input.params.tenantId, input.page, input.query.status)),
  GetAccessRequest: async ({ deps, principal, params }) => ({ body: await getRequest(deps, principal, params.tenantId, params.requestId) }),
  ApproveAccessRequest: async ({ deps, principal, params, body }) => ({
    body: await approveRequest(deps, principal, params.tenantId, params.requestId, body.comment),
  }),
  DenyAccessRequest: async ({ deps, principal, params, body }) => ({
    body: await denyRequest(deps, principal, params.tenantId, params.requestId, body.comment),
  }),
  CancelAccessRequest: async ({ deps, principal, params }) => ({ body: await cancelRequest(deps, principal, params.tenantId, params.requestId) }),
});
