/**
 * The login history's filters (`GET /v1/tenants/{t}/sessions?from=&to=&accessedBy=`) through real
 * HTTP on DynamoDB Local: by sign-in time and by person, together, across pages, each read by a
 * key condition (nothing read that the answer leaves out), and bad input a 400 naming the field.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupTenant, startTestApi, type People, type TestApi } from '../helpers/http.ts';

/** Every Query's answer: how many items it read and how many it returned. */
const reads: { command: string; scanned: number; count: number; filtered: boolean }[] = [];
const watchReads = (client: DynamoDBClient) =>
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (context.commandName === 'QueryCommand') {
        const o = out.output as { ScannedCount?: number; Count?: number };
        reads.push({
          command: String(context.commandName),
          scanned: o.ScannedCount ?? 0,
          count: o.Count ?? 0,
          filtered: 'FilterExpression' in (args.input as object),
        });
      }
      return out;
    },
    { step: 'initialize', name: 'loginHistoryReads' },
  );

let api: TestApi;
let p: People;
const day = 24 * 3600;
/** Sign-in times of the three sessions: agent on day 0, agent2 on day 1, agent on day 2. */
const at: string[] = [];

beforeAll(async () => {
  api = await startTestApi({ onDynamoClient: watchReads });
  p = await setupTenant(api);
  const g = await api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
    as: p.admin,
    body: { reason: 'history', scope: { level: 'read-only' }, durationHours: 72 },
  });
  expect(g.status).toBe(201);
  for (const [i, who] of [p.agent, p.agent2, p.agent].entries()) {
    if (i > 0) await api.advance(day);
    const s = await api.call('POST', `/v1/tenants/${p.tenantId}/sessions`, { as: who, body: { reason: `day ${i}` } });
    expect(s.status).toBe(201);
    at.push(s.body.signInAt as string);
  }
});
afterAll(async () => api?.stop());

const history = (query: string) => api.call('GET', `/v1/tenants/${p.tenantId}/sessions${query}`, { as: p.admin });
const reasons = (res: { body: { items: { reason: string }[] } }) => res.body.items.map((s) => s.reason);
const hour = (iso: string, hours: number) => new Date(Date.parse(iso) + hours * 3600_000).toISOString();

describe('the login history filtered', () => {
  it('by sign-in time: from is inclusive and to exclusive (as the CSV export), either may be left out', async () => {
    // Act
    const middle = await history(`?from=${hour(at[1]!, -1)}&to=${hour(at[1]!, 1)}`);
    const exact = await history(`?from=${at[1]}&to=${hour(at[1]!, 1 / 3600_000)}`);
    const endsAt = await history(`?from=${hour(at[1]!, -1)}&to=${at[1]}`);
    const since = await history(`?from=${hour(at[1]!, -1)}`);
    const until = await history(`?to=${hour(at[1]!, 1)}`);
    // Assess
    expect(middle.status).toBe(200);
    expect(reasons(middle)).toEqual(['day 1']);
    expect(reasons(exact)).toEqual(['day 1']);
    expect(reasons(endsAt)).toEqual([]);
    expect(reasons(since)).toEqual(['day 2', 'day 1']);
    expect(reasons(until)).toEqual(['day 1', 'day 0']);
  });

  it('by person, in any letter case, alone or with dates', async () => {
    // Act
    const agent = await history(`?accessedBy=${encodeURIComponent(p.agent.email.toUpperCase())}`);
    const agentLate = await history(`?accessedBy=${encodeURIComponent(p.agent.email)}&from=${hour(at[0]!, 1)}`);
    const nobody = await history(`?accessedBy=nobody%40vendor.test`);
    // Assess
    expect(reasons(agent)).toEqual(['day 2', 'day 0']);
    expect(agent.body.items.every((s: { accessedBy: { email: string } }) => s.accessedBy.email === p.agent.email)).toBe(true);
    expect(reasons(agentLate)).toEqual(['day 2']);
    expect(nobody.body).toEqual({ items: [], nextCursor: null });
  });

  it('pages through the filtered list with its cursor, and reads only what it answers', async () => {
    // Prepare
    reads.length = 0;
    // Act
    const first = await history(`?limit=1&accessedBy=${encodeURIComponent(p.agent.email)}`);
    const second = await history(
      `?limit=1&accessedBy=${encodeURIComponent(p.agent.email)}&cursor=${encodeURIComponent(first.body.nextCursor)}`,
    );
    const dated = await history(`?limit=1&from=${hour(at[0]!, 1)}`);
    const datedNext = await history(`?limit=1&from=${hour(at[0]!, 1)}&cursor=${encodeURIComponent(dated.body.nextCursor)}`);
    // Assess
    expect([...reasons(first), ...reasons(second)]).toEqual(['day 2', 'day 0']);
    expect(second.body.nextCursor).toBeNull();
    expect([...reasons(dated), ...reasons(datedNext)]).toEqual(['day 2', 'day 1']);
    expect(datedNext.body.nextCursor).toBeNull();
    // A key condition, not a filter: every item read is answered (or is the one read past the page).
    expect(reads.length).toBeGreaterThan(0);
    for (const r of reads) {
      expect(r.filtered).toBe(false);
      expect(r.scanned).toBe(r.count);
    }
    expect(reads.reduce((n, r) => n + r.scanned, 0)).toBeLessThanOrEqual(4 + 2);
  });

  it("refuses another filter's cursor: each cursor belongs to its filters", async () => {
    // Prepare
    const unfiltered = await history('?limit=1');
    const byPerson = await history(`?limit=1&accessedBy=${encodeURIComponent(p.agent.email)}`);
    // Act
    const swapped = await history(
      `?limit=1&accessedBy=${encodeURIComponent(p.agent.email)}&cursor=${encodeURIComponent(unfiltered.body.nextCursor)}`,
    );
    const other = await history(
      `?limit=1&accessedBy=${encodeURIComponent(p.agent2.email)}&cursor=${encodeURIComponent(byPerson.body.nextCursor)}`,
    );
    const dropped = await history(`?limit=1&cursor=${encodeURIComponent(byPerson.body.nextCursor)}`);
    // Assess
    for (const res of [swapped, other, dropped]) {
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain('cursor');
    }
  });

  it.each([
    ['?from=yesterday', 'query.from'],
    ['?from=2026-12-01', 'query.from'],
    ['?to=2026-12-01T10:00:00%2B01:00', 'query.to'],
    ['?from=2026-12-02T00:00:00.000Z&to=2026-12-01T00:00:00.000Z', 'query.to'],
    ['?accessedBy=sam', 'query.accessedBy'],
    ['?accessedBy=', 'query.accessedBy'],
    ['?person=sam%40vendor.test', 'query.person'],
  ])('%s → 400 naming %s, and changes nothing', async (query, path) => {
    // Prepare
    const before = await history('?limit=100');
    // Act
    const res = await history(query);
    // Assess
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await history('?limit=100')).toMatchObject({ status: 200, body: before.body });
  });

  it('is still the login history of one tenant: a foreign tenant admin gets 404', async () => {
    // Prepare
    const other = await setupTenant(api);
    // Act
    const res = await api.call('GET', `/v1/tenants/${p.tenantId}/sessions?accessedBy=${encodeURIComponent(p.agent.email)}`, {
      as: other.admin,
    });
    // Assess
    expect(res.status).toBe(404);
  });
});
