/** The audit hash chain: the link hash, sealing and verification, without DynamoDB. */
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../lambdas/contract/schemas.ts';
import {
  canonicalJson,
  GENESIS,
  linkHash,
  SEAL_BATCH,
  SEAL_TENANT_SHARE,
  sealAuditTrail,
  STALE_UNSEALED_MS,
  verifyAuditChain,
} from '../../lambdas/modules/audit/chain.ts';
import type { AuditChainStore, ChainLink } from '../../lambdas/kernel/ports.ts';
import { shardOf } from '../../lambdas/contract/table.ts';
import { eventMac, eventMacValid } from '../../lambdas/kernel/audit-mac.ts';
import { createMemoryChain } from '../helpers/memory-chain.ts';
import { FakeClock } from '../helpers/clock.ts';

const event: AuditEvent = {
  eventId: '01JCHAIN0000000000000000001',
  at: '2026-11-23T14:00:00.000Z',
  actor: { id: 'u1', email: 'a@example.test', name: 'A' },
  action: 'grant.activated',
  targetId: 'g1',
  details: { scope: { level: 'read-only', modules: ['billing', 'users'] }, expiresAt: null },
};

describe('canonicalJson', () => {
  it('sorts object keys at every depth and keeps array order', () => {
    // Act
    const a = canonicalJson({ b: 1, a: { d: [2, 1], c: null } });
    const b = canonicalJson({ a: { c: null, d: [2, 1] }, b: 1 });
    // Assess
    expect(a).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    expect(b).toBe(a);
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });

  it('leaves out undefined fields, as they are absent once stored', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });
});

describe('linkHash', () => {
  const base = linkHash('k', 't1', 1, GENESIS, event);

  it('is a hex SHA-256 HMAC, stable for the same input whatever the key order', () => {
    // Prepare
    const reordered = {
      details: event.details,
      targetId: event.targetId,
      action: event.action,
      actor: event.actor,
      at: event.at,
      eventId: event.eventId,
    };
    // Assess
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(linkHash('k', 't1', 1, GENESIS, reordered)).toBe(base);
  });

  it.each([
    ['the key', () => linkHash('other', 't1', 1, GENESIS, event)],
    ['the tenant', () => linkHash('k', 't2', 1, GENESIS, event)],
    ['the position', () => linkHash('k', 't1', 2, GENESIS, event)],
    ['the previous link', () => linkHash('k', 't1', 1, 'f'.repeat(64), event)],
    ['the time', () => linkHash('k', 't1', 1, GENESIS, { ...event, at: '2026-11-23T14:00:00.001Z' })],
    ['the actor', () => linkHash('k', 't1', 1, GENESIS, { ...event, actor: { id: 'system' } })],
    ['the action', () => linkHash('k', 't1', 1, GENESIS, { ...event, action: 'grant.revoked' })],
    ['the target', () => linkHash('k', 't1', 1, GENESIS, { ...event, targetId: 'g2' })],
    ['a detail deep inside', () => linkHash('k', 't1', 1, GENESIS, { ...event, details: { ...event.details, scope: { level: 'full' } } })],
  ])('changes with %s', (_what, other) => {
    expect(other()).not.toBe(base);
  });
});

// ---- sealing and verification, over an in-memory chain store ----------------------------------

const KEY = 'unit-test-key';

function setup() {
  const clock = new FakeClock();
  const chain = createMemoryChain();
  const deps = { chain, clock, key: KEY };
  let n = 0;
  /** Appends `count` events to a tenant, one millisecond apart, as changes write them. */
  const write = (tenantId: string, count = 1) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const at = clock.advanceMs(1).toISOString();
      const eventId = `01JEVENT${String(++n).padStart(18, '0')}`;
      chain.append(tenantId, { ...event, eventId, at, targetId: `g${n}` });
      ids.push(eventId);
    }
    return ids;
  };
  const row = (tenantId: string, eventId: string) => chain.rows.get(`${tenantId}#${eventId}`)!;
  /** The link an event was sealed with (the test fails here if it was not). */
  const linkOf = (tenantId: string, eventId: string): ChainLink => {
    const link = row(tenantId, eventId).link;
    if (link === null || link === 'malformed') throw new Error(`${eventId} is not sealed`);
    return link;
  };
  return { clock, chain, deps, write, row, linkOf };
}

