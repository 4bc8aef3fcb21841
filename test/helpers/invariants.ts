/**
 * What must hold of a tenant's stored state whatever raced or failed: read straight from the
 * table (the tenant's partition, its access entries and its outbox), so a half-written change
 * cannot hide behind an API view. Used by the race and fault tests.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { scanTable } from './dynamo-probe.ts';
import { attr } from '../../lambdas/contract/table.ts';

export type Item = Record<string, any>;

export interface TenantItems {
  all: Item[];
  requests: Item[];
  grants: Item[];
  sessions: Item[];
  audit: Item[];
  access: Item[];
  outbox: Item[];
}

/** Everything the table holds for a tenant: its partition, its access entries and its mail. */
export async function tenantItems(doc: DynamoDBDocumentClient, tableName: string, tenantId: string): Promise<TenantItems> {
  const all = ((await scanTable(doc, tableName)) as Item[]).filter(
    (i) =>
      i[attr.pk] === `TENANT#${tenantId}` ||
      String(i[attr.pk]).startsWith(`ACCESS#${tenantId}#`) ||
      (i[attr.type] === 'outbox' && i.tenantId === tenantId),
  );
  const of = (type: string) => all.filter((i) => i.type === type);
  return {
    all,
    requests: of('request'),
    grants: of('grant'),
    sessions: of('session'),
    audit: of('audit'),
    access: of('access'),
    outbox: of('outbox'),
  };
}

/**
 * Every stored change is whole: each request, grant and session has exactly the audit events its
 * state implies, and each change that owes mail has its outbox message; access entries exist
 * exactly for the ACTIVE grants; no session is open under a grant that is not ACTIVE, none began
 * after its grant ended, and a grant's record of its open sessions is exactly its open sessions.
 */
