/** Who is signed in: the token (sessionStorage), its claims, and the runtime settings. */
import type { Role } from './api/roles.gen.ts';
import { authorizeUrl, codeChallenge, codeVerifier, consoleLogoutUri, logoutUrl, type CognitoSettings } from './pkce.ts';

export interface Settings {
  apiUrl: string;
  mode: 'local' | 'cognito';
  cognitoDomain?: string;
  clientId?: string;
}

let settings: Settings = { apiUrl: '', mode: 'local' };

/** Reads `/app/config.json` (written at deploy; answered by the local stack). */
export async function loadSettings(): Promise<Settings> {
  try {
    const res = await fetch(`${import.meta.env.BASE_URL}config.json`, { cache: 'no-store' });
    if (res.ok) settings = { ...settings, ...((await res.json()) as Partial<Settings>) };
  } catch {
    // no settings file: local mode on the same origin
  }
  return settings;
}
export const getSettings = () => settings;

const KEY = 'support-access.token';

export type { Role };

export interface Me {
  sub: string;
  email: string;
  name: string;
  roles: Role[];
  tenantId: string | null;
  exp: number;
}

function decode(token: string): Record<string, unknown> | null {
  try {
    const part = token.split('.')[1];
    if (!part) return null;
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(decodeURIComponent(escape(json))) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** The signed-in person, or null (no token, or an expired one). */
export function me(): Me | null {
  const token = getToken();
  if (!token) return null;
  const c = decode(token);
  if (!c) return null;
  const exp = typeof c.exp === 'number' ? c.exp : 0;
  if (exp * 1000 < Date.now()) return null;
  // An API token's claims (contract v1.2): `roles` an array, `tenant_id` for tenant users.
  const roles = (Array.isArray(c.roles) ? c.roles : []).filter((r): r is Role => typeof r === 'string');
  return {
    sub: String(c.sub ?? ''),
    email: String(c.email ?? ''),
    name: String(c.name ?? c.email ?? c.sub ?? ''),
    roles,
    tenantId: typeof c.tenant_id === 'string' ? c.tenant_id : null,
    exp,
  };
}

export const getToken = () => sessionStorage.getItem(KEY);
export const setToken = (t: string) => sessionStorage.setItem(KEY, t);
export const clearToken = () => sessionStorage.removeItem(KEY);

/** Where the support page keeps the caller's open sessions in this tab (ids and times, never tokens). */
export const SUPPORT_SESSIONS_KEY = 'support-access.sessions';
/** Dispatched on `window` when someone signs out: what was kept for them in memory goes too. */
export const SIGNED_OUT_EVENT = 'support-access:signed-out';
/**
 * Signing out of the console forgets the person in this browser: their token, their open support
 * sessions, the tenants they asked for, a sign-in under way and whatever is kept in memory for them (the session tokens, the
 * data layer's cache: they listen for SIGNED_OUT_EVENT), so whoever signs in next is never offered
 * them.
 */
export function signOutHere(): void {
  for (const store of [sessionStorage, localStorage])
    for (const key of Object.keys(store)) if (key.startsWith('support-access.')) store.removeItem(key);
  window.dispatchEvent(new Event(SIGNED_OUT_EVENT));
}

/**
 * The Sign out button: forgets the person here and, deployed, also ends Cognito's own session (its
 * cookie would sign the next person at this browser in without a password) by sending the browser
 * to `/logout`, which comes back to the console's start page. Answers whether the browser leaves.
 */
export function signOut(): boolean {
  signOutHere();
  if (settings.mode !== 'cognito' || !settings.cognitoDomain || !settings.clientId) return false;
  const back = consoleLogoutUri(window.location.origin, import.meta.env.BASE_URL);
  window.location.assign(logoutUrl({ cognitoDomain: settings.cognitoDomain, clientId: settings.clientId }, back));
  return true;
}

export const isSupport = (m: Me | null) => !!m && m.roles.some((r) => r === 'support-agent' || r === 'support-lead');
export const isLead = (m: Me | null) => !!m && m.roles.includes('support-lead');
export const isAdminOf = (m: Me | null, t: string) => !!m && m.roles.includes('tenant-admin') && m.tenantId === t;
export const isTenantPerson = (m: Me | null, t: string) =>
  !!m && m.tenantId === t && m.roles.some((r) => r === 'tenant-admin' || r === 'tenant-user');

/** Where a person lands after sign-in when no page asked for it. */
export function homeOf(m: Me | null): string {
  if (!m) return '/sign-in';
  if (isSupport(m)) return '/support';
  if (m.tenantId) return `/tenants/${encodeURIComponent(m.tenantId)}`;
  return '/sign-in';
}

export { safeNext } from './next.ts';

const PKCE_KEY = 'support-access.pkce';
export const redirectUri = () => `${window.location.origin}${import.meta.env.BASE_URL}callback`;

/** Deployed mode: off to Cognito's managed login with a fresh verifier and state. */
export async function startCognitoSignIn(next: string | null): Promise<void> {
  const s = settings as CognitoSettings & Settings;
  const verifier = codeVerifier();
  const state = codeVerifier();
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, next }));
  window.location.assign(authorizeUrl(s, redirectUri(), await codeChallenge(verifier), state));
}

export function takePkce(): { verifier: string; state: string; next: string | null } | null {
  const raw = sessionStorage.getItem(PKCE_KEY);
  sessionStorage.removeItem(PKCE_KEY);
  return raw ? (JSON.parse(raw) as { verifier: string; state: string; next: string | null }) : null;
}
