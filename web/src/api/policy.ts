/** A tenant's policy: read by four pages, saved on Settings. */
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, ok, type Policy } from './client.ts';
import { keys } from './keys.ts';
import { invalidate } from './query.ts';

export const usePolicy = (tenantId: string, enabled = true) =>
  useQuery({
    queryKey: keys.policy(tenantId),
    queryFn: () => ok(api().GET('/v1/tenants/{tenantId}/policy', { params: { path: { tenantId } } })),
    enabled: enabled && tenantId !== '',
  });

export const useSavePolicy = (tenantId: string) =>
  useMutation({
    mutationFn: (body: Policy) => ok(api().PUT('/v1/tenants/{tenantId}/policy', { params: { path: { tenantId } }, body })),
    onSuccess: () => invalidate(keys.policy(tenantId)),
  });
