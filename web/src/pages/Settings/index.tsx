/** `/tenants/{t}/settings`: the authorized contacts and the policy (each field with its bounds and help). */
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import Toggle from '@cloudscape-design/components/toggle';
import { useEffect, useState } from 'react';
import type { Policy } from '../../api/client.ts';
import { useContacts, usePutContact, useRemoveContact } from '../../api/contacts.ts';
import { usePolicy, useSavePolicy } from '../../api/policy.ts';
import { all } from '../../api/query.ts';
import { isAdminOf } from '../../auth.ts';
import { ConfirmAction } from '../../confirm.tsx';
import { useShell } from '../../shell/context.ts';
import { ErrorPage, fieldError, Loaded, ProblemAlert } from '../../shell/errors.tsx';
import { contactColumns } from './columns.tsx';

/** Every policy field the console knows: bounds and a sentence of help. Fields the API does not answer are not shown. */
const FIELDS: { key: string; label: string; help: string; min?: number; max?: number; kind: 'number' | 'boolean' | 'text' }[] = [
  {
    key: 'maxDurationHours',
    label: 'Longest access (hours)',
    help: 'No request or grant may last longer than this.',
    min: 1,
    max: 720,
    kind: 'number',
  },
  {
    key: 'approvalsRequired',
    label: 'Approvals needed',
    help: 'How many different contacts must approve a request before access starts.',
    min: 1,
    max: 3,
    kind: 'number',
  },
  {
    key: 'requestTtlHours',
    label: 'Request expires after (hours)',
    help: 'A request nobody answered within this time expires.',
    min: 1,
    max: 168,
    kind: 'number',
  },
  {
    key: 'allowStandingAccess',
    label: 'Allow standing access',
    help: 'Lets an admin switch access on with no end time, until someone turns it off.',
    kind: 'boolean',
  },
  {
    key: 'notifyOnSignIn',
    label: 'Email on every sign-in',
    help: 'The contacts are emailed each time someone from support signs in.',
    kind: 'boolean',
  },
  {
    key: 'allowUpfrontApproval',
    label: 'Allow upfront approvals',
    help: 'Lets a support lead record an approval a contact gave by phone or in a ticket.',
    kind: 'boolean',
  },
  {
    key: 'expiryWarningMinutes',
    label: 'Warn before access ends (minutes)',
    help: 'The people inside are emailed this long before their access ends; 0 turns it off.',
    min: 0,
    max: 1440,
    kind: 'number',
  },
  {
    key: 'escalateAfterMinutes',
    label: 'Escalate after (minutes)',
    help: 'A request still waiting this long is emailed to the backup contacts (with none, the primary contacts get a reminder); 0 turns it off.',
    min: 0,
    max: 10080,
    kind: 'number',
  },
  {
    key: 'timeZone',
    label: 'Time zone',
    help: 'Emails show times in this zone next to UTC (an IANA name such as Europe/Prague).',
    kind: 'text',
  },
];

function PolicyForm({ tenantId, policy, admin }: { tenantId: string; policy: Policy; admin: boolean }) {
  const { flash } = useShell();
  const savePolicy = useSavePolicy(tenantId);
  const [draft, setDraft] = useState<Record<string, unknown>>(policy);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => setDraft(policy), [policy]);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      await savePolicy.mutateAsync(draft as Policy);
      flash('success', 'The policy is saved.');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const shown = FIELDS.filter((f) => f.key in policy);
  return (
    <form onSubmit={(e) => e.preventDefault()}>
      <Form
        header={
          <Header
            variant="h2"
            description={admin ? 'What support may ask for, and who must agree.' : 'Only a tenant admin changes the policy.'}
          >
            Policy
          </Header>
        }
        actions={
          admin && (
            <Button variant="primary" loading={busy} onClick={() => void save()}>
              Save policy
            </Button>
          )
        }
      >
        <Container>
          <SpaceBetween size="m">
            <ProblemAlert error={error} fields={shown.map((f) => f.key)} />
            <ColumnLayout columns={2}>
              {shown.map((f) => (
                <FormField
                  key={f.key}
                  label={f.label}
                  description={f.help}
                  constraintText={f.kind === 'number' ? `${f.min}–${f.max}` : undefined}
                  errorText={fieldError(error, f.key)}
                >
                  {f.kind === 'boolean' ? (
                    <Toggle
                      checked={draft[f.key] === true}
                      disabled={!admin}
                      onChange={(e) => setDraft({ ...draft, [f.key]: e.detail.checked })}
                    >
                      {draft[f.key] === true ? 'On' : 'Off'}
                    </Toggle>
                  ) : (
                    <Input
                      type={f.kind === 'number' ? 'number' : 'text'}
                      readOnly={!admin}
                      value={String(draft[f.key] ?? '')}
                      onChange={(e) =>
                        setDraft({
                          ...draft,
                          [f.key]: f.kind === 'number' ? (e.detail.value === '' ? '' : Number(e.detail.value)) : e.detail.value,
                        })
                      }
                    />
                  )}
                </FormField>
              ))}
            </ColumnLayout>
          </SpaceBetween>
        </Container>
      </Form>
    </form>
  );
}

