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
import { api, ok } from '../api/client.ts';
import { isAdminOf, isLead } from '../auth.ts';
import { ConfirmAction } from '../confirm.tsx';
import { usePaged } from '../paged.tsx';
import { Ago, Countdown, Loaded, person, ProblemAlert, scopeText, Status, tenantPath, To, useLoad, useShell } from '../ui.tsx';
import { duration } from '../time.ts';

export default function GrantPage({ tenantId, grantId }: { tenantId: string; grantId: string }) {
  const { me, flash } = useShell();
  const admin = isAdminOf(me, tenantId);
  const lead = isLead(me);
  const state = useLoad(async () => {
    const grant = await ok(api().GET('/v1/tenants/{tenantId}/grants/{grantId}', { params: { path: { tenantId, grantId } } }));
    return { grant };
  }, [tenantId, grantId]);
  const [g2, setG2] = useState({ id: '', email: '', name: '' });
  const [hours, setHours] = useState('2');
  const p = { path: { tenantId, grantId } };

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
                          await ok(
                            api().POST('/v1/tenants/{tenantId}/grants/{grantId}/grantees', {
                              params: p,
                              body: { id: g2.id.trim(), email: g2.email.trim(), name: g2.name.trim() },
                            }),
                          );
                          flash('success', `${g2.name.trim()} was added to the grant; the contacts are emailed.`);
                          setG2({ id: '', email: '', name: '' });
                          state.reload();
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
                          const res = await ok(
                            api().POST('/v1/tenants/{tenantId}/grants/{grantId}/extensions', {
                              params: p,
                              body: { hours: Number(hours), reason: reason ?? '' },
                            }),
                          );
                          flash(
                            'success',
                            'kind' in res
                              ? 'Asked: the contacts are emailed; this grant ends later once they approve.'
                              : `Extended by ${hours} hour${hours === '1' ? '' : 's'}; the contacts are emailed.`,
                          );
                          state.reload();
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
                          await ok(
                            api().POST('/v1/tenants/{tenantId}/grants/{grantId}/revoke', { params: p, body: reason ? { reason } : {} }),
                          );
                          flash('success', 'Access revoked: nobody can sign in under this grant, and open sessions are ended.');
                          state.reload();
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
              columnDefinitions={[
                { id: 'who', header: 'Who', cell: (x) => person(x) },
                { id: 'added', header: 'Added', cell: (x) => <Ago at={x.addedAt} /> },
                { id: 'by', header: 'Added by', cell: (x) => x.addedBy.name },
              ]}
            />
            {/* The login history is the admin's and the support lead's: this grant's part of it. */}
            {(admin || lead) && <GrantSessions tenantId={tenantId} grantId={grantId} version={state.data} />}
          </SpaceBetween>
        );
      }}
    </Loaded>
  );
}

/** The sessions opened under the grant, newest first, paged (`GET .../grants/{id}/sessions`). */
function GrantSessions({ tenantId, grantId, version }: { tenantId: string; grantId: string; version: unknown }) {
  const list = usePaged(
    (cursor) =>
      ok(
        api().GET('/v1/tenants/{tenantId}/grants/{grantId}/sessions', {
          params: { path: { tenantId, grantId }, query: { limit: 25, ...(cursor ? { cursor } : {}) } },
        }),
      ),
    [tenantId, grantId, version],
  );
  if (list.error) return <ProblemAlert error={list.error} />;
  return (
    <Table
      header={<Header variant="h2">Sessions</Header>}
      variant="container"
      loading={list.loading}
      loadingText="Loading sessions"
      items={list.items}
      trackBy="sessionId"
      pagination={list.pagination}
      empty={<Box>Nobody signed in under this grant.</Box>}
      columnDefinitions={[
        { id: 'who', header: 'Who', cell: (s) => person(s.accessedBy) },
        { id: 'in', header: 'Signed in', cell: (s) => <Ago at={s.signInAt} /> },
        { id: 'out', header: 'Signed out', cell: (s) => (s.signOutAt ? <Ago at={s.signOutAt} /> : 'Still inside') },
        {
          id: 'len',
          header: 'How long',
          cell: (s) => duration(new Date(s.signOutAt ?? Date.now()).getTime() - new Date(s.signInAt).getTime()),
        },
        { id: 'reason', header: 'Reason', cell: (s) => s.reason },
        { id: 'ended', header: 'How it ended', cell: (s) => s.endedBy ?? '—' },
      ]}
    />
  );
}
