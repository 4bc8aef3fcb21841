/**
 * Access by request: an agent asks in the console, a contact follows the link in the email (from
 * the local inbox), signs in, lands on the request page and approves or denies with a comment;
 * the agent then has access (or is told no). With two approvals required, a second contact
 * completes it.
 */
import type { Page } from '@playwright/test';
import { appUrl, expect, freshPage, linksIn, mailTo, setupTenant, signIn, test, type People, type Person } from './fixtures.ts';

/** The agent asks for access in the console; answers the ticket id. */
async function requestAccess(agent: Page, p: People, ticket: string): Promise<void> {
  await signIn(agent, p.agent, '/app/support');
  await expect(agent.getByRole('heading', { level: 1, name: 'My access' })).toBeVisible();
  await agent.getByLabel('Tenant', { exact: true }).fill(p.tenantId);
  await agent.getByLabel('Ticket', { exact: true }).fill(ticket);
  await agent.getByLabel('Reason', { exact: true }).fill('Invoice export fails for this customer');
  await agent.getByLabel('Duration (hours)').fill('4');
  await agent.getByRole('button', { name: 'Request access' }).click();
  await expect(agent.getByText(`Access requested at ${p.tenantId} for ticket ${ticket}`)).toBeVisible();
}

/** A contact opens the request link of their email, signs in on the way, and is on the request page. */
async function openEmailLink(page: Page, contact: Person, p: People, ticket: string): Promise<void> {
  const mail = await mailTo(contact.email, new RegExp(`Support asks for access to ${p.tenantId} \\(ticket ${ticket}\\)`));
  const link = linksIn(mail).find((l) => l.includes('/requests/'));
  expect(link, `the email links to the request page:\n${mail.body.text}`).toBeTruthy();
  await page.goto(link!);
  // Not signed in yet: the sign-in page, which comes back to the link afterwards.
  await expect(page).toHaveURL(/\/app\/sign-in\?next=/);
  await signIn(page, contact);
  await expect(page).toHaveURL(link!);
  await expect(page.getByRole('heading', { level: 1, name: `Access request ${ticket}` })).toBeVisible();
}

/** Approve or Deny, behind the confirmation dialog (its button has the same name). */
async function decide(page: Page, action: 'Approve' | 'Deny', comment: string): Promise<void> {
  await page.getByRole('button', { name: action, exact: true }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Comment (optional)').fill(comment);
  await dialog.getByRole('button', { name: action, exact: true }).click();
  await expect(dialog).toBeHidden();
}

async function agentSignsIn(agent: Page, p: People): Promise<void> {
  await agent.goto(appUrl('/support'));
  await expect(agent.getByRole('heading', { name: `Tenant ${p.tenantId}` })).toBeVisible();
  await agent
    .getByRole('region', { name: `Tenant ${p.tenantId}` })
    .getByRole('textbox', { name: 'Reason for signing in' })
    .fill('Fixing the invoice export');
  await agent
    .getByRole('region', { name: `Tenant ${p.tenantId}` })
    .getByRole('button', { name: 'Sign in', exact: true })
    .click();
  await expect(agent.getByText(`Signed in to ${p.tenantId}.`, { exact: false })).toBeVisible();
}

test('an agent requests access, the contact approves from the email link with a comment, and the agent signs in', async ({ browser }) => {
  // Prepare
  const p = await setupTenant({ approvalsRequired: 1 });
  const agent = await freshPage(browser);
  const contact = await freshPage(browser);
  await requestAccess(agent, p, 'INC-1001');

  // Act
  await openEmailLink(contact, p.contact, p, 'INC-1001');
  await decide(contact, 'Approve', 'OK for the invoice fix');

  // Assess: the contact sees it done, with the comment; the agent has the grant and signs in
  await expect(contact.getByText(`Approved: ${p.agent.name} has access for 4 h.`)).toBeVisible();
  await expect(contact.getByRole('row').filter({ hasText: 'OK for the invoice fix' })).toContainText(p.contact.name);
  await agentSignsIn(agent, p);
  await expect(agent.getByRole('button', { name: 'End session' })).toBeVisible();
});

test("with two approvals required, the first contact's approval is not enough and a second contact completes it", async ({ browser }) => {
  // Prepare
  const p = await setupTenant({ approvalsRequired: 2 });
  const agent = await freshPage(browser);
  const first = await freshPage(browser);
  const second = await freshPage(browser);
  await requestAccess(agent, p, 'INC-2002');

  // Act: the first contact approves
  await openEmailLink(first, p.contact, p, 'INC-2002');
  await expect(first.getByText('0 of 2 (2 more needed)')).toBeVisible();
  await decide(first, 'Approve', 'Fine by me');

  // Assess: recorded, one more needed, no access yet
  await expect(first.getByText('Your approval is recorded; 1 more needed.')).toBeVisible();
  await expect(first.getByText('1 of 2 (1 more needed)')).toBeVisible();
  await agent.goto(appUrl('/support'));
  await expect(agent.getByRole('heading', { level: 1, name: 'My access' })).toBeVisible();
  await expect(agent.getByRole('heading', { name: `Tenant ${p.tenantId}` })).toBeHidden();

  // Act: the second contact completes it from their own email
  await openEmailLink(second, p.contact2, p, 'INC-2002');
  await decide(second, 'Approve', 'Second approval');

  // Assess
  await expect(second.getByText(`Approved: ${p.agent.name} has access for 4 h.`)).toBeVisible();
  await agentSignsIn(agent, p);
});

test('a contact denies a request from the email link, and the agent gets no access and sees why', async ({ browser }) => {
  // Prepare
  const p = await setupTenant({ approvalsRequired: 1 });
  const agent = await freshPage(browser);
  const contact = await freshPage(browser);
  await requestAccess(agent, p, 'INC-3003');

  // Act
  await openEmailLink(contact, p.contact, p, 'INC-3003');
  await decide(contact, 'Deny', 'Not during the quarter close');

  // Assess
  await expect(contact.getByText(`Denied: ${p.agent.name} is told by email.`)).toBeVisible();
  await expect(contact.getByRole('button', { name: 'Approve', exact: true })).toBeHidden();
  const told = await mailTo(p.agent.email, new RegExp(`Access to ${p.tenantId} denied \\(ticket INC-3003\\)`));
  expect(told.body.text).toContain('Not during the quarter close');
  await agent.goto(appUrl('/support'));
  await expect(agent.getByRole('heading', { name: `Tenant ${p.tenantId}` })).toBeHidden();
  await expect(agent.getByRole('row').filter({ hasText: 'INC-3003' })).toContainText(/denied/i);
});
