/** A small history router: the console has a dozen fixed addresses under `/app`. */
import Link from '@cloudscape-design/components/link';
import { useEffect, useState, type MouseEvent, type ReactNode } from 'react';

export const BASE = '/app';
const listeners = new Set<() => void>();

/** The path inside the console (`/tenants/acme`), without `/app`. */
export function currentPath(): string {
  const p = window.location.pathname;
  const inner = p.startsWith(BASE) ? p.slice(BASE.length) : p;
  return inner === '' ? '/' : inner;
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const url = to.startsWith(BASE) ? to : `${BASE}${to}`;
  if (opts.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  window.scrollTo(0, 0);
  for (const l of listeners) l();
}

/** Re-renders on navigation; answers path and query. */
export function useLocation(): { path: string; search: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const on = () => setTick((t) => t + 1);
    listeners.add(on);
    window.addEventListener('popstate', on);
    return () => {
      listeners.delete(on);
      window.removeEventListener('popstate', on);
    };
  }, []);
  return { path: currentPath(), search: new URLSearchParams(window.location.search) };
}

/** Follows a link inside the console without reloading (a plain click only). */
export function followLink(e: { preventDefault(): void; detail?: { href?: string; external?: boolean } } | MouseEvent, href: string): void {
  e.preventDefault();
  navigate(href);
}

export const href = (path: string) => `${BASE}${path}`;

/** Matches `/tenants/:t/requests/:id` style patterns; values decoded. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const names: string[] = [];
  const re = new RegExp(`^${pattern.replace(/:(\w+)/g, (_m, n: string) => (names.push(n), '([^/]+)'))}/?$`);
  const m = re.exec(path);
  if (!m) return null;
  const out: Record<string, string> = {};
  try {
    names.forEach((n, i) => (out[n] = decodeURIComponent(m[i + 1]!)));
  } catch {
    return null;
  }
  return out;
}

/** A pattern's address with its values put in (encoded): `fill('/tenants/:tenantId', { tenantId: 'acme' })`. */
export const fill = (pattern: string, values: Record<string, string>) =>
  pattern.replace(/:(\w+)/g, (_m, n: string) => encodeURIComponent(values[n] ?? ''));

export const tenantPath = (t: string, rest = '') => `/tenants/${encodeURIComponent(t)}${rest}`;

/** A link inside the console. */
export function To({ path, children }: { path: string; children: ReactNode }) {
  return (
    <Link href={href(path)} onFollow={(ev) => followLink(ev, path)}>
      {children}
    </Link>
  );
}
