/**
 * The admin's switch: support access on for the whole team for 2 hours, an agent signs in, the
 * admin sees that sign-in in the login history, turns access off, and the agent's access is gone.
 */
import { appUrl, call, expect, freshPage, setupTenant, signIn, test } from './fixtures.ts';

test('an admin turns support access on for 2 hours, sees the agent sign in, turns it off, and the access is gone', async ({ browser }) => {
  // Prepare
  const p = await setupTenant();
  const admin = await freshPage(browser);
  const agent = await freshPage(browser);
  await signIn(admin, p.admin, `/app/tenants/${p.tenantId}`);
  await expect(admin.getByRole('heading', { level: 1, name: 'Support access' })).toBeVisible();

  // Act: on for 2 hours
  await admin.getByLabel('Duration (hours)').fill('2');
  await admin.getByRole('button', { name: 'Activate support access' }).click();

  // Assess
  await expect(admin.getByText(/Support access is on for the whole support team until/)).toBeVisible();

  // Act: the agent signs in
  await signIn(agent, p.agent, '/app/support');
  await expect(agent.getByRole('heading', { level: 1, name: 'My access' })).toBeVisible();
  await expect(agent.getByRole('heading', { name: `Tenant ${p.tenantId}` })).toBeVisible();
  await agent
    .getByRole('region', { name: `Tenant ${p.tenantId}` })
    .getByRole('textbox', { name: 'Reason for signing in' })
    .fill('Customer reported a broken invoice export');
  await agent
    .getByRole('region', { name: `Tenant ${p.tenantId}` })
    .getByRole('button', { name: 'Sign in', exact: true })
    .click();

  // Assess
  await expect(agent.getByText(`Signed in to ${p.tenantId}.`, { exact: false })).toBeVisible();
  await expect(agent.getByRole('button', { name: 'End session' })).toBeVisible();

  // Act: the admin looks at the login history
  await admin.goto(appUrl(`/tenants/${p.tenantId}/sessions`));

  // Assess
  await expect(admin.getByRole('heading', { level: 1, name: 'Login history' })).toBeVisible();
  const row = admin.getByRole('row').filter({ hasText: 'Customer reported a broken invoice export' });
  await expect(row).toContainText(p.agent.name);
  await expect(row).toContainText('Still inside');

  // Act: filter by person, through the API (so it holds across pages): someone else, then the agent
  const personFilter = admin.getByRole('combobox', { name: 'Person' });
  await personFilter.fill(`nobody@vendor.test`);
  // Assess
  await expect(admin.getByText('No sign-ins match the filters.')).toBeVisible();
  // Act
  await personFilter.fill(p.agent.email.toUpperCase());
  // Assess
  await expect(row).toContainText(p.agent.name);
  // Act: not an email yet: the API's answer shows on the field
  await personFilter.fill('sam@');
  // Assess
  await expect(admin.getByText('must be an email address')).toBeVisible();

  // Act: off again
  await admin.goto(appUrl(`/tenants/${p.tenantId}`));
  await admin.getByRole('button', { name: 'Deactivate support access' }).click();

  // Assess: the admin is told, the agent's page shows no access, and the API agrees
  await expect(admin.getByText(/Support access is off: 1 grant revoked/)).toBeVisible();
  await agent.reload();
  await expect(agent.getByRole('heading', { level: 1, name: 'My access' })).toBeVisible();
  await expect(agent.getByRole('heading', { name: `Tenant ${p.tenantId}` })).toBeHidden();
  const attempt = await call(p.agent, 'POST', `/v1/tenants/${p.tenantId}/sessions`, { reason: 'one more look' });
  expect(attempt.status).toBe(403);
  await admin.goto(appUrl(`/tenants/${p.tenantId}/sessions`));
  await expect(admin.getByRole('row').filter({ hasText: 'Customer reported a broken invoice export' })).not.toContainText('Still inside');
});
