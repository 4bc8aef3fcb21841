/** "Download CSV": the login history or the audit trail of a chosen window, as the API exports it. */
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useState } from 'react';
import { api, ApiError, type Problem } from './api/client.ts';
import { ConfirmAction } from './confirm.tsx';

const day = (d: Date) => d.toISOString().slice(0, 10);

/** A button that asks for the window (at most 366 days) and downloads its CSV. */
export function DownloadCsv({ tenantId, what }: { tenantId: string; what: 'sessions' | 'audit-events' }) {
  const [from, setFrom] = useState(day(new Date(Date.now() - 30 * 864e5)));
  const [to, setTo] = useState(day(new Date()));
  return (
    <ConfirmAction
      label="Download CSV"
      title={what === 'sessions' ? 'Download the login history' : 'Download the audit trail'}
      onConfirm={async () => {
        // `to` is a whole day: the window ends at the next midnight (UTC).
        const query = {
          from: new Date(`${from}T00:00:00.000Z`).toISOString(),
          to: new Date(Date.parse(`${to}T00:00:00.000Z`) + 864e5).toISOString(),
        };
        const params = { params: { path: { tenantId }, query }, headers: { accept: 'text/csv' }, parseAs: 'text' as const };
        const res =
          what === 'sessions'
            ? await api().GET('/v1/tenants/{tenantId}/sessions', params)
            : await api().GET('/v1/tenants/{tenantId}/audit-events', params);
        if (!res.response.ok) {
          let problem: Problem | null = null;
          try {
            problem = JSON.parse(String(res.error)) as Problem;
          } catch {
            /* not a problem document */
          }
          throw new ApiError(res.response.status, problem);
        }
        const url = URL.createObjectURL(new Blob([String(res.data)], { type: 'text/csv' }));
        const a = document.createElement('a');
        a.href = url;
        a.download = `${what === 'sessions' ? 'login-history' : 'audit'}-${tenantId}-${from}-to-${to}.csv`;
        a.click();
        URL.revokeObjectURL(url);
      }}
    >
      <SpaceBetween direction="horizontal" size="m">
        <FormField label="From (UTC day)">
          <Input type="text" inputMode="numeric" placeholder="YYYY-MM-DD" value={from} onChange={(e) => setFrom(e.detail.value)} />
        </FormField>
        <FormField label="To (UTC day, included)" constraintText="At most 366 days after From">
          <Input type="text" inputMode="numeric" placeholder="YYYY-MM-DD" value={to} onChange={(e) => setTo(e.detail.value)} />
        </FormField>
      </SpaceBetween>
    </ConfirmAction>
  );
}
