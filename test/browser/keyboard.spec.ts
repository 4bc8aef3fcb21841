/**
 * The main flows with the keyboard alone (Tab, Shift+Tab, Enter, Space, arrow keys, Escape; no
 * mouse): a person signs in through the form, an admin switches support access on with the
 * duration field and off again, and a contact approves a request with a comment through its
 * confirmation. Focus is checked where people lose it: it is visible on what it reaches, it moves
 * into a dialog, back to the button when the dialog is closed, and to the message that says what
 * an action did when the button is gone.
 */
import type { Locator, Page } from '@playwright/test';
import { appUrl, call, expect, freshPage, setupTenant, test, type Person } from './fixtures.ts';

type El = { ownerDocument: { activeElement: unknown }; contains(n: unknown): boolean };
const holdsFocus = (target: Locator) =>
  target.evaluate((el: El) => el === el.ownerDocument.activeElement || el.contains(el.ownerDocument.activeElement));

/** Presses Tab (or Shift+Tab) until `target` has focus; fails when it is not reached. */
async function tabTo(page: Page, target: Locator, { back = false, max = 60 } = {}): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await holdsFocus(target.first())) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`not reached with ${back ? 'Shift+Tab' : 'Tab'} in ${max} presses: ${String(target)}`);
}

/** How the focused element shows its focus (an outline, a shadow or a ring drawn before or after it), or why not. */
const focusIndicator = (page: Page) =>
  page.evaluate(`(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'nothing has focus';
    const drawn = (s) => (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || (s.boxShadow && s.boxShadow !== 'none')
      || (s.content && s.content !== 'none' && s.borderTopStyle !== 'none' && parseFloat(s.borderTopWidth) > 0);
    return drawn(getComputedStyle(el)) || drawn(getComputedStyle(el, '::before')) || drawn(getComputedStyle(el, '::after'))
      ? 'visible' : 'no visible focus on ' + el.outerHTML.slice(0, 120);
  })()`);

/** The local sign-in form, by keyboard: fields, the roles list, then back up to a field and Enter. */
async function keyboardSignIn(page: Page, who: Person): Promise<void> {
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  const fields: [string, string | undefined][] = [
    ['User id (sub)', who.sub],
    ['Email', who.email],
    ['Name', who.name],
    ['Tenant id', who.tenantId],
  ];
  for (const [label, value] of fields) {
    if (value === undefined) continue;
    await tabTo(page, page.getByLabel(label, { exact: true }));
    await page.keyboard.type(value);
  }
  const roles = page.getByRole('button', { name: /Groups|Choose roles/ });
  await tabTo(page, roles);
  await page.keyboard.press('Enter');
  // Arrow keys move the highlight (the list's active descendant); Enter chooses the highlighted role.
  const highlighted = () =>
    page.evaluate(
      `(() => { const id = document.activeElement && document.activeElement.getAttribute('aria-activedescendant'); const el = id && document.getElementById(id); return el ? (el.textContent || '').trim() : ''; })()`,
    );
  for (const g of who.groups) {
    for (let i = 0; i < 8 && !String(await highlighted()).startsWith(g); i++) await page.keyboard.press('ArrowDown');
    expect(String(await highlighted())).toContain(g);
    await page.keyboard.press('Enter');
    await expect(page.getByRole('option', { name: g })).toHaveAttribute('aria-selected', 'true');
  }
  await page.keyboard.press('Escape');
  // Back up to a text field and submit the form from it.
  await tabTo(page, page.getByLabel('Name', { exact: true }), { back: true });
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeHidden();
}

