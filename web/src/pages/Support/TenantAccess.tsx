/** A tenant the agent may enter now: its grants, their open sessions (each with its token), and Sign in. */
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import { useState } from 'react';
import { ApiError, type Grant } from '../../api/client.ts';
import { endSession, useStartSession } from '../../api/sessions.ts';
import { tenantPath, To } from '../../router.tsx';
import { useShell } from '../../shell/context.ts';
import { fieldError, ProblemAlert } from '../../shell/errors.tsx';
import { Ago, Countdown, scopeText } from '../../shell/format.tsx';
import { rememberToken, SessionToken } from './SessionToken.tsx';
import { saveSessions, storedSessions, type OpenSession } from './storage.ts';

export function TenantAccess({ tenantId, grants }: { tenantId: string; grants: Grant[] }) {
  const { me, flash } = useShell();
  const [reason, setReason] = useState('');
  const startSession = useStartSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const mine = (all: OpenSession[]) => all.filter((s) => s.tenantId === tenantId && s.agentId === me?.sub);
  const [sessions, setSessions] = useState(() => mine(storedSessions()));
  const latest = grants.reduce<string | null>(
    (m, g) => (g.expiresAt === null || m === null ? (g.expiresAt === null ? null : (m ?? g.expiresAt)) : g.expiresAt > m ? g.expiresAt : m),
    grants[0]?.expiresAt ?? null,
  );

  const signIn = async () => {
    setBusy(true);
    setError(null);
    try {
      const s = await startSession.mutateAsync({ tenantId, reason });
      rememberToken(s.sessionId, s.token, s.tokenExpiresAt);
      const all = [
        ...storedSessions(),
        { agentId: s.accessedBy.id, tenantId, sessionId: s.sessionId, signInAt: s.signInAt, tokenExpiresAt: s.tokenExpiresAt },
      ];
      saveSessions(all);
      setSessions(mine(all));
      setReason('');
      flash('success', `Signed in to ${tenantId}. The sign-in is in the tenant's login history.`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const end = async (id: string) => {
    setBusy(true);
    setError(null);
    try {
      await endSession(tenantId, id);
      flash('success', `Signed out of ${tenantId}.`);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 409)) setError(e);
    } finally {
      const rest = storedSessions().filter((x) => x.sessionId !== id);
      saveSessions(rest);
      setSessions(mine(rest));
      setBusy(false);
    }
  };

  return (
    <section aria-label={`Tenant ${tenantId}`}>
      <Container
        header={
          <Header
            variant="h2"
            description={
              <>
                Until <Countdown until={latest} />
              </>
            }
          >
            Tenant {tenantId}
          </Header>
        }
      >
        <SpaceBetween size="m">
          <Table
            variant="embedded"
            items={grants}
            trackBy="grantId"
            columnDefinitions={[
              {
                id: 'grant',
                header: 'Grant',
                cell: (g) => <To path={tenantPath(tenantId, `/grants/${encodeURIComponent(g.grantId)}`)}>{g.ticketId ?? g.reason}</To>,
              },
              { id: 'scope', header: 'Scope', cell: (g) => scopeText(g.scope) },
              { id: 'until', header: 'Until', cell: (g) => <Countdown until={g.expiresAt} /> },
              { id: 'by', header: 'Granted by', cell: (g) => g.grantedBy.name },
            ]}
          />
          <ProblemAlert error={error} fields={['reason']} />
          {sessions.map((s) => (
            <SpaceBetween key={s.sessionId} direction="horizontal" size="s" alignItems="center">
              <Box>
                Session <code>{s.sessionId}</code>, signed in <Ago at={s.signInAt} />
              </Box>
              <Button loading={busy} onClick={() => void end(s.sessionId)}>
                End session
              </Button>
              <SessionToken tenantId={tenantId} sessionId={s.sessionId} expiresAt={s.tokenExpiresAt} />
            </SpaceBetween>
          ))}
          <form onSubmit={(e) => (e.preventDefault(), void signIn())}>
            <SpaceBetween direction="horizontal" size="s" alignItems="end">
              <FormField label="Reason for signing in" errorText={fieldError(error, 'reason')}>
                <Input value={reason} onChange={(e) => setReason(e.detail.value)} />
              </FormField>
              <Button variant="primary" loading={busy} formAction="submit">
                Sign in
              </Button>
            </SpaceBetween>
          </form>
        </SpaceBetween>
      </Container>
    </section>
  );
}
