/** The audit trail: `ListAuditEvents`. */
import { listAuditEvents } from '../domain/audit.ts';
import { api, listReply } from './api.ts';

export const handler = api('audit', {
  ListAuditEvents: async (input) => listReply(input, await listAuditEvents(input.deps, input.params.tenantId, input.page)),
});
