/** The audit group's routes (its Lambda: `groups.audit` in `lambdas/contract/route-def.ts`), in the route table's order. */
import type { RouteDef } from '../../contract/route-def.ts';
import { AUDIT_CSV_COLUMNS } from '../../contract/csv.ts';
import * as s from '../../contract/schemas.ts';

export const auditRoutes = [
  {
    id: 'ListAuditEvents',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/audit-events',
    group: 'audit',
    auth: true,
    roles: ['tenant-admin', 'support-lead'],
    params: s.TenantParams,
    query: s.ExportQuery,
    summary:
      'The audit trail, newest first; with `Accept: text/csv` and `from`/`to`, every event of that window as RFC 4180 CSV (not paged)',
    success: { status: 200, schema: s.page(s.AuditEvent), description: 'A page of events' },
    csv: {
      description: 'every audit event at or after `from` and before `to`, newest first (`details` as JSON)',
      columns: AUDIT_CSV_COLUMNS,
      file: 'audit',
    },
  },
  {
    id: 'VerifyAuditChain',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/audit-events/verify',
    group: 'audit',
    auth: true,
    roles: ['tenant-admin', 'support-lead'],
    params: s.TenantParams,
    query: s.VerifyQuery,
    summary:
      "Checks the tenant's audit hash chain from its last checkpoint: no event edited, removed, reordered or forged, no grant's state edited",
    success: { status: 200, schema: s.AuditChainVerification, description: 'The verification (valid or not: read `valid` and `problems`)' },
  },
] as const satisfies readonly RouteDef[];
