/** Access requests: a tenant's (paged, pending), one request, the caller's own; ask, approve, deny, cancel. */
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, idem, ok, type AccessRequest } from './client.ts';
import { keys } from './keys.ts';
import { usePaged } from './paged.ts';
import { invalidate } from './query.ts';

export type RequestStatus = AccessRequest['status'];
export type NewRequest = { ticketId: string; reason: string; scope: AccessRequest['scope']; durationHours: number };

/** A decision changes the request, the lists it is in, and (approved) the grants: the overview too. */
const decided = (tenantId: string) => invalidate(keys.requests(tenantId), keys.grants(tenantId), keys.me);

export const useRequests = (tenantId: string, status: RequestStatus | undefined) =>
  usePaged(keys.requestList(tenantId, { status }), (cursor) =>
    ok(
      api().GET('/v1/tenants/{tenantId}/access-requests', {
        params: { path: { tenantId }, query: { limit: 25, ...(cursor ? { cursor } : {}), ...(status ? { status } : {}) } },
      }),
    ),
  );

/** The pending requests (the overview's "Waiting for you"). */
export const usePendingRequests = (tenantId: string) =>
  useQuery({
    queryKey: keys.requestList(tenantId, { status: 'PENDING', limit: 100 }),
    queryFn: () =>
      ok(
        api().GET('/v1/tenants/{tenantId}/access-requests', {
          params: { path: { tenantId }, query: { status: 'PENDING', limit: 100 } },
        }),
      ).then((r) => r.items),
  });

export const useRequest = (tenantId: string, requestId: string) =>
  useQuery({
    queryKey: keys.request(tenantId, requestId),
    queryFn: () => ok(api().GET('/v1/tenants/{tenantId}/access-requests/{requestId}', { params: { path: { tenantId, requestId } } })),
  });

/** The caller's requests at every tenant (`GET /v1/me/requests`). */
export const useMyRequests = (status: RequestStatus | undefined) =>
  usePaged(keys.myRequests({ status }), (cursor) =>
    ok(api().GET('/v1/me/requests', { params: { query: { limit: 25, ...(cursor ? { cursor } : {}), ...(status ? { status } : {}) } } })),
  );

export const useAskForAccess = () =>
  useMutation({
    mutationFn: ({ tenantId, body }: { tenantId: string; body: NewRequest }) =>
      ok(api().POST('/v1/tenants/{tenantId}/access-requests', { params: { path: { tenantId }, header: idem() }, body })),
    onSuccess: (_r, { tenantId }) => invalidate(keys.requests(tenantId), keys.me),
  });

type Decision = { tenantId: string; requestId: string; comment?: string | undefined };
const approve = ({ tenantId, requestId, comment }: Decision) =>
  ok(
    api().POST('/v1/tenants/{tenantId}/access-requests/{requestId}/approve', {
      params: { path: { tenantId, requestId } },
      body: comment ? { comment } : {},
    }),
  );
const deny = ({ tenantId, requestId, comment }: Decision) =>
  ok(
    api().POST('/v1/tenants/{tenantId}/access-requests/{requestId}/deny', {
      params: { path: { tenantId, requestId } },
      body: comment ? { comment } : {},
    }),
  );

export const useApproveRequest = () => useMutation({ mutationFn: approve, onSuccess: (_r, { tenantId }) => decided(tenantId) });
export const useDenyRequest = () => useMutation({ mutationFn: deny, onSuccess: (_r, { tenantId }) => decided(tenantId) });
export const useCancelRequest = () =>
  useMutation({
    mutationFn: ({ tenantId, requestId }: Decision) =>
      ok(api().POST('/v1/tenants/{tenantId}/access-requests/{requestId}/cancel', { params: { path: { tenantId, requestId } } })),
    onSuccess: (_r, { tenantId }) => decided(tenantId),
  });
