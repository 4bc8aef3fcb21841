/**
 * Copy token (issue 15): an agent signs in to a tenant in the console, sees the open session with
 * its token's end, and "Copy token" puts on the clipboard a support-session token that the
 * vendor's verifier (`packages/verify`, against the stack's JWKS) accepts and that names that
 * session. After signing out of the session, or of the console, the console no longer offers it.
 * The clipboard is Chromium's own (permissions granted to the context), read back in the page.
 */
import { createVerifier } from '../../packages/verify/src/index.ts';
import { appUrl, call, expect, setupTenant, signIn, signOut, test } from './fixtures.ts';

test('Copy token puts a token on the clipboard that the verifier accepts for the session shown; sign-out takes it away', async ({
  browser,
}) => {
  // Prepare: the tenant lets the support team in; a browser context allowed to use the clipboard.
  const p = await setupTenant();
  const t = `/v1/tenants/${p.tenantId}`;
  const grant = await call(p.admin, 'POST', `${t}/grants`, { reason: 'Quarter close', scope: { level: 'read-only' }, durationHours: 2 });
  expect(grant.status).toBe(201);
  const origin = new URL(appUrl()).origin;
  const context = await browser.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const page = await context.newPage();
  const verifier = createVerifier({ jwksUrl: `${origin}/v1/.well-known/jwks.json`, issuer: origin, audience: 'support-access-local' });
  const tenant = page.getByRole('region', { name: `Tenant ${p.tenantId}` });

  // Act: the agent signs in to the tenant and copies the token.
  await signIn(page, p.agent, '/app/support');
  await tenant.getByRole('textbox', { name: 'Reason for signing in' }).fill('Checking the invoice export');
  await tenant.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByText(`Signed in to ${p.tenantId}.`, { exact: false })).toBeVisible();
  await expect(tenant.getByText('Token until')).toBeVisible();
  const shownEnd = await tenant.getByText('Token until').locator('time').getAttribute('datetime');
  const shownSession = await tenant.locator('code').textContent();
  await tenant.getByRole('button', { name: `Copy token for ${p.tenantId}` }).click();
  await expect(tenant.getByText('Copied')).toBeVisible();
  // In the page (the DOM's navigator; this file is typed without the DOM library).
  type Clipboard = { navigator: { clipboard: { readText(): Promise<string> } } };
  const token = await page.evaluate(() => (globalThis as unknown as Clipboard).navigator.clipboard.readText());

  // Assess: the verifier accepts it, for this agent, tenant, grant and the session shown.
  const session = await verifier.verify(token, { tenantId: p.tenantId });
  expect(session).toMatchObject({
    agent: { id: p.agent.sub, email: p.agent.email },
    tenantId: p.tenantId,
    grantId: grant.body.grantId,
    sessionId: shownSession,
    scope: 'read-only',
  });
  // The end shown is the token's `exp` (a whole second).
  expect(Math.abs(session.expiresAt.getTime() - Date.parse(shownEnd!))).toBeLessThan(1000);
  expect(Date.parse(shownEnd!)).toBeGreaterThan(Date.now());
  // The tenant's login history has that session open.
  const history = await call(p.admin, 'GET', `${t}/sessions`);
  expect(history.body.items[0]).toMatchObject({ sessionId: shownSession, accessedBy: { id: p.agent.sub }, signOutAt: null });

  // Act: the agent ends the session.
  await tenant.getByRole('button', { name: 'End session' }).click();
  await expect(page.getByText(`Signed out of ${p.tenantId}.`)).toBeVisible();
  // Assess: no token is offered, not even after a reload.
  await expect(page.getByRole('button', { name: /Copy token/ })).toHaveCount(0);
  await page.reload();
  await expect(tenant.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: /Copy token/ })).toHaveCount(0);

  // Act: a new session, then the agent signs out of the console and a support lead signs in here.
  await tenant.getByRole('textbox', { name: 'Reason for signing in' }).fill('One more look');
  await tenant.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(tenant.getByRole('button', { name: `Copy token for ${p.tenantId}` })).toBeVisible();
  await signOut(page);
  await signIn(page, p.lead, '/app/support');
  // Assess: the lead sees the tenant (the grant covers the team) but not the agent's session or token.
  await expect(tenant.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: /Copy token/ })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'End session' })).toHaveCount(0);
  await context.close();
});
