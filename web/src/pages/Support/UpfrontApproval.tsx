/** A support lead records an approval a contact gave by phone or in a ticket: a grant for the support team. */
import FormField from '@cloudscape-design/components/form-field';
import { useState } from 'react';
import { useCreateGrant } from '../../api/grants.ts';
import { ActionForm, ScopeRadios, TextField, useAction, type Level } from '../../form.tsx';
import { useShell } from '../../shell/context.ts';
import { fieldError } from '../../shell/errors.tsx';
import { absolute } from '../../time.ts';
import { rememberTenant, splitList } from './storage.ts';

export function UpfrontApproval() {
  const { flash } = useShell();
  const [f, setF] = useState({ tenantId: '', ticketId: '', reason: '', level: 'read-only' as Level, approvedBy: '', hours: '2' });
  const createGrant = useCreateGrant();
  const { busy, error, run } = useAction();
  const submit = () =>
    run(async () => {
      const tenantId = f.tenantId.trim();
      const emails = splitList(f.approvedBy);
      const body = {
        ticketId: f.ticketId,
        reason: f.reason,
        scope: { level: f.level },
        durationHours: Number(f.hours),
        approvedBy: (emails.length === 1 ? emails[0] : emails) as string,
      };
      const g = await createGrant.mutateAsync({ tenantId, body });
      rememberTenant(tenantId);
      flash(
        'success',
        `Approval recorded: the support team has access to ${tenantId} ${g.expiresAt ? `until ${absolute(g.expiresAt)}` : ''}. The contacts are emailed.`,
      );
    });
  return (
    <ActionForm
      title="Record an upfront approval"
      description="A contact approved by phone or ticket: record it; the contacts are emailed."
      action="Record approval"
      busy={busy}
      error={error}
      fields={['ticketId', 'reason', 'scope', 'durationHours', 'approvedBy']}
      onSubmit={() => void submit()}
    >
      <TextField label="Tenant" value={f.tenantId} onChange={(v) => setF({ ...f, tenantId: v })} />
      <TextField label="Ticket" value={f.ticketId} onChange={(v) => setF({ ...f, ticketId: v })} error={error} path="ticketId" />
      <TextField label="Reason" value={f.reason} onChange={(v) => setF({ ...f, reason: v })} error={error} path="reason" />
      <TextField
        label="Approved by (contact emails)"
        description="Comma-separated."
        value={f.approvedBy}
        onChange={(v) => setF({ ...f, approvedBy: v })}
        error={error}
        path="approvedBy"
      />
      <FormField label="Scope" errorText={fieldError(error, 'scope')}>
        <ScopeRadios value={f.level} onChange={(level) => setF({ ...f, level })} />
      </FormField>
      <TextField
        label="Duration (hours)"
        type="number"
        value={f.hours}
        onChange={(v) => setF({ ...f, hours: v })}
        error={error}
        path="durationHours"
      />
    </ActionForm>
  );
}
