/** `/tenants/{t}/requests/{id}`: the request, its approvals, and Approve / Deny behind a confirmation. */
import Box from '@cloudscape-design/components/box';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import { useApproveRequest, useCancelRequest, useDenyRequest } from '../../api/requests.ts';
import { isSupport, isTenantPerson } from '../../auth.ts';
import { ConfirmAction } from '../../confirm.tsx';
import { tenantPath, To } from '../../router.tsx';
import { useShell } from '../../shell/context.ts';
import { Loaded } from '../../shell/errors.tsx';
import { Ago, Countdown, person, scopeText, Status } from '../../shell/format.tsx';
import { approvalColumns } from './columns.tsx';
import { useRequestPage } from './data.ts';

export default function RequestPage({ tenantId, requestId }: { tenantId: string; requestId: string }) {
  const { me, flash } = useShell();
  const state = useRequestPage(tenantId, requestId);
  const approve = useApproveRequest();
  const deny = useDenyRequest();
  const cancel = useCancelRequest();
  const ids = { tenantId, requestId };

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
                          const after = await approve.mutateAsync({ ...ids, comment });
                          flash(
                            'success',
                            after.status === 'APPROVED'
                              ? extension
                                ? `Approved: the grant now ends ${r.durationHours} h later.`
                                : `Approved: ${r.requestedBy.name} has access for ${r.durationHours} h.`
                              : `Your approval is recorded; ${Math.max(0, policy.approvalsRequired - after.approvals.length)} more needed.`,
                          );
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
                          await deny.mutateAsync({ ...ids, comment });
                          flash('success', `Denied: ${r.requestedBy.name} is told by email.`);
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
                          await cancel.mutateAsync(ids);
                          flash('success', 'Your request is cancelled.');
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
              columnDefinitions={approvalColumns}
            />
          </SpaceBetween>
        );
      }}
    </Loaded>
  );
}
