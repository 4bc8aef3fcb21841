/** The contacts table's columns (the admin's actions are added on the page). */
import type { TableProps } from '@cloudscape-design/components/table';
import type { Contact } from '../../api/client.ts';
import { Ago } from '../../shell/format.tsx';

export const contactColumns: TableProps.ColumnDefinition<Contact>[] = [
  { id: 'name', header: 'Name', cell: (c) => c.name },
  { id: 'email', header: 'Email', cell: (c) => c.email },
  { id: 'tier', header: 'Tier', cell: (c) => (c.tier === 'backup' ? 'Backup' : 'Primary') },
  {
    id: 'added',
    header: 'Added',
    cell: (c) => (
      <>
        {<Ago at={c.addedAt} />} by {c.addedBy.name}
      </>
    ),
  },
];
