/**
 * The session and access rules (`lambdas/modules/sessions/rules.ts`), with no store: the access
 * entries and sessions they read in, the access, the session to write, the problem.
 */
import { describe, expect, it } from 'vitest';
import type { Grant } from '../../lambdas/contract/schemas.ts';
import { AccessNotGrantedError, ConflictError, ForbiddenError, NotFoundError } from '../../lambdas/kernel/errors.ts';
import type { Principal } from '../../lambdas/kernel/ports.ts';
import type { AccessEntry, SessionRecord } from '../../lambdas/modules/sessions/entity.ts';
import {
  accessOf,
  backingOf,
  decideEndSession,
  decideSignIn,
  deniedAlone,
  deniedEventId,
  deniedInWindow,
  DENIED_SEAL_DELAY_MS,
  DENIED_WINDOW_MS,
  entryFor,
  myGrantsPage,
  notGranted,
  ownSession,
  preferred,
  sessionsPage,
} from '../../lambdas/modules/sessions/rules.ts';

const NOW = new Date('2026-12-07T12:00:30.000Z');
const counter = () => {
  let n = 0;
  return { ids: { next: () => `id-${++n}` } };
};
const sam: Principal = {
  id: 'sam',
  email: 'sam@vendor.test',
  emailVerified: true,
  name: 'Sam',
  roles: ['support-agent'],
  tenantId: null,
};
const samActor = { id: 'sam', email: 'sam@vendor.test', name: 'Sam' };
const IN_1H = '2026-12-07T13:00:00.000Z';
const IN_2H = '2026-12-07T14:00:00.000Z';
const AGO = '2026-12-07T12:00:00.000Z';
const entry = (over: Partial<AccessEntry> = {}): AccessEntry => ({
  tenantId: 'acme',
  grantId: 'g-1',
  scope: { level: 'read-only' },
  expiresAt: IN_1H,
  grantedBy: { id: 'alice', email: 'alice@acme.test', name: 'Alice' },
  createdAt: AGO,
  audience: 'named',
  grantees: [{ id: 'sam', email: 'Sam@Vendor.test' }],
  ...over,
});
const team = (over: Partial<AccessEntry> = {}) => entry({ audience: 'support-team', grantees: [], ...over });
const thrown = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
};
const input = { reason: 'Reproduce bug', sourceIp: '10.0.0.1', userAgent: 'Firefox' };

describe('accessOf', () => {
  it('no live entry: no access, no scope, no end', () => {
    expect(accessOf([], sam, NOW)).toEqual({ allowed: false, scope: null, expiresAt: null, grantIds: [] });
    expect(accessOf([entry({ expiresAt: AGO })], sam, NOW)).toEqual({ allowed: false, scope: null, expiresAt: null, grantIds: [] });
  });

  it('the widest scope and latest end of the live grants that cover the caller, each grant once, sorted', () => {
    const access = accessOf(
      [
        entry({ grantId: 'g-2', scope: { level: 'full', modules: ['billing'] }, expiresAt: IN_1H }),
        team({ grantId: 'g-1', scope: { level: 'full', modules: ['users'] }, expiresAt: IN_2H }),
        team({ grantId: 'g-1', scope: { level: 'full', modules: ['users'] }, expiresAt: IN_2H }),
        entry({ grantId: 'g-0', expiresAt: AGO, scope: { level: 'full' } }),
        entry({ grantId: 'g-9', grantees: [{ id: 'sam', email: 'eve@vendor.test' }], scope: { level: 'full' } }),
      ],
      sam,
      NOW,
    );
    expect(access).toEqual({
      allowed: true,
      scope: { level: 'full', modules: ['billing', 'users'] },
      expiresAt: IN_2H,
      grantIds: ['g-1', 'g-2'],
    });
  });

  it('a standing grant covering the caller: no end', () => {
    expect(accessOf([entry(), team({ grantId: 'g-2', expiresAt: null })], sam, NOW).expiresAt).toBeNull();
  });
});

