/** `/tenants/{t}/requests`: the access requests, newest first, by status, paged. */
import Header from '@cloudscape-design/components/header';
import Select from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import Box from '@cloudscape-design/components/box';
import FormField from '@cloudscape-design/components/form-field';
import { useState } from 'react';
import { api, ok } from '../api/client.ts';
import { usePaged } from '../paged.tsx';
import { Ago, Countdown, ErrorPage, person, scopeText, Status, tenantPath, To } from '../ui.tsx';

type RequestStatus = 'PENDING' | 'APPROVED' | 'DENIED' | 'CANCELLED' | 'EXPIRED';
const OPTIONS = [
  { label: 'Any status', value: '' },
  ...(['PENDING', 'APPROVED', 'DENIED', 'CANCELLED', 'EXPIRED'] as const).map((s) => ({
    label: s.charAt(0) + s.slice(1).toLowerCase(),
    value: s,
  })),
];

export default function Requests({ tenantId }: { tenantId: string }) {
  const [status, setStatus] = useState('');
  const list = usePaged(
    (cursor) =>
      ok(
        api().GET('/v1/tenants/{tenantId}/access-requests', {
          params: {
            path: { tenantId },
            query: { limit: 25, ...(cursor ? { cursor } : {}), ...(status ? { status: status as RequestStatus } : {}) },
          },
        }),
      ),
    [tenantId, status],
  );
  if (list.error) return <ErrorPage error={list.error} />;
  return (
    <SpaceBetween size="l">
      <Header variant="h1" description={`Tenant ${tenantId}: what support asked for, newest first.`}>
        Access requests
      </Header>
      <Table
        loading={list.loading}
        loadingText="Loading requests"
        items={list.items}
        trackBy="requestId"
        variant="container"
        header={<Header variant="h2">Requests</Header>}
        filter={
          <FormField label="Status">
            <Select
              selectedOption={OPTIONS.find((o) => o.value === status) ?? OPTIONS[0]!}
              options={OPTIONS}
              onChange={(e) => setStatus(e.detail.selectedOption.value ?? '')}
            />
          </FormField>
        }
        pagination={list.pagination}
        empty={<Box>No requests.</Box>}
        columnDefinitions={[
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
        ]}
      />
    </SpaceBetween>
  );
}
