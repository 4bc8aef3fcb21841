/** The login history's columns. */
import type { TableProps } from '@cloudscape-design/components/table';
import type { Session } from '../../api/client.ts';
import { tenantPath, To } from '../../router.tsx';
import { Ago, person } from '../../shell/format.tsx';
import { duration } from '../../time.ts';

const ENDED: Record<string, string> = { agent: 'Signed out', revoked: 'Access revoked', expired: 'Access expired' };

export const sessionColumns = (tenantId: string, ticketOf: Map<string, string | null>): TableProps.ColumnDefinition<Session>[] => [
  { id: 'who', header: 'Who', cell: (s) => person(s.accessedBy) },
  { id: 'in', header: 'Signed in', cell: (s) => <Ago at={s.signInAt} /> },
  { id: 'out', header: 'Signed out', cell: (s) => (s.signOutAt ? <Ago at={s.signOutAt} /> : 'Still inside') },
  {
    id: 'len',
    header: 'How long',
    cell: (s) => duration(new Date(s.signOutAt ?? Date.now()).getTime() - new Date(s.signInAt).getTime()),
  },
  { id: 'reason', header: 'Reason', cell: (s) => s.reason },
  {
    id: 'ticket',
    header: 'Ticket',
    cell: (s) => (
      <To path={tenantPath(tenantId, `/grants/${encodeURIComponent(s.grantId)}`)}>{ticketOf.get(s.grantId) ?? 'See the grant'}</To>
    ),
  },
  { id: 'by', header: 'Granted by', cell: (s) => person(s.grantedBy) },
  { id: 'from', header: 'From', cell: (s) => `${s.sourceIp} · ${s.userAgent || 'unknown client'}` },
  { id: 'ended', header: 'How it ended', cell: (s) => (s.endedBy ? (ENDED[s.endedBy] ?? s.endedBy) : '—') },
];
