/**
 * Races on a grant's extensions through the real stack: approvals, revokes, admin extensions and
 * the expiry job at once, each with exactly one consistent outcome.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { documentClient } from '../../lambdas/runtime/clients.ts';
import { localDynamoClient } from '../../local/dynamodb.ts';
import { setupTenant, startTestApi, type TestApi, ok } from '../helpers/http.ts';
import { expectConsistent, HOUR, lifecycleOf, t } from '../helpers/lifecycle.ts';

let api: TestApi;
const doc = documentClient(localDynamoClient(inject('dynamoEndpoint')));
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.stop();
  doc.destroy();
});
const { grantFor, extend, runJob, state } = lifecycleOf(() => api, doc);

describe('races on extensions: exactly one consistent outcome each', () => {
  const ROUNDS = [1, 2, 3];

  it.each(ROUNDS)('an extension approved while the grant is revoked (#%i)', async () => {
    // Prepare
    const p = await setupTenant(api);
    const g = await grantFor(p, p.agent);
    const asked = await ok(extend(p, g.grantId, p.agent), 201, 'ask');
    await Promise.all([p.admin, p.contact, p.lead].map((w) => api.token(w)));
    // Act
    const [approve, revoke, revoke2] = await Promise.all([
      api.call('POST', `${t(p)}/access-requests/${asked.body.requestId}/approve`, { as: p.contact, body: {} }),
      api.call('POST', `${t(p)}/grants/${g.grantId}/revoke`, { as: p.admin, body: { reason: 'race' } }),
      api.call('POST', `${t(p)}/grants/${g.grantId}/revoke`, { as: p.lead, body: { reason: 'race' } }),
    ]);
    // Assess: one revoke won; the approval either moved the grant before it ended, or lapsed with it.
    expect([revoke.status, revoke2.status].sort()).toEqual([200, 409]);
    const s = await state(p);
    expectConsistent(s);
    const r = s.requests.find((x) => x.requestId === asked.body.requestId)!;
    const grant = s.grants.find((x) => x.grantId === g.grantId)!;
    expect(grant.status).toBe('REVOKED');
    if (approve.status === 200) {
      expect(r.status).toBe('APPROVED');
      expect(Date.parse(grant.expiresAt) - Date.parse(g.expiresAt)).toBe(2 * HOUR);
    } else {
      expect(approve.status).toBe(409);
      expect(r.status).toBe('EXPIRED');
      expect(grant.expiresAt).toBe(g.expiresAt);
    }
  });

  it.each(ROUNDS)('an extension approved as the grant expires, with the expiry job running (#%i)', async () => {
    // Prepare: the grant falls due while the calls race.
    const p = await setupTenant(api);
    const g = await grantFor(p, p.agent, 1);
    const asked = await ok(extend(p, g.grantId, p.agent), 201, 'ask');
    await api.token(p.contact);
    const now = Date.parse((await api.call('GET', '/_local/clock')).body.now);
    await api.advance((Date.parse(g.expiresAt) - now) / 1000 - 0.2);
    // Act
    const [approve] = await Promise.all([
      api.call('POST', `${t(p)}/access-requests/${asked.body.requestId}/approve`, { as: p.contact, body: {} }),
      // The job runs as the approval goes in; once it has answered, the end has surely passed: again.
      api
        .call('POST', '/_local/jobs/expire')
        .then(() => api.advance(0.5))
        .then(() => api.call('POST', '/_local/jobs/expire')),
    ]);
    await runJob();
    // Assess
    const s = await state(p);
    expectConsistent(s);
    const r = s.requests.find((x) => x.requestId === asked.body.requestId)!;
    const grant = s.grants.find((x) => x.grantId === g.grantId)!;
    if (approve.status === 200) {
      expect(r.status).toBe('APPROVED');
      expect(grant.status).toBe('ACTIVE');
      expect(Date.parse(grant.expiresAt) - Date.parse(g.expiresAt)).toBe(2 * HOUR);
    } else {
      expect(approve.status).toBe(409);
      expect(r.status).toBe('EXPIRED');
      expect(grant).toMatchObject({ status: 'EXPIRED', expiresAt: g.expiresAt });
    }
  });

  it.each(ROUNDS)('two extensions of one grant approved together, and an admin extending meanwhile (#%i)', async () => {
    // Prepare
    const p = await setupTenant(api);
    const g = await grantFor(p, p.agent);
    const a = await ok(extend(p, g.grantId, p.agent, 1), 201, 'agent asks');
    const b = await ok(extend(p, g.grantId, p.lead, 2), 201, 'lead asks');
    await Promise.all([p.admin, p.contact].map((w) => api.token(w)));
    // Act
    const answers = await Promise.all([
      api.call('POST', `${t(p)}/access-requests/${a.body.requestId}/approve`, { as: p.contact, body: {} }),
      api.call('POST', `${t(p)}/access-requests/${b.body.requestId}/approve`, { as: p.admin, body: {} }),
      api.call('POST', `${t(p)}/access-requests/${a.body.requestId}/approve`, { as: p.admin, body: {} }),
      extend(p, g.grantId, p.admin, 4),
    ]);
    // Assess: each request approved once; every extension moved the end it read, none lost.
    expect(answers.map((x) => x.status).sort()).toEqual([200, 200, 200, 409]);
    const s = await state(p);
    expectConsistent(s);
    expect(s.requests.map((x) => x.status)).toEqual(['APPROVED', 'APPROVED']);
    expect(s.grants).toHaveLength(1);
    expect(Date.parse(s.grants[0]!.expiresAt) - Date.parse(g.expiresAt)).toBe(7 * HOUR);
  });
});
