/** A tenant's audit trail (paged) and its verification. */
import { api, ok } from './client.ts';
import { keys } from './keys.ts';
import { usePaged } from './paged.ts';

export const useAuditEvents = (tenantId: string) =>
  usePaged([...keys.audit(tenantId), 'events'], (cursor) =>
    ok(
      api().GET('/v1/tenants/{tenantId}/audit-events', {
        params: { path: { tenantId }, query: { limit: 50, ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );

/** Checks the hash chain now (a read, but one a person asks for: never cached). */
export const verifyAudit = (tenantId: string) =>
  ok(api().GET('/v1/tenants/{tenantId}/audit-events/verify', { params: { path: { tenantId } } }));
