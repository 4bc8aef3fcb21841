/** `/tenants/{t}/requests/{id}`: the request, its approvals, and Approve / Deny behind a confirmation. */
import Box from '@cloudscape-design/components/box';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import { api, ok } from '../api/client.ts';
import { isSupport, isTenantPerson } from '../auth.ts';
import { ConfirmAction } from '../confirm.tsx';
import { Ago, Countdown, Loaded, person, scopeText, Status, tenantPath, To, useLoad, useShell } from '../ui.tsx';

export default function RequestPage({ tenantId, requestId }: { tenantId: string; requestId: string }) {
  const { me, flash } = useShell();
  const state = useLoad(async () => {
    const [request, policy] = await Promise.all([
      ok(api().GET('/v1/tenants/{tenantId}/access-requests/{requestId}', { params: { path: { tenantId, requestId } } })),
      ok(api().GET('/v1/tenants/{tenantId}/policy', { params: { path: { tenantId } } })),
    ]);
    return { request, policy };
  }, [tenantId, requestId]);
  const p = { path: { tenantId, requestId } };

  return (
    <Loaded state={state}>
      {({ request: r, policy }) => {
        const mine = r.requestedBy.id === me?.sub;
        const decider = isTenantPerson(me, tenantId) && !isSupport(me) && !mine;
        const already = r.approvals.some((a) => a.by.id === me?.sub || a.by.email === me?.email);
        const needed = Math.max(0, policy.approvalsRequired - r.approvals.length);
        const pending = r.status === 'PENDING';
        // An extension asks for more time on an existing grant; it never makes a new one.
        const extension = r.kind === 'extension';
        return (
          <SpaceBetween size="l">
            <Header
              variant="h1"
              description={`Tenant ${tenantId} · requested by ${r.requestedBy.name}`}
              actions={
                pending && (
                  <SpaceBetween direction="horizontal" size="xs">
                    {decider && !already && (
                      <ConfirmAction
                        label="Approve"
                        variant="primary"
                        title={
                          extension
                            ? `Give ${r.requestedBy.name} ${r.durationHours} more hours?`
                            : `Approve ${r.requestedBy.name}'s access?`
                        }
                        input={{ label: 'Comment (optional)', field: 'comment' }}
                        onConfirm={async (comment) => {
                          const after = await ok(
                            api().POST('/v1/tenants/{tenantId}/access-requests/{requestId}/approve', {
                              params: p,
                              body: comment ? { comment } : {},
                            }),
                          );
                          flash(
                            'success',
                            after.status === 'APPROVED'
                              ? extension
                                ? `Approved: the grant now ends ${r.durationHours} h later.`
                                : `Approved: ${r.requestedBy.name} has access for ${r.durationHours} h.`
                              : `Your approval is recorded; ${Math.max(0, policy.approvalsRequired - after.approvals.length)} more needed.`,
                          );
                          state.reload();
                        }}
                      >
                        <Box>
                          {extension
                            ? `${r.requestedBy.name} asks for ${r.durationHours} more hours on an active grant: “${r.reason}”.`
                            : `${r.requestedBy.name} asks for ${scopeText(r.scope).toLowerCase()} access for ${r.durationHours} h: “${r.reason}”.`}
                        </Box>
                      </ConfirmAction>
                    )}
                    {decider && (
                      <ConfirmAction
                        label="Deny"
                        title={`Deny ${r.requestedBy.name}'s request?`}
                        input={{ label: 'Comment (optional)', field: 'comment' }}
                        onConfirm={async (comment) => {
                          await ok(
                            api().POST('/v1/tenants/{tenantId}/access-requests/{requestId}/deny', {
                              params: p,
                              body: comment ? { comment } : {},
                            }),
                          );
                          flash('success', `Denied: ${r.requestedBy.name} is told by email.`);
                          state.reload();
                        }}
                      >
                        <Box>Support gets no access under this request.</Box>
                      </ConfirmAction>
                    )}
                    {mine && (
                      <ConfirmAction
                        label="Cancel request"
                        title="Cancel your request?"
                        onConfirm={async () => {
                          await ok(api().POST('/v1/tenants/{tenantId}/access-requests/{requestId}/cancel', { params: p }));
                          flash('success', 'Your request is cancelled.');
                          state.reload();
                        }}
                      />
                    )}
                  </SpaceBetween>
                )
              }
            >
              {extension ? `Extension request ${r.ticketId}` : `Access request ${r.ticketId}`}
            </Header>
            <Container header={<Header variant="h2">Details</Header>}>
              <KeyValuePairs
                columns={3}
                items={[
                  { label: 'Status', value: <Status status={r.status} /> },
                  { label: 'Ticket', value: r.ticketId },
                  { label: 'Reason', value: r.reason },
                  { label: 'Scope', value: scopeText(r.scope) },
                  { label: 'Kind', value: extension ? 'More time on an active grant' : 'New access' },
                  { label: extension ? 'More time' : 'Duration', value: `${r.durationHours} hours` },
                  { label: 'Requested by', value: person(r.requestedBy) },
                  { label: 'Requested', value: <Ago at={r.requestedAt} /> },
                  ...(pending ? [{ label: 'Answer before', value: <Countdown until={r.expiresAt} /> }] : []),
                  {
                    label: 'Approvals',
                    value: pending
                      ? `${r.approvals.length} of ${policy.approvalsRequired} (${needed} more needed)`
                      : `${r.approvals.length}`,
                  },
                  ...(r.decidedBy
                    ? [
                        {
                          label: 'Decided by',
                          value: (
                            <>
                              {person(r.decidedBy)}, <Ago at={r.decidedAt} />
                            </>
                          ),
                        },
                      ]
                    : []),
                  ...(r.grantId
                    ? [
                        {
                          label: extension ? 'Grant to extend' : 'Grant',
                          value: <To path={tenantPath(tenantId, `/grants/${encodeURIComponent(r.grantId)}`)}>See the grant</To>,
                        },
                      ]
                    : []),
                ]}
              />
              {pending && mine && <Box margin={{ top: 'm' }}>You made this request: someone else at {tenantId} approves it.</Box>}
              {pending && already && <Box margin={{ top: 'm' }}>You have approved this request.</Box>}
            </Container>
            <Table
              header={
                <Header variant="h2" counter={`(${r.approvals.length})`}>
                  Approvals
                </Header>
              }
              variant="container"
              items={r.approvals}
              empty={<Box>No approval yet.</Box>}
              columnDefinitions={[
                { id: 'by', header: 'By', cell: (a) => person(a.by) },
                { id: 'at', header: 'When', cell: (a) => <Ago at={a.at} /> },
                { id: 'comment', header: 'Comment', cell: (a) => a.comment ?? '—' },
              ]}
            />
          </SpaceBetween>
        );
      }}
    </Loaded>
  );
}
