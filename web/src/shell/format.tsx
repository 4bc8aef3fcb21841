/** How the pages show times, statuses, scopes and people. */
import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import { useEffect, useState } from 'react';
import type { Scope } from '../api/client.ts';
import { relative, when } from '../time.ts';

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
