/** `/support`: my access across tenants, sign in and out, request access, my requests; leads record upfront approvals. */
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import Select from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import { useEffect, useState } from 'react';
import { api, idem, ok, type AccessRequest, type Grant, type Policy } from '../api/client.ts';
import { isLead, isSupport, SUPPORT_SESSIONS_KEY } from '../auth.ts';
import { usePaged } from '../paged.tsx';
import { ConfirmAction } from '../confirm.tsx';
import { ActionForm, ScopeRadios, TextField, useAction, type Level } from '../form.tsx';
import { absolute } from '../time.ts';
import {
  Ago,
  Countdown,
  ErrorPage,
  fieldError,
  Loaded,
  ProblemAlert,
  scopeText,
  Status,
  tenantPath,
  To,
  useLoad,
  useShell,
} from '../ui.tsx';
import { ApiError } from '../api/client.ts';
import { rememberToken, SessionToken } from './SessionToken.tsx';

const TENANTS_KEY = 'support-access.tenants';
/** Tenants this browser asked for access to: the request form starts with the last one. */
const knownTenants = (): string[] => JSON.parse(localStorage.getItem(TENANTS_KEY) ?? '[]') as string[];
const rememberTenant = (t: string) => localStorage.setItem(TENANTS_KEY, JSON.stringify([...new Set([t, ...knownTenants()])].slice(0, 20)));
/** An open session this tab started, with its agent's id: another person signing in here never sees it. */
type OpenSession = { agentId: string; tenantId: string; sessionId: string; signInAt: string; tokenExpiresAt?: string | undefined };
const storedSessions = (): OpenSession[] => JSON.parse(sessionStorage.getItem(SUPPORT_SESSIONS_KEY) ?? '[]') as OpenSession[];
const saveSessions = (s: OpenSession[]) => sessionStorage.setItem(SUPPORT_SESSIONS_KEY, JSON.stringify(s));

/** A comma-separated list's entries (modules, contact emails). */
const splitList = (s: string) =>
  s
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);

