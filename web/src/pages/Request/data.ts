/** The request page's data: the request and its tenant's policy (how many approvals it needs). */
import { usePolicy } from '../../api/policy.ts';
import { all } from '../../api/query.ts';
import { useRequest } from '../../api/requests.ts';

export const useRequestPage = (tenantId: string, requestId: string) =>
  all({ request: useRequest(tenantId, requestId), policy: usePolicy(tenantId) });
