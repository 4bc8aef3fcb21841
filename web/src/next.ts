/** A `?next=` value is only a path inside the console (never another site). */
export function safeNext(next: string | null): string | null {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return null;
  return next.startsWith('/app/') ? next.slice(4) : next;
}
