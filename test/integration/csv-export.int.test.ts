/**
 * The CSV export of the login history and the audit trail through the real stack: a window, RFC
 * 4180 cells, formula cells neutralised and bad windows refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { documentClient } from '../../lambdas/runtime/clients.ts';
import { localDynamoClient } from '../../local/dynamodb.ts';
import { setupTenant, startTestApi, type TestApi, ok } from '../helpers/http.ts';
import { lifecycleOf, t } from '../helpers/lifecycle.ts';

let api: TestApi;
const doc = documentClient(localDynamoClient(inject('dynamoEndpoint')));
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.stop();
  doc.destroy();
});
const { grantFor } = lifecycleOf(() => api, doc);

describe('CSV export of the login history and the audit trail', () => {
  /** Parses RFC 4180 text (quoted cells, doubled quotes, CRLF records). */
  function parseCsv(text: string): string[][] {
    const rows: string[][] = [];
    let row: string[] = [];
    let cell = '';
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') {
          cell += '"';
          i++;
        } else if (c === '"') quoted = false;
        else cell += c;
      } else if (c === '"') quoted = true;
      else if (c === ',') {
        row.push(cell);
        cell = '';
      } else if (c === '\r' && text[i + 1] === '\n') {
        row.push(cell);
        rows.push(row);
        row = [];
        cell = '';
        i++;
      } else cell += c;
    }
    return rows;
  }

  it('answers every session of the window as CSV, newest first, with a header row, formula cells neutralised', async () => {
    const p = await setupTenant(api);
    const g = await grantFor(p, p.agent);
    const from = (await api.call('GET', '/_local/clock')).body.now;
    const reasons = ['=HYPERLINK("http://evil")', 'plain, with "quotes"', '+1 call', '-rm', '@SUM(A1)'];
    for (const reason of reasons) {
      const s = await ok(api.call('POST', `${t(p)}/sessions`, { as: p.agent, body: { reason, grantId: g.grantId } }), 201, 'in');
      await api.advance(60);
      await ok(api.call('POST', `${t(p)}/sessions/${s.body.sessionId}/end`, { as: p.agent, body: {} }), 200, 'out');
    }
    const to = (await api.call('GET', '/_local/clock')).body.now;
    // One more, after the window: not exported.
    await ok(api.call('POST', `${t(p)}/sessions`, { as: p.agent, body: { reason: 'later', grantId: g.grantId } }), 201, 'later');
    const res = await api.call('GET', `${t(p)}/sessions?from=${from}&to=${to}`, { as: p.admin, headers: { accept: 'text/csv' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename=".*\.csv"/);
    const rows = parseCsv(res.body as string);
    expect(rows[0]).toEqual([
      'sessionId',
      'grantId',
      'accessedById',
      'accessedByEmail',
      'accessedByName',
      'reason',
      'signInAt',
      'signOutAt',
      'endedBy',
      'grantedByEmail',
      'sourceIp',
      'userAgent',
    ]);
    expect(rows.slice(1).map((r) => r[5])).toEqual(
      ['\'=HYPERLINK("http://evil")', 'plain, with "quotes"', "'+1 call", "'-rm", "'@SUM(A1)"].reverse(),
    );
    expect(rows.slice(1).every((r) => r[1] === g.grantId && r[3] === p.agent.email && r[8] === 'agent')).toBe(true);
    // The JSON list takes the same window.
    const json = await api.call('GET', `${t(p)}/sessions?from=${from}&to=${to}`, { as: p.admin });
    expect(json.body.items).toHaveLength(5);
    // And the same person filter: the CSV of someone else's sign-ins is the header alone.
    for (const [who, lines] of [
      [p.agent.email, 6],
      [p.agent2.email, 1],
    ] as const) {
      const one = await api.call('GET', `${t(p)}/sessions?from=${from}&to=${to}&accessedBy=${encodeURIComponent(who)}`, {
        as: p.admin,
        headers: { accept: 'text/csv' },
      });
      expect(parseCsv(one.body as string), who).toHaveLength(lines);
    }
  });

  it('exports the audit trail of a window; refuses a CSV without its window or over 366 days, and a wrong window, naming the field', async () => {
    const p = await setupTenant(api);
    const from = new Date(Date.parse((await api.call('GET', '/_local/clock')).body.now) - 3_600_000).toISOString();
    await grantFor(p, p.agent);
    const to = new Date(Date.parse((await api.call('GET', '/_local/clock')).body.now) + 1).toISOString();
    const res = await api.call('GET', `${t(p)}/audit-events?from=${from}&to=${to}`, { as: p.lead, headers: { accept: 'text/csv' } });
    expect(res.status).toBe(200);
    const rows = parseCsv(res.body as string);
    expect(rows[0]).toEqual(['eventId', 'at', 'actorId', 'actorEmail', 'actorName', 'action', 'targetId', 'details']);
    expect(rows.slice(1).map((r) => r[5])).toEqual(['grant.activated', 'contact.added', 'contact.added']);
    for (const [query, field] of [
      ['', 'query.from'],
      [`?from=${from}`, 'query.to'],
      [`?from=2025-01-01T00:00:00.000Z&to=2026-01-03T00:00:00.000Z`, 'query.to'],
      [`?from=${to}&to=${from}`, 'query.to'],
      [`?from=yesterday&to=${to}`, 'query.from'],
    ]) {
      const bad = await api.call('GET', `${t(p)}/audit-events${query}`, { as: p.admin, headers: { accept: 'text/csv' } });
      expect(bad.status, query).toBe(400);
      expect(
        bad.body.errors.map((e: { path: string }) => e.path),
        query,
      ).toContain(field);
    }
    // A support agent may not export (the route's roles, as for the JSON list).
    expect((await api.call('GET', `${t(p)}/sessions?from=${from}&to=${to}`, { as: p.agent, headers: { accept: 'text/csv' } })).status).toBe(
      403,
    );
  });
});