describe('sealAuditTrail', () => {
  it("links a tenant's events in time order, each to the one before, and moves the head to the last", async () => {
    // Prepare
    const { deps, write, row, linkOf } = setup();
    const ids = write('t1', 3);
    // Act
    const report = await sealAuditTrail(deps);
    // Assess
    const links = ids.map((id) => linkOf('t1', id));
    expect(links.map((l) => l.seq)).toEqual([1, 2, 3]);
    expect(links[0]!.prev).toBe(GENESIS);
    expect(links[1]!.prev).toBe(links[0]!.hash);
    expect(links[2]!.prev).toBe(links[1]!.hash);
    expect(links[0]!.hash).toBe(linkHash(KEY, 't1', 1, GENESIS, row('t1', ids[0]!).event));
    expect(report).toEqual({ sealed: 3, tenants: 1, conflicts: 0, heads: [{ tenantId: 't1', seq: 3, hash: links[2]!.hash }] });
    expect(await deps.chain.chainHead('t1')).toEqual({
      seq: 3,
      hash: links[2]!.hash,
      eventId: ids[2],
      sealedAt: deps.clock.now().toISOString(),
    });
  });

  it('orders events written in the same millisecond by id', async () => {
    // Prepare
    const { deps, chain, linkOf } = setup();
    const at = deps.clock.now().toISOString();
    for (const id of ['01JB', '01JA', '01JC']) chain.append('t1', { ...event, eventId: id, at });
    // Act
    await sealAuditTrail(deps);
    // Assess
    expect(['01JA', '01JB', '01JC'].map((id) => linkOf('t1', id).seq)).toEqual([1, 2, 3]);
  });

  it('orders by time whatever order the store returns them in, and ties by id', async () => {
    // Prepare: ids that sort against time, read back newest first
    const { deps, chain, linkOf } = setup();
    const t0 = deps.clock.now().getTime();
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    chain.append('t1', { ...event, eventId: '01JZ', at: at(1) });
    chain.append('t1', { ...event, eventId: '01JY', at: at(2) });
    chain.append('t1', { ...event, eventId: '01JB', at: at(3) });
    chain.append('t1', { ...event, eventId: '01JA', at: at(3) });
    const reversed: AuditChainStore = {
      ...chain,
      unsealedAudit: async (shard, after, limit) => (await chain.unsealedAudit(shard, after, limit)).reverse(),
    };
    // Act
    await sealAuditTrail({ ...deps, chain: reversed });
    // Assess
    expect(['01JZ', '01JY', '01JA', '01JB'].map((id) => linkOf('t1', id).seq)).toEqual([1, 2, 3, 4]);
    expect((await verifyAuditChain(deps, 't1')).valid).toBe(true);
  });

  it("keeps each tenant's chain apart, each from position 1", async () => {
    // Prepare
    const { deps, write, linkOf } = setup();
    const [a] = write('t1');
    const [b] = write('t2');
    // Act
    const report = await sealAuditTrail(deps);
    // Assess
    expect(linkOf('t1', a!).seq).toBe(1);
    expect(linkOf('t2', b!).seq).toBe(1);
    expect(report.tenants).toBe(2);
  });

  it('continues the chain on the next run, and seals nothing twice', async () => {
    // Prepare
    const { deps, write, linkOf } = setup();
    write('t1', 2);
    await sealAuditTrail(deps);
    const [later] = write('t1');
    // Act
    const second = await sealAuditTrail(deps);
    const third = await sealAuditTrail(deps);
    // Assess
    expect(linkOf('t1', later!).seq).toBe(3);
    expect(second.sealed).toBe(1);
    expect(third).toEqual({ sealed: 0, tenants: 0, conflicts: 0, heads: [] });
  });

  it(`seals more than ${SEAL_BATCH} events of a tenant in several transactions, as one unbroken chain`, async () => {
    // Prepare
    const { deps, write } = setup();
    write('t1', SEAL_BATCH * 2 + 3);
    // Act
    const report = await sealAuditTrail(deps);
    const check = await verifyAuditChain(deps, 't1');
    // Assess
    expect(report.sealed).toBe(SEAL_BATCH * 2 + 3);
    expect(check).toMatchObject({ valid: true, sealed: SEAL_BATCH * 2 + 3, unsealed: 0 });
    expect(check.head!.seq).toBe(SEAL_BATCH * 2 + 3);
  });

  it(`seals exactly ${SEAL_BATCH} events in one transaction`, async () => {
    const { deps, write } = setup();
    write('t1', SEAL_BATCH);
    expect((await sealAuditTrail(deps)).sealed).toBe(SEAL_BATCH);
  });

  it('stops between tenants when time runs short, and the next run seals the rest', async () => {
    // Prepare: two tenants of the same shard
    const { deps, chain, write } = setup();
    const other = Array.from({ length: 500 }, (_, i) => `t${i + 2}`).find((t) => shardOf(t) === shardOf('t1'))!;
    write('t1');
    write(other);
    // Act: time runs short as soon as one tenant is sealed
    const first = await sealAuditTrail(deps, () => chain.heads.size === 0);
    const second = await sealAuditTrail(deps);
    // Assess
    expect(first).toMatchObject({ sealed: 1, tenants: 1 });
    expect(second).toMatchObject({ sealed: 1, tenants: 1 });
  });

  it('is fair: a busy tenant gets its share, every quiet tenant of its shard is sealed in the same run', async () => {
    // Prepare: one tenant with far more than a share waiting, and quiet tenants of the same shard,
    // whose ids sort both before and after it
    const { deps, write } = setup();
    const shard = shardOf('busy');
    const quiet = Array.from({ length: 2000 }, (_, i) => `q${i}`)
      .filter((t) => shardOf(t) === shard)
      .slice(0, 5);
    write(quiet[0]!, 2);
    write('busy', SEAL_TENANT_SHARE * 4 + 7);
    for (const t of quiet) write(t, 3);
    // Act
    const first = await sealAuditTrail(deps);
    const quietAfter = await Promise.all(quiet.map((t) => verifyAuditChain(deps, t)));
    const busyAfter = await verifyAuditChain(deps, 'busy');
    // Assess: every quiet tenant whole, the busy one moved by exactly its share
    for (const v of quietAfter) expect(v).toMatchObject({ valid: true, unsealed: 0 });
    expect(quietAfter.map((v) => v.sealed)).toEqual([5, 3, 3, 3, 3]);
    expect(busyAfter).toMatchObject({ valid: true, sealed: SEAL_TENANT_SHARE, unsealed: SEAL_TENANT_SHARE * 3 + 7 });
    expect(first.tenants).toBe(6);
    // Act: the next runs take the busy tenant's rest, a share at a time
    const runs = [await sealAuditTrail(deps), await sealAuditTrail(deps), await sealAuditTrail(deps), await sealAuditTrail(deps)];
    // Assess
    expect(runs.map((r) => r.sealed)).toEqual([SEAL_TENANT_SHARE, SEAL_TENANT_SHARE, SEAL_TENANT_SHARE, 7]);
    expect(await verifyAuditChain(deps, 'busy')).toMatchObject({ valid: true, unsealed: 0, sealed: SEAL_TENANT_SHARE * 4 + 7 });
  });

  it("reads a busy tenant's queue once per run, a share at a time, not its whole backlog", async () => {
    // Prepare
    const { deps, chain, write } = setup();
    write('busy', SEAL_TENANT_SHARE * 3);
    const reads: number[] = [];
    const counting: AuditChainStore = {
      ...chain,
      unsealedAudit: async (shard, after, limit) => {
        const page = await chain.unsealedAudit(shard, after, limit);
        if (shard === shardOf('busy')) reads.push(page.length);
        return page;
      },
    };
    // Act
    await sealAuditTrail({ ...deps, chain: counting });
    // Assess: one page of a share, then one read that skips past the tenant and finds nothing
    expect(reads).toEqual([SEAL_TENANT_SHARE, 0]);
  });

  it('takes no work when told to stop', async () => {
    // Prepare
    const { deps, write } = setup();
    write('t1', 2);
    // Act
    const report = await sealAuditTrail(deps, () => false);
    // Assess
    expect(report.sealed).toBe(0);
    expect((await verifyAuditChain(deps, 't1')).unsealed).toBe(2);
  });

  it('backs off a tenant whose head moved meanwhile, writing nothing for it, and the next run seals it', async () => {
    // Prepare
    const { deps, chain, write } = setup();
    write('t1', 2);
    const racing: AuditChainStore = {
      ...chain,
      // another sealer moves the head between this one's read and its write
      chainHead: async (t) => {
        const head = await chain.chainHead(t);
        chain.heads.set(t, { seq: 99, hash: 'f'.repeat(64), eventId: 'x', sealedAt: 'y' });
        return head;
      },
    };
    // Act
    const lost = await sealAuditTrail({ ...deps, chain: racing });
    chain.heads.delete('t1');
    const next = await sealAuditTrail(deps);
    // Assess
    expect(lost).toMatchObject({ sealed: 0, tenants: 1, conflicts: 1, heads: [] });
    expect(next.sealed).toBe(2);
  });

  it('lets any other failure through', async () => {
    // Prepare
    const { deps, chain, write } = setup();
    write('t1');
    const broken: AuditChainStore = { ...chain, sealAudit: () => Promise.reject(new Error('table unavailable')) };
    // Act / Assess
    await expect(sealAuditTrail({ ...deps, chain: broken })).rejects.toThrow('table unavailable');
  });
});

