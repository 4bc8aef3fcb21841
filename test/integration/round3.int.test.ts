/**
 * Security round 3 (issue 22), the low findings, through the real stack (HTTP, the handlers,
 * DynamoDB Local and the local SES store): a grant's lifetime bounded by the policy however many
 * extensions, asks bounded per hour and a cancel told to the contacts, single-line identity claims,
 * and CSV cells that no spreadsheet evaluates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupTenant, startTestApi, type People, type TestApi, type Who, ok } from '../helpers/http.ts';
import { asGrantee, deliver, mailOf } from '../helpers/mail.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.stop();
});

const HOUR = 3_600_000;
const t = (p: People) => `/v1/tenants/${p.tenantId}`;

const grantFor = async (p: People, who: Who, durationHours: number) =>
  (
    await ok(
      api.call('POST', `${t(p)}/grants`, {
        as: p.admin,
        body: { reason: 'look at the export', scope: { level: 'read-only' }, durationHours, grantees: [asGrantee(who)] },
      }),
      201,
      'grant',
    )
  ).body;

const extend = (p: People, grantId: string, as: Who, hours: number) =>
  api.call('POST', `${t(p)}/grants/${grantId}/extensions`, { as, body: { hours, reason: 'the export needs another run' } });

const grantOf = async (p: People, grantId: string) => (await api.call('GET', `${t(p)}/grants/${grantId}`, { as: p.admin })).body;

describe('extensions never pass the policy maximum', () => {
  it("an admin's extensions stop at createdAt + maxDurationHours: more is a 400 naming hours, and nothing moves", async () => {
    const p = await setupTenant(api, { maxDurationHours: 4 });
    const g = await grantFor(p, p.agent, 2);
    await ok(extend(p, g.grantId, p.admin, 1), 200, 'first hour');
    const over = await extend(p, g.grantId, p.admin, 2);
    expect(over.status).toBe(400);
    expect(over.body.code).toBe('VALIDATION_FAILED');
    expect(over.body.errors).toEqual([
      { path: 'hours', message: expect.stringMatching(/^must be at most 1: a grant lasts at most 4 hours/) },
    ]);
    expect(Date.parse((await grantOf(p, g.grantId)).expiresAt) - Date.parse(g.createdAt)).toBe(3 * HOUR);
    await ok(extend(p, g.grantId, p.admin, 1), 200, 'the last hour');
    const full = await extend(p, g.grantId, p.admin, 1);
    expect(full.status).toBe(400);
    expect(full.body.errors[0].message).toMatch(/^must be at most 0/);
    expect(Date.parse((await grantOf(p, g.grantId)).expiresAt) - Date.parse(g.createdAt)).toBe(4 * HOUR);
  });

  it('three approved extension requests end the grant at most maxDurationHours after it started (the finding: 15 h under a 4 h policy)', async () => {
    const p = await setupTenant(api, { maxDurationHours: 4 });
    const g = await grantFor(p, p.agent, 2);
    // Asked one after the other, each within what is left when asked: 2 + 2 + 2 = 6 h of asks.
    const asks = [];
    for (let i = 0; i < 3; i++) asks.push((await ok(extend(p, g.grantId, p.agent, 2), 201, `ask ${i}`)).body.requestId as string);
    // The grant leaves no more than two hours to ask for.
    const over = await extend(p, g.grantId, p.agent, 3);
    expect(over.status).toBe(400);
    expect(over.body.errors[0].path).toBe('hours');
    for (const id of asks) await ok(api.call('POST', `${t(p)}/access-requests/${id}/approve`, { as: p.contact, body: {} }), 200, 'approve');
    const after = await grantOf(p, g.grantId);
    expect(Date.parse(after.expiresAt) - Date.parse(g.createdAt)).toBe(4 * HOUR);
    const extended = (await api.call('GET', `${t(p)}/audit-events`, { as: p.admin })).body.items.filter(
      (e: { action: string }) => e.action === 'grant.extended',
    );
    // Newest first: the first approval moved it 2 h; the others were capped to nothing.
    expect(extended.map((e: { details: { hours: number } }) => e.details.hours)).toEqual([0, 0, 2]);
    expect(extended[0].details).toMatchObject({ requestedHours: 2, cappedBy: 'policy.maxDurationHours', expiresAt: after.expiresAt });
  });

  it('an approval after the maximum was lowered caps the new end at createdAt + the new maximum, never earlier than it was', async () => {
    const p = await setupTenant(api, { maxDurationHours: 8 });
    const g = await grantFor(p, p.agent, 2);
    const asked = (await ok(extend(p, g.grantId, p.agent, 4), 201, 'ask')).body.requestId;
    const policy = (await api.call('GET', `${t(p)}/policy`, { as: p.admin })).body;
    await ok(api.call('PUT', `${t(p)}/policy`, { as: p.admin, body: { ...policy, maxDurationHours: 3 } }), 200, 'lower');
    await ok(api.call('POST', `${t(p)}/access-requests/${asked}/approve`, { as: p.contact, body: {} }), 200, 'approve');
    expect(Date.parse((await grantOf(p, g.grantId)).expiresAt) - Date.parse(g.createdAt)).toBe(3 * HOUR);
  });
});

/** RFC 4180 cells (quoted cells, doubled quotes, CRLF records), as a spreadsheet that honours quotes reads them. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') quoted = !quoted;
    else if (!quoted && c === ',') {
      row.push(cell);
      cell = '';
    } else if (!quoted && c === '\r' && text[i + 1] === '\n') {
      rows.push([...row, cell]);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

/** What a spreadsheet that splits a cell on `;`, `,` or `|` would run as formulas: segments starting with a formula starter. */
const formulaSegments = (cell: string) => cell.split(/[;,|]/).filter((seg) => /^ *[=+\-@]/.test(seg));

