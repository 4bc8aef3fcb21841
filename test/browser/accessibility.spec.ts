/**
 * axe-core (WCAG 2.0 and 2.1, A and AA) on every page of the console, for the roles that see it,
 * with data on the page: a pending request, an active and an ended grant, a session in the login
 * history, audit events (also after Verify integrity), and each page's dialogs open. One tenant is
 * prepared through the API; each person browses in a context of their own. Every page's findings
 * are collected first, so one run lists them all.
 */
import type { Page } from '@playwright/test';
import {
  accessibilityViolations,
  appUrl,
  call,
  expect,
  fillSignInForm,
  freshPage,
  setupTenant,
  signIn,
  test,
  type People,
} from './fixtures.ts';

/** Prepares what the pages show: requests, grants (active and ended), a session, audit events. */
async function world(): Promise<People & { requestId: string; grantId: string }> {
  const p = await setupTenant({ approvalsRequired: 1 });
  const t = `/v1/tenants/${p.tenantId}`;
  const ended = await call(p.admin, 'POST', `${t}/grants`, { reason: "Last week's migration", scope: { level: 'full' }, durationHours: 1 });
  await call(p.admin, 'POST', `${t}/grants/${ended.body.grantId}/revoke`, { reason: 'Migration done' });
  const request = await call(p.agent, 'POST', `${t}/access-requests`, {
    ticketId: 'INC-4711',
    reason: 'Invoice export fails',
    scope: { level: 'read-only', modules: ['billing'] },
    durationHours: 4,
  });
  const active = await call(p.admin, 'POST', `${t}/grants`, {
    reason: 'Quarter close support',
    scope: { level: 'read-only' },
    durationHours: 8,
  });
  const session = await call(p.agent, 'POST', `${t}/sessions`, { reason: 'Checking the export job' });
  for (const r of [ended, request, active, session]) expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { ...p, requestId: request.body.requestId, grantId: active.body.grantId };
}

test('every page and dialog has no WCAG 2.1 AA violations, for each role that sees it', async ({ browser }) => {
  // Two dozen pages, each checked whole by axe: more than the default time on a busy machine.
  test.setTimeout(900_000);
  const w = await world();
  const t = `/tenants/${w.tenantId}`;
  const found: Record<string, string[]> = {};
  const check = async (page: Page, name: string) => {
    const v = await accessibilityViolations(page);
    if (v.length) {
      found[name] = v;
      console.log(`axe: ${name}:\n  ${v.join('\n  ')}`);
    }
  };
  const visit = async (page: Page, path: string, h1: string, ready?: string) => {
    await page.goto(appUrl(path));
    await expect(page.getByRole('heading', { level: 1, name: h1 })).toBeVisible();
    if (ready) await expect(page.getByText(ready).first()).toBeVisible();
  };
  const dialog = async (page: Page, button: string, name: string) => {
    await page.getByRole('button', { name: button, exact: true }).first().click();
    await expect(page.getByRole('dialog')).toBeVisible();
    await check(page, name);
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect(page.getByRole('dialog')).toBeHidden();
  };

  // Signed out: the sign-in page, also with the roles list open.
  const admin = await freshPage(browser);
  await admin.goto(appUrl('/sign-in'));
  await expect(admin.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await check(admin, 'sign-in');
  await admin.getByRole('button', { name: /Groups|Choose roles/ }).click();
  await check(admin, 'sign-in, roles open');
  await admin.keyboard.press('Escape');

  // The tenant admin: every tenant page.
  await fillSignInForm(admin, w.admin);
  await admin.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(admin.getByRole('heading', { level: 1, name: 'Support access' })).toBeVisible();
  await expect(admin.getByText('Quarter close support')).toBeVisible();
  await check(admin, 'overview (admin, access on)');
  await visit(admin, `${t}/requests`, 'Access requests', 'INC-4711');
  await check(admin, 'requests');
  await visit(admin, `${t}/requests/${w.requestId}`, 'Access request INC-4711', 'Invoice export fails');
  await check(admin, 'request');
  await dialog(admin, 'Approve', 'request, approve dialog');
  await visit(admin, `${t}/grants`, 'Grants', 'Quarter close support');
  await check(admin, 'grants, active');
  await admin.getByRole('tab', { name: 'Ended' }).click();
  await expect(admin.getByText("Last week's migration")).toBeVisible();
  await check(admin, 'grants, ended');
  await visit(admin, `${t}/grants/${w.grantId}`, 'Grant', 'Checking the export job');
  await check(admin, 'grant');
  await dialog(admin, 'Revoke', 'grant, revoke dialog');
  await dialog(admin, 'Add grantee', 'grant, add grantee dialog');
  await visit(admin, `${t}/sessions`, 'Login history', 'Checking the export job');
  await check(admin, 'login history');
  await visit(admin, `${t}/audit`, 'Audit trail', 'session.started');
  await check(admin, 'audit trail');
  await admin.getByRole('button', { name: 'Verify integrity' }).click();
  await expect(admin.getByText(/Intact|Problems found/).first()).toBeVisible();
  await check(admin, 'audit trail, verified');
  await visit(admin, `${t}/settings`, 'Settings', w.contact.email);
  await check(admin, 'settings');
  await dialog(admin, 'Rename', 'settings, rename dialog');
  await dialog(admin, 'Add contact', 'settings, add contact dialog');
  await visit(admin, '/nowhere', 'Not found');
  await check(admin, 'not found (address)');
  await visit(admin, `${t}/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV`, 'Not found');
  await check(admin, 'not found (API 404)');

  // A contact (tenant user): the overview with a request waiting, and a page their role may not see.
  const contact = await freshPage(browser);
  await signIn(contact, w.contact, `/app${t}`);
  await expect(contact.getByRole('heading', { level: 1, name: 'Support access' })).toBeVisible();
  await expect(contact.getByRole('link', { name: 'INC-4711' })).toBeVisible();
  await check(contact, 'overview (contact, a request waiting)');
  await visit(contact, `${t}/sessions`, 'Not allowed');
  await check(contact, 'not allowed (API 403)');

  // The agent: my access with a session open (its id, token end, Copy token), the request form,
  // my requests (across tenants, with its status filter and pages) with Cancel.
  const agent = await freshPage(browser);
  await signIn(agent, w.agent, '/app/support');
  await visit(agent, '/support', 'My access', 'INC-4711');
  const tenant = agent.getByRole('region', { name: `Tenant ${w.tenantId}` });
  await tenant.getByRole('textbox', { name: 'Reason for signing in' }).fill('Checking the export job again');
  await tenant.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(tenant.getByRole('button', { name: `Copy token for ${w.tenantId}` })).toBeVisible();
  await check(agent, 'my access (agent, a session open)');
  await dialog(agent, 'Cancel request', 'my access, cancel request dialog');

  // The support lead: the upfront approval form.
  const lead = await freshPage(browser);
  await signIn(lead, w.lead, '/app/support');
  await expect(lead.getByRole('heading', { level: 2, name: 'Record an upfront approval' })).toBeVisible();
  await check(lead, 'my access (lead)');

  expect(found).toEqual({});
});
