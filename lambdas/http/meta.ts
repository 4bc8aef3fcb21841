/** `GetHealth` and `GetOpenApi`: no token, no data. */
import { openApiDocument } from '../contract/openapi.ts';
import { api, type Handlers } from './api.ts';

let document: Record<string, unknown> | undefined;

const routes: Handlers<'meta'> = {
  GetHealth: async () => ({ body: { status: 'ok' } }),
  GetOpenApi: async () => ({ body: (document ??= openApiDocument()) }),
};

/** The function: it needs no dependencies (no table, no secrets). */
export const createHandler = () => api('meta', routes, null);
export const handler = createHandler();
