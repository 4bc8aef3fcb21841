/** `/tenants/{t}/requests`: the access requests, newest first, by status, paged. */
import Header from '@cloudscape-design/components/header';
import Select from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import Box from '@cloudscape-design/components/box';
import FormField from '@cloudscape-design/components/form-field';
import { useState } from 'react';
import { useRequests, type RequestStatus } from '../../api/requests.ts';
import { ErrorPage } from '../../shell/errors.tsx';
import { requestColumns } from './columns.tsx';
import { Pager } from '../../shell/Pager.tsx';

const OPTIONS = [
  { label: 'Any status', value: '' },
  ...(['PENDING', 'APPROVED', 'DENIED', 'CANCELLED', 'EXPIRED'] as const).map((s) => ({
    label: s.charAt(0) + s.slice(1).toLowerCase(),
    value: s,
  })),
];

export default function Requests({ tenantId }: { tenantId: string }) {
  const [status, setStatus] = useState('');
  const list = useRequests(tenantId, (status || undefined) as RequestStatus | undefined);
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
        pagination={<Pager paging={list.paging} />}
        empty={<Box>No requests.</Box>}
        columnDefinitions={requestColumns(tenantId)}
      />
    </SpaceBetween>
  );
}
