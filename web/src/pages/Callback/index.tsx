/** `/app/callback`: Cognito sends the browser back with `?code=&state=`; exchange it (PKCE). */
import Box from '@cloudscape-design/components/box';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { useEffect, useState } from 'react';
import { getSettings, homeOf, me, redirectUri, setToken, takePkce } from '../../auth.ts';
import { exchangeCode } from '../../pkce.ts';
import { navigate, To } from '../../router.tsx';

export default function Callback() {
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const q = new URLSearchParams(window.location.search);
    const saved = takePkce();
    const code = q.get('code');
    if (!saved || !code || q.get('state') !== saved.state) {
      setError(q.get('error_description') ?? 'This sign-in link is not valid any more. Sign in again.');
      return;
    }
    const s = getSettings();
    exchangeCode({ cognitoDomain: s.cognitoDomain ?? '', clientId: s.clientId ?? '' }, redirectUri(), code, saved.verifier).then(
      (idToken) => {
        setToken(idToken);
        navigate(saved.next ?? homeOf(me()), { replace: true });
      },
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
  }, []);
  if (error)
    return (
      <Box variant="p">
        {error} <To path="/sign-in">Sign in</To>
      </Box>
    );
  return <StatusIndicator type="loading">Signing in</StatusIndicator>;
}
