/** An action behind a confirmation: the page button opens a dialog whose button of the same name acts. */
import Box from '@cloudscape-design/components/box';
import Button, { type ButtonProps } from '@cloudscape-design/components/button';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import Modal from '@cloudscape-design/components/modal';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { fieldError, ProblemAlert } from './shell/errors.tsx';

export function ConfirmAction(props: {
  /** The button's name, on the page and in the dialog. */
  label: string;
  title: string;
  children?: ReactNode;
  /** A free-text field ("Comment (optional)"), sent as `field`. */
  input?: { label: string; field: string; required?: boolean };
  variant?: ButtonProps['variant'];
  disabled?: boolean;
  onConfirm: (text: string | undefined) => Promise<void>;
}) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // Closing without acting returns focus to the page's button (a new element: it is hidden while
  // the dialog is open). After acting, the flash message that says what happened takes focus.
  const pageButton = useRef<ButtonProps.Ref>(null);
  const [refocus, setRefocus] = useState(false);
  useEffect(() => {
    if (open || !refocus) return;
    setRefocus(false);
    pageButton.current?.focus();
  }, [open, refocus]);
  const close = () => {
    setOpen(false);
    setError(null);
    setRefocus(true);
  };
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm(text.trim() ? text.trim() : undefined);
      setOpen(false);
      setText('');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {/* While the dialog is open only its button carries the name, so "click Approve" is never ambiguous. */}
      {!open && (
        <Button ref={pageButton} variant={props.variant ?? 'normal'} disabled={props.disabled} onClick={() => setOpen(true)}>
          {props.label}
        </Button>
      )}
      {/* Rendered only while open: a closed dialog's fields never clash with another's. */}
      {open && (
        <Modal
          visible
          onDismiss={close}
          header={props.title}
          closeAriaLabel="Close dialog"
          footer={
            <Box float="right">
              <SpaceBetween direction="horizontal" size="xs">
                <Button variant="link" onClick={close}>
                  Cancel
                </Button>
                <Button variant="primary" loading={busy} onClick={() => void run()}>
                  {props.label}
                </Button>
              </SpaceBetween>
            </Box>
          }
        >
          <SpaceBetween size="m">
            {props.children}
            {props.input && (
              <FormField label={props.input.label} errorText={fieldError(error, props.input.field)}>
                <Input value={text} onChange={(e) => setText(e.detail.value)} />
              </FormField>
            )}
            <ProblemAlert error={error} fields={props.input ? [props.input.field] : []} />
          </SpaceBetween>
        </Modal>
      )}
    </>
  );
}
