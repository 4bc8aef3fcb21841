/** `/tenants/{t}/grants/{id}`: who, why, approved by whom, until when, its sessions; Revoke; Add grantee; Extend / Ask for more time. */
import Box from '@cloudscape-design/components/box';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import { useState } from 'react';
import { useAddGrantee, useExtendGrant, useGrant, useGrantSessions, useRevokeGrant } from '../../api/grants.ts';
import { isAdminOf, isLead } from '../../auth.ts';
import { ConfirmAction } from '../../confirm.tsx';
import { tenantPath, To } from '../../router.tsx';
import { useShell } from '../../shell/context.ts';
import { Loaded, ProblemAlert } from '../../shell/errors.tsx';
import { Ago, Countdown, person, scopeText, Status } from '../../shell/format.tsx';
import { granteeColumns, sessionColumns } from './columns.tsx';
import { Pager } from '../../shell/Pager.tsx';

export default function GrantPage({ tenantId, grantId }: { tenantId: string; grantId: string }) {
  const { me, flash } = useShell();
  const admin = isAdminOf(me, tenantId);
  const lead = isLead(me);
  const grant = useGrant(tenantId, grantId);
  const state = { data: grant.data && { grant: grant.data }, error: grant.error };
  const addGrantee = useAddGrantee();
  const extend = useExtendGrant();
  const revoke = useRevokeGrant();
  const [g2, setG2] = useState({ id: '', email: '', name: '' });
  const [hours, setHours] = useState('2');
  const ids = { tenantId, grantId };

  return (
    <Loaded state={state}>
      {({ grant: g }) => {
        const active = g.status === 'ACTIVE';
        const grantee = g.grantees.some((x) => x.id === me?.sub);
        const mayRevoke = admin || lead || grantee;
        // A tenant admin extends at once; a grantee or a support lead asks the contacts for more time.
        const mayExtend = active && g.expiresAt !== null && (admin || lead || grantee);
        return (
          <SpaceBetween size="l">
            <Header
              variant="h1"
              description={`Tenant ${tenantId} · ${g.reason}`}
              actions={
                active && (
                  <SpaceBetween direction="horizontal" size="xs">
                    {(admin || lead) && (
                      <ConfirmAction
                        label="Add grantee"
                        title="Add someone from support to this grant"
                        onConfirm={async () => {
                          await addGrantee.mutateAsync({
                            ...ids,
                            grantee: { id: g2.id.trim(), email: g2.email.trim(), name: g2.name.trim() },
                          });
                          flash('success', `${g2.name.trim()} was added to the grant; the contacts are emailed.`);
                          setG2({ id: '', email: '', name: '' });
                        }}
                      >
                        <ColumnLayout columns={3}>
                          <FormField label="User id">
                            <Input value={g2.id} onChange={(e) => setG2({ ...g2, id: e.detail.value })} />
                          </FormField>
                          <FormField label="Email">
                            <Input value={g2.email} onChange={(e) => setG2({ ...g2, email: e.detail.value })} />
                          </FormField>
                          <FormField label="Name">
                            <Input value={g2.name} onChange={(e) => setG2({ ...g2, name: e.detail.value })} />
                          </FormField>
                        </ColumnLayout>
                      </ConfirmAction>
                    )}
                    {mayExtend && (
                      <ConfirmAction
                        label={admin ? 'Extend' : 'Ask for more time'}
                        title={admin ? 'Extend this access' : 'Ask the contacts for more time'}
                        input={{ label: admin ? 'Why more time' : 'Why you need more time', field: 'reason', required: true }}
                        onConfirm={async (reason) => {
                          const res = await extend.mutateAsync({ ...ids, hours: Number(hours), reason: reason ?? '' });
                          flash(
                            'success',
                            'kind' in res
                              ? 'Asked: the contacts are emailed; this grant ends later once they approve.'
                              : `Extended by ${hours} hour${hours === '1' ? '' : 's'}; the contacts are emailed.`,
                          );
                        }}
                      >
                        <FormField label="More hours" constraintText="At most the tenant's longest access">
                          <Input type="number" value={hours} onChange={(e) => setHours(e.detail.value)} />
                        </FormField>
                      </ConfirmAction>
                    )}
                    {mayRevoke && (
                      <ConfirmAction
                        label="Revoke"
                        variant="primary"
                        title="Revoke this access?"
                        input={{ label: 'Reason (optional)', field: 'reason' }}
                        onConfirm={async (reason) => {
                          await revoke.mutateAsync({ ...ids, reason });
                          flash('success', 'Access revoked: nobody can sign in under this grant, and open sessions are ended.');
                        }}
                      >
                        <Box>Support loses this access at once; the contacts are emailed.</Box>
                      </ConfirmAction>
                    )}
                  </SpaceBetween>
                )
              }
            >
              Grant
            </Header>
            <Container header={<Header variant="h2">Details</Header>}>
              <KeyValuePairs
                columns={3}
                items={[
                  { label: 'Status', value: <Status status={g.status} /> },
                  {
                    label: 'Who',
                    value:
                      g.audience === 'support-team'
                        ? 'The whole support team'
                        : `${g.grantees.length} named person${g.grantees.length === 1 ? '' : 's'}`,
                  },
                  { label: 'Scope', value: scopeText(g.scope) },
                  { label: 'Reason', value: g.reason },
                  { label: 'Ticket', value: g.ticketId ?? '—' },
                  { label: 'Until', value: <Countdown until={g.expiresAt} /> },
                  { label: 'Granted by', value: person(g.grantedBy) },
                  { label: 'Approved by', value: g.approvedBy.length ? g.approvedBy.map((a) => person(a)).join(', ') : '—' },
                  { label: 'Created', value: <Ago at={g.createdAt} /> },
                  ...(g.requestId
                    ? [
                        {
                          label: 'Request',
                          value: <To path={tenantPath(tenantId, `/requests/${encodeURIComponent(g.requestId)}`)}>See the request</To>,
                        },
                      ]
                    : []),
                  ...(g.endedAt
                    ? [
                        {
                          label: 'Ended',
                          value: (
                            <>
                              {<Ago at={g.endedAt} />}
                              {g.endedBy ? ` by ${g.endedBy.name}` : ''}
                              {g.endReason ? `: ${g.endReason}` : ''}
                            </>
                          ),
                        },
                      ]
                    : []),
                ]}
              />
            </Container>
            <Table
              header={
                <Header variant="h2" counter={`(${g.grantees.length})`}>
                  Grantees
                </Header>
              }
              variant="container"
              items={g.grantees}
              empty={<Box>{g.audience === 'support-team' ? 'The whole support team.' : 'Nobody.'}</Box>}
              columnDefinitions={granteeColumns}
            />
            {/* The login history is the admin's and the support lead's: this grant's part of it. */}
            {(admin || lead) && <GrantSessions tenantId={tenantId} grantId={grantId} />}
          </SpaceBetween>
        );
      }}
    </Loaded>
  );
}

/** The sessions opened under the grant, newest first, paged (`GET .../grants/{id}/sessions`). */
function GrantSessions({ tenantId, grantId }: { tenantId: string; grantId: string }) {
  // Refreshed with the grant: a revoke ends its sessions (the keys nest, api/keys.ts).
  const list = useGrantSessions(tenantId, grantId);
  if (list.error) return <ProblemAlert error={list.error} />;
  return (
    <Table
      header={<Header variant="h2">Sessions</Header>}
      variant="container"
      loading={list.loading}
      loadingText="Loading sessions"
      items={list.items}
      trackBy="sessionId"
      pagination={<Pager paging={list.paging} />}
      empty={<Box>Nobody signed in under this grant.</Box>}
      columnDefinitions={sessionColumns}
    />
  );
}
