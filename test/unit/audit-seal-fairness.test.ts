/**
 * The sealer's fairness across tenants (issue 22): events that may not be sealed yet never stand
 * in front of due ones, and a run reads what is due, not what waits. Over the in-memory chain
 * store, which orders its two queues as the table's `SEAL#n` and `SEALAFTER#n` do.
 */
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../lambdas/contract/schemas.ts';
import { SEAL_TENANT_SHARE, sealAuditTrail, verifyAuditChain } from '../../lambdas/modules/audit/chain.ts';
import type { AuditChainStore } from '../../lambdas/kernel/ports.ts';
import { shardOf } from '../../lambdas/contract/table.ts';
import { createMemoryChain } from '../helpers/memory-chain.ts';
import { FakeClock } from '../helpers/clock.ts';

const base: AuditEvent = {
  eventId: '01JFAIR00000000000000000000',
  at: '2026-11-23T14:00:00.000Z',
  actor: { id: 'agent', email: 'agent@vendor.test', name: 'Agent' },
  action: 'session.denied',
  targetId: 'agent',
  details: { reason: 'probe', count: 1 },
};

function setup() {
  const clock = new FakeClock();
  const chain = createMemoryChain();
  let n = 0;
  const next = (tenantId: string): AuditEvent => {
    const at = clock.advanceMs(1).toISOString();
    return { ...base, eventId: `01JFAIR${String(++n).padStart(19, '0')}`, at, targetId: tenantId };
  };
  /** An event due the moment it is written. */
  const write = (tenantId: string) => {
    const e = next(tenantId);
    chain.append(tenantId, e);
    return e.eventId;
  };
  /** An event that may be sealed only `inMs` from now (a `session.denied` still counting). */
  const writeLater = (tenantId: string, inMs: number) => {
    const e = next(tenantId);
    chain.appendDeferred(tenantId, e, new Date(clock.now().getTime() + inMs).toISOString());
    return e.eventId;
  };
  /** Counts the events each of the sealer's reads hands back. */
  const read = { due: 0, deferred: 0 };
  const counting: AuditChainStore = {
    ...chain,
    unsealedAudit: async (shard, after, limit) => {
      const page = await chain.unsealedAudit(shard, after, limit);
      read.due += page.length;
      return page;
    },
    dueDeferredAudit: async (shard, now, page) => {
      const got = await chain.dueDeferredAudit(shard, now, page);
      read.deferred += got.items.length;
      return got;
    },
  };
  const deps = { chain: counting, clock, key: 'unit-test-key' };
  return { clock, chain, deps, write, writeLater, read };
}

/** `count` tenant ids of the shard of `tenantId`, made up as an attacker would. */
const tenantsOfShard = (tenantId: string, count: number, prefix = 'fake') => {
  const shard = shardOf(tenantId);
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) if (shardOf(`${prefix}-${i}`) === shard) out.push(`${prefix}-${i}`);
  return out;
};

describe('sealing is fair whatever waits in the shard', () => {
  it("520 tenants' events not due yet never hide another tenant's due events: the victim is sealed whole in one run", async () => {
    // Prepare: more not-yet-due events than a page holds, in the victim's shard, with ids that sort
    // before and after the victim's; then the victim's own events
    const { deps, write, writeLater, read } = setup();
    for (const t of tenantsOfShard('victim', 520, 'zz')) writeLater(t, 120_000);
    for (let i = 0; i < 3; i++) write('victim');
    // Act
    const report = await sealAuditTrail(deps);
    // Assess: the victim's chain whole, and not one waiting event read
    expect(await verifyAuditChain(deps, 'victim')).toMatchObject({ valid: true, unsealed: 0, sealed: 3 });
    expect(report.sealed).toBe(read.due);
    expect(read.deferred).toBe(0);
  });

  it('seals a waiting event once its time comes, after what its tenant sealed before, and not before', async () => {
    // Prepare: a counted refusal due in two minutes, then two ordinary events
    const { clock, deps, write, writeLater } = setup();
    const denied = writeLater('t1', 120_000);
    write('t1');
    write('t1');
    // Act: a run now, and one once the refusal is due
    const early = await sealAuditTrail(deps);
    const stillWaiting = await verifyAuditChain(deps, 't1');
    clock.advanceMs(120_000);
    const later = await sealAuditTrail(deps);
    const after = await verifyAuditChain(deps, 't1');
    // Assess
    expect(early.sealed).toBe(2);
    expect(stillWaiting).toMatchObject({ valid: true, sealed: 2, unsealed: 1 });
    expect(later).toMatchObject({ sealed: 1, tenants: 1, conflicts: 0 });
    expect(after).toMatchObject({ valid: true, sealed: 3, unsealed: 0, head: { seq: 3, eventId: denied } });
  });

  it('reads what is due, not what waits: 2,000 events not due yet cost a run nothing', async () => {
    // Prepare
    const { deps, write, writeLater, read } = setup();
    for (let i = 0; i < 2000; i++) writeLater(`w${i}`, 60_000 + i);
    write('q1');
    write('q2');
    // Act
    const report = await sealAuditTrail(deps);
    // Assess: the reads handed back the two due events and nothing else
    expect(report.sealed).toBe(2);
    expect(read).toEqual({ due: 2, deferred: 0 });
  });

  it('seals every due waiting event of a shard in one run, page after page, each tenant in its own chain', async () => {
    // Prepare: more due waiting events than a page holds, over many tenants of one shard
    const { clock, deps, writeLater } = setup();
    const tenants = tenantsOfShard('victim', SEAL_TENANT_SHARE + 20, 'busy');
    for (const t of tenants) writeLater(t, 1000);
    clock.advanceMs(1000);
    // Act
    const report = await sealAuditTrail(deps);
    // Assess
    expect(report).toMatchObject({ sealed: tenants.length, tenants: tenants.length, conflicts: 0 });
    for (const t of [tenants[0]!, tenants.at(-1)!]) expect(await verifyAuditChain(deps, t)).toMatchObject({ valid: true, sealed: 1 });
  });

  it("a tenant's share of a run counts both queues: it gets no more, and the others of its shard are sealed", async () => {
    // Prepare: a busy tenant with a share of due waiting events and more due ones, a quiet one
    const { clock, deps, write, writeLater } = setup();
    const [quiet] = tenantsOfShard('busy', 1, 'quiet');
    for (let i = 0; i < SEAL_TENANT_SHARE; i++) writeLater('busy', 1000);
    clock.advanceMs(1000);
    for (let i = 0; i < 10; i++) write('busy');
    write(quiet!);
    // Act
    const first = await sealAuditTrail(deps);
    const second = await sealAuditTrail(deps);
    // Assess: a share, then the rest; the quiet tenant in the first run
    expect(first).toMatchObject({ sealed: SEAL_TENANT_SHARE + 1, tenants: 2 });
    expect(first.heads.map((h) => h.tenantId).sort()).toEqual(['busy', quiet].sort());
    expect(second).toMatchObject({ sealed: 10, tenants: 1 });
    expect(await verifyAuditChain(deps, 'busy')).toMatchObject({ valid: true, unsealed: 0, sealed: SEAL_TENANT_SHARE + 10 });
  });
});
