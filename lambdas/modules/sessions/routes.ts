/** The sessions group's routes (its Lambda: `groups.sessions` in `lambdas/contract/route-def.ts`), in the route table's order. */
import { SUPPORT, type RouteDef } from '../../contract/route-def.ts';
import { SESSION_CSV_COLUMNS } from '../../contract/csv.ts';
import * as s from '../../contract/schemas.ts';

export const sessionsRoutes = [
  {
    id: 'SignIn',
    method: 'POST',
    path: '/v1/tenants/{tenantId}/sessions',
    group: 'sessions',
    auth: true,
    roles: SUPPORT,
    params: s.TenantParams,
    body: s.SignInBody,
    idempotent: true,
    summary: 'Sign in to the tenant under an ACTIVE grant that covers the caller',
    success: { status: 201, schema: s.SessionWithToken, description: 'The open session and its support-session token' },
  },
  {
    id: 'RefreshSessionToken',
    method: 'POST',
    path: '/v1/tenants/{tenantId}/sessions/{sessionId}/refresh',
    group: 'sessions',
    auth: true,
    roles: SUPPORT,
    condition: "only the session's agent; the session open and its grant ACTIVE",
    params: s.SessionParams,
    body: s.EmptyBody,
    summary:
      'A fresh support-session token (409 when the session ended, 403 ACCESS_NOT_GRANTED when its grant no longer admits the caller)',
    success: { status: 200, schema: s.SessionWithToken, description: 'The session and a fresh token' },
  },
  {
    id: 'EndSession',
    method: 'POST',
    path: '/v1/tenants/{tenantId}/sessions/{sessionId}/end',
    group: 'sessions',
    auth: true,
    roles: SUPPORT,
    condition: "only the session's agent",
    params: s.SessionParams,
    body: s.EmptyBody,
    summary: 'Sign out',
    success: { status: 200, schema: s.Session, description: 'The ended session' },
  },
  {
    id: 'ListSessions',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/sessions',
    group: 'sessions',
    auth: true,
    roles: ['tenant-admin', 'support-lead'],
    params: s.TenantParams,
    query: s.SessionListQuery,
    summary:
      'The login history, newest first; `from`/`to` bound the sign-in time, `accessedBy` names the person; with `Accept: text/csv` and `from`/`to`, every session of that window as RFC 4180 CSV (not paged)',
    success: { status: 200, schema: s.page(s.Session), description: 'A page of sessions' },
    csv: {
      description: "every session signed in at or after `from` and before `to` (with `accessedBy`: that person's only), newest first",
      columns: SESSION_CSV_COLUMNS,
      file: 'login-history',
    },
  },
  {
    id: 'ListGrantSessions',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/grants/{grantId}/sessions',
    group: 'sessions',
    auth: true,
    roles: ['tenant-admin', 'support-lead'],
    params: s.GrantParams,
    query: s.ListQuery,
    summary: "The sessions opened under one grant, newest first (the login history's entries of that grant)",
    success: { status: 200, schema: s.page(s.Session), description: 'A page of sessions' },
  },
] as const satisfies readonly RouteDef[];
