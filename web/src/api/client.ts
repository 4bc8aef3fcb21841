/** The API client: openapi-fetch typed by `schema.d.ts` (generated from the served document). */
import createClient, { type Middleware } from 'openapi-fetch';
import { getSettings, getToken } from '../auth.ts';
import type { components, paths } from './schema.d.ts';

export type Problem = components['schemas']['Problem'];
type Ok<P extends keyof paths, M extends 'get' | 'post' | 'put'> = paths[P][M] extends {
  responses: infer R;
}
  ? R extends { 200: { content: { 'application/json': infer B } } }
    ? B
    : R extends { 201: { content: { 'application/json': infer B } } }
      ? B
      : never
  : never;

export type Grant = Ok<'/v1/tenants/{tenantId}/grants/{grantId}', 'get'>;
export type AccessRequest = Ok<'/v1/tenants/{tenantId}/access-requests/{requestId}', 'get'>;
export type Session = Ok<'/v1/tenants/{tenantId}/sessions', 'get'>['items'][number];
export type AuditEvent = Ok<'/v1/tenants/{tenantId}/audit-events', 'get'>['items'][number];
export type Policy = Ok<'/v1/tenants/{tenantId}/policy', 'get'>;
export type Contact = Ok<'/v1/tenants/{tenantId}/contacts', 'get'>['items'][number];
export type Verification = Ok<'/v1/tenants/{tenantId}/audit-events/verify', 'get'>;
export type Scope = Grant['scope'];

/** A refused call: its status and the API's problem. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
  ) {
    super(problem?.detail ?? problem?.title ?? `the API answered ${status}`);
  }
  /** The message for a field (`errors[].path`), e.g. `durationHours` or `scope.modules`. */
  field(path: string): string | undefined {
    return this.problem?.errors?.find((e) => e.path === path || e.path.startsWith(`${path}.`))?.message;
  }
}

const auth: Middleware = {
  onRequest({ request }) {
    const t = getToken();
    if (t) request.headers.set('authorization', `Bearer ${t}`);
    return request;
  },
  // A 401 sends the person to sign in (App listens), but only when it answers the token that is
  // still signed in: a late answer to an earlier token never signs the next person out.
  onResponse({ request, response }) {
    const t = getToken();
    if (response.status === 401 && t && request.headers.get('authorization') === `Bearer ${t}`) {
      window.dispatchEvent(new CustomEvent('support-access:unauthenticated'));
    }
    return response;
  },
};

// JSON answers only in the types: a route that also answers `text/csv` (the exports) is read as
// JSON unless the call asks for text (`parseAs: 'text'`, see download.tsx).
let client: ReturnType<typeof createClient<paths, `${string}/json`>> | null = null;
export function api() {
  if (!client) {
    client = createClient<paths, `${string}/json`>({ baseUrl: getSettings().apiUrl.replace(/\/+$/, '') });
    client.use(auth);
  }
  return client;
}

/** The data of an answer, or an ApiError (a 401 also sends the person to sign in: see `auth` above and App). */
export async function ok<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const r = await p;
  if (!r.response.ok) {
    const err = new ApiError(r.response.status, (r.error as Problem | undefined) ?? null);
    throw err;
  }
  return r.data as T;
}

/** An idempotency key per click, so a retried POST never acts twice. */
export const idem = () => ({ 'Idempotency-Key': crypto.randomUUID() });
