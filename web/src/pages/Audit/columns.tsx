/** The audit trail's columns. */
import Box from '@cloudscape-design/components/box';
import type { TableProps } from '@cloudscape-design/components/table';
import type { AuditEvent } from '../../api/client.ts';
import { Ago } from '../../shell/format.tsx';

export const eventColumns: TableProps.ColumnDefinition<AuditEvent>[] = [
  { id: 'at', header: 'When', cell: (e) => <Ago at={e.at} /> },
  { id: 'action', header: 'Action', cell: (e) => e.action },
  { id: 'actor', header: 'Who', cell: (e) => ('name' in e.actor ? `${e.actor.name} <${e.actor.email}>` : 'The system') },
  { id: 'target', header: 'Target', cell: (e) => e.targetId },
  {
    id: 'details',
    header: 'Details',
    cell: (e) => (
      <Box variant="code" fontSize="body-s">
        {JSON.stringify(e.details)}
      </Box>
    ),
  },
];