export default function Settings({ tenantId }: { tenantId: string }) {
  const { me, flash } = useShell();
  const admin = isAdminOf(me, tenantId);
  const state = all({ contacts: useContacts(tenantId), policy: usePolicy(tenantId) });
  const putContact = usePutContact(tenantId);
  const removeContact = useRemoveContact(tenantId);
  const [nc, setNc] = useState({ email: '', name: '', backup: false });
  const [rename, setRename] = useState('');
  const put = (email: string, name: string, tier?: 'primary' | 'backup') =>
    putContact.mutateAsync({ email, name, ...(tier ? { tier } : {}) });

  if (state.error) return <ErrorPage error={state.error} />;
  return (
    <SpaceBetween size="l">
      <Header variant="h1" description={`Tenant ${tenantId}: who approves support access, and the rules.`}>
        Settings
      </Header>
      <Loaded state={state}>
        {({ contacts, policy }) => (
          <SpaceBetween size="l">
            <Table
              variant="container"
              items={contacts}
              trackBy="email"
              header={
                <Header
                  variant="h2"
                  counter={`(${contacts.length})`}
                  description="They approve requests and are emailed whenever support gets or uses access."
                  actions={
                    admin && (
                      <ConfirmAction
                        label="Add contact"
                        title="Add an authorized contact"
                        onConfirm={async () => {
                          await put(nc.email.trim(), nc.name.trim(), nc.backup ? 'backup' : 'primary');
                          flash(
                            'success',
                            `${nc.name.trim()} <${nc.email.trim()}> is now ${nc.backup ? 'a backup' : 'an'} authorized contact.`,
                          );
                          setNc({ email: '', name: '', backup: false });
                        }}
                      >
                        <ColumnLayout columns={2}>
                          <FormField label="Email">
                            <Input type="email" value={nc.email} onChange={(e) => setNc({ ...nc, email: e.detail.value })} />
                          </FormField>
                          <FormField label="Name">
                            <Input value={nc.name} onChange={(e) => setNc({ ...nc, name: e.detail.value })} />
                          </FormField>
                          <FormField
                            label="Backup contact"
                            description="Asked only when a request is still waiting after the policy's escalation time."
                          >
                            <Toggle checked={nc.backup} onChange={(e) => setNc({ ...nc, backup: e.detail.checked })}>
                              {nc.backup ? 'Backup' : 'Primary'}
                            </Toggle>
                          </FormField>
                        </ColumnLayout>
                      </ConfirmAction>
                    )
                  }
                >
                  Authorized contacts
                </Header>
              }
              empty={<Box>No contacts: nobody can approve, and support cannot be let in.</Box>}
              columnDefinitions={[
                ...contactColumns,
                ...(admin
                  ? [
                      {
                        id: 'actions',
                        header: 'Actions',
                        cell: (c: (typeof contacts)[number]) => (
                          <SpaceBetween direction="horizontal" size="xs">
                            <ConfirmAction
                              label="Rename"
                              title={`Rename ${c.email}`}
                              onConfirm={async () => {
                                await put(c.email, rename.trim());
                                flash('success', `${c.email} is now called ${rename.trim()}.`);
                                setRename('');
                              }}
                            >
                              <FormField label="Name">
                                <Input value={rename} placeholder={c.name} onChange={(e) => setRename(e.detail.value)} />
                              </FormField>
                            </ConfirmAction>
                            <ConfirmAction
                              label={c.tier === 'backup' ? 'Make primary' : 'Make backup'}
                              title={`Make ${c.name} a ${c.tier === 'backup' ? 'primary' : 'backup'} contact?`}
                              onConfirm={async () => {
                                const tier = c.tier === 'backup' ? 'primary' : 'backup';
                                await put(c.email, c.name, tier);
                                flash('success', `${c.name} is now a ${tier} contact.`);
                              }}
                            >
                              <Box>
                                {c.tier === 'backup'
                                  ? 'They will be asked about every new request.'
                                  : 'They will be asked only about requests still waiting after the escalation time.'}
                              </Box>
                            </ConfirmAction>
                            <ConfirmAction
                              label="Remove"
                              title={`Remove ${c.name}?`}
                              onConfirm={async () => {
                                await removeContact.mutateAsync(c.email);
                                flash('success', `${c.name} <${c.email}> is no longer an authorized contact.`);
                              }}
                            >
                              <Box>They will no longer approve requests or be emailed.</Box>
                            </ConfirmAction>
                          </SpaceBetween>
                        ),
                      },
                    ]
                  : []),
              ]}
            />
            <PolicyForm tenantId={tenantId} policy={policy} admin={admin} />
          </SpaceBetween>
        )}
      </Loaded>
    </SpaceBetween>
  );
}
