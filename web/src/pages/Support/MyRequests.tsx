/** "My requests": the agent's own requests at every tenant, newest first, by status, paged; a pending one can be cancelled. */
import Box from '@cloudscape-design/components/box';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Select from '@cloudscape-design/components/select';
import Table from '@cloudscape-design/components/table';
import { useState } from 'react';
import { useCancelRequest, useMyRequests, type RequestStatus } from '../../api/requests.ts';
import { ConfirmAction } from '../../confirm.tsx';
import { tenantPath, To } from '../../router.tsx';
import { useShell } from '../../shell/context.ts';
import { ProblemAlert } from '../../shell/errors.tsx';
import { Ago, scopeText, Status } from '../../shell/format.tsx';
import { Pager } from '../../shell/Pager.tsx';

const STATUS_OPTIONS = [
  { label: 'Any status', value: '' },
  ...(['PENDING', 'APPROVED', 'DENIED', 'CANCELLED', 'EXPIRED'] as const).map((v) => ({
    label: v.charAt(0) + v.slice(1).toLowerCase(),
    value: v,
  })),
];

/** The caller's own requests at every tenant (`GET /v1/me/requests`), newest first, by status, paged. */
export function MyRequests() {
  const { flash } = useShell();
  const [status, setStatus] = useState('');
  const list = useMyRequests((status || undefined) as RequestStatus | undefined);
  const cancel = useCancelRequest();
  if (list.error) return <ProblemAlert error={list.error} />;
  return (
    <Table
      header={
        <Header variant="h2" description="Your access requests at every tenant, newest first.">
          My requests
        </Header>
      }
      loading={list.loading}
      loadingText="Loading your requests"
      items={list.items}
      trackBy="requestId"
      variant="container"
      filter={
        <FormField label="Status">
          <Select
            selectedOption={STATUS_OPTIONS.find((o) => o.value === status) ?? STATUS_OPTIONS[0]!}
            options={STATUS_OPTIONS}
            onChange={(e) => setStatus(e.detail.selectedOption.value ?? '')}
          />
        </FormField>
      }
      pagination={<Pager paging={list.paging} />}
      empty={<Box>{status ? 'No requests in this status.' : 'No requests yet.'}</Box>}
      columnDefinitions={[
        { id: 'tenant', header: 'Tenant', cell: (r) => r.tenantId },
        {
          id: 'ticket',
          header: 'Ticket',
          cell: (r) => <To path={tenantPath(r.tenantId, `/requests/${encodeURIComponent(r.requestId)}`)}>{r.ticketId}</To>,
        },
        { id: 'status', header: 'Status', cell: (r) => <Status status={r.status} /> },
        { id: 'scope', header: 'Scope', cell: (r) => scopeText(r.scope) },
        { id: 'duration', header: 'Duration', cell: (r) => `${r.durationHours} h` },
        { id: 'at', header: 'Requested', cell: (r) => <Ago at={r.requestedAt} /> },
        {
          id: 'actions',
          header: 'Actions',
          // Wide enough for "Cancel request" on one line.
          minWidth: 170,
          cell: (r) =>
            r.status === 'PENDING' ? (
              <ConfirmAction
                label="Cancel request"
                title={`Cancel the request for ${r.ticketId}?`}
                onConfirm={async () => {
                  await cancel.mutateAsync({ tenantId: r.tenantId, requestId: r.requestId });
                  flash('success', `Request for ${r.ticketId} cancelled.`);
                }}
              />
            ) : (
              '—'
            ),
        },
      ]}
    />
  );
}
