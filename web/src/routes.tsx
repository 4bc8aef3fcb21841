/**
 * Every address of the console, once: the router (App) picks the page from this list, and the
 * side navigation is built from the same list (the entries with `nav`, in this order, for those
 * who may see them). Pages load lazily: the first load is the shell and one page.
 */
import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import { isAdminOf, isLead, isSupport, type Me } from './auth.ts';
import { match } from './router.tsx';

export interface Route {
  /** `/tenants/:tenantId/requests/:requestId`: the values are the page's props. */
  path: string;
  // The pages take their address's values as props (each its own).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  page: LazyExoticComponent<ComponentType<any>>;
  /** Shown without signing in. */
  public?: boolean;
  /** In the side navigation: its text, and who sees it (everyone signed in when absent). */
  nav?: { text: string; show?: (me: Me | null, tenantId: string) => boolean };
}

const historyReaders = (me: Me | null, t: string) => isAdminOf(me, t) || isLead(me);

export const ROUTES: readonly Route[] = [
  { path: '/sign-in', page: lazy(() => import('./pages/SignIn/index.tsx')), public: true },
  { path: '/callback', page: lazy(() => import('./pages/Callback/index.tsx')), public: true },
  { path: '/support', page: lazy(() => import('./pages/Support/index.tsx')), nav: { text: 'My access', show: (me) => isSupport(me) } },
  { path: '/tenants/:tenantId', page: lazy(() => import('./pages/Overview/index.tsx')), nav: { text: 'Overview' } },
  { path: '/tenants/:tenantId/requests', page: lazy(() => import('./pages/Requests/index.tsx')), nav: { text: 'Requests' } },
  { path: '/tenants/:tenantId/requests/:requestId', page: lazy(() => import('./pages/Request/index.tsx')) },
  { path: '/tenants/:tenantId/grants', page: lazy(() => import('./pages/Grants/index.tsx')), nav: { text: 'Grants' } },
  { path: '/tenants/:tenantId/grants/:grantId', page: lazy(() => import('./pages/Grant/index.tsx')) },
  {
    path: '/tenants/:tenantId/sessions',
    page: lazy(() => import('./pages/Sessions/index.tsx')),
    nav: { text: 'Login history', show: historyReaders },
  },
  {
    path: '/tenants/:tenantId/audit',
    page: lazy(() => import('./pages/Audit/index.tsx')),
    nav: { text: 'Audit trail', show: historyReaders },
  },
  { path: '/tenants/:tenantId/settings', page: lazy(() => import('./pages/Settings/index.tsx')), nav: { text: 'Settings' } },
];

/** The route of an address and its values, or null (not found). */
export function resolve(path: string): { route: Route; params: Record<string, string> } | null {
  for (const route of ROUTES) {
    const params = match(route.path, path);
    if (params) return { route, params };
  }
  return null;
}

/** A tenant's pages sit under `/tenants/:tenantId`: in the side navigation, the group "Tenant {id}". */
export const isTenantRoute = (r: Route) => r.path.startsWith('/tenants/:tenantId');