describe('preferred and entryFor', () => {
  it('prefers a standing grant, then the longest, then the newest', () => {
    const standing = entry({ grantId: 'g-a', expiresAt: null });
    const long = entry({ grantId: 'g-b', expiresAt: IN_2H });
    const older = entry({ grantId: 'g-c', expiresAt: IN_1H });
    const newer = entry({ grantId: 'g-d', expiresAt: IN_1H });
    expect([older, newer, long, standing].sort(preferred).map((e) => e.grantId)).toEqual(['g-a', 'g-b', 'g-d', 'g-c']);
    expect([standing, long].sort(preferred)[0]).toBe(standing);
    expect(preferred(long, standing)).toBe(1);
    expect(preferred(standing, long)).toBe(-1);
    expect(preferred(long, older)).toBe(-1);
    expect(preferred(older, long)).toBe(1);
    expect(preferred(newer, older)).toBe(-1);
    expect(preferred(older, newer)).toBe(1);
  });

  it('picks among live entries that cover the caller by sub and canonical email, only the one asked for, none skipped', () => {
    const entries = [
      entry({ grantId: 'g-1', expiresAt: IN_1H }),
      entry({ grantId: 'g-2', expiresAt: IN_2H }),
      entry({ grantId: 'g-3', expiresAt: null, grantees: [{ id: 'sam', email: 'eve@vendor.test' }] }),
      entry({ grantId: 'g-4', expiresAt: null, grantees: [{ id: 'sid', email: 'sam@vendor.test' }] }),
      team({ grantId: 'g-5', expiresAt: AGO }),
    ];
    expect(entryFor(entries, sam, NOW, undefined)?.grantId).toBe('g-2');
    expect(entryFor(entries, sam, NOW, 'g-1')?.grantId).toBe('g-1');
    expect(entryFor(entries, sam, NOW, 'g-3')).toBeUndefined();
    expect(entryFor(entries, sam, NOW, 'g-5')).toBeUndefined();
    expect(entryFor(entries, sam, NOW, undefined, (e) => e.grantId === 'g-2')?.grantId).toBe('g-1');
    expect(entryFor(entries, sam, new Date(Date.parse(IN_1H)), undefined)?.grantId).toBe('g-2');
    expect(entryFor(entries, sam, new Date(Date.parse(IN_2H)), undefined)).toBeUndefined();
  });
});

describe('notGranted', () => {
  it('says which grant was asked for, or that none gives access (403 ACCESS_NOT_GRANTED)', () => {
    expect(notGranted('g-1')).toBeInstanceOf(AccessNotGrantedError);
    expect(notGranted('g-1').message).toBe('grant g-1 does not give you access to this tenant now');
    expect(notGranted(undefined).message).toBe('no active grant gives you access to this tenant');
  });
});

describe('backingOf', () => {
  it('a named grant must name the caller as the entry did; a team grant must be the team', () => {
    expect(backingOf(entry(), sam)).toEqual({ entry: entry(), grantee: { id: 'sam', email: 'Sam@Vendor.test' } });
    expect(backingOf(team(), sam)).toEqual({ entry: team(), grantee: null });
  });
});

describe('decideSignIn', () => {
  it("opens the session now under the entry's grant, audited and with the sign-in email", () => {
    const e = entry({ ticketId: 'T-1', reason: 'Bug 7', scope: { level: 'full', modules: ['billing'] } });
    const { session, change, backing } = decideSignIn(counter(), NOW, sam, 'acme', e, { ...input, grantId: 'g-1' });
    expect(session).toEqual({
      sessionId: 'id-1',
      tenantId: 'acme',
      grantId: 'g-1',
      accessedBy: samActor,
      reason: 'Reproduce bug',
      signInAt: NOW.toISOString(),
      signOutAt: null,
      endedBy: null,
      grantedBy: e.grantedBy,
      sourceIp: '10.0.0.1',
      userAgent: 'Firefox',
      grantExpiresAt: IN_1H,
    });
    expect(change.audit).toEqual([
      {
        eventId: 'id-2',
        at: NOW.toISOString(),
        actor: samActor,
        action: 'session.started',
        targetId: 'id-1',
        details: { grantId: 'g-1', reason: 'Reproduce bug', sourceIp: '10.0.0.1' },
      },
    ]);
    expect(change.outbox).toEqual([
      {
        messageId: 'id-3',
        tenantId: 'acme',
        kind: 'session.started',
        createdAt: NOW.toISOString(),
        payload: {
          session: expect.not.objectContaining({ grantExpiresAt: expect.anything() }),
          scope: { level: 'full', modules: ['billing'] },
          expiresAt: IN_1H,
          ticketId: 'T-1',
          grantReason: 'Bug 7',
        },
      },
    ]);
    expect(change.outbox[0]!.payload.session).toMatchObject({ sessionId: 'id-1', signOutAt: null });
    expect(backing).toEqual({ entry: e, grantee: { id: 'sam', email: 'Sam@Vendor.test' } });
  });

  it('an older entry without ticket or reason mails them as null', () => {
    const { change } = decideSignIn(counter(), NOW, sam, 'acme', team(), input);
    expect(change.outbox[0]!.payload).toMatchObject({ ticketId: null, grantReason: null });
  });
});

