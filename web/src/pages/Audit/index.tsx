/** `/tenants/{t}/audit`: the audit trail, and "Verify integrity" with its result shown plainly. */
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import { useState } from 'react';
import { useAuditEvents, verifyAudit } from '../../api/audit.ts';
import type { Verification } from '../../api/client.ts';
import { DownloadCsv } from '../../download.tsx';
import { useShell } from '../../shell/context.ts';
import { ErrorPage, ProblemAlert } from '../../shell/errors.tsx';
import { eventColumns } from './columns.tsx';
import { Pager } from '../../shell/Pager.tsx';

export default function Audit({ tenantId }: { tenantId: string }) {
  const { flash } = useShell();
  const list = useAuditEvents(tenantId);
  const [result, setResult] = useState<Verification | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (list.error) return <ErrorPage error={list.error} />;
  const verify = async () => {
    setBusy(true);
    setError(null);
    try {
      const v = await verifyAudit(tenantId);
      setResult(v);
      flash(
        v.valid ? 'success' : 'error',
        v.valid ? 'The audit trail is intact.' : `The audit trail has ${v.problems.length} problem${v.problems.length === 1 ? '' : 's'}.`,
      );
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <SpaceBetween size="l">
      <Header
        variant="h1"
        description={`Tenant ${tenantId}: every change, who made it and when, in a hash chain that shows tampering.`}
        actions={
          <Button loading={busy} onClick={() => void verify()}>
            Verify integrity
          </Button>
        }
      >
        Audit trail
      </Header>
      <ProblemAlert error={error} />
      {result && (
        <Alert type={result.valid ? 'success' : 'error'} header={result.valid ? 'Intact' : 'Problems found'}>
          Checked {result.events} events at {new Date(result.checkedAt).toLocaleString()}: {result.sealed} sealed in the chain,{' '}
          {result.unsealed} not sealed yet (sealing runs every minute).
          {result.problems.length > 0 && (
            <ul>
              {result.problems.map((p, i) => (
                <li key={i}>
                  {p.problem}
                  {p.eventId ? ` (event ${p.eventId})` : ''}: {p.detail}
                </li>
              ))}
            </ul>
          )}
        </Alert>
      )}
      <Table
        loading={list.loading}
        loadingText="Loading events"
        items={list.items}
        trackBy="eventId"
        variant="container"
        header={
          <Header variant="h2" actions={<DownloadCsv tenantId={tenantId} what="audit-events" />}>
            Events
          </Header>
        }
        pagination={<Pager paging={list.paging} />}
        empty={<Box>No events.</Box>}
        wrapLines
        columnDefinitions={eventColumns}
      />
    </SpaceBetween>
  );
}
