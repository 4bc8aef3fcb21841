/** The requests table's columns. */
import type { TableProps } from '@cloudscape-design/components/table';
import type { AccessRequest } from '../../api/client.ts';
import { tenantPath, To } from '../../router.tsx';
import { Ago, Countdown, person, scopeText, Status } from '../../shell/format.tsx';

export const requestColumns = (tenantId: string): TableProps.ColumnDefinition<AccessRequest>[] => [
  {
    id: 'ticket',
    header: 'Ticket',
    cell: (r) => <To path={tenantPath(tenantId, `/requests/${encodeURIComponent(r.requestId)}`)}>{r.ticketId}</To>,
  },
  { id: 'status', header: 'Status', cell: (r) => <Status status={r.status} /> },
  { id: 'by', header: 'Requested by', cell: (r) => person(r.requestedBy) },
  { id: 'reason', header: 'Reason', cell: (r) => r.reason },
  { id: 'scope', header: 'Scope', cell: (r) => scopeText(r.scope) },
  { id: 'duration', header: 'Duration', cell: (r) => `${r.durationHours} h` },
  { id: 'at', header: 'Requested', cell: (r) => <Ago at={r.requestedAt} /> },
  { id: 'expires', header: 'Expires', cell: (r) => (r.status === 'PENDING' ? <Countdown until={r.expiresAt} /> : '—') },
];