describe('refused sign-ins', () => {
  it("count into the agent's event of the minute: a fixed id, sealed a minute after the minute ends", () => {
    const { event, sealAfter } = deniedInWindow(counter(), NOW, sam, 'acme', { ...input, grantId: 'g-1' });
    const start = Date.parse('2026-12-07T12:00:00.000Z');
    expect(event).toEqual({
      eventId: deniedEventId('acme', 'sam', start),
      at: NOW.toISOString(),
      actor: samActor,
      action: 'session.denied',
      targetId: 'g-1',
      details: { reason: 'Reproduce bug', grantId: 'g-1', sourceIp: '10.0.0.1', userAgent: 'Firefox' },
    });
    expect(sealAfter).toBe(new Date(start + DENIED_WINDOW_MS + DENIED_SEAL_DELAY_MS).toISOString());
    expect(sealAfter).toBe('2026-12-07T12:02:00.000Z');
    // Any instant of the same minute names the same event; the next minute another.
    expect(deniedInWindow(counter(), new Date(start + 59_999), sam, 'acme', input).event.eventId).toBe(event.eventId);
    expect(deniedInWindow(counter(), new Date(start + 60_000), sam, 'acme', input).event.eventId).not.toBe(event.eventId);
    expect(deniedInWindow(counter(), NOW, sam, 'acme', input).event).toMatchObject({ targetId: 'sam', details: { grantId: null } });
  });

  it("the window's id: its last millisecond as a ULID time, then a hash of tenant and agent", () => {
    const start = Date.parse('2026-12-07T12:00:00.000Z');
    const id = deniedEventId('acme', 'sam', start);
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    // 2026-12-07T12:00:59.999Z in Crockford base32, 48-bit milliseconds.
    let t = start + 59_999;
    let time = '';
    for (let i = 0; i < 10; i++, t = Math.floor(t / 32)) time = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'[t % 32] + time;
    expect(id.slice(0, 10)).toBe(time);
    expect(deniedEventId('acme', 'sid', start).slice(10)).not.toBe(id.slice(10));
    expect(deniedEventId('globex', 'sam', start).slice(10)).not.toBe(id.slice(10));
    expect(deniedEventId('acme', 'sam', start + 60_000).slice(10)).toBe(id.slice(10));
    // The same id in every deployment and run: events already written keep counting into it.
    expect(id).toBe('01M9861W2ZDGWZXC16NZANTTYJ');
  });

  it('a refusal after its window is sealed is an event of its own, counting one', () => {
    expect(deniedAlone(counter(), NOW, sam, input)).toEqual({
      audit: [
        {
          eventId: 'id-1',
          at: NOW.toISOString(),
          actor: samActor,
          action: 'session.denied',
          targetId: 'sam',
          details: { reason: 'Reproduce bug', grantId: null, sourceIp: '10.0.0.1', userAgent: 'Firefox', count: 1 },
        },
      ],
      outbox: [],
    });
  });
});

const session = (over: Partial<SessionRecord> = {}): SessionRecord => ({
  sessionId: 's-1',
  tenantId: 'acme',
  grantId: 'g-1',
  accessedBy: samActor,
  reason: 'look',
  signInAt: AGO,
  signOutAt: null,
  endedBy: null,
  grantedBy: { id: 'alice', email: 'alice@acme.test', name: 'Alice' },
  sourceIp: '10.0.0.1',
  userAgent: 'Firefox',
  grantExpiresAt: IN_1H,
  ...over,
});

describe('ownSession', () => {
  it("the caller's session; another agent's or none is a 404", () => {
    expect(ownSession(session(), sam, 's-1')).toEqual(session());
    for (const s of [null, session({ accessedBy: { ...samActor, id: 'sid' } })]) {
      const e = thrown(() => ownSession(s, sam, 's-1'));
      expect(e).toBeInstanceOf(NotFoundError);
      expect(e.message).toBe('no session s-1');
    }
  });
});

