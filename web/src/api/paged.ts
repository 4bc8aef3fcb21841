/**
 * Cursor paging for the API's lists (`nextCursor`): one query per page. Its `paging` is what
 * shell/Pager.tsx shows (kept apart, so a page that never pages does not load Cloudscape's Pagination).
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';

/** Where a list is: its page (from 0), how many pages are known, whether more follow, and how to go to one. */
export interface Paging {
  index: number;
  count: number;
  openEnd: boolean;
  go(index: number): void;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The pages of the list `key`: back to the first page whenever the key (its filters) changes. */
export function usePaged<T>(key: readonly unknown[], fetchPage: (cursor: string | undefined) => Promise<Page<T>>, enabled = true) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [index, setIndex] = useState(0);
  const k = JSON.stringify(key);
  const [lastKey, setLastKey] = useState(k);
  if (k !== lastKey) {
    setLastKey(k);
    setCursors([undefined]);
    setIndex(0);
  }
  const cursor = k === lastKey ? cursors[index] : undefined;
  const query = useQuery({ queryKey: [...key, { cursor: cursor ?? null }], queryFn: () => fetchPage(cursor), enabled });
  const next = query.data?.nextCursor ?? null;
  const paging: Paging = {
    index,
    count: cursors.length + (next && index === cursors.length - 1 ? 1 : 0),
    openEnd: !!next,
    go: (i: number) => {
      if (i === cursors.length && next) setCursors([...cursors, next]);
      if (i <= cursors.length) setIndex(i);
    },
  };
  return { data: query.data, error: query.error, loading: query.isPending, items: query.data?.items ?? [], paging };
}
