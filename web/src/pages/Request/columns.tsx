/** The request page's table: its approvals. */
import type { TableProps } from '@cloudscape-design/components/table';
import type { AccessRequest } from '../../api/client.ts';
import { Ago, person } from '../../shell/format.tsx';

export const approvalColumns: TableProps.ColumnDefinition<AccessRequest['approvals'][number]>[] = [
  { id: 'by', header: 'By', cell: (a) => person(a.by) },
  { id: 'at', header: 'When', cell: (a) => <Ago at={a.at} /> },
  { id: 'comment', header: 'Comment', cell: (a) => a.comment ?? '—' },
];
