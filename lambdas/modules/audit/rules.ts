/** The audit trail a tenant reads. */
import type { AuditEvent } from '../../contract/schemas.ts';
import type { Deps, Page, PageInput, TimeRange } from '../../kernel/ports.ts';

/** Audit events, newest first. */
export async function listAuditEvents({ store }: Deps, tenantId: string, page: PageInput, range?: TimeRange): Promise<Page<AuditEvent>> {
  return store.listAudit(tenantId, page, range);
}
