/** `/tenants/{t}/grants`: active and ended grants, paged. */
import Box from '@cloudscape-design/components/box';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import Tabs from '@cloudscape-design/components/tabs';
import { useState } from 'react';
import { useGrantsPage } from '../../api/grants.ts';
import { ErrorPage } from '../../shell/errors.tsx';
import { grantColumns } from './columns.tsx';
import { Pager } from '../../shell/Pager.tsx';

function GrantTable({ tenantId, ended }: { tenantId: string; ended: boolean }) {
  const list = useGrantsPage(tenantId, ended);
  if (list.error) return <ErrorPage error={list.error} />;
  return (
    <Table
      loading={list.loading}
      loadingText="Loading grants"
      items={list.items}
      trackBy="grantId"
      pagination={<Pager paging={list.paging} />}
      empty={<Box>{ended ? 'No ended grants.' : 'No active grants: support cannot get in.'}</Box>}
      columnDefinitions={grantColumns(tenantId, ended)}
    />
  );
}

export default function Grants({ tenantId }: { tenantId: string }) {
  const [tab, setTab] = useState('active');
  return (
    <SpaceBetween size="l">
      <Header variant="h1" description={`Tenant ${tenantId}: who from support may get in, and who could.`}>
        Grants
      </Header>
      <Tabs
        activeTabId={tab}
        onChange={(e) => setTab(e.detail.activeTabId)}
        variant="container"
        tabs={[
          { id: 'active', label: 'Active', content: <GrantTable tenantId={tenantId} ended={false} /> },
          { id: 'ended', label: 'Ended', content: <GrantTable tenantId={tenantId} ended /> },
        ]}
      />
    </SpaceBetween>
  );
}
