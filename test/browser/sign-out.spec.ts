/**
 * Signing out on a shared browser (issue 22): the next person is asked who they are, never let
 * back in as the one before, and sees nothing of theirs; deployed, the console also ends Cognito's
 * own session at its `/logout`.
 */
import { appUrl, expect, freshPage, setupTenant, signIn, signOut, test, tokenFor } from './fixtures.ts';

test('after sign-out the console asks again: back, a link and the next person get nothing of the one before', async ({ browser }) => {
  // Prepare
  const p = await setupTenant();
  const page = await freshPage(browser);
  const overview = appUrl(`/tenants/${p.tenantId}`);
  await signIn(page, p.admin, `/app/tenants/${p.tenantId}`);
  await expect(page.getByRole('heading', { name: 'Switch support access' })).toBeVisible();

  // Act
  await signOut(page);

  // Assess: the sign-in page; Back and the address itself ask again.
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await page.goBack();
  await expect(page).toHaveURL(/\/app\/sign-in\?next=/);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await page.goto(overview);
  await expect(page).toHaveURL(/\/app\/sign-in\?next=/);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeHidden();
  // The next person signs in and is themselves: a contact, without the admin's switch.
  await signIn(page, p.contact);
  await expect(page).toHaveURL(overview);
  await expect(page.getByRole('button', { name: new RegExp(p.contact.name) })).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: 'Support access' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Waiting for you' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Switch support access' })).toBeHidden();
});

test("deployed, sign-out ends the managed login's session at Cognito's /logout and comes back to the console", async ({ browser }) => {
  // Prepare: the settings a deployment writes (lib/console.ts), with a Cognito domain on this host
  // (nothing answers its /logout here: what counts is that the browser is sent there).
  const p = await setupTenant();
  const page = await freshPage(browser);
  const origin = new URL(appUrl()).origin;
  const cognitoDomain = `${origin}/cognito-stand-in`;
  await page.route(appUrl('/config.json'), (route) =>
    route.fulfill({ json: { apiUrl: origin, mode: 'cognito', cognitoDomain, clientId: 'console-client' } }),
  );
  await page.goto(appUrl('/sign-in'));
  await expect(page.getByText('Sign in with your company account.')).toBeVisible();
  // Signed in as Cognito's callback would leave the tab: the ID token in sessionStorage.
  const token = await tokenFor(p.admin);
  await page.evaluate((t) => sessionStorage.setItem('support-access.token', t), token);
  await page.goto(appUrl(`/tenants/${p.tenantId}`));
  await expect(page.getByRole('heading', { name: 'Switch support access' })).toBeVisible();

  // Act
  const leaving = page.waitForURL((u) => u.pathname === '/cognito-stand-in/logout');
  await signOut(page);
  await leaving;

  // Assess: Cognito's logout endpoint, for this client, back to the console's start page.
  const url = new URL(page.url());
  expect(Object.fromEntries(url.searchParams)).toEqual({ client_id: 'console-client', logout_uri: `${origin}/app` });
  await page.goto(`${origin}/app`);
  await expect(page).toHaveURL(/\/app\/sign-in$/);
  await expect(page.getByText('Sign in with your company account.')).toBeVisible();
});

test('a token the API no longer accepts sends the person to sign in, then back to the page they were on', async ({ browser }) => {
  // Prepare: signed in, then the token in the tab stops being one the API accepts (as when it
  // expires mid-visit); the console still believes its claims.
  const p = await setupTenant();
  const page = await freshPage(browser);
  await signIn(page, p.admin, `/app/tenants/${p.tenantId}`);
  await expect(page.getByRole('heading', { name: 'Switch support access' })).toBeVisible();
  await page.evaluate(() => {
    const t = sessionStorage.getItem('support-access.token')!;
    sessionStorage.setItem('support-access.token', `${t.slice(0, t.lastIndexOf('.'))}.${'A'.repeat(43)}`);
  });

  // Act: the next page asks the API, which answers 401.
  await page.getByRole('link', { name: 'Login history' }).click();

  // Assess: the sign-in page, not a page waiting for ever; signing in again lands on that page.
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await expect(page).toHaveURL(/\/app\/sign-in\?next=.*sessions/);
  await signIn(page, p.admin);
  await expect(page).toHaveURL(appUrl(`/tenants/${p.tenantId}/sessions`));
});
