/** Cursor paging for the API's lists (`nextCursor`): one query per page, with Cloudscape's Pagination. */
import Pagination from '@cloudscape-design/components/pagination';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';

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
  const pagination = (
    <Pagination
      currentPageIndex={index + 1}
      pagesCount={cursors.length + (next && index === cursors.length - 1 ? 1 : 0)}
      openEnd={!!next}
      ariaLabels={{ nextPageLabel: 'Next page', previousPageLabel: 'Previous page', pageLabel: (n) => `Page ${n}` }}
      onChange={(e) => {
        const i = e.detail.currentPageIndex - 1;
        if (i === cursors.length && next) setCursors([...cursors, next]);
        if (i <= cursors.length) setIndex(i);
      }}
    />
  );
  return { data: query.data, error: query.error, loading: query.isPending, items: query.data?.items ?? [], pagination };
}
