/** The grant page's tables: its grantees and the sessions opened under it. */
import type { TableProps } from '@cloudscape-design/components/table';
import type { Grant, Session } from '../../api/client.ts';
import { Ago, person } from '../../shell/format.tsx';
import { duration } from '../../time.ts';

export const granteeColumns: TableProps.ColumnDefinition<Grant['grantees'][number]>[] = [
  { id: 'who', header: 'Who', cell: (x) => person(x) },
  { id: 'added', header: 'Added', cell: (x) => <Ago at={x.addedAt} /> },
  { id: 'by', header: 'Added by', cell: (x) => x.addedBy.name },
];

export const sessionColumns: TableProps.ColumnDefinition<Session>[] = [
  { id: 'who', header: 'Who', cell: (s) => person(s.accessedBy) },
  { id: 'in', header: 'Signed in', cell: (s) => <Ago at={s.signInAt} /> },
  { id: 'out', header: 'Signed out', cell: (s) => (s.signOutAt ? <Ago at={s.signOutAt} /> : 'Still inside') },
  {
    id: 'len',
    header: 'How long',
    cell: (s) => duration(new Date(s.signOutAt ?? Date.now()).getTime() - new Date(s.signInAt).getTime()),
  },
  { id: 'reason', header: 'Reason', cell: (s) => s.reason },
  { id: 'ended', header: 'How it ended', cell: (s) => s.endedBy ?? '—' },
];
