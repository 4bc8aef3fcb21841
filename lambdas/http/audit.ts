/** The audit trail: `ListAuditEvents`, `VerifyAuditChain`. */
import { listAuditEvents } from '../domain/audit.ts';
import { verifyAuditChain } from '../domain/audit-chain.ts';
import { exportAudit } from '../domain/export.ts';
import { api, listReply } from './api.ts';
import { csvRange, csvReply, wantsCsv, windowOf } from './csv.ts';
import { auditKey, eventKey } from './runtime.ts';

export const handler = api('audit', {
  ListAuditEvents: async (input) =>
    wantsCsv(input)
      ? csvReply(exportAudit(input.deps, input.params.tenantId, csvRange(input.query)), `audit-${input.params.tenantId}.csv`)
      : listReply(input, await listAuditEvents(input.deps, input.params.tenantId, input.page, windowOf(input.query))),
  VerifyAuditChain: async ({ deps, params }) => ({
    body: await verifyAuditChain(
      { chain: deps.store, clock: deps.clock, key: await auditKey(deps), eventKey: await eventKey(deps) },
      params.tenantId,
    ),
  }),
});
