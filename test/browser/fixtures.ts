/**
 * What the browser tests share: the stack the global setup started, fresh tenants and people,
 * setup through the API (what a test is not about), the local sign-in page, the local inbox, and
 * axe-core. Pages are driven by what people see: roles and visible names (web/README.md).
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test as base, type Browser, type Page } from '@playwright/test';
import { localToken, type Mail, people, type People, TEST_POLICY, type Who as Person } from '../helpers/people.ts';

export type { Mail, Person };

const stackUrl = () => {
  const url = process.env.BROWSER_STACK_URL;
  if (!url) throw new Error('BROWSER_STACK_URL is not set: run through `npx playwright test` (its global setup starts the stack)');
  return url;
};
const sesUrl = () => process.env.BROWSER_SES_URL!;

export { people, type People };

export const tokenFor = (who: Person): Promise<string> => localToken(stackUrl(), who);

/** One API call as `who` (setup and checks only: what a test is about happens in the browser). */
export async function call<T = any>(who: Person, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stackUrl()}${path}`, {
    method,
    headers: { authorization: `Bearer ${await tokenFor(who)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** A tenant with the admin and the two contacts on file and the given policy. */
export async function setupTenant(policy: Record<string, unknown> = {}): Promise<People> {
  const p = people();
  for (const c of [p.admin, p.contact, p.contact2]) {
    const res = await call(p.admin, 'PUT', `/v1/tenants/${p.tenantId}/contacts/${encodeURIComponent(c.email)}`, { name: c.name });
    if (res.status !== 201) throw new Error(`contact setup failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const full = { ...TEST_POLICY, ...policy };
  const res = await call(p.admin, 'PUT', `/v1/tenants/${p.tenantId}/policy`, full);
  if (res.status !== 200) throw new Error(`policy setup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return p;
}

/** Every email the local SES server holds for an address (`GET /store`), oldest first. */
export async function inbox(to: string): Promise<Mail[]> {
  const res = await fetch(`${sesUrl()}/store`);
  const { emails } = (await res.json()) as { emails: Mail[] };
  return emails.filter((m) => m.destination.to.map((a) => a.toLowerCase()).includes(to.toLowerCase()));
}

/** The newest email to `to` whose subject matches, waiting for it a little. */
export async function mailTo(to: string, subject: RegExp): Promise<Mail> {
  let found: Mail | undefined;
  await expect
    .poll(
      async () => {
        found = (await inbox(to)).filter((m) => subject.test(m.subject)).at(-1);
        return found?.subject;
      },
      { message: `an email to ${to} with a subject like ${subject}`, timeout: 10_000 },
    )
    .toMatch(subject);
  return found!;
}

/** The console links of an email's text part (`{appBaseUrl}/...`). */
export function linksIn(mail: Mail): string[] {
  return [...mail.body.text.matchAll(/https?:\/\/[^\s<>"')]+/g)].map((m) => m[0]).filter((u) => u.includes('/app/'));
}

export const appUrl = (path = '') => `${stackUrl()}/app${path}`;

/**
 * Signs in on the local sign-in page: a demo person by their button, anyone else through the form
 * ("Any other person"). With `next`, the page goes there afterwards; without, home.
 */
export async function signIn(page: Page, who: Person, next?: string): Promise<void> {
  if (!page.url().includes('/app/sign-in')) {
    await page.goto(appUrl(`/sign-in${next ? `?next=${encodeURIComponent(next)}` : ''}`));
  }
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await fillSignInForm(page, who);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeHidden();
}

export async function fillSignInForm(page: Page, who: Person): Promise<void> {
  await page.getByLabel('User id (sub)').fill(who.sub);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Name', { exact: true }).fill(who.name);
  if (who.tenantId) await page.getByLabel('Tenant id').fill(who.tenantId);
  await page.getByRole('button', { name: /Groups|Choose roles/ }).click();
  for (const g of who.groups) await page.getByRole('option', { name: g }).click();
  await page.keyboard.press('Escape');
}

/** Signs out through the top navigation. */
export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
}

/** A page of a fresh browser context (nothing shared with another person's session). */
export async function freshPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  return context.newPage();
}

type AxePage = ConstructorParameters<typeof AxeBuilder>[0]['page'];

/** axe-core, WCAG 2.0/2.1 A and AA: the violations, summarised so a failure says what and where. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  // @axe-core/playwright brings its own playwright-core (a peer range); it only calls the page's
  // public methods, so the Page of @playwright/test's copy serves it.
  const results = await new AxeBuilder({ page: page as unknown as AxePage })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return results.violations.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help} at ${v.nodes
        .map((n) => n.target.join(' '))
        .slice(0, 3)
        .join(' | ')}`,
  );
}

/** Fails the test on a JavaScript error or a failed console call in the page. */
export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ context }, use) => {
      const errors: string[] = [];
      context.on('page', (p) => p.on('pageerror', (e) => errors.push(String(e))));
      await use(errors);
    },
    { auto: true },
  ],
});
export { expect };
