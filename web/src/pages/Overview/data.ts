/** The overview's data: the active grants, the policy, the pending requests and (for who may read them) the latest sign-ins. */
import { useActiveGrants } from '../../api/grants.ts';
import { usePolicy } from '../../api/policy.ts';
import { all } from '../../api/query.ts';
import { usePendingRequests } from '../../api/requests.ts';
import { useRecentSessions } from '../../api/sessions.ts';

export function useOverview(tenantId: string, readsHistory: boolean) {
  const base = all({ grants: useActiveGrants(tenantId), policy: usePolicy(tenantId), pending: usePendingRequests(tenantId) });
  // The login history is the admin's (and the support lead's) to read.
  const sessions = useRecentSessions(tenantId, readsHistory);
  const error = base.error ?? sessions.error ?? null;
  const data = base.data && (!readsHistory || sessions.data) ? { ...base.data, sessions: readsHistory ? sessions.data! : null } : undefined;
  return { data, error };
}
