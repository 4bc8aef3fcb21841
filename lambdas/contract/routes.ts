/**
 * The route table: the single source for API Gateway routes (CDK), the local server and the
 * OpenAPI document. It is data. `handler` is a file path, so `cdk synth` never loads Lambda code.
 */
import type * as z from 'zod';
import { AUDIT_CSV_COLUMNS, type CsvExport, SESSION_CSV_COLUMNS } from './csv.ts';
import * as s from './schemas.ts';

export type Role = 'tenant-admin' | 'tenant-user' | 'support-agent' | 'support-lead';
export const ROLES: readonly Role[] = ['tenant-admin', 'tenant-user', 'support-agent', 'support-lead'];
export const SUPPORT: readonly Role[] = ['support-agent', 'support-lead'];

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** One Lambda function serves each group; its routes share the grants it needs. */
export const groups = {
  meta: { handler: 'lambdas/modules/meta/handlers.ts', data: 'none' },
  settings: { handler: 'lambdas/modules/settings/handlers.ts', data: 'readwrite' },
  requests: { handler: 'lambdas/modules/requests/handlers.ts', data: 'readwrite' },
  grants: { handler: 'lambdas/modules/grants/handlers.ts', data: 'readwrite' },
  sessions: { handler: 'lambdas/modules/sessions/handlers.ts', data: 'readwrite' },
  access: { handler: 'lambdas/modules/sessions/access-handlers.ts', data: 'read' },
  // `auditKey`: the function may read the audit chain's HMAC key (the verify route needs it).
  // `readwrite`: verification saves its checkpoint (PutItem of the CHECKPOINT item; no DeleteItem).
  audit: { handler: 'lambdas/modules/audit/handlers.ts', data: 'readwrite', auditKey: true },
  // `sessionKeys`: what the function may do with the session-token keys (KMS): only sessions sign.
  keys: { handler: 'lambdas/modules/keys/handlers.ts', data: 'none', sessionKeys: 'verify' },
} as const;
/** The groups that sign support-session tokens (the only ones granted `kms:Sign`). */
export const signingGroups: readonly Group[] = ['sessions'];
export type Group = keyof typeof groups;

export interface RouteDef {
  /** PascalCase verb-noun; also the CDK construct id and the OpenAPI operationId. */
  id: string;
  method: Method;
  /** API Gateway path syntax. */
  path: string;
  group: Group;
  summary: string;
  /** false: no JWT needed (health and the OpenAPI document). */
  auth: boolean;
  /** Who passes the route-level check. Tenant roles only for their own tenant. */
  roles: readonly Role[];
  /** A rule that needs data (a contact, the requester, a grantee), enforced by the service. */
  condition?: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** When the body differs by role: the schema for each role (the `body` is their union). */
  bodyByRole?: Partial<Record<Role, z.ZodType>>;
  /** Status and schema of the success answer. `null` schema: no body. `also`: other success statuses with the same body. */
  success: { status: number; schema: z.ZodType | null; description: string; also?: { status: number; description: string } };
  /** Accepts `Idempotency-Key`. */
  idempotent?: boolean;
  /** With `Accept: text/csv` (and the query's `from`, `to`) the route answers this export instead of a page. */
  csv?: CsvExport;
}

const ALL_TENANT_READERS: readonly Role[] = ['tenant-admin', 'tenant-user', ...SUPPORT];

