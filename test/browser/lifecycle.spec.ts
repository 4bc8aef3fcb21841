/**
 * The grant lifecycle in the console: an agent asks for more time on the grant page, a contact
 * approves it from the email link (the request page shows an extension), and the same grant ends
 * later; an admin extends at once; the overview warns of a grant about to end; the login history
 * downloads as CSV.
 */
import { readFile } from 'node:fs/promises';
import { appUrl, call, expect, freshPage, linksIn, mailTo, setupTenant, signIn, test, type People } from './fixtures.ts';

const grantee = (w: { sub: string; email: string; name: string }) => ({ id: w.sub, email: w.email, name: w.name });

async function grantFor(p: People, hours: number) {
  const res = await call(p.admin, 'POST', `/v1/tenants/${p.tenantId}/grants`, {
    reason: 'invoice export',
    scope: { level: 'read-only' },
    durationHours: hours,
    grantees: [grantee(p.agent)],
  });
  expect(res.status).toBe(201);
  return res.body as { grantId: string; expiresAt: string };
}

test('an agent asks for more time; the contact approves from the email; the same grant ends two hours later', async ({ browser }) => {
  // Prepare
  const p = await setupTenant();
  const g = await grantFor(p, 2);
  const agent = await freshPage(browser);
  const contact = await freshPage(browser);
  // Act: the agent asks on the grant page.
  await signIn(agent, p.agent, `/app/tenants/${p.tenantId}/grants/${g.grantId}`);
  await agent.getByRole('button', { name: 'Ask for more time' }).click();
  const dialog = agent.getByRole('dialog');
  await dialog.getByLabel('More hours').fill('2');
  await dialog.getByLabel('Why you need more time').fill('The export needs another run');
  await dialog.getByRole('button', { name: 'Ask for more time' }).click();
  await expect(agent.getByText('Asked: the contacts are emailed')).toBeVisible();
  // The contact follows the email's link and approves the extension.
  const mail = await mailTo(p.contact.email, /asks for 2 hours more/);
  const link = linksIn(mail).find((l) => l.includes('/requests/'))!;
  await contact.goto(link);
  // Not signed in yet: the sign-in page, which comes back to the link afterwards.
  await expect(contact).toHaveURL(/\/app\/sign-in\?next=/);
  await signIn(contact, p.contact);
  await expect(contact).toHaveURL(link);
  await expect(contact.getByRole('heading', { level: 1, name: /^Extension request/ })).toBeVisible();
  await expect(contact.getByText('More time on an active grant')).toBeVisible();
  await contact.getByRole('button', { name: 'Approve', exact: true }).click();
  await contact.getByRole('dialog').getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(contact.getByText('Approved: the grant now ends 2 h later.')).toBeVisible();
  // Assess: the same grant, two hours longer; no second grant.
  const after = await call(p.admin, 'GET', `/v1/tenants/${p.tenantId}/grants/${g.grantId}`);
  expect(Date.parse(after.body.expiresAt) - Date.parse(g.expiresAt)).toBe(2 * 3_600_000);
  expect((await call(p.admin, 'GET', `/v1/tenants/${p.tenantId}/grants`)).body.items).toHaveLength(1);
});

test('an admin extends a grant at once, after the overview warned that it ends soon', async ({ browser }) => {
  // Prepare
  const p = await setupTenant();
  const g = await grantFor(p, 1);
  const admin = await freshPage(browser);
  // Act
  await signIn(admin, p.admin, `/app/tenants/${p.tenantId}`);
  await expect(admin.getByText('1 grant about to end')).toBeVisible();
  await admin.goto(appUrl(`/tenants/${p.tenantId}/grants/${g.grantId}`));
  await admin.getByRole('button', { name: 'Extend' }).click();
  const dialog = admin.getByRole('dialog');
  await dialog.getByLabel('More hours').fill('3');
  await dialog.getByLabel('Why more time').fill('Month-end close');
  await dialog.getByRole('button', { name: 'Extend' }).click();
  await expect(admin.getByText('Extended by 3 hours; the contacts are emailed.')).toBeVisible();
  // Assess
  const after = await call(p.admin, 'GET', `/v1/tenants/${p.tenantId}/grants/${g.grantId}`);
  expect(Date.parse(after.body.expiresAt) - Date.parse(g.expiresAt)).toBe(3 * 3_600_000);
});

test('the login history downloads as CSV', async ({ browser }) => {
  // Prepare
  const p = await setupTenant();
  const g = await grantFor(p, 2);
  expect((await call(p.agent, 'POST', `/v1/tenants/${p.tenantId}/sessions`, { reason: '=cmd', grantId: g.grantId })).status).toBe(201);
  const admin = await freshPage(browser);
  // Act
  await signIn(admin, p.admin, `/app/tenants/${p.tenantId}/sessions`);
  await admin.getByRole('button', { name: 'Download CSV' }).click();
  const downloading = admin.waitForEvent('download');
  await admin.getByRole('dialog').getByRole('button', { name: 'Download CSV' }).click();
  const file = await (await downloading).path();
  // Assess
  const csv = await readFile(file, 'utf8');
  expect(csv.split('\r\n')[0]).toBe(
    'sessionId,grantId,accessedById,accessedByEmail,accessedByName,reason,signInAt,signOutAt,endedBy,grantedByEmail,sourceIp,userAgent',
  );
  expect(csv).toContain(`${g.grantId},${p.agent.sub},${p.agent.email}`);
  expect(csv).toContain(",'=cmd,");
});
