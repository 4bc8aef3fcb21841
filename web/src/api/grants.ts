/** Grants: a tenant's (active, ended, paged), one grant and its sessions, the caller's own; grant, revoke, add a grantee, extend. */
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, idem, ok } from './client.ts';
import type { paths } from './schema.d.ts';
import { keys } from './keys.ts';
import { usePaged } from './paged.ts';
import { invalidate } from './query.ts';

export type NewGrant = NonNullable<paths['/v1/tenants/{tenantId}/grants']['post']['requestBody']>['content']['application/json'];

/** A change to a grant: the grant and its lists (the overview's too), the sessions it ended, the caller's own access. */
const changed = (tenantId: string) => invalidate(keys.grants(tenantId), keys.sessions(tenantId), keys.me);

const listGrants = (tenantId: string, query: { status?: 'ACTIVE'; limit: number; cursor?: string }) =>
  ok(api().GET('/v1/tenants/{tenantId}/grants', { params: { path: { tenantId }, query } }));

/** The active grants (at most 100: the overview). */
export const useActiveGrants = (tenantId: string) =>
  useQuery({
    queryKey: keys.grantList(tenantId, { status: 'ACTIVE', limit: 100 }),
    queryFn: () => listGrants(tenantId, { status: 'ACTIVE', limit: 100 }).then((r) => r.items),
  });

/** The latest 100 grants (the login history names each session's ticket). */
export const useLatestGrants = (tenantId: string) =>
  useQuery({
    queryKey: keys.grantList(tenantId, { limit: 100 }),
    queryFn: () => listGrants(tenantId, { limit: 100 }).then((r) => r.items),
  });

/** Active, or ended (revoked or expired: every grant but the active ones), paged. */
export const useGrantsPage = (tenantId: string, ended: boolean) =>
  usePaged(keys.grantList(tenantId, { ended }), async (cursor) => {
    const c = cursor ? { cursor } : {};
    if (!ended) return listGrants(tenantId, { status: 'ACTIVE', limit: 25, ...c });
    const page = await listGrants(tenantId, { limit: 25, ...c });
    return { ...page, items: page.items.filter((g) => g.status !== 'ACTIVE') };
  });

export const useGrant = (tenantId: string, grantId: string) =>
  useQuery({
    queryKey: keys.grant(tenantId, grantId),
    queryFn: () => ok(api().GET('/v1/tenants/{tenantId}/grants/{grantId}', { params: { path: { tenantId, grantId } } })),
  });

/** The sessions opened under a grant, newest first (`GET .../grants/{id}/sessions`). */
export const useGrantSessions = (tenantId: string, grantId: string) =>
  usePaged(keys.grantSessions(tenantId, grantId), (cursor) =>
    ok(
      api().GET('/v1/tenants/{tenantId}/grants/{grantId}/sessions', {
        params: { path: { tenantId, grantId }, query: { limit: 25, ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );

/** The caller's grants at every tenant (`GET /v1/me/grants`). */
export const useMyGrants = () =>
  useQuery({ queryKey: keys.myGrants, queryFn: () => ok(api().GET('/v1/me/grants', { params: { query: { limit: 100 } } })) });

/** An admin's grant (support access switched on), or a lead's upfront approval. */
export const useCreateGrant = () =>
  useMutation({
    mutationFn: ({ tenantId, body }: { tenantId: string; body: NewGrant }) =>
      ok(api().POST('/v1/tenants/{tenantId}/grants', { params: { path: { tenantId }, header: idem() }, body })),
    onSuccess: (_g, { tenantId }) => changed(tenantId),
  });

type Ref = { tenantId: string; grantId: string };

export const useRevokeGrant = () =>
  useMutation({
    mutationFn: ({ tenantId, grantId, reason }: Ref & { reason?: string | undefined }) =>
      ok(
        api().POST('/v1/tenants/{tenantId}/grants/{grantId}/revoke', {
          params: { path: { tenantId, grantId } },
          body: reason ? { reason } : {},
        }),
      ),
    onSuccess: (_g, { tenantId }) => changed(tenantId),
  });

export const useAddGrantee = () =>
  useMutation({
    mutationFn: ({ tenantId, grantId, grantee }: Ref & { grantee: { id: string; email: string; name: string } }) =>
      ok(api().POST('/v1/tenants/{tenantId}/grants/{grantId}/grantees', { params: { path: { tenantId, grantId } }, body: grantee })),
    onSuccess: (_g, { tenantId }) => changed(tenantId),
  });

/** An admin extends at once; anyone else asks (an extension request, for the contacts). */
export const useExtendGrant = () =>
  useMutation({
    mutationFn: ({ tenantId, grantId, hours, reason }: Ref & { hours: number; reason: string }) =>
      ok(
        api().POST('/v1/tenants/{tenantId}/grants/{grantId}/extensions', {
          params: { path: { tenantId, grantId } },
          body: { hours, reason },
        }),
      ),
    onSuccess: (_r, { tenantId }) => invalidate(keys.grants(tenantId), keys.requests(tenantId), keys.me),
  });
