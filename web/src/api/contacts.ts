/** A tenant's authorized contacts: the list, add or change one, remove one. */
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, ok } from './client.ts';
import { keys } from './keys.ts';
import { invalidate } from './query.ts';

export const useContacts = (tenantId: string) =>
  useQuery({
    queryKey: keys.contacts(tenantId),
    queryFn: () => ok(api().GET('/v1/tenants/{tenantId}/contacts', { params: { path: { tenantId } } })).then((r) => r.items),
  });

export const usePutContact = (tenantId: string) =>
  useMutation({
    mutationFn: ({ email, name, tier }: { email: string; name: string; tier?: 'primary' | 'backup' }) =>
      ok(
        api().PUT('/v1/tenants/{tenantId}/contacts/{email}', {
          params: { path: { tenantId, email } },
          body: { name, ...(tier ? { tier } : {}) },
        }),
      ),
    onSuccess: () => invalidate(keys.contacts(tenantId)),
  });

export const useRemoveContact = (tenantId: string) =>
  useMutation({
    mutationFn: (email: string) => ok(api().DELETE('/v1/tenants/{tenantId}/contacts/{email}', { params: { path: { tenantId, email } } })),
    onSuccess: () => invalidate(keys.contacts(tenantId)),
  });
