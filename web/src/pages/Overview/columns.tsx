/** The overview's tables: the active grants, and the requests waiting for the person. */
import type { TableProps } from '@cloudscape-design/components/table';
import type { AccessRequest, Grant } from '../../api/client.ts';
import { tenantPath, To } from '../../router.tsx';
import { Countdown, person, scopeText } from '../../shell/format.tsx';

export const who = (g: Grant) => (g.audience === 'support-team' ? 'The whole support team' : g.grantees.map((x) => x.name).join(', '));

export const grantColumns = (tenantId: string): TableProps.ColumnDefinition<Grant>[] => [
  {
    id: 'who',
    header: 'Who',
    cell: (g) => <To path={tenantPath(tenantId, `/grants/${encodeURIComponent(g.grantId)}`)}>{who(g)}</To>,
  },
  { id: 'reason', header: 'Reason', cell: (g) => g.reason },
  { id: 'scope', header: 'Scope', cell: (g) => scopeText(g.scope) },
  { id: 'until', header: 'Until', cell: (g) => <Countdown until={g.expiresAt} /> },
  { id: 'by', header: 'Granted by', cell: (g) => person(g.grantedBy) },
];

export const waitingColumns = (tenantId: string): TableProps.ColumnDefinition<AccessRequest>[] => [
  {
    id: 'ticket',
    header: 'Ticket',
    cell: (r) => <To path={tenantPath(tenantId, `/requests/${encodeURIComponent(r.requestId)}`)}>{r.ticketId}</To>,
  },
  { id: 'who', header: 'Requested by', cell: (r) => person(r.requestedBy) },
  { id: 'reason', header: 'Reason', cell: (r) => r.reason },
  { id: 'duration', header: 'Duration', cell: (r) => `${r.durationHours} h` },
  { id: 'expires', header: 'Answer before', cell: (r) => <Countdown until={r.expiresAt} /> },
];
