/**
 * `npm run screenshots`: a PNG of every console page in `docs/console/` (stable names, see PAGES
 * below). Starts its own local stack on free ports with the demo tenant and a realistic state (a
 * pending request, an active and an ended grant, sign-ins in the login history, audit events),
 * drives Debian's Chromium through Playwright, and stops everything at the end, also on failure.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from '@playwright/test';
import { CHROMIUM } from '../playwright.config.ts';
import { DEMO, seed } from '../local/seed.ts';
import { startStack, type Stack } from '../local/stack.ts';

const OUT = fileURLToPath(new URL('../docs/console/', import.meta.url));
type Who = (typeof DEMO)['admin' | 'contact' | 'agent' | 'lead'];

async function api(stack: Stack, who: Who, method: string, path: string, body?: unknown): Promise<Record<string, string>> {
  const { token } = (await (
    await fetch(`${stack.url}/_local/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(who) })
  ).json()) as { token: string };
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path} as ${who.sub}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? {} : ((await res.json()) as Record<string, string>);
}

/** The demo tenant as a newcomer would find it after a busy morning. */
async function realisticState(stack: Stack) {
  const t = `/v1/tenants/${DEMO.tenantId}`;
  const { admin, contact, agent, lead } = DEMO;
  // Earlier: a migration under full access, with a sign-in and sign-out, then revoked.
  const old = await api(stack, admin, 'POST', `${t}/grants`, {
    reason: 'Data migration to the new plan',
    scope: { level: 'full' },
    durationHours: 4,
  });
  const s1 = await api(stack, agent, 'POST', `${t}/sessions`, { reason: 'Run the migration script' });
  await api(stack, agent, 'POST', `${t}/sessions/${s1.sessionId}/end`, {});
  await api(stack, admin, 'POST', `${t}/grants/${old.grantId}/revoke`, { reason: 'Migration done' });
  // Then: Lee records an approval Carol gave on the phone, and signs in under it.
  const upfront = await api(stack, lead, 'POST', `${t}/grants`, {
    ticketId: 'T-1002',
    reason: 'Payroll run stuck',
    scope: { level: 'read-only', modules: ['payroll'] },
    durationHours: 8,
    approvedBy: contact.email,
  });
  await api(stack, lead, 'POST', `${t}/sessions`, { reason: 'Look at the stuck payroll run', grantId: upfront.grantId });
  // Now: Sam asks for access to billing; it waits for a contact.
  const request = await api(stack, agent, 'POST', `${t}/access-requests`, {
    ticketId: 'T-1001',
    reason: 'Invoice export fails for March',
    scope: { level: 'read-only', modules: ['billing'] },
    durationHours: 4,
  });
  // The job seals the audit trail into its hash chain, as it does every minute.
  await fetch(`${stack.url}/_local/jobs/expire`, { method: 'POST' });
  return { requestId: request.requestId as string, grantId: upfront.grantId as string };
}

async function signedIn(browser: Browser, stack: Stack, who: Who, path: string): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 860 },
    locale: 'en-GB',
    timezoneId: 'Europe/Prague',
    deviceScaleFactor: 1,
  });
  const page = await context.newPage();
  await page.goto(`${stack.url}/app/sign-in?next=${encodeURIComponent(`/app${path}`)}`);
  await page.getByRole('button', { name: who.name, exact: true }).click();
  await page.waitForURL(`**/app${path}`);
  return page;
}

/** Goes to a page, waits for its heading and a text that shows its data, and saves the picture. */
async function shoot(page: Page, stack: Stack, name: string, path: string | null, h1: string, ready?: string): Promise<void> {
  if (path !== null) await page.goto(`${stack.url}/app${path}`);
  await page.getByRole('heading', { level: 1, name: h1 }).waitFor();
  if (ready) await page.getByText(ready).first().waitFor();
  // Countdowns and spinners settle; the flash of the sign-in is not part of the page.
  await page
    .getByRole('button', { name: 'Dismiss message' })
    .first()
    .click({ timeout: 500 })
    .catch(() => undefined);
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: `${OUT}${name}.png`, fullPage: true });
  console.log(`docs/console/${name}.png`);
}

const stack = await startStack({ port: 0, sesPort: 0, tableStream: false, expireEveryMs: 0, deliverOnWrite: true, deliverEveryMs: 0 });
let browser: Browser | undefined;
try {
  await seed(stack.runtime);
  const { requestId, grantId } = await realisticState(stack);
  await mkdir(OUT, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  const t = `/tenants/${DEMO.tenantId}`;

  const anon = await (
    await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-GB', timezoneId: 'Europe/Prague' })
  ).newPage();
  await shoot(anon, stack, 'sign-in', '/sign-in', 'Sign in');

  const alice = await signedIn(browser, stack, DEMO.admin, t);
  await shoot(alice, stack, 'overview', null, 'Support access', 'Payroll run stuck');
  await shoot(alice, stack, 'requests', `${t}/requests`, 'Access requests', 'T-1001');
  await shoot(alice, stack, 'request', `${t}/requests/${requestId}`, 'Access request T-1001', 'Invoice export fails for March');
  await alice.getByRole('button', { name: 'Approve', exact: true }).click();
  await alice.getByRole('dialog').getByLabel('Comment (optional)').fill('OK, read-only billing for the March export');
  await shoot(alice, stack, 'request-approve-dialog', null, 'Access request T-1001');
  await shoot(alice, stack, 'grants', `${t}/grants`, 'Grants', 'T-1002');
  await shoot(alice, stack, 'grant', `${t}/grants/${grantId}`, 'Grant', 'Look at the stuck payroll run');
  await shoot(alice, stack, 'login-history', `${t}/sessions`, 'Login history', 'Run the migration script');
  await alice.goto(`${stack.url}/app${t}/audit`);
  await alice.getByRole('button', { name: 'Verify integrity' }).click();
  await shoot(alice, stack, 'audit-trail', null, 'Audit trail', 'Intact');
  await shoot(alice, stack, 'settings', `${t}/settings`, 'Settings', DEMO.contact.email);
  await shoot(alice, stack, 'not-found', '/tenants/acme/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV', 'Not found');

  const carol = await signedIn(browser, stack, DEMO.contact, t);
  await shoot(carol, stack, 'overview-contact', null, 'Support access', 'T-1001');
  await shoot(carol, stack, 'not-allowed', `${t}/sessions`, 'Not allowed');

  const sam = await signedIn(browser, stack, DEMO.agent, '/support');
  await sam.evaluate((tenant) => localStorage.setItem('support-access.tenants', JSON.stringify([tenant])), DEMO.tenantId);
  await shoot(sam, stack, 'support', '/support', 'My access', 'T-1001');

  const lee = await signedIn(browser, stack, DEMO.lead, '/support');
  await shoot(lee, stack, 'support-lead', null, 'My access', 'Record an upfront approval');
} finally {
  await browser?.close();
  await stack.stop();
}
