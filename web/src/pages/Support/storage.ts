/** What the support page keeps in this browser (forgotten at sign-out: auth.ts `signOutHere`). */
import { SUPPORT_SESSIONS_KEY } from '../../auth.ts';

const TENANTS_KEY = 'support-access.tenants';
/** Tenants this browser asked for access to: the request form starts with the last one. */
export const knownTenants = (): string[] => JSON.parse(localStorage.getItem(TENANTS_KEY) ?? '[]') as string[];
export const rememberTenant = (t: string) =>
  localStorage.setItem(TENANTS_KEY, JSON.stringify([...new Set([t, ...knownTenants()])].slice(0, 20)));
/** An open session this tab started, with its agent's id: another person signing in here never sees it. */
export type OpenSession = { agentId: string; tenantId: string; sessionId: string; signInAt: string; tokenExpiresAt?: string | undefined };
export const storedSessions = (): OpenSession[] => JSON.parse(sessionStorage.getItem(SUPPORT_SESSIONS_KEY) ?? '[]') as OpenSession[];
export const saveSessions = (s: OpenSession[]) => sessionStorage.setItem(SUPPORT_SESSIONS_KEY, JSON.stringify(s));

/** A comma-separated list's entries (modules, contact emails). */
export const splitList = (s: string) =>
  s
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