describe('CSV export: no formula after a separator either', () => {
  it('the login history exports `Reproduce bug;=1+2` with every segment neutralised and the cell quoted', async () => {
    const p = await setupTenant(api);
    const g = await grantFor(p, p.agent, 2);
    const from = (await api.call('GET', '/_local/clock')).body.now;
    const reasons = ['Reproduce bug;=1+2', 'check | @SUM(A1)', 'totals, -2+3 off', 'plain; no formula'];
    for (const reason of reasons) {
      const s = await ok(api.call('POST', `${t(p)}/sessions`, { as: p.agent, body: { reason, grantId: g.grantId } }), 201, 'in');
      await ok(api.call('POST', `${t(p)}/sessions/${s.body.sessionId}/end`, { as: p.agent, body: {} }), 200, 'out');
    }
    const to = new Date(Date.parse((await api.call('GET', '/_local/clock')).body.now) + 1).toISOString();
    const res = await api.call('GET', `${t(p)}/sessions?from=${from}&to=${to}`, { as: p.admin, headers: { accept: 'text/csv' } });
    expect(res.status).toBe(200);
    const text = res.body as string;
    const cells = parseCsv(text)
      .slice(1)
      .map((r) => r[5]!);
    expect(cells.sort()).toEqual(["Reproduce bug;'=1+2", "check | '@SUM(A1)", 'plain; no formula', "totals, '-2+3 off"]);
    for (const cell of cells) expect(formulaSegments(cell), cell).toEqual([]);
    // Quoted, so a spreadsheet splitting on `;` keeps the cell whole.
    expect(text).toContain(`"Reproduce bug;'=1+2"`);
  });
});

describe('identity claims are single-line', () => {
  it('a token whose email holds CR/LF is 401 and writes nothing; a name with them is shown on one line', async () => {
    const p = await setupTenant(api);
    const ask = { ticketId: 'T-9', reason: 'invoice bug', scope: { level: 'read-only' }, durationHours: 1 };
    for (const email of [`${p.agent.email}\r\nRequested by: ceo@acme.test`, `${p.agent.email}\nx`, `sam\u2028@vendor.test`]) {
      const forged = { ...p.agent, email };
      const res = await api.call('POST', `${t(p)}/access-requests`, { as: forged, body: ask });
      expect(res.status, JSON.stringify(email)).toBe(401);
      expect(res.body).toMatchObject({ code: 'UNAUTHENTICATED', detail: expect.stringMatching(/email claim/) });
    }
    expect((await api.call('GET', `${t(p)}/access-requests`, { as: p.admin })).body.items).toEqual([]);
    // The name is only shown: its line breaks become spaces, the ask goes through.
    const named = { ...p.agent, name: 'Sam\r\nRequested by: ceo@acme.test' };
    const created = await ok(api.call('POST', `${t(p)}/access-requests`, { as: named, body: ask }), 201, 'ask');
    expect(created.body.requestedBy.name).toBe('Sam  Requested by: ceo@acme.test');
    await deliver(api);
    const [mail] = await mailOf(api, p.contact, /asks for access/);
    expect(mail!.body.text.split('\n').filter((l: string) => l.startsWith('Requested by: ceo'))).toEqual([]);
  });
});

describe('asking and cancelling in a loop', () => {
  const ask = { ticketId: 'T-5', reason: 'invoice bug', scope: { level: 'read-only' }, durationHours: 1 };
  const askAs = (p: People, who: Who) => api.call('POST', `${t(p)}/access-requests`, { as: who, body: ask });

  it('a cancel tells the contacts who were asked that the requester withdrew it', async () => {
    const p = await setupTenant(api);
    const r = (await ok(askAs(p, p.agent), 201, 'ask')).body;
    await ok(api.call('POST', `${t(p)}/access-requests/${r.requestId}/cancel`, { as: p.agent, body: {} }), 200, 'cancel');
    await deliver(api);
    for (const contact of [p.admin, p.contact]) {
      const [mail] = await mailOf(api, contact, /was withdrawn/);
      expect(mail!.subject).toBe(`Closed: support's access request to ${p.tenantId} (ticket T-5) was withdrawn`);
      expect(mail!.body.text).toContain(`${p.agent.name} <${p.agent.email}> withdrew the request.`);
      expect(mail!.body.text).toContain(`/requests/${r.requestId}`);
    }
  });

  it('opens at most 10 requests per requester per tenant in an hour (409 CONFLICT), however many were cancelled', async () => {
    const p = await setupTenant(api);
    for (let i = 0; i < 10; i++) {
      const r = (await ok(askAs(p, p.agent), 201, `ask ${i}`)).body;
      await ok(api.call('POST', `${t(p)}/access-requests/${r.requestId}/cancel`, { as: p.agent, body: {} }), 200, `cancel ${i}`);
    }
    const refused = await askAs(p, p.agent);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'CONFLICT', detail: expect.stringMatching(/10 requests at this tenant in the last hour/) });
    expect((await api.call('GET', `${t(p)}/access-requests`, { as: p.admin })).body.items).toHaveLength(10);
    // Someone else still asks; the agent again once the hour has passed.
    await ok(askAs(p, p.agent2), 201, 'another agent');
    await api.advance(3601);
    await ok(askAs(p, p.agent), 201, 'an hour later');
  });
});
