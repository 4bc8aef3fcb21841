/**
 * An open session's support-session token: when it ends, and "Copy token" for the vendor's
 * application (refreshed first when it is missing or about to end). Tokens live in memory only.
 */
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { useState } from 'react';
import { refreshSession } from '../../api/sessions.ts';
import { SIGNED_OUT_EVENT } from '../../auth.ts';
import { ProblemAlert } from '../../shell/errors.tsx';

const tokens = new Map<string, { token: string; expiresAt: string }>();
// Signing out of the console forgets them (`signOutHere`).
window.addEventListener(SIGNED_OUT_EVENT, () => tokens.clear());

/** Keeps a session's token (from its sign-in) for "Copy token". */
export function rememberToken(sessionId: string, token: string | undefined, expiresAt: string | undefined): void {
  if (token && expiresAt) tokens.set(sessionId, { token, expiresAt });
}

export function SessionToken({ tenantId, sessionId, expiresAt }: { tenantId: string; sessionId: string; expiresAt?: string | undefined }) {
  const [until, setUntil] = useState(tokens.get(sessionId)?.expiresAt ?? expiresAt ?? null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const copy = async () => {
    setBusy(true);
    setError(null);
    setCopied(false);
    try {
      let t = tokens.get(sessionId);
      if (!t || Date.parse(t.expiresAt) - Date.now() < 60_000) {
        const s = await refreshSession(tenantId, sessionId);
        rememberToken(sessionId, s.token, s.tokenExpiresAt);
        t = tokens.get(sessionId);
        setUntil(s.tokenExpiresAt ?? null);
      }
      if (t) await navigator.clipboard.writeText(t.token);
      setCopied(true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <SpaceBetween direction="horizontal" size="xs" alignItems="center">
      <Box>Token until {until ? <time dateTime={until}>{new Date(until).toLocaleTimeString()}</time> : '(copy to get one)'}</Box>
      <Button loading={busy} onClick={() => void copy()} ariaLabel={`Copy token for ${tenantId}`}>
        Copy token
      </Button>
      {copied && <StatusIndicator type="success">Copied</StatusIndicator>}
      <ProblemAlert error={error} />
    </SpaceBetween>
  );
}
