/**
 * What a route is (`RouteDef`), the roles and the route groups (one Lambda each, by handler file
 * path): the types the modules' route tables are written in (`lambdas/modules/<module>/routes.ts`).
 */
import type * as z from 'zod';
import type { CsvExport } from './csv.ts';

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

/** Every tenant role and support: who reads a tenant's lists. */
export const ALL_TENANT_READERS: readonly Role[] = ['tenant-admin', 'tenant-user', ...SUPPORT];
