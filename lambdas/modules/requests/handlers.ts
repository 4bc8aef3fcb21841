/** Access requests: create, list, read, approve, deny, cancel. */
import { METRICS } from '../../contract/metrics.ts';
import { approveRequest, cancelRequest, createRequest, denyRequest, getRequest, listMyRequests, listRequests } from './service.ts';
import { type DepsSource, lambdaDeps } from '../../runtime/index.ts';
import { api, type Handlers, listReply } from '../../kernel/http/api.ts';

const routes: Handlers<'requests'> = {
  CreateAccessRequest: async ({ deps, principal, params, body }) => ({
    status: 201,
    body: await createRequest(deps, principal, params.tenantId, body),
  }),
  ListAccessRequests: async (input) =>
    listReply(input, await listRequests(input.deps, input.principal, input.params.tenantId, input.page, input.query.status)),
  ListMyRequests: async (input) => listReply(input, await listMyRequests(input.deps, input.principal, input.page, input.query.status)),
  GetAccessRequest: async ({ deps, principal, params }) => ({ body: await getRequest(deps, principal, params.tenantId, params.requestId) }),
  ApproveAccessRequest: async ({ deps, principal, params, body }) => {
    const request = await approveRequest(deps, principal, params.tenantId, params.requestId, body.comment);
    // Only the deciding vote answers APPROVED (the request was PENDING); an access request's makes its grant ACTIVE.
    if (request.status === 'APPROVED' && request.kind === 'access') deps.telemetry.count(METRICS.grantsActivated);
    return { body: request };
  },
  DenyAccessRequest: async ({ deps, principal, params, body }) => ({
    body: await denyRequest(deps, principal, params.tenantId, params.requestId, body.comment),
  }),
  CancelAccessRequest: async ({ deps, principal, params }) => ({
    body: await cancelRequest(deps, principal, params.tenantId, params.requestId),
  }),
};

/** The function over the given dependencies (the local stack and tests bring their own). */
export const createHandler = (deps: DepsSource) => api('requests', routes, deps);
export const handler = createHandler(lambdaDeps());
