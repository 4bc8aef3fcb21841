/**
 * The grant rules (`lambdas/modules/grants/rules.ts`), with no store: widening a grant and ending
 * it (revoke, expiry). The records they read in, the decision, the problem or the records to write.
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError } from '../../lambdas/kernel/errors.ts';
import type { RequestRecord, SessionRecord } from '../../lambdas/kernel/ports.ts';
import type { GrantRecord } from '../../lambdas/modules/grants/entity.ts';
import { NOW, active, alice, carol, counter, lead, sam, sid, thrown } from '../helpers/grant-fixtures.ts';
import { decideAddGrantee, decideRevoke, dueToExpire, ending, mayRevoke } from '../../lambdas/modules/grants/rules.ts';

describe('decideAddGrantee', () => {
  it('adds the grantee, stamped now by the caller, one version on, audited and mailed', () => {
    const g = active();
    const sidInput = { id: 'sid', email: 'sid@vendor.test', name: 'Sid' };
    const { next, grantee, change } = decideAddGrantee(counter(), NOW, alice, g, sidInput);
    const by = { id: 'alice', email: 'alice@acme.test', name: 'ALICE' };
    expect(grantee).toEqual({ ...sidInput, addedAt: NOW.toISOString(), addedBy: by });
    expect(next.grantees.map((x) => x.id)).toEqual(['sam', 'sid']);
    expect(next.version).toBe(g.version + 1);
    expect(change.audit).toEqual([
      { eventId: 'id-1', at: NOW.toISOString(), actor: by, action: 'grant.grantee_added', targetId: 'g-1', details: { grantee: sidInput } },
    ]);
    expect(change.outbox).toEqual([
      {
        messageId: 'id-2',
        tenantId: 'acme',
        kind: 'grant.grantee_added',
        createdAt: NOW.toISOString(),
        payload: { grant: expect.objectContaining({ grantees: next.grantees }), grantee, actor: by },
      },
    ]);
  });

  it('refuses a support-team grant, someone already named, and a 21st grantee (409 each)', () => {
    const sidInput = { id: 'sid', email: 'sid@vendor.test', name: 'Sid' };
    const cases: [GrantRecord, typeof sidInput, string][] = [
      [active({ audience: 'support-team', grantees: [] }), sidInput, 'the grant already covers the whole support team'],
      [active(), { ...sidInput, id: 'sam' }, 'sam is already a grantee'],
      [active({ grantees: [active().grantees[0]!, { ...active().grantees[0]!, id: 'sid' }] }), sidInput, 'sid is already a grantee'],
      [
        active({ grantees: Array.from({ length: 20 }, (_, i) => ({ ...active().grantees[0]!, id: `a${i}` })) }),
        sidInput,
        'the grant names the most grantees it can',
      ],
    ];
    for (const [g, input, message] of cases) {
      const e = thrown(() => decideAddGrantee(counter(), NOW, alice, g, input));
      expect(e).toBeInstanceOf(ConflictError);
      expect(e.message).toBe(message);
    }
    const nineteen = active({ grantees: Array.from({ length: 19 }, (_, i) => ({ ...active().grantees[0]!, id: `a${i}` })) });
    expect(decideAddGrantee(counter(), NOW, alice, nineteen, sidInput).next.grantees).toHaveLength(20);
  });
});

describe('mayRevoke', () => {
  it('the tenant admin, a support lead, or a support agent the grant names; nobody else', () => {
    const g = active();
    expect(mayRevoke(alice, 'acme', g)).toBe(true);
    expect(mayRevoke(lead, 'acme', g)).toBe(true);
    expect(mayRevoke(sam, 'acme', g)).toBe(true);
    expect(mayRevoke(sid, 'acme', g)).toBe(false);
    expect(mayRevoke(carol, 'acme', g)).toBe(false);
    expect(mayRevoke(alice, 'globex', g)).toBe(false);
    // One of several grantees may revoke too.
    expect(mayRevoke(sid, 'acme', active({ grantees: [g.grantees[0]!, { ...g.grantees[0]!, id: 'sid' }] }))).toBe(true);
    // A tenant user whose sub is a grantee's is still no support agent.
    expect(mayRevoke({ ...carol, id: 'sam' }, 'acme', g)).toBe(false);
  });
});

const session = (id: string, signInAt: string, signOutAt: string | null): SessionRecord => ({
  sessionId: id,
  tenantId: 'acme',
  grantId: 'g-1',
  accessedBy: { id: 'sam', email: 'sam@vendor.test', name: 'Sam' },
  reason: 'look',
  signInAt,
  signOutAt,
  endedBy: signOutAt ? 'agent' : null,
  grantedBy: { id: 'alice', email: 'alice@acme.test', name: 'Alice' },
  sourceIp: '10.0.0.1',
  userAgent: 'test',
  grantExpiresAt: null,
});
const extension = (id: string, status: RequestRecord['status']): RequestRecord =>
  ({
    requestId: id,
    tenantId: 'acme',
    grantId: 'g-1',
    status,
    expiresAt: '2026-12-07T13:00:00.000Z',
    requestedBy: { id: 'sam', email: 'sam@vendor.test', name: 'Sam' },
    version: 3,
    escalateAt: null,
    escalated: false,
  }) as unknown as RequestRecord;

describe('decideRevoke and ending', () => {
  const reads = {
    sessions: [
      session('s-done', '2026-12-07T11:10:00.000Z', '2026-12-07T11:20:00.000Z'),
      session('s-open', '2026-12-07T11:30:00.000Z', null),
    ],
    extensions: [extension('r-1', 'PENDING'), extension('r-2', 'APPROVED')],
  };

  it('a revoke ends the grant now by the caller, its open sessions with it, and lapses its PENDING extensions', () => {
    const g = active({ pendingExtensions: ['r-1', 'r-2'] });
    const out = decideRevoke(counter(), NOW, alice, 'acme', g, 'done', reads);
    const by = { id: 'alice', email: 'alice@acme.test', name: 'ALICE' };
    expect(out.ended).toMatchObject({
      status: 'REVOKED',
      endedAt: NOW.toISOString(),
      endedBy: by,
      endReason: 'done',
      version: g.version + 1,
      openSessions: [],
      pendingExtensions: [],
    });
    expect(out.sessionEnd).toEqual({
      at: NOW.toISOString(),
      endedBy: 'revoked',
      audit: {
        's-open': {
          eventId: 'id-4',
          at: NOW.toISOString(),
          actor: by,
          action: 'session.ended',
          targetId: 's-open',
          details: { grantId: 'g-1', endedBy: 'revoked' },
        },
      },
    });
    // The lapsed extension's event and mail are made first, the grant's event listed first.
    expect(out.change.audit.map((e) => [e.eventId, e.action, e.targetId])).toEqual([
      ['id-3', 'grant.revoked', 'g-1'],
      ['id-1', 'request.expired', 'r-1'],
    ]);
    expect(out.change.audit[0]!.details).toEqual({ reason: 'done', sessionsEnded: ['s-open'] });
    expect(out.change.audit[1]).toMatchObject({
      actor: { id: 'system' },
      details: { expiresAt: '2026-12-07T13:00:00.000Z', grantEnded: 'g-1' },
    });
    expect(out.lapsed).toEqual([{ ...reads.extensions[0], status: 'EXPIRED', version: 4 }]);
    const [mail, lapseMail] = out.change.outbox;
    expect(mail).toMatchObject({ messageId: 'id-5', kind: 'grant.revoked', tenantId: 'acme', payload: { actor: by } });
    expect(mail!.payload.grant).toMatchObject({ status: 'REVOKED', endReason: 'done' });
    expect(mail!.payload.digest).toEqual({
      sessionCount: 2,
      totalMs: 10 * 60_000 + 30 * 60_000,
      sessions: [
        expect.objectContaining({ sessionId: 's-open', signOutAt: NOW.toISOString(), endedBy: 'revoked' }),
        expect.objectContaining({ sessionId: 's-done', endedBy: 'agent' }),
      ],
    });
    expect(lapseMail).toMatchObject({
      messageId: 'id-2',
      kind: 'request.expired',
      to: ['sam@vendor.test'],
      payload: { because: 'grant-ended' },
    });
    expect(lapseMail!.payload.request).toMatchObject({ requestId: 'r-1', status: 'EXPIRED' });
    expect(lapseMail!.payload.request).not.toHaveProperty('version');
  });

  it('a revoke without a reason records null', () => {
    const out = decideRevoke(counter(), NOW, sam, 'acme', active(), undefined, { sessions: [], extensions: [] });
    expect(out.ended.endReason).toBeNull();
    expect(out.change.audit[0]!.details).toEqual({ reason: null, sessionsEnded: ['s-open'] });
  });

  it('refuses a caller who may not revoke (403), deciding nothing', () => {
    const e = thrown(() => decideRevoke(counter(), NOW, sid, 'acme', active(), 'x', reads));
    expect(e).toBeInstanceOf(ForbiddenError);
    expect(e.message).toBe('only a tenant admin, a support lead or a grantee can revoke this grant');
  });

  it('an expiry ends the grant at its end, by nobody (its events name the system), with the expiry email', () => {
    const g = active();
    const later = new Date(Date.parse(g.expiresAt!) + 60_000);
    const out = ending(counter(), later, g, 'expired', { sessions: [session('s-open', '2026-12-07T11:30:00.000Z', null)], extensions: [] });
    expect(out.ended).toMatchObject({ status: 'EXPIRED', endedAt: g.expiresAt, endedBy: null, endReason: 'expired' });
    expect(out.sessionEnd).toMatchObject({ at: g.expiresAt, endedBy: 'expired' });
    expect(out.sessionEnd.audit['s-open']).toMatchObject({ actor: { id: 'system' }, details: { grantId: 'g-1', endedBy: 'expired' } });
    expect(out.change.audit).toEqual([
      {
        eventId: 'id-1',
        at: later.toISOString(),
        actor: { id: 'system' },
        action: 'grant.expired',
        targetId: 'g-1',
        details: { expiresAt: g.expiresAt, sessionsEnded: ['s-open'] },
      },
    ]);
    expect(out.change.outbox).toHaveLength(1);
    expect(out.change.outbox[0]).toMatchObject({ kind: 'grant.expired', createdAt: later.toISOString() });
    expect(out.change.outbox[0]!.payload).not.toHaveProperty('actor');
    expect(out.change.outbox[0]!.payload.digest).toMatchObject({
      sessionCount: 1,
      sessions: [{ signOutAt: g.expiresAt, endedBy: 'expired' }],
    });
    expect(out.lapsed).toEqual([]);
  });
});

describe('dueToExpire', () => {
  it('only a stored-ACTIVE grant whose end has passed; never a standing one', () => {
    const g = active();
    const end = new Date(Date.parse(g.expiresAt!));
    expect(dueToExpire(g, end)).toBe(true);
    expect(dueToExpire(g, new Date(end.getTime() - 1))).toBe(false);
    expect(dueToExpire({ ...g, status: 'REVOKED' }, end)).toBe(false);
    expect(dueToExpire({ ...g, expiresAt: null }, end)).toBe(false);
    expect(dueToExpire(null, end)).toBe(false);
  });
});
