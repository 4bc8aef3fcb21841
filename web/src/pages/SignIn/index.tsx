/** `/app/sign-in`: locally, the demo people as buttons and a form for any token; deployed, Cognito. */
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Multiselect from '@cloudscape-design/components/multiselect';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useState } from 'react';
import { ApiError, type Problem } from '../../api/client.ts';
import { ROLES as API_ROLES } from '../../api/roles.gen.ts';
import { getSettings, homeOf, me, safeNext, setToken, startCognitoSignIn } from '../../auth.ts';
import { DEMO_PEOPLE } from '../../demo.ts';
import { navigate } from '../../router.tsx';
import { ActionForm, TextField } from '../../form.tsx';
import { useShell } from '../../shell/context.ts';
import { fieldError } from '../../shell/errors.tsx';

/** The roles the API knows (generated from its document), as groups a local token may carry. */
const ROLES = API_ROLES.map((r) => ({ label: r, value: r }));

interface TokenBody {
  sub: string;
  email: string;
  name: string;
  groups: string[];
  tenantId?: string;
}

export default function SignIn() {
  const { flash } = useShell();
  const next = safeNext(new URLSearchParams(window.location.search).get('next'));
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [form, setForm] = useState({ sub: '', email: '', name: '', groups: [] as string[], tenantId: '' });

  const signInWith = async (body: TokenBody, label: string) => {
    setBusy(label);
    setError(null);
    try {
      // The local issuer (never deployed): POST /_local/token.
      const res = await fetch(`${getSettings().apiUrl}/_local/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as { token?: string } & Problem;
      if (!res.ok || !json.token) throw new ApiError(res.status, json);
      setToken(json.token);
      flash('success', `Signed in as ${body.name}.`);
      navigate(next ?? homeOf(me()), { replace: true });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  if (getSettings().mode === 'cognito') {
    return (
      <Container header={<Header variant="h1">Sign in</Header>}>
        <SpaceBetween size="m">
          <Box variant="p">Sign in with your company account.</Box>
          <Button variant="primary" onClick={() => void startCognitoSignIn(next)}>
            Sign in
          </Button>
        </SpaceBetween>
      </Container>
    );
  }

  return (
    <SpaceBetween size="l">
      <Header variant="h1" description="The local stack's sign-in: pick one of the demo tenant's people, or make a token for anyone.">
        Sign in
      </Header>
      <Container header={<Header variant="h2">Demo people</Header>}>
        <ColumnLayout columns={4}>
          {DEMO_PEOPLE.map((p) => (
            <SpaceBetween size="xs" key={p.sub}>
              <Button variant="primary" loading={busy === p.name} onClick={() => void signInWith({ ...p, groups: [...p.groups] }, p.name)}>
                {p.name}
              </Button>
              <Box variant="small">
                {p.groups.join(', ')}
                {'tenantId' in p ? ` of ${p.tenantId}` : ''} · {p.email}
              </Box>
            </SpaceBetween>
          ))}
        </ColumnLayout>
      </Container>
      <ActionForm
        title="Any other person"
        action="Sign in"
        busy={busy === 'form'}
        error={error}
        fields={['sub', 'email', 'name', 'groups', 'tenantId']}
        columns={2}
        onSubmit={() =>
          void signInWith(
            {
              sub: form.sub.trim(),
              email: form.email.trim(),
              name: form.name.trim(),
              groups: form.groups,
              ...(form.tenantId.trim() ? { tenantId: form.tenantId.trim() } : {}),
            },
            'form',
          )
        }
      >
        <TextField label="User id (sub)" value={form.sub} onChange={(v) => setForm({ ...form, sub: v })} error={error} path="sub" />
        <TextField
          label="Email"
          type="email"
          value={form.email}
          onChange={(v) => setForm({ ...form, email: v })}
          error={error}
          path="email"
        />
        <TextField label="Name" value={form.name} onChange={(v) => setForm({ ...form, name: v })} error={error} path="name" />
        <TextField
          label="Tenant id"
          description="For tenant admins and users."
          value={form.tenantId}
          onChange={(v) => setForm({ ...form, tenantId: v })}
          error={error}
          path="tenantId"
        />
        <FormField label="Groups" errorText={fieldError(error, 'groups')}>
          <Multiselect
            selectedOptions={ROLES.filter((r) => form.groups.includes(r.value))}
            options={ROLES}
            placeholder="Choose roles"
            onChange={(e) => setForm({ ...form, groups: e.detail.selectedOptions.map((o) => o.value!) })}
          />
        </FormField>
      </ActionForm>
    </SpaceBetween>
  );
}
