/** `/support`: my access across tenants, sign in and out, request access, my requests; leads record upfront approvals. */
import Box from '@cloudscape-design/components/box';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { ApiError, type Grant } from '../../api/client.ts';
import { useMyGrants } from '../../api/grants.ts';
import { isLead, isSupport } from '../../auth.ts';
import { useShell } from '../../shell/context.ts';
import { ErrorPage, Loaded } from '../../shell/errors.tsx';
import { MyRequests } from './MyRequests.tsx';
import { RequestAccess } from './RequestAccess.tsx';
import { TenantAccess } from './TenantAccess.tsx';
import { UpfrontApproval } from './UpfrontApproval.tsx';

export default function Support() {
  const { me } = useShell();
  const state = useMyGrants();
  if (!isSupport(me)) return <ErrorPage error={new ApiError(403, null)} />;
  return (
    <SpaceBetween size="l">
      <Header variant="h1" description="Your access to tenants now, your sign-ins, and your requests.">
        My access
      </Header>
      <Loaded state={state}>
        {({ items }) => {
          const byTenant = new Map<string, Grant[]>();
          for (const g of items) byTenant.set(g.tenantId, [...(byTenant.get(g.tenantId) ?? []), g]);
          return (
            <SpaceBetween size="l">
              {byTenant.size === 0 && (
                <Container header={<Header variant="h2">No access now</Header>}>
                  <Box>No tenant lets you in at the moment. Request access below.</Box>
                </Container>
              )}
              {[...byTenant].map(([t, gs]) => (
                <TenantAccess key={t} tenantId={t} grants={gs} />
              ))}
              <RequestAccess />
              <MyRequests />
              {isLead(me) && <UpfrontApproval />}
            </SpaceBetween>
          );
        }}
      </Loaded>
    </SpaceBetween>
  );
}
