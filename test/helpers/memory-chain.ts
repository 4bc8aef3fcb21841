/**
 * An in-memory `AuditChainStore` for unit tests of sealing and verification: the same conditions
 * as the DynamoDB one (the head unchanged, no event sealed twice), nothing else.
 */
import { shardOf } from '../../lambdas/contract/table.ts';
import type { AuditEvent } from '../../lambdas/contract/schemas.ts';
import { ConcurrentUpdateError } from '../../lambdas/kernel/errors.ts';
import type { AuditChainStore, ChainHead, StoredAuditEvent } from '../../lambdas/kernel/ports.ts';

export interface MemoryChain extends AuditChainStore {
  /** Writes an event as a change's transaction does: unsealed. */
  append(tenantId: string, event: AuditEvent): void;
  /** Writes an event that may not be sealed before `sealAfter` (a `session.denied` still counting). */
  appendDeferred(tenantId: string, event: AuditEvent, sealAfter: string): void;
  /** The stored rows, to tamper with as an insider would. */
  rows: Map<string, StoredAuditEvent>;
  heads: Map<string, ChainHead>;
}

export function createMemoryChain(): MemoryChain {
  const rows = new Map<string, StoredAuditEvent>();
  const heads = new Map<string, ChainHead>();
  const key = (tenantId: string, eventId: string) => `${tenantId}#${eventId}`;
  const clone = <T>(v: T): T => structuredClone(v);
  return {
    rows,
    heads,
    append(tenantId, event) {
      rows.set(key(tenantId, event.eventId), { tenantId, event: clone(event), link: null });
    },
    appendDeferred(tenantId, event, sealAfter) {
      rows.set(key(tenantId, event.eventId), { tenantId, event: clone(event), link: null, sealAfter });
    },
    async unsealedAudit(shard, afterTenant, limit) {
      // As the GSI2 sort key `tenant#at#eventId` of `SEAL#n` orders them, from the first tenant
      // after `afterTenant`; an event that must wait is not in that partition.
      const sortKey = (r: StoredAuditEvent) => `${r.tenantId}#${r.event.at}#${r.event.eventId}`;
      return [...rows.values()]
        .filter((r) => r.link === null && r.sealAfter === undefined)
        .filter((r) => shardOf(r.tenantId) === shard && (afterTenant === null || sortKey(r) > `${afterTenant}$`))
        .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0))
        .slice(0, limit)
        .map(clone);
    },
    async dueDeferredAudit(shard, now, page) {
      // As `SEALAFTER#n` orders them (`sealAfter#tenant#eventId`), only those due (`< now$`).
      const sortKey = (r: StoredAuditEvent) => `${r.sealAfter}#${r.tenantId}#${r.event.eventId}`;
      const after = typeof page.after?.position === 'string' ? page.after.position : '';
      const due = [...rows.values()]
        .filter((r) => r.link === null && r.sealAfter !== undefined && shardOf(r.tenantId) === shard)
        .filter((r) => sortKey(r) < `${now}$` && sortKey(r) > after)
        .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
      const items = due.slice(0, page.limit);
      const more = due.length > page.limit;
      return { items: items.map(clone), next: more ? { position: sortKey(items.at(-1)!) } : null };
    },
    async chainHead(tenantId) {
      const head = heads.get(tenantId);
      return head ? clone(head) : null;
    },
    async sealAudit(tenantId, expected, links, head) {
      const current = heads.get(tenantId) ?? null;
      if ((current === null) !== (expected === null) || (current && (current.seq !== expected!.seq || current.hash !== expected!.hash))) {
        throw new ConcurrentUpdateError('the chain head moved');
      }
      for (const { eventId } of links) {
        const row = rows.get(key(tenantId, eventId));
        if (!row || row.link !== null) throw new ConcurrentUpdateError('an event is gone or sealed');
      }
      for (const { eventId, link } of links) rows.get(key(tenantId, eventId))!.link = clone(link);
      heads.set(tenantId, clone(head));
    },
    async allAudit(tenantId) {
      return [...rows.values()].filter((r) => r.tenantId === tenantId).map(clone);
    },
  };
}
