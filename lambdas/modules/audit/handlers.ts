/** The audit trail: `ListAuditEvents`, `VerifyAuditChain`. */
import { listAuditEvents } from './rules.ts';
import { VERIFY_READ_BUDGET_MS, verifyAuditTrail } from './verify.ts';
import { exportAudit } from '../../kernel/export.ts';
import { type DepsSource, lambdaDeps } from '../../runtime/index.ts';
import { api, type Handlers, listReply } from '../../kernel/http/api.ts';
import { csvRange, csvReply, wantsCsv, windowOf } from '../../kernel/http/csv.ts';

const routes: Handlers<'audit'> = {
  ListAuditEvents: async (input) =>
    wantsCsv(input)
      ? csvReply(input.route, input.params.tenantId, exportAudit(input.deps, input.params.tenantId, csvRange(input.query)))
      : listReply(input, await listAuditEvents(input.deps, input.params.tenantId, input.page, windowOf(input.query))),
  VerifyAuditChain: async ({ deps, params, query }) => {
    // Real time, not the domain clock: the budget is the function's own.
    const until = Date.now() + VERIFY_READ_BUDGET_MS;
    return {
      body: await verifyAuditTrail(
        { chain: deps.store, clock: deps.clock, key: await deps.secrets.auditKey(), eventKey: await deps.secrets.eventKey() },
        params.tenantId,
        { full: query.full === 'true', keepGoing: () => Date.now() < until },
      ),
    };
  },
};

/** The function over the given dependencies (the local stack and tests bring their own). */
export const createHandler = (deps: DepsSource) => api('audit', routes, deps);
export const handler = createHandler(lambdaDeps());
