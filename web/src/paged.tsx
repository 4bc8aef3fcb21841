/** Cursor paging for the API's lists (`nextCursor`), with Cloudscape's Pagination. */
import Pagination from '@cloudscape-design/components/pagination';
import { useState } from 'react';
import { useLoad } from './ui.tsx';

export function usePaged<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
  deps: unknown[],
) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [index, setIndex] = useState(0);
  const key = JSON.stringify(deps);
  const [lastKey, setLastKey] = useState(key);
  if (key !== lastKey) {
    setLastKey(key);
    setCursors([undefined]);
    setIndex(0);
  }
  const state = useLoad(() => fetchPage(cursors[index]), [key, index]);
  const next = state.data?.nextCursor ?? null;
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
  return { ...state, items: state.data?.items ?? [], pagination };
}
