/** The audit trail: `ListAuditEvents`, `VerifyAuditChain`. */
import { listAuditEvents } from '../domain/audit.ts';
import { verifyAuditChain } from '../domain/audit-chain.ts';
import { type DepsSource, lambdaDeps } from '../runtime/index.ts';
import { api, type Handlers, listReply } from './api.ts';

const routes: Handlers<'audit'> = {
  ListAuditEvents: async (input) => listReply(input, await listAuditEvents(input.deps, input.params.tenantId, input.page)),
  VerifyAuditChain: async ({ deps, params }) => ({
    body: await verifyAuditChain(
      { chain: deps.store, clock: deps.clock, key: await deps.secrets.auditKey(), eventKey: await deps.secrets.eventKey() },
      params.tenantId,
    ),
  }),
};

/** The function over the given dependencies (the local stack and tests bring their own). */
export const createHandler = (deps: DepsSource) => api('audit', routes, deps);
export const handler = createHandler(lambdaDeps());
