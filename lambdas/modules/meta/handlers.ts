/** `GetHealth` and `GetOpenApi`: no token, no data. */
import { lambdaTelemetry, type Telemetry } from '../../runtime/telemetry.ts';
import { api, type Handlers } from '../../kernel/http/api.ts';

let document: Record<string, unknown> | undefined;

const routes: Handlers<'meta'> = {
  GetHealth: async () => ({ body: { status: 'ok' } }),
  // The OpenAPI builder (zod's JSON Schema conversion) loads on the first request for the document,
  // not at every cold start of the health check (docs/performance.md, "Loading on first use").
  GetOpenApi: async () => ({ body: (document ??= (await import('../../contract/openapi.ts')).openApiDocument()) }),
};

const deployed = lambdaTelemetry();

/** The function: no table, no secrets, only its logger and metrics (the local stack passes its dependencies'). */
export const createHandler = (source: () => { telemetry: Telemetry } = () => ({ telemetry: deployed() })) =>
  api('meta', routes, null, {}, () => source().telemetry);
export const handler = createHandler();
