/**
 * Sealing the audit trail through the real stack: the job links each tenant's events into its hash
 * chain in order, goes on from the head, and two sealers at once never seal an event twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealAuditTrail } from '../../lambdas/modules/audit/chain.ts';
import type { AuditChainStore } from '../../lambdas/kernel/ports.ts';
import { sealedHistory } from '../helpers/audit-history.ts';
import { setupTenant, startTestApi, type People, type TestApi } from '../helpers/http.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.stop());

const verify = (p: People) => api.call('GET', `/v1/tenants/${p.tenantId}/audit-events/verify?full=true`, { as: p.admin });
const runJob = () => api.call('POST', '/_local/jobs/expire');
const tenantWithHistory = () => sealedHistory(api);

/**
 * The store the sealers share, with a meeting point: a sealer that reads `tenantId`'s chain head
 * waits there until `n` sealers have read it, so they all seal from the same head.
 */
function meetingAtTheHead(store: AuditChainStore, tenantId: string, n: number): AuditChainStore {
  let arrived = 0;
  let allThere!: () => void;
  const met = new Promise<void>((r) => (allThere = r));
  return {
    unsealedAudit: (shard, after, limit) => store.unsealedAudit(shard, after, limit),
    dueDeferredAudit: (...args) => store.dueDeferredAudit(...args),
    chainHead: async (t) => {
      const head = await store.chainHead(t);
      if (t === tenantId && arrived < n) {
        if (++arrived === n) allThere();
        await met;
      }
      return head;
    },
    sealAudit: (t, expected, links, head) => store.sealAudit(t, expected, links, head),
    allAudit: (t) => store.allAudit(t),
  };
}

describe('sealing', () => {
  it('links every event of a tenant, in order, and the verification says the chain is whole', async () => {
    // Prepare
    const p = await setupTenant(api);
    await api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
      as: p.admin,
      body: { reason: 'r', scope: { level: 'full' }, durationHours: 2 },
    });
    const before = await verify(p);
    // Act
    const job = await runJob();
    const after = await verify(p);
    const rerun = await runJob();
    // Assess: written but not sealed, then sealed once; a rerun seals nothing of this tenant again
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ valid: true, sealed: 0, head: null });
    expect(before.body.unsealed).toBe(before.body.events);
    expect(job.body.audit.sealed).toBeGreaterThanOrEqual(after.body.sealed);
    expect(after.body).toMatchObject({ tenantId: p.tenantId, valid: true, unsealed: 0, problems: [] });
    expect(after.body.sealed).toBe(after.body.events);
    expect(after.body.head).toMatchObject({ seq: after.body.events });
    expect(after.body.head.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rerun.status).toBe(200);
    expect((await verify(p)).body.head).toEqual(after.body.head);
  });

  it('keeps extending the chain: events after a seal get the next positions', async () => {
    // Prepare
    const { p } = await tenantWithHistory();
    const first = await verify(p);
    // Act
    await api.call('PUT', `/v1/tenants/${p.tenantId}/policy`, {
      as: p.admin,
      body: { maxDurationHours: 24, allowStandingAccess: false, approvalsRequired: 1, requestTtlHours: 12, notifyOnSignIn: false },
    });
    await runJob();
    const second = await verify(p);
    // Assess
    expect(second.body).toMatchObject({ valid: true, sealed: first.body.sealed + 1, unsealed: 0 });
    expect(second.body.head.seq).toBe(first.body.head.seq + 1);
  });

  it('two sealers at once: one moves the head, the other backs off, and nothing is sealed twice', async () => {
    // Prepare
    const p = await setupTenant(api);
    for (let i = 0; i < 3; i++) {
      await api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
        as: p.admin,
        body: { reason: `r${i}`, scope: { level: 'read-only' }, durationHours: 1 },
      });
    }
    // The three meet at this tenant's head: each has read it before any writes, however busy the machine.
    const deps = { chain: meetingAtTheHead(api.stack.runtime.store, p.tenantId, 3), clock: api.stack.clock, key: 'local-only-audit-key' };
    // Act
    const reports = await Promise.all([sealAuditTrail(deps), sealAuditTrail(deps), sealAuditTrail(deps)]);
    await runJob();
    const result = await verify(p);
    // Assess: one sealed the tenant from that head, the other two found it moved
    expect(reports.map((r) => r.heads.filter((h) => h.tenantId === p.tenantId).length).sort()).toEqual([0, 0, 1]);
    expect(reports.reduce((n, r) => n + r.conflicts, 0)).toBeGreaterThanOrEqual(2);
    expect(result.body).toMatchObject({ valid: true, unsealed: 0, problems: [] });
    expect(result.body.head.seq).toBe(result.body.events);
  });
});
