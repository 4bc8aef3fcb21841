/** `GetHealth` and `GetOpenApi`: no token, no data. */
import { openApiDocument } from '../contract/openapi.ts';
import { api } from './api.ts';

let document: Record<string, unknown> | undefined;

export const handler = api('meta', {
  GetHealth: async () => ({ body: { status: 'ok' } }),
  GetOpenApi: async () => ({ body: (document ??= openApiDocument()) }),
});
