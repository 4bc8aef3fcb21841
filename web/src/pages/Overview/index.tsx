/** `/tenants/{t}`: is support inside right now, under which grants, until when; switch access on and off. */
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Checkbox from '@cloudscape-design/components/checkbox';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import RadioGroup from '@cloudscape-design/components/radio-group';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import { useState } from 'react';
import type { Grant, Policy } from '../../api/client.ts';
import { useCreateGrant, useRevokeGrant } from '../../api/grants.ts';
import { isAdminOf, isSupport } from '../../auth.ts';
import { tenantPath, To } from '../../router.tsx';
import { useShell } from '../../shell/context.ts';
import { ErrorPage, fieldError, Loaded, ProblemAlert } from '../../shell/errors.tsx';
import { Ago, Countdown } from '../../shell/format.tsx';
import { grantColumns, waitingColumns, who } from './columns.tsx';
import { useOverview } from './data.ts';

export default function Overview({ tenantId }: { tenantId: string }) {
  const { me, flash } = useShell();
  const admin = isAdminOf(me, tenantId);
  const support = isSupport(me);
  const state = useOverview(tenantId, admin);
  const createGrant = useCreateGrant();
  const revokeGrant = useRevokeGrant();

  const [hours, setHours] = useState('2');
  const [standing, setStanding] = useState(false);
  const [level, setLevel] = useState<'read-only' | 'full'>('read-only');
  const [reason, setReason] = useState('Support access switched on from the console');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const activate = async (policy: Policy) => {
    setBusy(true);
    setError(null);
    try {
      const body =
        standing && policy.allowStandingAccess
          ? { reason, scope: { level }, standing: true as const }
          : { reason, scope: { level }, durationHours: Number(hours) };
      const g = await createGrant.mutateAsync({ tenantId, body });
      flash(
        'success',
        `Support access is on for the whole support team ${g.expiresAt ? `until ${new Date(g.expiresAt).toLocaleString()}` : 'until you turn it off'}.`,
      );
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const deactivate = async (grants: Grant[]) => {
    setBusy(true);
    setError(null);
    try {
      for (const g of grants) {
        await revokeGrant.mutateAsync({ tenantId, grantId: g.grantId, reason: 'Support access switched off from the console' });
      }
      flash('success', `Support access is off: ${grants.length} grant${grants.length === 1 ? '' : 's'} revoked, open sessions ended.`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (state.error) return <ErrorPage error={state.error} />;
  return (
    <SpaceBetween size="l">
      <Header variant="h1" description={`Tenant ${tenantId}: who from support may get in, and who did.`}>
        Support access
      </Header>
      <Loaded state={state}>
        {({ grants, policy, pending, sessions }) => {
          const open = sessions?.filter((s) => s.signOutAt === null) ?? [];
          const last = sessions?.[0];
          const waiting = pending.filter(
            (r) => r.requestedBy.id !== me?.sub && !r.approvals.some((a) => a.by.id === me?.sub || a.by.email === me?.email),
          );
          // Grants inside the policy's warning window (at least the next hour when the warning is off).
          const soonMs = Math.max(policy.expiryWarningMinutes ?? 0, 60) * 60_000;
          const ending = grants.filter((g) => g.expiresAt !== null && Date.parse(g.expiresAt) - Date.now() <= soonMs);
          return (
            <SpaceBetween size="l">
              {ending.length > 0 && (
                <Alert type="warning" header={`${ending.length} grant${ending.length === 1 ? '' : 's'} about to end`}>
                  <SpaceBetween size="xxs">
                    {ending.map((g) => (
                      <Box key={g.grantId}>
                        <To path={tenantPath(tenantId, `/grants/${encodeURIComponent(g.grantId)}`)}>{who(g)}</To>: ends{' '}
                        <Countdown until={g.expiresAt} />
                        {admin ? ' (open it to extend)' : support ? ' (open it to ask for more time)' : ''}
                      </Box>
                    ))}
                  </SpaceBetween>
                </Alert>
              )}
              <Container header={<Header variant="h2">Status</Header>}>
                <ColumnLayout columns={3} variant="text-grid">
                  <KeyValuePairs
                    items={[
                      {
                        label: 'Support access',
                        value: grants.length ? (
                          <StatusIndicator type="success">
                            On ({grants.length} active grant{grants.length === 1 ? '' : 's'})
                          </StatusIndicator>
                        ) : (
                          <StatusIndicator type="stopped">Off</StatusIndicator>
                        ),
                      },
                    ]}
                  />
                  <KeyValuePairs
                    items={[
                      {
                        label: 'Support inside right now',
                        value:
                          sessions === null ? (
                            'Only a tenant admin sees sessions'
                          ) : open.length ? (
                            <StatusIndicator type="warning">{open.map((s) => s.accessedBy.name).join(', ')}</StatusIndicator>
                          ) : (
                            'Nobody'
                          ),
                      },
                    ]}
                  />
                  <KeyValuePairs
                    items={[
                      {
                        label: 'Last sign-in',
                        value: last ? (
                          <>
                            {last.accessedBy.name}, <Ago at={last.signInAt} />
                          </>
                        ) : sessions === null ? (
                          '—'
                        ) : (
                          'Never'
                        ),
                      },
                    ]}
                  />
                </ColumnLayout>
              </Container>

              <Table
                header={
                  <Header variant="h2" counter={`(${grants.length})`}>
                    Active grants
                  </Header>
                }
                items={grants}
                trackBy="grantId"
                variant="container"
                empty={<Box>No active grant: support cannot get in.</Box>}
                columnDefinitions={grantColumns(tenantId)}
              />

              {admin && (
                <Container
                  header={
                    <Header
                      variant="h2"
                      description="For the whole support team, for a limited time. Every sign-in is logged, and the contacts are emailed."
                    >
                      Switch support access
                    </Header>
                  }
                >
                  <SpaceBetween size="m">
                    <ProblemAlert error={error} fields={['durationHours', 'standing', 'reason', 'scope']} />
                    {grants.length === 0 && (
                      <>
                        <ColumnLayout columns={3}>
                          <FormField
                            label="Duration (hours)"
                            constraintText={`1–${policy.maxDurationHours} hours (the policy's maximum)`}
                            errorText={fieldError(error, 'durationHours')}
                          >
                            <Input
                              type="number"
                              inputMode="numeric"
                              value={hours}
                              disabled={standing}
                              onChange={(e) => setHours(e.detail.value)}
                            />
                          </FormField>
                          <FormField label="Scope" errorText={fieldError(error, 'scope')}>
                            <RadioGroup
                              value={level}
                              onChange={(e) => setLevel(e.detail.value as 'read-only' | 'full')}
                              items={[
                                { value: 'read-only', label: 'Read-only' },
                                { value: 'full', label: 'Full' },
                              ]}
                            />
                          </FormField>
                          <FormField label="Reason" errorText={fieldError(error, 'reason')}>
                            <Input value={reason} onChange={(e) => setReason(e.detail.value)} />
                          </FormField>
                        </ColumnLayout>
                        {policy.allowStandingAccess && (
                          <Checkbox
                            checked={standing}
                            onChange={(e) => setStanding(e.detail.checked)}
                            description="The policy allows access with no end time, until someone turns it off."
                          >
                            Standing access
                          </Checkbox>
                        )}
                      </>
                    )}
                    {/* A switch: one of the two buttons at a time (their names overlap, and only one makes sense). */}
                    {grants.length === 0 ? (
                      <Button variant="primary" loading={busy} onClick={() => void activate(policy)}>
                        Activate support access
                      </Button>
                    ) : (
                      <Button variant="primary" loading={busy} onClick={() => void deactivate(grants)}>
                        Deactivate support access
                      </Button>
                    )}
                    {grants.length > 0 && (
                      <Box variant="small">Deactivate revokes every active grant ({grants.length}) and ends open sessions at once.</Box>
                    )}
                  </SpaceBetween>
                </Container>
              )}

              {!support && (
                <Table
                  header={
                    <Header variant="h2" counter={`(${waiting.length})`} description="Requests you can approve or deny.">
                      Waiting for you
                    </Header>
                  }
                  items={waiting}
                  trackBy="requestId"
                  variant="container"
                  empty={<Box>Nothing is waiting for you.</Box>}
                  columnDefinitions={waitingColumns(tenantId)}
                />
              )}
              {support && (
                <Box>
                  Your own access and sign-in are on <To path="/support">My access</To>.
                </Box>
              )}
            </SpaceBetween>
          );
        }}
      </Loaded>
    </SpaceBetween>
  );
}
