/**
 * The emails and the login history at the awkward hours, every run: stacks whose clocks start at
 * 23:50 UTC (Prague already on the next day; midnight UTC passes during the test) and ten minutes
 * before each of the EU's clock changes (the hour Prague lives twice, the hour it skips). Only the
 * stack's clock is moved: the ID tokens keep real time, as API Gateway checks them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { documentClient } from '../../lambdas/runtime/clients.ts';
import { localDynamoClient } from '../../local/dynamodb.ts';
import { setupTenant, startTestApi, type TestApi, ok } from '../helpers/http.ts';
import { lifecycleOf, t } from '../helpers/lifecycle.ts';
import { deliver, onlyMail, shownPragueTime } from '../helpers/mail.ts';

const doc = documentClient(localDynamoClient(inject('dynamoEndpoint')));
afterAll(() => doc.destroy());

describe.each([
  ['23:50 UTC, Prague past midnight', '2026-12-07T23:50:00Z'],
  ['just before Prague goes back from 03:00 CEST to 02:00 CET', '2026-10-25T00:50:00Z'],
  ['just before Prague skips from 02:00 CET to 03:00 CEST', '2027-03-28T00:50:00Z'],
])('with the clock started at %s (%s)', (_what, start) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ clockStart: start });
  });
  afterAll(async () => {
    await api?.stop();
  });
  const { grantFor, runJob, state } = lifecycleOf(() => api, doc);

  it('starts the stack there', async () => {
    const now = Date.parse((await ok(api.call('GET', '/_local/clock'), 200, 'clock')).body.now);
    // The clock runs on from its start at real speed: the minutes the setup took, no more.
    expect(now).toBeGreaterThanOrEqual(Date.parse(start));
    expect(now).toBeLessThan(Date.parse(start) + 5 * 60_000);
  });

  it('warns the grantee of the end as Prague reads it, in the subject and the text', async () => {
    const p = await setupTenant(api, { expiryWarningMinutes: 30, timeZone: 'Europe/Prague' });
    const g = await grantFor(p, p.agent, 1);
    await api.advance(31 * 60);
    expect((await runJob()).grantsWarned).toBeGreaterThanOrEqual(1);
    await deliver(api);
    const warning = await onlyMail(api, p.agent, /access to .* ends/);
    expect(warning.subject).toContain(shownPragueTime(g.expiresAt));
    expect(warning.body.text).toContain(`ends ${shownPragueTime(g.expiresAt)}`);
  });

  it("sends the contacts a digest whose sign-in and sign-out read in Prague's time, across midnight UTC", async () => {
    const p = await setupTenant(api, { timeZone: 'Europe/Prague' });
    const g = await grantFor(p, p.agent);
    const s = await ok(api.call('POST', `${t(p)}/sessions`, { as: p.agent, body: { reason: 'late look', grantId: g.grantId } }), 201, 'in');
    await api.advance(20 * 60);
    await ok(api.call('POST', `${t(p)}/sessions/${s.body.sessionId}/end`, { as: p.agent, body: {} }), 200, 'out');
    await ok(api.call('POST', `${t(p)}/grants/${g.grantId}/revoke`, { as: p.admin, body: { reason: 'done' } }), 200, 'revoke');
    await deliver(api);
    const digest = await onlyMail(api, p.contact, /revoked: 1 session, 20 min/);
    const session = (await state(p)).sessions.find((x) => x.sessionId === s.body.sessionId)!;
    expect(digest.body.text).toContain(shownPragueTime(session.signInAt));
    expect(digest.body.text).toContain(shownPragueTime(session.signOutAt!));
  });

  it('exports the login history of a window that spans the hour, each session in the window it falls in', async () => {
    const p = await setupTenant(api);
    const g = await grantFor(p, p.agent, 4);
    const at = async () => (await api.call('GET', '/_local/clock')).body.now as string;
    const from = await at();
    const first = await ok(
      api.call('POST', `${t(p)}/sessions`, { as: p.agent, body: { reason: 'before', grantId: g.grantId } }),
      201,
      'in',
    );
    await api.advance(30 * 60);
    await ok(api.call('POST', `${t(p)}/sessions/${first.body.sessionId}/end`, { as: p.agent, body: {} }), 200, 'out');
    const middle = await at();
    await api.advance(1);
    const second = await ok(
      api.call('POST', `${t(p)}/sessions`, { as: p.agent, body: { reason: 'after', grantId: g.grantId } }),
      201,
      'in',
    );
    const to = await at();
    const csv = async (a: string, b: string) =>
      (await ok(api.call('GET', `${t(p)}/sessions?from=${a}&to=${b}`, { as: p.admin, headers: { accept: 'text/csv' } }), 200, 'csv'))
        .body as string;
    const ids = (text: string) =>
      text
        .split('\r\n')
        .slice(1)
        .filter(Boolean)
        .map((row) => row.split(',')[0]);
    expect(ids(await csv(from, to))).toEqual([second.body.sessionId, first.body.sessionId]);
    expect(ids(await csv(from, middle))).toEqual([first.body.sessionId]);
    expect(ids(await csv(middle, to))).toEqual([second.body.sessionId]);
  });
});