test('with the keyboard alone, a tenant admin signs in and switches support access on for 2 hours and off again', async ({ browser }) => {
  // Prepare
  const p = await setupTenant();
  const page = await freshPage(browser);
  await page.goto(appUrl(`/sign-in?next=${encodeURIComponent(`/app/tenants/${p.tenantId}`)}`));

  // Act: sign in
  await keyboardSignIn(page, p.admin);

  // Assess: the overview, access off
  await expect(page.getByRole('heading', { level: 1, name: 'Support access' })).toBeVisible();
  await expect(page.getByText('No active grant: support cannot get in.')).toBeVisible();

  // Act: the duration, the scope by arrow keys, then the switch
  await tabTo(page, page.getByLabel('Duration (hours)'));
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('2');
  await tabTo(page, page.getByRole('radio', { name: 'Read-only' }));
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('radio', { name: 'Full' })).toBeChecked();
  await page.keyboard.press('ArrowUp');
  await expect(page.getByRole('radio', { name: 'Read-only' })).toBeChecked();
  const on = page.getByRole('button', { name: 'Activate support access' });
  await tabTo(page, on);
  expect(await focusIndicator(page)).toBe('visible');
  await page.keyboard.press('Enter');

  // Assess: on for 2 hours, and focus is on the message that says so
  const done = page.getByText(/Support access is on for the whole support team until/);
  await expect(done).toBeVisible();
  await expect.poll(() => holdsFocus(done)).toBe(true);
  expect(await focusIndicator(page)).toBe('visible');
  const active = await call(p.admin, 'GET', `/v1/tenants/${p.tenantId}/grants?status=ACTIVE`);
  expect(active.body.items).toHaveLength(1);
  expect(Date.parse(active.body.items[0].expiresAt) - Date.parse(active.body.items[0].createdAt)).toBe(2 * 3600_000);
  expect(active.body.items[0].scope).toEqual({ level: 'read-only' });

  // Act: off again, with Space
  const off = page.getByRole('button', { name: 'Deactivate support access' });
  await tabTo(page, off);
  await page.keyboard.press('Space');

  // Assess
  await expect(page.getByText(/Support access is off: 1 grant revoked/)).toBeVisible();
  expect((await call(p.admin, 'GET', `/v1/tenants/${p.tenantId}/grants?status=ACTIVE`)).body.items).toHaveLength(0);
});

test('with the keyboard alone, a contact approves a request with a comment through the confirmation', async ({ browser }) => {
  // Prepare: a pending request; the contact opens its page (the email's link) and signs in on the way
  const p = await setupTenant({ approvalsRequired: 1 });
  const request = await call(p.agent, 'POST', `/v1/tenants/${p.tenantId}/access-requests`, {
    ticketId: 'KB-1',
    reason: 'Keyboard-only check',
    scope: { level: 'read-only' },
    durationHours: 3,
  });
  expect(request.status).toBe(201);
  const page = await freshPage(browser);
  await page.goto(appUrl(`/tenants/${p.tenantId}/requests/${request.body.requestId}`));
  await keyboardSignIn(page, p.contact);
  await expect(page.getByRole('heading', { level: 1, name: 'Access request KB-1' })).toBeVisible();

  // Act: open the confirmation, then close it with Escape
  const approve = page.getByRole('button', { name: 'Approve', exact: true });
  await tabTo(page, approve);
  expect(await focusIndicator(page)).toBe('visible');
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();

  // Assess: focus moved into the dialog; Escape closes it and focus is back on Approve
  await expect.poll(() => holdsFocus(dialog)).toBe(true);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect.poll(() => holdsFocus(approve)).toBe(true);

  // Act: again, with a comment, confirmed with the dialog's Approve
  await page.keyboard.press('Enter');
  await expect(dialog).toBeVisible();
  await tabTo(page, dialog.getByLabel('Comment (optional)'));
  await page.keyboard.type('Fine, keyboard only');
  await tabTo(page, dialog.getByRole('button', { name: 'Approve', exact: true }));
  expect(await focusIndicator(page)).toBe('visible');
  await page.keyboard.press('Enter');

  // Assess: approved with the comment; the button is gone and focus is on the message
  const done = page.getByText('Approved: Sam Agent', { exact: false });
  await expect(done).toBeVisible();
  await expect(dialog).toBeHidden();
  await expect(approve).toBeHidden();
  await expect.poll(() => holdsFocus(done)).toBe(true);
  await expect(page.getByRole('row').filter({ hasText: 'Fine, keyboard only' })).toContainText(p.contact.name);
  const after = await call(p.admin, 'GET', `/v1/tenants/${p.tenantId}/access-requests/${request.body.requestId}`);
  expect(after.body).toMatchObject({ status: 'APPROVED', approvals: [{ by: { email: p.contact.email }, comment: 'Fine, keyboard only' }] });
});
