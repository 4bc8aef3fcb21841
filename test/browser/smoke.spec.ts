import { appUrl, expect, test } from './fixtures.ts';

test('the demo admin signs in with one click and lands on the overview', async ({ page }) => {
  // Act
  await page.goto(appUrl('/sign-in'));
  await page.getByRole('button', { name: 'Alice Admin' }).click();

  // Assess
  await expect(page.getByRole('heading', { level: 1, name: 'Support access' })).toBeVisible();
  await expect(page).toHaveURL(/\/app\/tenants\/acme$/);
});
