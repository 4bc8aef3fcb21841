/**
 * Long lists page: an agent with more requests than one page (at two tenants) pages through
 * *My requests* and filters it by status; a grant with more sessions than one page shows them
 * page by page on the grant's page. The data is made through the API; what is checked is what the
 * console shows.
 */
import { call, expect, freshPage, setupTenant, signIn, test, type People, type Person } from './fixtures.ts';

const PAGE = 25;

async function ask(p: People, who: Person, ticketId: string): Promise<string> {
  const res = await call(who, 'POST', `/v1/tenants/${p.tenantId}/access-requests`, {
    ticketId,
    reason: 'Invoice export fails',
    scope: { level: 'read-only' },
    durationHours: 2,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.requestId as string;
}

test('an agent with more requests than one page pages through My requests, newest first, and filters them by status', async ({
  browser,
}) => {
  // Prepare: 28 requests by one agent at three tenants (each cancelled but the last two, as at most
  // five wait at once; at most ten a tenant, the hour's ask budget), then one by another agent.
  const [a, b, c] = [await setupTenant(), await setupTenant(), await setupTenant()];
  const agent = a.agent;
  const made: string[] = [];
  for (let i = 0; i < PAGE + 3; i++) {
    const p = [a, b, c][i % 3]!;
    const ticket = `PG-${String(i).padStart(2, '0')}`;
    const id = await ask(p, agent, ticket);
    made.push(ticket);
    if (i < PAGE + 1) {
      const res = await call(agent, 'POST', `/v1/tenants/${p.tenantId}/access-requests/${id}/cancel`);
      expect(res.status).toBe(200);
    }
  }
  await ask(a, a.lead, 'NOT-MINE');
  const newestFirst = [...made].reverse();
  const page = await freshPage(browser);
  // Act: the support page, My requests.
  await signIn(page, agent, '/app/support');
  const table = page.locator('table').filter({ has: page.getByRole('columnheader', { name: 'Ticket' }) });
  await expect(page.getByRole('heading', { name: 'My requests' })).toBeVisible();
  await expect(table.getByRole('link', { name: newestFirst[0]! })).toBeVisible();
  // Assess: the first page is the newest 25, at both tenants; the next page has the rest.
  await expect(table.getByRole('row')).toHaveCount(PAGE + 1);
  expect(await table.getByRole('link').allTextContents()).toEqual(newestFirst.slice(0, PAGE));
  await expect(table.getByRole('cell', { name: a.tenantId, exact: true }).first()).toBeVisible();
  await expect(table.getByRole('cell', { name: b.tenantId, exact: true }).first()).toBeVisible();
  await page.getByRole('button', { name: 'Next page' }).click();
  await expect(table.getByRole('link', { name: 'PG-00' })).toBeVisible();
  expect(await table.getByRole('link').allTextContents()).toEqual(newestFirst.slice(PAGE));
  await expect(page.getByText('NOT-MINE')).toHaveCount(0);
  await page.getByRole('button', { name: 'Previous page' }).click();
  await expect(table.getByRole('link', { name: newestFirst[0]! })).toBeVisible();
  // The status filter: Pending keeps the two still waiting, and goes back to the first page.
  await page.getByRole('button', { name: /Status/ }).click();
  await page.getByRole('option', { name: 'Pending' }).click();
  await expect(table.getByRole('row')).toHaveCount(3);
  expect(await table.getByRole('link').allTextContents()).toEqual(newestFirst.slice(0, 2));
  await expect(page.getByRole('button', { name: 'Next page' })).toBeDisabled();
  // Cancelling one from the filtered list leaves one.
  await table.getByRole('button', { name: 'Cancel request' }).first().click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel request' }).click();
  await expect(page.getByText(`Request for ${newestFirst[0]} cancelled.`)).toBeVisible();
  await expect(table.getByRole('row')).toHaveCount(2);
  expect(await table.getByRole('link').allTextContents()).toEqual([newestFirst[1]]);
});

test("a grant's page pages through its sessions, and shows no other grant's", async ({ browser }) => {
  // Prepare: 27 sessions under one support-team grant, one under another grant.
  const p = await setupTenant();
  const t = `/v1/tenants/${p.tenantId}`;
  const grant = await call(p.admin, 'POST', `${t}/grants`, { reason: 'Quarter close', scope: { level: 'read-only' }, durationHours: 8 });
  const other = await call(p.admin, 'POST', `${t}/grants`, { reason: 'Elsewhere', scope: { level: 'read-only' }, durationHours: 8 });
  const reasons: string[] = [];
  for (let i = 0; i < PAGE + 2; i++) {
    const reason = `Look ${String(i).padStart(2, '0')}`;
    const s = await call(p.agent, 'POST', `${t}/sessions`, { reason, grantId: grant.body.grantId });
    expect(s.status).toBe(201);
    expect((await call(p.agent, 'POST', `${t}/sessions/${s.body.sessionId}/end`)).status).toBe(200);
    reasons.push(reason);
  }
  const elsewhere = await call(p.agent, 'POST', `${t}/sessions`, { reason: 'Not this grant', grantId: other.body.grantId });
  expect(elsewhere.status).toBe(201);
  const newestFirst = [...reasons].reverse();
  const page = await freshPage(browser);
  // Act
  await signIn(page, p.admin, `/app/tenants/${p.tenantId}/grants/${grant.body.grantId}`);
  const sessions = page.locator('table').filter({ has: page.getByRole('columnheader', { name: 'How it ended' }) });
  await expect(sessions.getByRole('cell', { name: newestFirst[0]!, exact: true })).toBeVisible();
  // Assess
  await expect(sessions.getByRole('row')).toHaveCount(PAGE + 1);
  await expect(sessions.getByRole('cell', { name: 'Not this grant' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Next page' }).click();
  await expect(sessions.getByRole('cell', { name: 'Look 00', exact: true })).toBeVisible();
  await expect(sessions.getByRole('row')).toHaveCount(3);
  await expect(sessions.getByRole('cell', { name: newestFirst[0]!, exact: true })).toHaveCount(0);
});
