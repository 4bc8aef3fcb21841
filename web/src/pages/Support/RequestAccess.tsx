/** "Request access": a tenant, a ticket, a reason, the scope and a duration; the tenant's policy bounds shown first. */
import Box from '@cloudscape-design/components/box';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import { useEffect, useState } from 'react';
import { usePolicy } from '../../api/policy.ts';
import { useAskForAccess } from '../../api/requests.ts';
import { ActionForm, ScopeRadios, TextField, useAction, type Level } from '../../form.tsx';
import { useShell } from '../../shell/context.ts';
import { fieldError } from '../../shell/errors.tsx';
import { knownTenants, rememberTenant, splitList } from './storage.ts';

export function RequestAccess() {
  const { flash } = useShell();
  const [f, setF] = useState({
    tenantId: knownTenants()[0] ?? '',
    ticketId: '',
    reason: '',
    level: 'read-only' as Level,
    modules: '',
    hours: '2',
  });
  // The tenant's policy once the field rests (its bounds are shown before submitting).
  const [asked, setAsked] = useState('');
  const policyQuery = usePolicy(asked);
  const policy = asked && asked === f.tenantId.trim() ? (policyQuery.data ?? null) : null;
  const ask = useAskForAccess();
  const { busy, error, run } = useAction();
  useEffect(() => {
    const t = f.tenantId.trim();
    const timer = setTimeout(() => setAsked(t), 300);
    return () => clearTimeout(timer);
  }, [f.tenantId]);
  const submit = () =>
    run(async () => {
      const tenantId = f.tenantId.trim();
      const modules = splitList(f.modules);
      const r = await ask.mutateAsync({
        tenantId,
        body: {
          ticketId: f.ticketId,
          reason: f.reason,
          scope: { level: f.level, ...(modules.length ? { modules } : {}) },
          durationHours: Number(f.hours),
        },
      });
      rememberTenant(tenantId);
      flash('success', `Access requested at ${tenantId} for ticket ${r.ticketId}; its contacts are emailed to approve.`);
      setF({ ...f, ticketId: '', reason: '' });
    });
  return (
    <ActionForm
      title="Request access"
      description="The tenant's contacts are emailed to approve or deny."
      action="Request access"
      busy={busy}
      error={error}
      fields={['ticketId', 'reason', 'scope', 'durationHours', 'tenantId']}
      onSubmit={() => void submit()}
    >
      <TextField label="Tenant" value={f.tenantId} onChange={(v) => setF({ ...f, tenantId: v })} error={error} path="tenantId" />
      <TextField label="Ticket" value={f.ticketId} onChange={(v) => setF({ ...f, ticketId: v })} error={error} path="ticketId" />
      <TextField label="Reason" value={f.reason} onChange={(v) => setF({ ...f, reason: v })} error={error} path="reason" />
      <FormField label="Scope" errorText={fieldError(error, 'scope.level')}>
        <ScopeRadios value={f.level} onChange={(level) => setF({ ...f, level })} />
      </FormField>
      <FormField
        label="Modules"
        description="Comma-separated; empty: every module."
        errorText={fieldError(error, 'scope.modules') ?? fieldError(error, 'scope')}
      >
        <Input value={f.modules} onChange={(e) => setF({ ...f, modules: e.detail.value })} />
      </FormField>
      <FormField
        label="Duration (hours)"
        constraintText={policy ? `1–${policy.maxDurationHours} hours at ${f.tenantId.trim()}` : 'The tenant sets the maximum.'}
        errorText={fieldError(error, 'durationHours')}
      >
        <Input type="number" inputMode="numeric" value={f.hours} onChange={(e) => setF({ ...f, hours: e.detail.value })} />
      </FormField>
      {policy && (
        <Box variant="p">
          {f.tenantId.trim()}'s policy: at most {policy.maxDurationHours} hours; {policy.approvalsRequired} approval
          {policy.approvalsRequired === 1 ? '' : 's'} needed; an unanswered request expires after {policy.requestTtlHours} hours.
        </Box>
      )}
    </ActionForm>
  );
}