function TenantAccess({ tenantId, grants, onChange }: { tenantId: string; grants: Grant[]; onChange: () => void }) {
  const { me, flash } = useShell();
  const [reason, setReason] = useState('');
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
      const s = await ok(
        api().POST('/v1/tenants/{tenantId}/sessions', { params: { path: { tenantId }, header: idem() }, body: { reason } }),
      );
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
      await ok(api().POST('/v1/tenants/{tenantId}/sessions/{sessionId}/end', { params: { path: { tenantId, sessionId: id } } }));
      flash('success', `Signed out of ${tenantId}.`);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 409)) setError(e);
    } finally {
      const rest = storedSessions().filter((x) => x.sessionId !== id);
      saveSessions(rest);
      setSessions(mine(rest));
      setBusy(false);
      onChange();
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

function RequestAccess({ onDone }: { onDone: (t: string) => void }) {
  const { flash } = useShell();
  const [f, setF] = useState({
    tenantId: knownTenants()[0] ?? '',
    ticketId: '',
    reason: '',
    level: 'read-only' as Level,
    modules: '',
    hours: '2',
  });
  const [policy, setPolicy] = useState<Policy | null>(null);
  const { busy, error, run } = useAction();
  useEffect(() => {
    setPolicy(null);
    const t = f.tenantId.trim();
    if (!t) return;
    const timer = setTimeout(() => {
      ok(api().GET('/v1/tenants/{tenantId}/policy', { params: { path: { tenantId: t } } })).then(setPolicy, () => setPolicy(null));
    }, 300);
    return () => clearTimeout(timer);
  }, [f.tenantId]);
  const submit = () =>
    run(async () => {
      const tenantId = f.tenantId.trim();
      const modules = splitList(f.modules);
      const r = await ok(
        api().POST('/v1/tenants/{tenantId}/access-requests', {
          params: { path: { tenantId }, header: idem() },
          body: {
            ticketId: f.ticketId,
            reason: f.reason,
            scope: { level: f.level, ...(modules.length ? { modules } : {}) },
            durationHours: Number(f.hours),
          },
        }),
      );
      rememberTenant(tenantId);
      flash('success', `Access requested at ${tenantId} for ticket ${r.ticketId}; its contacts are emailed to approve.`);
      setF({ ...f, ticketId: '', reason: '' });
      onDone(tenantId);
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

type RequestStatus = AccessRequest['status'];
const STATUS_OPTIONS = [
  { label: 'Any status', value: '' },
  ...(['PENDING', 'APPROVED', 'DENIED', 'CANCELLED', 'EXPIRED'] as const).map((v) => ({
    label: v.charAt(0) + v.slice(1).toLowerCase(),
    value: v,
  })),
];

/** The caller's own requests at every tenant (`GET /v1/me/requests`), newest first, by status, paged. */
function MyRequests({ version }: { version: number }) {
  const { flash } = useShell();
  const [status, setStatus] = useState('');
  const list = usePaged(
    (cursor) =>
      ok(
        api().GET('/v1/me/requests', {
          params: { query: { limit: 25, ...(cursor ? { cursor } : {}), ...(status ? { status: status as RequestStatus } : {}) } },
        }),
      ),
    [status, version],
  );
  if (list.error) return <ProblemAlert error={list.error} />;
  return (
    <Table
      header={
        <Header variant="h2" description="Your access requests at every tenant, newest first.">
          My requests
        </Header>
      }
      loading={list.loading}
      loadingText="Loading your requests"
      items={list.items}
      trackBy="requestId"
      variant="container"
      filter={
        <FormField label="Status">
          <Select
            selectedOption={STATUS_OPTIONS.find((o) => o.value === status) ?? STATUS_OPTIONS[0]!}
            options={STATUS_OPTIONS}
            onChange={(e) => setStatus(e.detail.selectedOption.value ?? '')}
          />
        </FormField>
      }
      pagination={list.pagination}
      empty={<Box>{status ? 'No requests in this status.' : 'No requests yet.'}</Box>}
      columnDefinitions={[
        { id: 'tenant', header: 'Tenant', cell: (r) => r.tenantId },
        {
          id: 'ticket',
          header: 'Ticket',
          cell: (r) => <To path={tenantPath(r.tenantId, `/requests/${encodeURIComponent(r.requestId)}`)}>{r.ticketId}</To>,
        },
        { id: 'status', header: 'Status', cell: (r) => <Status status={r.status} /> },
        { id: 'scope', header: 'Scope', cell: (r) => scopeText(r.scope) },
        { id: 'duration', header: 'Duration', cell: (r) => `${r.durationHours} h` },
        { id: 'at', header: 'Requested', cell: (r) => <Ago at={r.requestedAt} /> },
        {
          id: 'actions',
          header: 'Actions',
          // Wide enough for "Cancel request" on one line.
          minWidth: 170,
          cell: (r) =>
            r.status === 'PENDING' ? (
              <ConfirmAction
                label="Cancel request"
                title={`Cancel the request for ${r.ticketId}?`}
                onConfirm={async () => {
                  await ok(
                    api().POST('/v1/tenants/{tenantId}/access-requests/{requestId}/cancel', {
                      params: { path: { tenantId: r.tenantId, requestId: r.requestId } },
                    }),
                  );
                  flash('success', `Request for ${r.ticketId} cancelled.`);
                  list.reload();
                }}
              />
            ) : (
              '—'
            ),
        },
      ]}
    />
  );
}

function UpfrontApproval({ onDone }: { onDone: (t: string) => void }) {
  const { flash } = useShell();
  const [f, setF] = useState({ tenantId: '', ticketId: '', reason: '', level: 'read-only' as Level, approvedBy: '', hours: '2' });
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
      const g = await ok(api().POST('/v1/tenants/{tenantId}/grants', { params: { path: { tenantId }, header: idem() }, body }));
      rememberTenant(tenantId);
      flash(
        'success',
        `Approval recorded: the support team has access to ${tenantId} ${g.expiresAt ? `until ${absolute(g.expiresAt)}` : ''}. The contacts are emailed.`,
      );
      onDone(tenantId);
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

export default function Support() {
  const { me } = useShell();
  const [version, setVersion] = useState(0);
  const state = useLoad(() => ok(api().GET('/v1/me/grants', { params: { query: { limit: 100 } } })), [version]);
  if (!isSupport(me)) return <ErrorPage error={new ApiError(403, null)} />;
  const bump = () => setVersion((v) => v + 1);
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
                <TenantAccess key={t} tenantId={t} grants={gs} onChange={bump} />
              ))}
              <RequestAccess onDone={bump} />
              <MyRequests version={version} />
              {isLead(me) && <UpfrontApproval onDone={bump} />}
            </SpaceBetween>
          );
        }}
      </Loaded>
    </SpaceBetween>
  );
}
