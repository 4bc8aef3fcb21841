/** What the console's forms share: an action's busy and error state, the form frame, the scope radios. */
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import RadioGroup from '@cloudscape-design/components/radio-group';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useCallback, useState, type ReactNode } from 'react';
import { fieldError, ProblemAlert } from './shell/errors.tsx';

/** Runs an action once at a time, keeping what it was refused with (shown on the fields it names). */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}

/**
 * A form with a heading, its fields in columns and one submit button: Enter in a field submits it,
 * and the API's problems show on the fields they name (the rest above the fields).
 */
export function ActionForm(props: {
  title: string;
  description?: string;
  /** The submit button's name. */
  action: string;
  busy: boolean;
  error: unknown;
  /** The fields whose problems show on the field itself. */
  fields: string[];
  columns?: 2 | 3;
  onSubmit: () => void;
  children: ReactNode;
}) {
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (!props.busy) props.onSubmit();
      }}
    >
      <Form
        header={
          <Header variant="h2" description={props.description}>
            {props.title}
          </Header>
        }
        actions={
          <Button variant="primary" loading={props.busy} formAction="submit">
            {props.action}
          </Button>
        }
      >
        <Container>
          <SpaceBetween size="m">
            <ProblemAlert error={props.error} fields={props.fields} />
            <ColumnLayout columns={props.columns ?? 3}>{props.children}</ColumnLayout>
          </SpaceBetween>
        </Container>
      </Form>
    </form>
  );
}

export type Level = 'read-only' | 'full';

/** The scope's level as two radios, `Read-only` and `Full`. */
export const ScopeRadios = ({ value, onChange }: { value: Level; onChange: (v: Level) => void }) => (
  <RadioGroup
    value={value}
    onChange={(e) => onChange(e.detail.value as Level)}
    items={[
      { value: 'read-only', label: 'Read-only' },
      { value: 'full', label: 'Full' },
    ]}
  />
);

/** A labelled text input whose API problem (`errors[].path` = `path`) shows under it. */
export function TextField(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  error?: unknown;
  path?: string;
  description?: string;
  constraintText?: string;
  type?: 'text' | 'email' | 'number';
}) {
  return (
    <FormField
      label={props.label}
      description={props.description}
      constraintText={props.constraintText}
      errorText={props.path ? fieldError(props.error, props.path) : undefined}
    >
      <Input
        type={props.type ?? 'text'}
        {...(props.type === 'number' ? { inputMode: 'numeric' as const } : {})}
        value={props.value}
        onChange={(e) => props.onChange(e.detail.value)}
      />
    </FormField>
  );
}