describe('verifyAuditChain', () => {
  /** A tenant with five sealed events. */
  async function sealed() {
    const s = setup();
    const ids = s.write('t1', 5);
    await sealAuditTrail(s.deps);
    return { ...s, ids };
  }

  it('finds an empty trail whole', async () => {
    const { deps } = setup();
    expect(await verifyAuditChain(deps, 't1')).toEqual({
      tenantId: 't1',
      valid: true,
      checkedAt: deps.clock.now().toISOString(),
      events: 0,
      sealed: 0,
      unsealed: 0,
      head: null,
      problems: [],
    });
  });

  it('finds a sealed trail whole, and counts what is not sealed yet', async () => {
    // Prepare
    const { deps, write } = await sealed();
    write('t1');
    // Act
    const result = await verifyAuditChain(deps, 't1');
    // Assess
    expect(result).toMatchObject({ valid: true, events: 6, sealed: 5, unsealed: 1, problems: [] });
    expect(result.head!.seq).toBe(5);
  });

  it('walks the chain by position, whatever order the store returns the events in', async () => {
    // Prepare
    const { deps, chain } = await sealed();
    const shuffled: AuditChainStore = { ...chain, allAudit: async (t) => (await chain.allAudit(t)).reverse() };
    // Act
    const result = await verifyAuditChain({ ...deps, chain: shuffled }, 't1');
    // Assess
    expect(result).toMatchObject({ valid: true, sealed: 5 });
  });

  it('reports an event left unsealed for more than 10 minutes, not before', async () => {
    // Prepare
    const { deps, write } = setup();
    const [id] = write('t1');
    // Act
    deps.clock.advanceMs(STALE_UNSEALED_MS);
    const atLimit = await verifyAuditChain(deps, 't1');
    deps.clock.advanceMs(1);
    const past = await verifyAuditChain(deps, 't1');
    // Assess
    expect(atLimit.valid).toBe(true);
    expect(past.problems).toEqual([
      { problem: 'unsealed-too-long', eventId: id, seq: null, detail: expect.stringContaining('not sealed since') },
    ]);
  });

  it('reports an edited event as altered, at its position', async () => {
    // Prepare
    const { deps, ids, row } = await sealed();
    row('t1', ids[2]!).event.details = { scope: { level: 'full' } };
    // Act
    const result = await verifyAuditChain(deps, 't1');
    // Assess
    expect(result.valid).toBe(false);
    expect(result.problems).toEqual([expect.objectContaining({ problem: 'altered', eventId: ids[2], seq: 3 })]);
  });

  it('reports an event whose chain field was edited into something that is no link as altered', async () => {
    // Prepare
    const { deps, ids, row } = await sealed();
    row('t1', ids[4]!).link = 'malformed';
    // Act
    const result = await verifyAuditChain(deps, 't1');
    // Assess: that event, and the head that still counts it
    expect(result.problems).toEqual([
      { problem: 'altered', eventId: ids[4], seq: null, detail: 'its chain link is not a link any more' },
      expect.objectContaining({ problem: 'missing', seq: 5 }),
    ]);
  });

  it('reports every event as altered under another key', async () => {
    const { deps } = await sealed();
    const result = await verifyAuditChain({ ...deps, key: 'another key' }, 't1');
    expect(result.problems.map((p) => p.problem)).toEqual(Array(5).fill('altered'));
  });

  it('names one missing event, and a run of them', async () => {
    // Prepare
    const one = await sealed();
    one.chain.rows.delete(`t1#${one.ids[1]}`);
    const run = await sealed();
    run.chain.rows.delete(`t1#${run.ids[1]}`);
    run.chain.rows.delete(`t1#${run.ids[2]}`);
    // Act
    const a = await verifyAuditChain(one.deps, 't1');
    const b = await verifyAuditChain(run.deps, 't1');
    // Assess: the gap only, not the event after it as well
    expect(a.problems).toEqual([{ problem: 'missing', eventId: null, seq: 2, detail: 'event 2 is missing' }]);
    expect(b.problems).toEqual([{ problem: 'missing', eventId: null, seq: 2, detail: 'events 2 to 3 are missing' }]);
  });

  it('names the newest events missing against the head', async () => {
    // Prepare
    const { deps, chain, ids } = await sealed();
    chain.rows.delete(`t1#${ids[3]}`);
    chain.rows.delete(`t1#${ids[4]}`);
    // Act
    const result = await verifyAuditChain(deps, 't1');
    // Assess
    expect(result.problems).toEqual([{ problem: 'missing', eventId: null, seq: 4, detail: 'events 4 to 5 are missing' }]);
  });

  it('reports a second event claiming a position', async () => {
    // Prepare
    const { deps, ids, row, linkOf } = await sealed();
    row('t1', ids[3]!).link = { ...linkOf('t1', ids[2]!) };
    // Act
    const result = await verifyAuditChain(deps, 't1');
    // Assess
    expect(result.problems.map((p) => p.problem)).toContain('duplicate');
  });

  it('reports a link re-pointed and re-hashed by someone holding the key as a broken link', async () => {
    // Prepare: event 3 now claims to follow a different event, with a valid hash for that claim
    const { deps, ids, row } = await sealed();
    const target = row('t1', ids[2]!);
    const prev = 'a'.repeat(64);
    target.link = { seq: 3, prev, hash: linkHash(KEY, 't1', 3, prev, target.event) };
    // Act
    const result = await verifyAuditChain(deps, 't1');
    // Assess: it breaks from 2 to 3, and 4 no longer follows 3
    expect(result.problems).toEqual([
      expect.objectContaining({ problem: 'broken-link', eventId: ids[2], seq: 3 }),
      expect.objectContaining({ problem: 'broken-link', eventId: ids[3], seq: 4 }),
    ]);
  });

  it('reports a missing head, a rewound head and a head with another hash', async () => {
    // Prepare
    const gone = await sealed();
    gone.chain.heads.delete('t1');
    const rewound = await sealed();
    rewound.chain.heads.set('t1', { ...rewound.chain.heads.get('t1')!, seq: 4 });
    const rehashed = await sealed();
    rehashed.chain.heads.set('t1', { ...rehashed.chain.heads.get('t1')!, hash: 'b'.repeat(64) });
    // Act
    const results = await Promise.all([gone, rewound, rehashed].map((s) => verifyAuditChain(s.deps, 't1')));
    // Assess
    for (const r of results) expect(r.problems).toEqual([expect.objectContaining({ problem: 'head-mismatch' })]);
    expect(results[0]!.problems[0]!.detail).toBe('5 sealed events but no chain head');
  });
});

