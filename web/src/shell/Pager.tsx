/** Cloudscape's Pagination for a paged list (api/paged.ts). */
import Pagination from '@cloudscape-design/components/pagination';
import type { Paging } from '../api/paged.ts';

export const Pager = ({ paging }: { paging: Paging }) => (
  <Pagination
    currentPageIndex={paging.index + 1}
    pagesCount={paging.count}
    openEnd={paging.openEnd}
    ariaLabels={{ nextPageLabel: 'Next page', previousPageLabel: 'Previous page', pageLabel: (n) => `Page ${n}` }}
    onChange={(e) => paging.go(e.detail.currentPageIndex - 1)}
  />
);
