/** A page that could not load, loading-or-content, and an action's problem (the API's problem document). */
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import Spinner from '@cloudscape-design/components/spinner';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import type { ReactNode } from 'react';
import { ApiError } from '../api/client.ts';
import { followLink, href } from '../router.tsx';

/** A page that could not load: 403 and 404 as plain pages, anything else with its detail. */
export function ErrorPage({ error }: { error: unknown }) {
  if (error instanceof ApiError && error.status === 401) return <Spinner />;
  const e = error instanceof ApiError ? error : null;
  const [title, text] =
    e?.status === 404
      ? ['Not found', 'There is nothing at this address, or it is not yours to see.']
      : e?.status === 403
        ? ['Not allowed', 'Your role does not allow this page. Sign in as someone who may see it.']
        : ['Something went wrong', e?.message ?? String(error)];
  return (
    <Container header={<Header variant="h1">{title}</Header>}>
      <Box variant="p">{text}</Box>
      <Link href={href('/')} onFollow={(ev) => followLink(ev, '/')}>
        Go to the start page
      </Link>
    </Container>
  );
}

/** Loading, error or the content (a query's state, or several combined: see api/query.ts `all`). */
export function Loaded<T>({ state, children }: { state: { data: T | undefined; error: unknown }; children: (d: T) => ReactNode }) {
  if (state.error) return <ErrorPage error={state.error} />;
  if (state.data === undefined) return <StatusIndicator type="loading">Loading</StatusIndicator>;
  return <>{children(state.data)}</>;
}

/** An action's problem not tied to one field. */
export function ProblemAlert({ error, fields = [] }: { error: unknown; fields?: string[] }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : null;
  const rest = e?.problem?.errors?.filter((x) => !fields.some((f) => x.path === f || x.path.startsWith(`${f}.`))) ?? [];
  const shownOnFields = e?.problem?.errors?.length && rest.length === 0;
  if (shownOnFields) return null;
  return (
    <Alert type="error" header={e?.problem?.title ?? 'The action failed'}>
      {e?.message ?? String(error)}
      {rest.length > 0 && (
        <ul>
          {rest.map((x) => (
            <li key={x.path}>
              {x.path}: {x.message}
            </li>
          ))}
        </ul>
      )}
    </Alert>
  );
}

/** The message of a field from an ApiError (`errors[].path`). */
export const fieldError = (error: unknown, path: string) => (error instanceof ApiError ? error.field(path) : undefined);
