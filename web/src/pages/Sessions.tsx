/** `/tenants/{t}/sessions`: the login history — who, when, how long, why, under which ticket, granted by whom, from where. */
import Box from '@cloudscape-design/components/box';
import DateRangePicker, { type DateRangePickerProps } from '@cloudscape-design/components/date-range-picker';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import { useState } from 'react';
import { api, ok } from '../api/client.ts';
import { DownloadCsv } from '../download.tsx';
import { usePaged } from '../paged.tsx';
import { duration } from '../time.ts';
import { Ago, ErrorPage, person, tenantPath, To, useLoad } from '../ui.tsx';

const ENDED: Record<string, string> = { agent: 'Signed out', revoked: 'Access revoked', expired: 'Access expired' };

function inRange(at: string, range: DateRangePickerProps.Value | null): boolean {
  if (!range) return true;
  const t = new Date(at).getTime();
  if (range.type === 'relative') {
    const unit = { second: 1e3, minute: 6e4, hour: 36e5, day: 864e5, week: 6048e5, month: 2592e6, year: 31536e6 }[range.unit];
    return t >= Date.now() - range.amount * unit;
  }
  return t >= new Date(range.startDate).getTime() && t <= new Date(range.endDate).getTime() + (range.endDate.length <= 10 ? 864e5 : 0);
}

export default function Sessions({ tenantId }: { tenantId: string }) {
  const [personFilter, setPersonFilter] = useState('');
  const [range, setRange] = useState<DateRangePickerProps.Value | null>(null);
  const list = usePaged((cursor) => ok(api().GET('/v1/tenants/{tenantId}/sessions', { params: { path: { tenantId }, query: { limit: 50, ...(cursor ? { cursor } : {}) } } })), [tenantId]);
  // The ticket of each session's grant (the latest 100 grants).
  const grants = useLoad(() => ok(api().GET('/v1/tenants/{tenantId}/grants', { params: { path: { tenantId }, query: { limit: 100 } } })), [tenantId]);
  if (list.error) return <ErrorPage error={list.error} />;
  const ticketOf = new Map((grants.data?.items ?? []).map((g) => [g.grantId, g.ticketId]));
  const q = personFilter.trim().toLowerCase();
  const items = list.items.filter((s) => (!q || `${s.accessedBy.name} ${s.accessedBy.email}`.toLowerCase().includes(q)) && inRange(s.signInAt, range));
  return (
    <SpaceBetween size="l">
      <Header variant="h1" description={`Tenant ${tenantId}: every sign-in by support, newest first.`} actions={<DownloadCsv tenantId={tenantId} what="sessions" />}>
        Login history
      </Header>
      <Table
        loading={list.loading}
        loadingText="Loading the login history"
        items={items}
        trackBy="sessionId"
        variant="container"
        header={<Header variant="h2" counter={`(${items.length})`}>Sign-ins</Header>}
        pagination={list.pagination}
        filter={
          <SpaceBetween direction="horizontal" size="m">
            <FormField label="Person">
              <Input type="search" placeholder="Name or email" value={personFilter} onChange={(e) => setPersonFilter(e.detail.value)} />
            </FormField>
            <FormField label="Signed in between">
              <DateRangePicker
                value={range}
                onChange={(e) => setRange(e.detail.value)}
                placeholder="Any time"
                relativeOptions={[
                  { key: '1d', amount: 1, unit: 'day', type: 'relative' },
                  { key: '7d', amount: 7, unit: 'day', type: 'relative' },
                  { key: '30d', amount: 30, unit: 'day', type: 'relative' },
                ]}
                isValidRange={(r) => (r && r.type === 'absolute' && (!r.startDate || !r.endDate) ? { valid: false, errorMessage: 'Choose a start and an end.' } : { valid: true })}
                i18nStrings={{ clearButtonLabel: 'Clear', applyButtonLabel: 'Apply', cancelButtonLabel: 'Cancel', relativeModeTitle: 'Relative', absoluteModeTitle: 'Absolute', relativeRangeSelectionHeading: 'Choose a range', customRelativeRangeOptionLabel: 'Custom range', customRelativeRangeOptionDescription: 'Set a custom range', customRelativeRangeDurationLabel: 'Duration', customRelativeRangeUnitLabel: 'Unit', startDateLabel: 'Start date', endDateLabel: 'End date', startTimeLabel: 'Start time', endTimeLabel: 'End time', formatRelativeRange: (r) => `Last ${r.amount} ${r.unit}${r.amount === 1 ? '' : 's'}`, formatUnit: (u, n) => (n === 1 ? u : `${u}s`), dateTimeConstraintText: 'Dates as YYYY/MM/DD.' }}
              />
            </FormField>
          </SpaceBetween>
        }
        empty={<Box>No sign-ins{q || range ? ' match the filters' : ' yet'}.</Box>}
        columnDefinitions={[
          { id: 'who', header: 'Who', cell: (s) => person(s.accessedBy) },
          { id: 'in', header: 'Signed in', cell: (s) => <Ago at={s.signInAt} /> },
          { id: 'out', header: 'Signed out', cell: (s) => (s.signOutAt ? <Ago at={s.signOutAt} /> : 'Still inside') },
          { id: 'len', header: 'How long', cell: (s) => duration(new Date(s.signOutAt ?? Date.now()).getTime() - new Date(s.signInAt).getTime()) },
          { id: 'reason', header: 'Reason', cell: (s) => s.reason },
          { id: 'ticket', header: 'Ticket', cell: (s) => <To path={tenantPath(tenantId, `/grants/${encodeURIComponent(s.grantId)}`)}>{ticketOf.get(s.grantId) ?? 'See the grant'}</To> },
          { id: 'by', header: 'Granted by', cell: (s) => person(s.grantedBy) },
          { id: 'from', header: 'From', cell: (s) => `${s.sourceIp} · ${s.userAgent || 'unknown client'}` },
          { id: 'ended', header: 'How it ended', cell: (s) => (s.endedBy ? ENDED[s.endedBy] ?? s.endedBy : '—') },
        ]}
      />
    </SpaceBetween>
  );
}