// ---- write-time MACs (kernel/audit-mac.ts) -----------------------------------------------------

describe('eventMac', () => {
  const base = eventMac('ek', 't1', event);

  it('is a hex HMAC that eventMacValid accepts, and nothing else', () => {
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(eventMacValid('ek', 't1', event, base)).toBe(true);
    expect(eventMacValid('ek', 't1', event, null)).toBe(false);
    expect(eventMacValid('ek', 't1', event, base.slice(1))).toBe(false);
    expect(eventMacValid('ek', 't1', event, linkHash('ek', 't1', 1, GENESIS, event))).toBe(false);
  });

  it.each([
    ['the key', () => eventMac('other', 't1', event)],
    ['the tenant', () => eventMac('ek', 't2', event)],
    ['the id (its key in the table)', () => eventMac('ek', 't1', { ...event, eventId: '01JCHAIN0000000000000000002' })],
    ['the action', () => eventMac('ek', 't1', { ...event, action: 'grant.revoked' })],
    ['a detail', () => eventMac('ek', 't1', { ...event, details: { ...event.details, expiresAt: '2026-12-01T00:00:00.000Z' } })],
  ])('changes with %s', (_what, other) => {
    expect(other()).not.toBe(base);
  });
});

describe('verifyAuditChain with the event key', () => {
  it('reports an event without a valid MAC as forged, sealed or not, and accepts MACed ones', async () => {
    // Prepare: two events as the API writes them, one slipped in sealed-to-be, one edited MAC
    const clock = new FakeClock();
    const chain = createMemoryChain();
    const deps = { chain, clock, key: KEY, eventKey: 'ek' };
    const mk = (n: number): AuditEvent => ({
      ...event,
      eventId: `01JMAC${String(n).padStart(20, '0')}`,
      at: clock.advanceMs(1).toISOString(),
    });
    const [good, slipped, edited] = [mk(1), mk(2), mk(3)];
    for (const e of [good, slipped, edited]) chain.append('t1', e);
    chain.rows.get(`t1#${good.eventId}`)!.mac = eventMac('ek', 't1', good);
    chain.rows.get(`t1#${edited.eventId}`)!.mac = eventMac('ek', 't1', { ...edited, targetId: 'before' });
    // Act
    await sealAuditTrail(deps);
    const result = await verifyAuditChain(deps, 't1');
    // Assess
    expect(result.valid).toBe(false);
    expect(result.problems).toEqual([
      expect.objectContaining({ problem: 'forged', eventId: slipped.eventId, seq: 2 }),
      expect.objectContaining({ problem: 'forged', eventId: edited.eventId, seq: 3 }),
    ]);
  });
});
