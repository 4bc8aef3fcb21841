/**
 * The data layer's cache (TanStack Query): every page reads through it, so a page shows what it
 * loaded before at once while it asks again, and a change invalidates what it touched (see the
 * hooks per resource next to this file). Emptied when someone signs out.
 */
import { QueryClient, type UseQueryResult } from '@tanstack/react-query';
import { SIGNED_OUT_EVENT } from '../auth.ts';

export const queryClient = new QueryClient({
  defaultOptions: {
    // As before the cache: a page asks the API each time it opens (staleTime 0), a refused call is
    // shown at once (no retries; a 4xx would not change), and nothing reloads behind a person's
    // back when the window regains focus.
    queries: { retry: false, staleTime: 0, refetchOnWindowFocus: false },
    mutations: { retry: false },
  },
});
window.addEventListener(SIGNED_OUT_EVENT, () => queryClient.clear());

/** Marks what a change touched as stale: the pages showing it load it again, the others when they open. */
export function invalidate(...queryKeys: (readonly unknown[])[]): void {
  for (const queryKey of queryKeys) void queryClient.invalidateQueries({ queryKey });
}

/** Several queries as one state for `Loaded`: the first error, or every data once all have come. */
export function all<T extends Record<string, UseQueryResult<unknown>>>(
  queries: T,
): { data: { [K in keyof T]: NonNullable<T[K]['data']> } | undefined; error: unknown } {
  const list = Object.values(queries);
  const error = list.find((q) => q.error)?.error ?? null;
  if (list.some((q) => q.data === undefined)) return { data: undefined, error };
  return { data: Object.fromEntries(Object.entries(queries).map(([k, q]) => [k, q.data])) as never, error };
}
