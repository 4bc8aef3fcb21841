/** Support sessions: the login history (paged, filtered), the latest sign-ins; sign in, end, refresh a token. */
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, idem, ok } from './client.ts';
import { keys } from './keys.ts';
import { usePaged } from './paged.ts';
import { invalidate } from './query.ts';

export type SessionFilters = { from?: string; to?: string; accessedBy?: string };

export const useSessions = (tenantId: string, filters: SessionFilters) =>
  usePaged(keys.sessionList(tenantId, filters), (cursor) =>
    ok(
      api().GET('/v1/tenants/{tenantId}/sessions', {
        params: { path: { tenantId }, query: { limit: 25, ...filters, ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );

/** The latest 25 sign-ins (the overview; only for those who may read the login history). */
export const useRecentSessions = (tenantId: string, enabled: boolean) =>
  useQuery({
    queryKey: keys.sessionList(tenantId, { limit: 25 }),
    queryFn: () =>
      ok(api().GET('/v1/tenants/{tenantId}/sessions', { params: { path: { tenantId }, query: { limit: 25 } } })).then((r) => r.items),
    enabled,
  });

/** What a sign-in or sign-out changes: the login history and its grant's sessions, the caller's own. */
const touched = (tenantId: string) => invalidate(keys.sessions(tenantId), keys.grants(tenantId), keys.me);

export const useStartSession = () =>
  useMutation({
    mutationFn: ({ tenantId, reason }: { tenantId: string; reason: string }) =>
      ok(api().POST('/v1/tenants/{tenantId}/sessions', { params: { path: { tenantId }, header: idem() }, body: { reason } })),
    onSuccess: (_s, { tenantId }) => touched(tenantId),
  });

export const endSession = (tenantId: string, sessionId: string) =>
  ok(api().POST('/v1/tenants/{tenantId}/sessions/{sessionId}/end', { params: { path: { tenantId, sessionId } } })).finally(() =>
    touched(tenantId),
  );

export const refreshSession = (tenantId: string, sessionId: string) =>
  ok(api().POST('/v1/tenants/{tenantId}/sessions/{sessionId}/refresh', { params: { path: { tenantId, sessionId } } }));
