/** The grants tables' columns (active, or ended). */
import type { TableProps } from '@cloudscape-design/components/table';
import type { Grant } from '../../api/client.ts';
import { tenantPath, To } from '../../router.tsx';
import { Ago, Countdown, person, scopeText, Status } from '../../shell/format.tsx';

export const grantColumns = (tenantId: string, ended: boolean): TableProps.ColumnDefinition<Grant>[] => [
  {
    id: 'grant',
    header: 'Grant',
    cell: (g) => <To path={tenantPath(tenantId, `/grants/${encodeURIComponent(g.grantId)}`)}>{g.ticketId ?? g.reason}</To>,
  },
  { id: 'status', header: 'Status', cell: (g) => <Status status={g.status} /> },
  {
    id: 'who',
    header: 'Who',
    cell: (g) => (g.audience === 'support-team' ? 'Whole support team' : g.grantees.map((x) => x.name).join(', ')),
  },
  { id: 'scope', header: 'Scope', cell: (g) => scopeText(g.scope) },
  {
    id: 'until',
    header: ended ? 'Ended' : 'Until',
    cell: (g) => (ended ? <Ago at={g.endedAt ?? g.expiresAt} /> : <Countdown until={g.expiresAt} />),
  },
  { id: 'by', header: 'Granted by', cell: (g) => person(g.grantedBy) },
];
