/** `/tenants/{t}/grants`: active and ended grants, paged. */
import Box from '@cloudscape-design/components/box';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import Tabs from '@cloudscape-design/components/tabs';
import { useState } from 'react';
import { api, ok } from '../api/client.ts';
import { usePaged } from '../paged.tsx';
import { Ago, Countdown, ErrorPage, person, scopeText, Status, tenantPath, To } from '../ui.tsx';

function GrantTable({ tenantId, ended }: { tenantId: string; ended: boolean }) {
  const list = usePaged(
    async (cursor) => {
      if (!ended)
        return ok(
          api().GET('/v1/tenants/{tenantId}/grants', {
            params: { path: { tenantId }, query: { status: 'ACTIVE', limit: 25, ...(cursor ? { cursor } : {}) } },
          }),
        );
      // Ended = revoked or expired: every grant but the active ones.
      const page = await ok(
        api().GET('/v1/tenants/{tenantId}/grants', { params: { path: { tenantId }, query: { limit: 25, ...(cursor ? { cursor } : {}) } } }),
      );
      return { ...page, items: page.items.filter((g) => g.status !== 'ACTIVE') };
    },
    [tenantId, ended],
  );
  if (list.error) return <ErrorPage error={list.error} />;
  return (
    <Table
      loading={list.loading}
      loadingText="Loading grants"
      items={list.items}
      trackBy="grantId"
      pagination={list.pagination}
      empty={<Box>{ended ? 'No ended grants.' : 'No active grants: support cannot get in.'}</Box>}
      columnDefinitions={[
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
      ]}
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