describe('decideEndSession', () => {
  it('ends an open session now, by the agent, audited', () => {
    const { ended, change } = decideEndSession(counter(), NOW, sam, session(), 's-1');
    expect(ended).toEqual(session({ signOutAt: NOW.toISOString(), endedBy: 'agent' }));
    expect(change).toEqual({
      audit: [
        {
          eventId: 'id-1',
          at: NOW.toISOString(),
          actor: samActor,
          action: 'session.ended',
          targetId: 's-1',
          details: { grantId: 'g-1', endedBy: 'agent' },
        },
      ],
      outbox: [],
    });
  });

  it('refuses none (404), someone else (403), and one ended already or by its grant’s end (409)', () => {
    const cases: [SessionRecord | null, Date, new (m: string) => Error, string][] = [
      [null, NOW, NotFoundError, 'no session s-1'],
      [session({ accessedBy: { ...samActor, id: 'sid' } }), NOW, ForbiddenError, 'only the agent of a session can end it'],
      [session({ signOutAt: AGO, endedBy: 'agent' }), NOW, ConflictError, 'the session has already ended'],
      [session(), new Date(Date.parse(IN_1H)), ConflictError, 'the session has already ended'],
    ];
    for (const [s, at, kind, message] of cases) {
      const e = thrown(() => decideEndSession(counter(), at, sam, s, 's-1'));
      expect(e).toBeInstanceOf(kind);
      expect(e.message).toBe(message);
    }
  });
});

describe('sessionsPage', () => {
  it('shows each session as it is now: open past its grant’s end is ended by expiry; keeps the position', () => {
    const page = sessionsPage({ items: [session(), session({ sessionId: 's-2', grantExpiresAt: AGO })], next: { PK: 'x' } }, NOW);
    expect(page.next).toEqual({ PK: 'x' });
    expect(page.items.map((s) => [s.sessionId, s.signOutAt, s.endedBy])).toEqual([
      ['s-1', null, null],
      ['s-2', AGO, 'expired'],
    ]);
    expect(page.items[0]).not.toHaveProperty('grantExpiresAt');
  });
});

describe('myGrantsPage', () => {
  const grant = (tenantId: string, grantId: string, over: Partial<Grant> = {}): Grant =>
    ({
      grantId,
      tenantId,
      status: 'ACTIVE',
      audience: 'named',
      grantees: [{ id: 'sam', email: 'sam@vendor.test' }],
      expiresAt: IN_1H,
      ...over,
    }) as unknown as Grant;

  it('each covering grant once, ACTIVE now, newest first (then by tenant), paged by position', () => {
    const covering = [
      grant('acme', 'g-1'),
      grant('acme', 'g-1'),
      grant('globex', 'g-3', { audience: 'support-team', grantees: [] }),
      grant('acme', 'g-3'),
      grant('acme', 'g-2', { grantees: [{ id: 'sam', email: 'eve@vendor.test' }] as never }),
      grant('acme', 'g-4', { expiresAt: AGO }),
      grant('acme', 'g-5', { status: 'REVOKED' }),
    ];
    const first = myGrantsPage(covering, sam, NOW, { limit: 2 });
    expect(first.items.map((g) => `${g.tenantId}#${g.grantId}`)).toEqual(['globex#g-3', 'acme#g-3']);
    expect(first.next).toEqual({ position: 'acme#g-3' });
    const second = myGrantsPage(covering, sam, NOW, { limit: 2, after: first.next! });
    expect(second.items.map((g) => `${g.tenantId}#${g.grantId}`)).toEqual(['acme#g-1']);
    expect(second.next).toBeNull();
    expect(myGrantsPage(covering, sam, NOW, { limit: 3 }).next).toBeNull();
    expect(myGrantsPage(covering, sam, NOW, { limit: 3, after: { position: 7 } }).items).toHaveLength(3);
    expect(myGrantsPage([], sam, NOW, { limit: 3 })).toEqual({ items: [], next: null });
  });

  it('orders by grant, newest first, then by tenant, whatever order they were read in', () => {
    const read = [grant('acme', 'g-1'), grant('globex', 'g-2'), grant('acme', 'g-2'), grant('zeta', 'g-2'), grant('globex', 'g-3')];
    const want = ['globex#g-3', 'zeta#g-2', 'globex#g-2', 'acme#g-2', 'acme#g-1'];
    for (const covering of [read, [...read].reverse(), [read[2]!, read[4]!, read[0]!, read[3]!, read[1]!]]) {
      const first = myGrantsPage(covering, sam, NOW, { limit: 3 });
      expect(first.items.map((g) => `${g.tenantId}#${g.grantId}`)).toEqual(want.slice(0, 3));
      expect(first.next).toEqual({ position: 'globex#g-2' });
      const rest = myGrantsPage(covering, sam, NOW, { limit: 3, after: first.next! });
      expect(rest.items.map((g) => `${g.tenantId}#${g.grantId}`)).toEqual(want.slice(3));
      expect(rest.next).toBeNull();
    }
  });
});
