/**
 * The console's data layer (web/src/api): a change made on one page shows on the others without
 * reloading the page. A contact opens a waiting request from the overview, approves it, and goes
 * back to the overview inside the console: the counts are the new ones.
 */
import { appUrl, call, expect, freshPage, setupTenant, signIn, test } from './fixtures.ts';

test('approving a request updates the overview without a reload', async ({ browser }) => {
  // Prepare
  const p = await setupTenant();
  const asked = await call(p.agent, 'POST', `/v1/tenants/${p.tenantId}/access-requests`, {
    ticketId: 'T-LIVE',
    reason: 'Invoice export fails',
    scope: { level: 'read-only' },
    durationHours: 4,
  });
  expect(asked.status).toBe(201);
  const page = await freshPage(browser);
  await signIn(page, p.contact, `/app/tenants/${p.tenantId}`);
  await expect(page.getByRole('heading', { name: /Waiting for you\s*\(1\)/ })).toBeVisible();
  await expect(page.getByRole('heading', { name: /Active grants\s*\(0\)/ })).toBeVisible();
  await expect(page.getByText('Off', { exact: true })).toBeVisible();
  // A page load would forget this.
  await page.evaluate(() => ((globalThis as unknown as { sameDocument: boolean }).sameDocument = true));

  // Act: from the overview to the request, approve, back with the side navigation.
  await page.getByRole('link', { name: 'T-LIVE' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Access request T-LIVE' })).toBeVisible();
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page.getByText(`Approved: ${p.agent.name} has access for 4 h.`)).toBeVisible();
  await page.getByRole('navigation', { name: 'Side navigation' }).getByRole('link', { name: 'Overview' }).click();

  // Assess
  await expect(page).toHaveURL(appUrl(`/tenants/${p.tenantId}`));
  await expect(page.getByRole('heading', { name: /Waiting for you\s*\(0\)/ })).toBeVisible();
  await expect(page.getByRole('heading', { name: /Active grants\s*\(1\)/ })).toBeVisible();
  await expect(page.getByText('On (1 active grant)')).toBeVisible();
  await expect(page.getByRole('link', { name: p.agent.name })).toBeVisible();
  expect(await page.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
});
