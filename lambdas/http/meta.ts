/** `GetHealth` and `GetOpenApi`: no token, no data. */
import { api, type Handlers } from './api.ts';

let document: Record<string, unknown> | undefined;

const routes: Handlers<'meta'> = {
  GetHealth: async () => ({ body: { status: 'ok' } }),
  // The OpenAPI builder (zod's JSON Schema conversion) loads on the first request for the document,
  // not at every cold start of the health check (docs/performance.md, "Loading on first use").
  GetOpenApi: async () => ({ body: (document ??= (await import('../contract/openapi.ts')).openApiDocument()) }),
};

/** The function: it needs no dependencies (no table, no secrets). */
export const createHandler = () => api('meta', routes, null);
export const handler = createHandler();