export function expectConsistent(s: TenantItems, approvalsRequired = 1): void {
  const events = (action: string, targetId?: string) =>
    s.audit.filter((e) => e.action === action && (targetId === undefined || e.targetId === targetId));
  const outbox = (kind: string) => s.outbox.filter((m) => m.kind === kind);

  const grantById = new Map(s.grants.map((g) => [g.grantId as string, g]));
  for (const r of s.requests.filter((x) => x.kind === 'extension')) {
    // An extension never makes a grant: approved, it moved its grant's end, once.
    const what = `extension ${r.requestId} (${r.status}) of grant ${r.grantId}`;
    expect(events('request.created', r.requestId), what).toHaveLength(1);
    const g = grantById.get(r.grantId);
    expect(g, what).toBeDefined();
    expect(
      s.grants.filter((x) => x.requestId === r.requestId),
      what,
    ).toEqual([]);
    const approvers = r.approvals.map((a: Item) => a.by.id);
    expect(new Set(approvers).size, what).toBe(approvers.length);
    expect(approvers, what).not.toContain(r.requestedBy.id);
    expect(events('request.approved', r.requestId), what).toHaveLength(approvers.length);
    const moved = events('grant.extended', r.grantId).filter((e) => e.details.requestId === r.requestId);
    const decisions = ['request.denied', 'request.cancelled', 'request.expired'].flatMap((a) => events(a, r.requestId));
    expect(moved, what).toHaveLength(r.status === 'APPROVED' ? 1 : 0);
    if (r.status === 'APPROVED') {
      expect(approvers.length, what).toBeGreaterThanOrEqual(approvalsRequired);
      expect(decisions, what).toEqual([]);
    } else {
      expect(approvers.length, what).toBeLessThan(approvalsRequired);
      expect(
        decisions.map((e) => e.action),
        what,
      ).toEqual(r.status === 'PENDING' ? [] : [`request.${String(r.status).toLowerCase()}`]);
    }
    // The grant knows exactly its PENDING extensions; an ended grant has none.
    const pending = [...((g?.pendingExtensions as Set<string> | undefined) ?? [])];
    expect(pending.includes(r.requestId), what).toBe(r.status === 'PENDING');
    if (r.status === 'PENDING') expect(g!.status, what).toBe('ACTIVE');
  }
  for (const g of s.grants) {
    // Its end is where it started plus every extension, each recorded once.
    const what = `grant ${g.grantId} (${g.status})`;
    const extensions = events('grant.extended', g.grantId).sort((a, b) => (a.eventId < b.eventId ? -1 : 1));
    const start = events('grant.activated', g.grantId)[0]?.details.expiresAt as string | null | undefined;
    if (start) {
      const hours = extensions.reduce((sum, e) => sum + Number(e.details.hours), 0);
      expect(g.expiresAt, what).toBe(new Date(Date.parse(start) + hours * 3_600_000).toISOString());
      let end = start;
      for (const e of extensions) {
        expect(e.details.previousExpiresAt, `${what}: extension ${e.eventId} moved the end it read`).toBe(end);
        end = e.details.expiresAt as string;
      }
    } else expect(extensions, what).toEqual([]);
  }

  for (const r of s.requests.filter((x) => x.kind !== 'extension')) {
    const what = `request ${r.requestId} (${r.status})`;
    expect(events('request.created', r.requestId), what).toHaveLength(1);
    const approvers = r.approvals.map((a: Item) => a.by.id);
    expect(new Set(approvers).size, what).toBe(approvers.length);
    expect(approvers, what).not.toContain(r.requestedBy.id);
    expect(events('request.approved', r.requestId), what).toHaveLength(approvers.length);
    const decisions = ['request.denied', 'request.cancelled', 'request.expired'].flatMap((a) => events(a, r.requestId));
    const made = s.grants.filter((g) => g.requestId === r.requestId);
    if (r.status === 'APPROVED') {
      expect(approvers.length, what).toBeGreaterThanOrEqual(approvalsRequired);
      expect(decisions, what).toEqual([]);
      expect(
        made.map((g) => g.grantId),
        what,
      ).toEqual([r.grantId]);
    } else {
      expect(made, what).toEqual([]);
      expect(r.grantId, what).toBeNull();
      expect(approvers.length, what).toBeLessThan(approvalsRequired);
      expect(
        decisions.map((e) => e.action),
        what,
      ).toEqual(r.status === 'PENDING' ? [] : [`request.${String(r.status).toLowerCase()}`]);
    }
  }

  const grantsById = new Map(s.grants.map((g) => [g.grantId as string, g]));
  for (const g of s.grants) {
    const what = `grant ${g.grantId} (${g.status})`;
    const activated = events('grant.activated', g.grantId);
    expect(activated, what).toHaveLength(1);
    expect(events('grant.revoked', g.grantId), what).toHaveLength(g.status === 'REVOKED' ? 1 : 0);
    expect(events('grant.expired', g.grantId), what).toHaveLength(g.status === 'EXPIRED' ? 1 : 0);
    expect(events('grant.grantee_added', g.grantId), what).toHaveLength(g.grantees.length - activated[0]!.details.grantees.length);
    expect(new Set(g.grantees.map((x: Item) => x.id)).size, what).toBe(g.grantees.length);
    const principals = g.audience === 'support-team' ? ['TEAM'] : g.grantees.map((x: Item) => `AGENT#${x.id}`);
    const entries = s.access.filter((e) => e.grantId === g.grantId).map((e) => String(e[attr.pk]).slice(`ACCESS#${g.tenantId}#`.length));
    expect(entries.sort(), what).toEqual(g.status === 'ACTIVE' ? principals.sort() : []);
    const open = s.sessions.filter((x) => x.grantId === g.grantId && x.signOutAt === null).map((x) => x.sessionId as string);
    expect([...((g.openSessions as Set<string> | undefined) ?? [])].sort(), what).toEqual(open.sort());
  }
  for (const e of s.access)
    expect(grantsById.has(e.grantId), `access entry ${String(e[attr.pk])} ${String(e[attr.sk])} without its grant`).toBe(true);

  for (const x of s.sessions) {
    const g = grantsById.get(x.grantId);
    const what = `session ${x.sessionId} under grant ${x.grantId} (${g?.status})`;
    expect(g, what).toBeDefined();
    expect(events('session.started', x.sessionId), what).toHaveLength(1);
    expect(events('session.ended', x.sessionId), what).toHaveLength(x.signOutAt === null ? 0 : 1);
    if (x.signOutAt === null) expect(g!.status, what).toBe('ACTIVE');
    if (g!.endedAt) expect(x.signInAt <= g!.endedAt, what).toBe(true);
    if (g!.status !== 'ACTIVE' && x.endedBy !== 'agent') expect(x.endedBy, what).toBe(g!.status === 'REVOKED' ? 'revoked' : 'expired');
  }

  // The count of each agent's PENDING requests is exactly its stored PENDING requests (it is what
  // bounds them, so it must neither drift up, locking an agent out, nor down, letting more in).
  const agents = new Set([
    ...s.requests.map((r) => r.requestedBy.id as string),
    ...s.all.filter((i) => i[attr.type] === 'pendingCount').map((i) => String(i[attr.sk]).slice('PENDING#'.length)),
  ]);
  for (const agent of agents) {
    const counted = s.all.find((i) => i[attr.type] === 'pendingCount' && i[attr.sk] === `PENDING#${agent}`)?.pending ?? 0;
    expect(counted, `PENDING count of ${agent}`).toBe(
      s.requests.filter((r) => r.requestedBy.id === agent && r.status === 'PENDING').length,
    );
  }

  expect(outbox('request.created'), 'request.created mail').toHaveLength(s.requests.length);
  expect(outbox('request.denied'), 'request.denied mail').toHaveLength(s.requests.filter((r) => r.status === 'DENIED').length);
  expect(outbox('grant.activated'), 'grant.activated mail').toHaveLength(s.grants.length);
  expect(outbox('grant.revoked'), 'grant.revoked mail').toHaveLength(s.grants.filter((g) => g.status === 'REVOKED').length);
  expect(outbox('grant.expired'), 'grant.expired mail').toHaveLength(s.grants.filter((g) => g.status === 'EXPIRED').length);
  expect(outbox('grant.extended'), 'grant.extended mail').toHaveLength(events('grant.extended').length);
  expect(outbox('grant.grantee_added'), 'grant.grantee_added mail').toHaveLength(events('grant.grantee_added').length);
  expect(outbox('session.started'), 'session.started mail').toHaveLength(s.sessions.length);
}

/** The number of successful sends to each address equals what the outbox says it delivered. */
export function expectMailOnce(s: TenantItems, sends: { to: string; ok: boolean }[], recipients: string[]): void {
  for (const m of s.outbox) expect(m.status, `${m.kind} ${m.messageId}`).toBe('SENT');
  for (const r of recipients) {
    const owed = s.outbox.filter((m) => [...((m.sentTo as Set<string> | undefined) ?? [])].includes(r)).length;
    expect(sends.filter((a) => a.ok && a.to === r).length, `mail to ${r}`).toBe(owed);
  }
}

export type { DynamoDBDocumentClient };
