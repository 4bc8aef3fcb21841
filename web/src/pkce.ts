/**
 * Sign-in through Cognito's managed login: authorization code with PKCE (RFC 7636). Pure helpers,
 * unit-tested in test/unit/web-pkce.test.ts; the pages wire them to the browser.
 */

const b64url = (bytes: Uint8Array) => {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

/** A code verifier: 32 random bytes, base64url (43 characters from the unreserved set). */
export function codeVerifier(random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n))): string {
  return b64url(random(32));
}

/** The S256 challenge of a verifier: base64url(SHA-256(verifier)). */
export async function codeChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return b64url(new Uint8Array(digest));
}

export interface CognitoSettings {
  cognitoDomain: string;
  clientId: string;
}

/** Where the browser goes to sign in. */
export function authorizeUrl(s: CognitoSettings, redirectUri: string, challenge: string, state: string): string {
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: s.clientId,
    redirect_uri: redirectUri,
    scope: 'openid email profile',
    code_challenge_method: 'S256',
    code_challenge: challenge,
    state,
  });
  return `${s.cognitoDomain.replace(/\/+$/, '')}/oauth2/authorize?${q}`;
}

/**
 * Where the browser goes to sign out: Cognito's `/logout` ends the managed login's own session
 * (its cookie), so the next sign-in asks for the password again, then sends the browser to
 * `logoutUri`, which must be one of the web client's `logoutUrls` exactly (lib/auth.ts).
 */
export function logoutUrl(s: CognitoSettings, logoutUri: string): string {
  const q = new URLSearchParams({ client_id: s.clientId, logout_uri: logoutUri });
  return `${s.cognitoDomain.replace(/\/+$/, '')}/logout?${q}`;
}

/** The console's own address for `logout_uri`: `https://{host}/app` (the stack's default `logoutUrls`). */
export const consoleLogoutUri = (origin: string, base: string) => `${origin}${base.replace(/\/+$/, '')}`;

/** The form body that exchanges the code at `{cognitoDomain}/oauth2/token`. */
export function tokenRequestBody(s: CognitoSettings, redirectUri: string, code: string, verifier: string): URLSearchParams {
  return new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: s.clientId,
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
  });
}

/** Exchanges the code; answers the ID token (the API's authorizer reads its claims). */
export async function exchangeCode(
  s: CognitoSettings,
  redirectUri: string,
  code: string,
  verifier: string,
  fetchImpl: typeof fetch = fetch,
): Promise<string> {
  const res = await fetchImpl(`${s.cognitoDomain.replace(/\/+$/, '')}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: tokenRequestBody(s, redirectUri, code, verifier),
  });
  if (!res.ok) throw new Error(`the sign-in could not be completed (${res.status})`);
  const body = (await res.json()) as { id_token?: string };
  if (!body.id_token) throw new Error('the sign-in answer had no ID token');
  return body.id_token;
}
