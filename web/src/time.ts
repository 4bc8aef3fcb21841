/** Times in the browser's zone, with a relative form ("in 3 h 12 min", "5 min ago"). */

export function duration(ms: number): string {
  if (Math.abs(ms) < 60_000) return 'less than a minute';
  const total = Math.round(Math.abs(ms) / 60_000);
  const d = Math.floor(total / 1440);
  const h = Math.floor((total % 1440) / 60);
  const m = total % 60;
  return [d ? `${d} d` : '', h ? `${h} h` : '', m && d === 0 ? `${m} min` : ''].filter(Boolean).join(' ') || `${total} min`;
}

export function relative(iso: string, now = Date.now()): string {
  const diff = new Date(iso).getTime() - now;
  if (Math.abs(diff) < 60_000) return 'now';
  return diff > 0 ? `in ${duration(diff)}` : `${duration(diff)} ago`;
}

const fmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const absolute = (iso: string) => fmt.format(new Date(iso));
/** "23 Nov 2026, 15:00 (in 3 h 12 min)". */
export const when = (iso: string | null | undefined, now?: number) => (iso ? `${absolute(iso)} (${relative(iso, now)})` : '—');