export const routes = [
  {
    id: 'GetHealth',
    method: 'GET',
    path: '/v1/health',
    group: 'meta',
    auth: false,
    roles: [],
    summary: 'Liveness of the API',
    success: { status: 200, schema: s.Health, description: 'The API answers' },
  },
  {
    id: 'GetOpenApi',
    method: 'GET',
    path: '/v1/openapi.json',
    group: 'meta',
    auth: false,
    roles: [],
    summary: 'This OpenAPI 3.1 document',
    success: { status: 200, schema: null, description: 'The OpenAPI document' },
  },
  {
    id: 'GetJwks',
    method: 'GET',
    path: '/v1/.well-known/jwks.json',
    group: 'keys',
    auth: false,
    roles: [],
    summary: 'The public keys of the support-session tokens (cacheable)',
    success: { status: 200, schema: s.Jwks, description: 'The JSON Web Key Set' },
  },
  {
    id: 'ListContacts',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/contacts',
    group: 'settings',
    auth: true,
    roles: ALL_TENANT_READERS,
    params: s.TenantParams,
    summary: "The tenant's authorized contacts",
    success: { status: 200, schema: s.ContactList, description: 'The contacts' },
  },
  {
    id: 'PutContact',
    method: 'PUT',
    path: '/v1/tenants/{tenantId}/contacts/{email}',
    group: 'settings',
    auth: true,
    roles: ['tenant-admin'],
    params: s.ContactParams,
    body: s.PutContactBody,
    summary: 'Add an authorized contact, or rename one',
    success: { status: 201, schema: s.Contact, description: 'Added', also: { status: 200, description: 'Renamed, or already so' } },
  },
  {
    id: 'DeleteContact',
    method: 'DELETE',
    path: '/v1/tenants/{tenantId}/contacts/{email}',
    group: 'settings',
    auth: true,
    roles: ['tenant-admin'],
    params: s.ContactParams,
    summary: 'Remove an authorized contact',
    success: { status: 204, schema: null, description: 'Removed' },
  },
  {
    id: 'GetPolicy',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/policy',
    group: 'settings',
    auth: true,
    roles: ALL_TENANT_READERS,
    params: s.TenantParams,
    summary: "The tenant's policy (defaults until set)",
    success: { status: 200, schema: s.Policy, description: 'The policy' },
  },
  {
    id: 'PutPolicy',
    method: 'PUT',
    path: '/v1/tenants/{tenantId}/policy',
    group: 'settings',
    auth: true,
    roles: ['tenant-admin'],
    params: s.TenantParams,
    body: s.Policy,
    summary: "Replace the tenant's policy",
    success: { status: 200, schema: s.Policy, description: 'The new policy' },
  },
  {
    id: 'CreateAccessRequest',
    method: 'POST',
    path: '/v1/tenants/{tenantId}/access-requests',
    group: 'requests',
    auth: true,
    roles: SUPPORT,
    params: s.TenantParams,
    body: s.CreateRequestBody,
    idempotent: true,
    summary: 'Ask the tenant for access; every contact is emailed to approve',
    success: { status: 201, schema: s.AccessRequest, description: 'The PENDING request' },
  },
  {
    id: 'ListAccessRequests',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/access-requests',
    group: 'requests',
    auth: true,
    roles: ['tenant-admin', 'tenant-user', ...SUPPORT],
    condition: 'a tenant-user must be an authorized contact',
    params: s.TenantParams,
    query: s.RequestListQuery,
    summary: 'Access requests, newest first',
    success: { status: 200, schema: s.page(s.AccessRequest), description: 'A page of requests' },
  },
  {
    id: 'ListMyRequests',
    method: 'GET',
    path: '/v1/me/requests',
    group: 'requests',
    auth: true,
    roles: SUPPORT,
    query: s.RequestListQuery,
    summary:
      "The caller's own access requests (the requester is the token's `sub`), every tenant, newest first; `status` keeps those in that status now",
    success: { status: 200, schema: s.page(s.AccessRequest), description: 'A page of requests' },
  },
  {
    id: 'GetAccessRequest',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/access-requests/{requestId}',
    group: 'requests',
    auth: true,
    roles: ['tenant-admin', 'tenant-user', ...SUPPORT],
    condition: 'a tenant-user must be an authorized contact',
    params: s.RequestParams,
    summary: 'One access request',
    success: { status: 200, schema: s.AccessRequest, description: 'The request' },
  },
  {
    id: 'ApproveAccessRequest',
    method: 'POST',
    path: '/v1/tenants/{tenantId}/access-requests/{requestId}/approve',
    group: 'requests',
    auth: true,
    roles: ['tenant-admin', 'tenant-user'],
    condition: 'a tenant-user must be an authorized contact; never the requester',
    params: s.RequestParams,
    body: s.DecisionBody,
    summary: 'Approve; with enough approvals the grant is ACTIVE',
    success: { status: 200, schema: s.AccessRequest, description: 'The request' },
  },
  {
    id: 'DenyAccessRequest',
    method: 'POST',
    path: '/v1/tenants/{tenantId}/access-requests/{requestId}/deny',
    group: 'requests',
    auth: true,
    roles: ['tenant-admin', 'tenant-user'],
    condition: 'a tenant-user must be an authorized contact',
    params: s.RequestParams,
    body: s.DecisionBody,
    summary: 'Deny; the requester is emailed',
    success: { status: 200, schema: s.AccessRequest, description: 'The DENIED request' },
  },
  {
    id: 'CancelAccessRequest',
    method: 'POST',
    path: '/v1/tenants/{tenantId}/access-requests/{requestId}/cancel',
    group: 'requests',
    auth: true,
    roles: SUPPORT,
    condition: 'only the requester',
    params: s.RequestParams,
    body: s.EmptyBody,
    summary: 'Withdraw a PENDING request',
    success: { status: 200, schema: s.AccessRequest, description: 'The CANCELLED request' },
  },
  {
    id: 'CreateGrant',
    method: 'POST',
    path: '/v1/tenants/{tenantId}/grants',
    group: 'grants',
    auth: true,
    roles: ['tenant-admin', 'support-lead'],
    params: s.TenantParams,
    body: s.CreateGrantBody,
    idempotent: true,
    bodyByRole: { 'tenant-admin': s.AdminGrantBody, 'support-lead': s.UpfrontGrantBody },
    summary: 'Switch access on (tenant admin) or record an upfront approval (support lead)',
    success: { status: 201, schema: s.Grant, description: 'The ACTIVE grant' },
  },
  {
    id: 'ListGrants',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/grants',
    group: 'grants',
    auth: true,
    roles: ALL_TENANT_READERS,
    params: s.TenantParams,
    query: s.GrantListQuery,
    summary: 'Grants, newest first',
    success: { status: 200, schema: s.page(s.Grant), description: 'A page of grants' },
  },
  {
    id: 'GetGrant',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/grants/{grantId}',
    group: 'grants',
    auth: true,
    roles: ALL_TENANT_READERS,
    params: s.GrantParams,
    summary: 'One grant',
    success: { status: 200, schema: s.Grant, description: 'The grant' },
  },
  {
    id: 'AddGrantee',
    method: 'POST',
    path: '/v1/tenants/{tenantId}/grants/{grantId}/grantees',
    group: 'grants',
    auth: true,
    roles: ['tenant-admin', 'support-lead'],
    params: s.GrantParams,
    body: s.AddGranteeBody,
    summary: 'Name one more grantee on an ACTIVE grant',
    success: { status: 200, schema: s.Grant, description: 'The grant' },
  },
  {
    id: 'RevokeGrant',
    method: 'POST',
    path: '/v1/tenants/{tenantId}/grants/{grantId}/revoke',
    group: 'grants',
    auth: true,
    roles: ['tenant-admin', 'support-lead', 'support-agent'],
    condition: 'a support-agent must be a grantee',
    params: s.GrantParams,
    body: s.RevokeGrantBody,
    summary: 'End a grant now; its open sessions end',
    success: { status: 200, schema: s.Grant, description: 'The REVOKED grant' },
  },
  {
    id: 'ExtendGrant',
    method: 'POST',
    path: '/v1/tenants/{tenantId}/grants/{grantId}/extensions',
    group: 'grants',
    auth: true,
    roles: ['tenant-admin', 'support-lead', 'support-agent'],
    condition:
      "a support-agent must be a named grantee; the grant ACTIVE with an end; `hours` at most what keeps its end within `createdAt` + the policy's `maxDurationHours` (else 400 naming `hours`)",
    params: s.GrantParams,
    body: s.ExtensionBody,
    idempotent: true,
    summary:
      'More time on an ACTIVE grant: a tenant admin extends it at once (200, the Grant); a grantee or a support lead asks (201, an AccessRequest of kind extension, decided like any request)',
    success: {
      status: 201,
      schema: s.ExtensionResult,
      description: 'support: the PENDING extension request (`kind: "extension"`, `grantId` set)',
      also: { status: 200, description: 'tenant admin: the same grant, its `expiresAt` moved by `hours`' },
    },
  },
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
  {
    id: 'GetAccess',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/access',
    group: 'access',
    auth: true,
    roles: SUPPORT,
    params: s.TenantParams,
    summary: "The caller's effective access now",
    success: { status: 200, schema: s.Access, description: 'The access' },
  },
  {
    id: 'ListMyGrants',
    method: 'GET',
    path: '/v1/me/grants',
    group: 'access',
    auth: true,
    roles: SUPPORT,
    query: s.ListQuery,
    summary: 'The ACTIVE grants that cover the caller, every tenant',
    success: { status: 200, schema: s.page(s.Grant), description: 'The grants' },
  },
  {
    id: 'ListAuditEvents',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/audit-events',
    group: 'audit',
    auth: true,
    roles: ['tenant-admin', 'support-lead'],
    params: s.TenantParams,
    query: s.ExportQuery,
    summary:
      'The audit trail, newest first; with `Accept: text/csv` and `from`/`to`, every event of that window as RFC 4180 CSV (not paged)',
    success: { status: 200, schema: s.page(s.AuditEvent), description: 'A page of events' },
    csv: {
      description: 'every audit event at or after `from` and before `to`, newest first (`details` as JSON)',
      columns: AUDIT_CSV_COLUMNS,
      file: 'audit',
    },
  },
  {
    id: 'VerifyAuditChain',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/audit-events/verify',
    group: 'audit',
    auth: true,
    roles: ['tenant-admin', 'support-lead'],
    params: s.TenantParams,
    query: s.VerifyQuery,
    summary:
      "Checks the tenant's audit hash chain from its last checkpoint: no event edited, removed, reordered or forged, no grant's state edited",
    success: { status: 200, schema: s.AuditChainVerification, description: 'The verification (valid or not: read `valid` and `problems`)' },
  },
] as const satisfies readonly RouteDef[];

/** `GET /v1/health` style key, as API Gateway's `routeKey`. */
export const routeKey = (r: Pick<RouteDef, 'method' | 'path'>) => `${r.method} ${r.path}`;

export const routesById: ReadonlyMap<string, RouteDef> = new Map(routes.map((r) => [r.id, r as RouteDef]));
export const routesByKey: ReadonlyMap<string, RouteDef> = new Map(routes.map((r) => [routeKey(r), r as RouteDef]));
