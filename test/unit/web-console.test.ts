/** The console's pure parts: PKCE for Cognito's managed login, the demo people, where sign-in leads. */
import { describe, expect, it } from 'vitest';
import { DEMO } from '../../local/seed.ts';
import { safeNext } from '../../web/src/next.ts';
import { DEMO_PEOPLE } from '../../web/src/demo.ts';
import {
  authorizeUrl,
  codeChallenge,
  codeVerifier,
  consoleLogoutUri,
  exchangeCode,
  logoutUrl,
  tokenRequestBody,
} from '../../web/src/pkce.ts';
import { duration, relative } from '../../web/src/time.ts';

const cognito = { cognitoDomain: 'https://login.example.com/', clientId: 'client-1' };

describe('PKCE', () => {
  it('derives the S256 challenge of RFC 7636 appendix B', async () => {
    // Prepare
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    // Act
    const challenge = await codeChallenge(verifier);
    // Assess
    expect(challenge).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes 43-character base64url verifiers, different each time', () => {
    // Act
    const a = codeVerifier();
    const b = codeVerifier();
    // Assess
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
  });

  it('sends the browser to the managed login with the code flow, S256 and the state', async () => {
    // Act
    const url = new URL(authorizeUrl(cognito, 'https://app.example.com/app/callback', 'CHALLENGE', 'STATE'));
    // Assess
    expect(`${url.origin}${url.pathname}`).toBe('https://login.example.com/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client-1',
      redirect_uri: 'https://app.example.com/app/callback',
      scope: 'openid email profile',
      code_challenge_method: 'S256',
      code_challenge: 'CHALLENGE',
      state: 'STATE',
    });
  });

  it('exchanges the code with its verifier at /oauth2/token and keeps the ID token', async () => {
    // Prepare: Cognito cannot be reached from here; record what would be sent.
    const sent: { url: string; init: RequestInit }[] = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      sent.push({ url, init });
      return new Response(JSON.stringify({ id_token: 'ID', access_token: 'AT' }), { status: 200 });
    }) as unknown as typeof fetch;
    // Act
    const token = await exchangeCode(cognito, 'https://app.example.com/app/callback', 'CODE', 'VERIFIER', fakeFetch);
    // Assess
    expect(token).toBe('ID');
    expect(sent[0]!.url).toBe('https://login.example.com/oauth2/token');
    expect(Object.fromEntries(sent[0]!.init.body as URLSearchParams)).toEqual(
      Object.fromEntries(tokenRequestBody(cognito, 'https://app.example.com/app/callback', 'CODE', 'VERIFIER')),
    );
    expect(Object.fromEntries(tokenRequestBody(cognito, 'r', 'CODE', 'VERIFIER'))).toMatchObject({
      grant_type: 'authorization_code',
      code_verifier: 'VERIFIER',
      code: 'CODE',
    });
  });

  it('fails plainly when the token endpoint refuses the code', async () => {
    // Prepare
    const refuse = (async () => new Response('{"error":"invalid_grant"}', { status: 400 })) as unknown as typeof fetch;
    // Act / Assess
    await expect(exchangeCode(cognito, 'r', 'CODE', 'V', refuse)).rejects.toThrow('could not be completed (400)');
  });
});

describe('sign-out, deployed', () => {
  it("ends the managed login's session at /logout and comes back to the console's start page", () => {
    // Act
    const url = new URL(logoutUrl(cognito, consoleLogoutUri('https://app.example.com', '/app/')));
    // Assess
    expect(`${url.origin}${url.pathname}`).toBe('https://login.example.com/logout');
    expect(Object.fromEntries(url.searchParams)).toEqual({ client_id: 'client-1', logout_uri: 'https://app.example.com/app' });
  });
});

describe('the local sign-in page', () => {
  it('offers exactly the seeded demo people', () => {
    // Assess
    expect(DEMO_PEOPLE).toEqual([DEMO.admin, DEMO.contact, DEMO.agent, DEMO.lead]);
  });

  it('returns only to addresses inside the console after sign-in', () => {
    // Assess
    expect(safeNext('/tenants/acme/requests/r1')).toBe('/tenants/acme/requests/r1');
    expect(safeNext('/app/tenants/acme')).toBe('/tenants/acme');
    expect(safeNext('//evil.example.com/x')).toBeNull();
    expect(safeNext('https://evil.example.com/')).toBeNull();
    expect(safeNext('/\\evil.example.com')).toBeNull();
    expect(safeNext(null)).toBeNull();
  });
});

describe('times', () => {
  it('reads relative times the way people say them', () => {
    // Prepare
    const now = Date.parse('2026-12-01T10:00:00.000Z');
    // Assess
    expect(relative('2026-12-01T13:12:00.000Z', now)).toBe('in 3 h 12 min');
    expect(relative('2026-12-01T09:55:00.000Z', now)).toBe('5 min ago');
    expect(relative('2026-12-04T11:00:00.000Z', now)).toBe('in 3 d 1 h');
    expect(duration(30_000)).toBe('less than a minute');
  });
});
