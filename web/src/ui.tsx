/** What every page shares: who is signed in, the flash messages, loading, errors and countdowns. */
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Container from '@cloudscape-design/components/container';
import type { FlashbarProps } from '@cloudscape-design/components/flashbar';
import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import Spinner from '@cloudscape-design/components/spinner';
import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { ApiError, type Scope } from './api/client.ts';
import type { Me } from './auth.ts';
import { followLink, href } from './router.tsx';
import { relative, when } from './time.ts';

export interface Shell {
  me: Me | null;
  flash(type: FlashbarProps.Type, content: string): void;
}
export const ShellContext = createContext<Shell>({ me: null, flash: () => undefined });
export const useShell = () => useContext(ShellContext);

/** Loads on mount and when `deps` change; never writes anything. */
export function useLoad<T>(
  fn: () => Promise<T>,
  deps: unknown[],
): { data: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: null,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error: unknown) => live && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** A page that could not load: 403 and 404 as plain pages, anything else with its detail. */
export function ErrorPage({ error }: { error: unknown }) {
  if (error instanceof ApiError && error.status === 401) return <Spinner />;
  const e = error instanceof ApiError ? error : null;
  const [title, text] =
    e?.status === 404
      ? ['Not found', 'There is nothing at this address, or it is not yours to see.']
      : e?.status === 403
        ? ['Not allowed', 'Your role does not allow this page. Sign in as someone who may see it.']
        : ['Something went wrong', e?.message ?? String(error)];
  return (
    <Container header={<Header variant="h1">{title}</Header>}>
      <Box variant="p">{text}</Box>
      <Link href={href('/')} onFollow={(ev) => followLink(ev, '/')}>
        Go to the start page
      </Link>
    </Container>
  );
}

/** Loading, error or the content. */
export function Loaded<T>({
  state,
  children,
}: {
  state: { data: T | undefined; error: unknown; loading: boolean };
  children: (d: T) => ReactNode;
}) {
  if (state.error) return <ErrorPage error={state.error} />;
  if (state.data === undefined) return <StatusIndicator type="loading">Loading</StatusIndicator>;
  return <>{children(state.data)}</>;
}

/** An action's problem not tied to one field. */
export function ProblemAlert({ error, fields = [] }: { error: unknown; fields?: string[] }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : null;
  const rest = e?.problem?.errors?.filter((x) => !fields.some((f) => x.path === f || x.path.startsWith(`${f}.`))) ?? [];
  const shownOnFields = e?.problem?.errors?.length && rest.length === 0;
  if (shownOnFields) return null;
  return (
    <Alert type="error" header={e?.problem?.title ?? 'The action failed'}>
      {e?.message ?? String(error)}
      {rest.length > 0 && (
        <ul>
          {rest.map((x) => (
            <li key={x.path}>
              {x.path}: {x.message}
            </li>
          ))}
        </ul>
      )}
    </Alert>
  );
}

/** The message of a field from an ApiError (`errors[].path`). */
export const fieldError = (error: unknown, path: string) => (error instanceof ApiError ? error.field(path) : undefined);

/** Re-renders every 30 s so countdowns move. */
export function useNow(ms = 30_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export function Countdown({ until }: { until: string | null }) {
  const now = useNow();
  if (until === null) return <>until revoked (standing access)</>;
  return <span title={new Date(until).toISOString()}>{when(until, now)}</span>;
}

export const Ago = ({ at }: { at: string | null | undefined }) => (at ? <span title={at}>{when(at)}</span> : <>—</>);
export const rel = relative;

const STATUS: Record<string, StatusIndicatorProps.Type> = {
  ACTIVE: 'success',
  PENDING: 'pending',
  APPROVED: 'success',
  DENIED: 'error',
  CANCELLED: 'stopped',
  EXPIRED: 'stopped',
  REVOKED: 'stopped',
};
export const Status = ({ status }: { status: string }) => (
  <StatusIndicator type={STATUS[status] ?? 'info'}>{status.charAt(0) + status.slice(1).toLowerCase()}</StatusIndicator>
);

export const scopeText = (s: Scope | null | undefined) =>
  s ? `${s.level === 'full' ? 'Full' : 'Read-only'}, ${s.modules?.length ? `modules: ${s.modules.join(', ')}` : 'every module'}` : '—';
export const person = (a: { name?: string; email?: string; id: string } | null | undefined) =>
  a ? (a.name ? `${a.name} <${a.email}>` : a.id) : '—';

/** A link inside the console. */
export function To({ path, children }: { path: string; children: ReactNode }) {
  return (
    <Link href={href(path)} onFollow={(ev) => followLink(ev, path)}>
      {children}
    </Link>
  );
}

export const tenantPath = (t: string, rest = '') => `/tenants/${encodeURIComponent(t)}${rest}`;
