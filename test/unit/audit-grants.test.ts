/**
 * The comparison behind `access-entry` problems (`lambdas/modules/audit/grants.ts`): an access
 * entry, which sign-in and the access check trust, against the grant its events describe.
 */
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../lambdas/contract/schemas.ts';
import { entryDifferences, sessionCovered, stateFromEvents, type ExpectedGrant } from '../../lambdas/modules/audit/grants.ts';
import type { StoredAccessEntry } from '../../lambdas/kernel/ports.ts';

const END = '2026-12-07T18:00:00.000Z';
const event = (action: string, details: Record<string, unknown>, n: number, actor = { id: 'ada', email: 'ada@acme.test', name: 'Ada' }) =>
  ({ eventId: `0${n}`, at: END, actor, action, targetId: 'g-1', details }) as unknown as AuditEvent;

/** The grant as its events say: named, read-only on billing, Sam, then Sid added. */
const expected = (): ExpectedGrant =>
  stateFromEvents([
    event(
      'grant.activated',
      { audience: 'named', scope: { level: 'read-only', modules: ['billing'] }, expiresAt: END, grantees: ['sam'] },
      1,
    ),
    event('grant.grantee_added', { grantee: { id: 'sid', email: 'sid@vendor.test', name: 'Sid' } }, 2),
  ])!;

const sams = (over: Partial<StoredAccessEntry> = {}): StoredAccessEntry => ({
  principal: { kind: 'agent', id: 'sam' },
  grantId: 'g-1',
  audience: 'named',
  scope: { level: 'read-only', modules: ['billing'] },
  expiresAt: END,
  grantees: [
    { id: 'sam', email: 'sam@vendor.test', addedAt: END },
    { id: 'sid', email: 'sid@vendor.test', addedAt: END },
  ],
  ...over,
});

describe('entryDifferences', () => {
  it('finds nothing in an entry that copies the grant (modules in another order, email in another case)', () => {
    const e = expected();
    e.emails.set('sam', 'Sam@Vendor.test');
    expect(entryDifferences(e, sams()).fields).toEqual([]);
  });

  it('names a scope widened to full, or to other modules', () => {
    expect(entryDifferences(expected(), sams({ scope: { level: 'full' } }))).toEqual({
      fields: ['scope'],
      says: ['scope full, its events say read-only [billing]'],
    });
    expect(entryDifferences(expected(), sams({ scope: { level: 'read-only', modules: ['billing', 'users'] } })).fields).toEqual(['scope']);
  });

  it('names an end moved, an audience changed, a grantee slipped in, an email changed', () => {
    const eve = { id: 'eve', email: 'eve@vendor.test', addedAt: END };
    expect(entryDifferences(expected(), sams({ expiresAt: null })).fields).toEqual(['expiresAt']);
    expect(entryDifferences(expected(), sams({ audience: 'support-team' })).fields).toEqual(['audience']);
    expect(entryDifferences(expected(), sams({ grantees: [...sams().grantees, eve] })).says).toEqual(['grantees +eve']);
    const moved = sams({ grantees: [sams().grantees[0]!, { id: 'sid', email: 'eve@vendor.test', addedAt: END }] });
    expect(entryDifferences(expected(), moved).fields).toEqual(['email']);
  });

  it("names an entry for someone the grant does not cover: another agent, or the support team's", () => {
    const eves = sams({ principal: { kind: 'agent', id: 'eve' } });
    expect(entryDifferences(expected(), eves).fields).toEqual(['principal']);
    expect(entryDifferences(expected(), sams({ principal: { kind: 'team' }, audience: 'support-team' })).fields).toEqual([
      'principal',
      'audience',
    ]);
  });

  it('names an entry left for a grant its events say ended, and nothing else about it', () => {
    const ended = stateFromEvents([
      event('grant.activated', { audience: 'named', scope: { level: 'read-only' }, expiresAt: END, grantees: ['sam'] }, 1),
      event('grant.revoked', {}, 2),
    ])!;
    expect(entryDifferences(ended, sams({ scope: { level: 'full' } }))).toEqual({
      fields: ['entry'],
      says: ['its events say the grant is REVOKED'],
    });
  });

  it('follows an extension: the entry carries the new end', () => {
    const extended = stateFromEvents([
      event(
        'grant.activated',
        { audience: 'named', scope: { level: 'read-only', modules: ['billing'] }, expiresAt: END, grantees: ['sam'] },
        1,
      ),
      event('grant.extended', { expiresAt: '2026-12-07T20:00:00.000Z' }, 2),
    ])!;
    const entry = sams({ grantees: [sams().grantees[0]!] });
    expect(entryDifferences(extended, entry).fields).toEqual(['expiresAt']);
    expect(entryDifferences(extended, { ...entry, expiresAt: '2026-12-07T20:00:00.000Z' }).fields).toEqual([]);
  });
});

describe('sessionCovered', () => {
  const started = (id: string, email: string) => event('session.started', { grantId: 'g-1' }, 3, { id, email, name: id });

  it('covers a named grantee, not another agent, nor a grantee under another email', () => {
    const e = expected();
    e.emails.set('sam', 'sam@vendor.test');
    expect(sessionCovered(e, started('sam', 'SAM@vendor.test'))).toBe(true);
    expect(sessionCovered(e, started('sid', 'sid@vendor.test'))).toBe(true);
    expect(sessionCovered(e, started('eve', 'eve@vendor.test'))).toBe(false);
    expect(sessionCovered(e, started('sid', 'eve@vendor.test'))).toBe(false);
  });

  it('covers every agent under a support-team grant', () => {
    const team = stateFromEvents([
      event('grant.activated', { audience: 'support-team', scope: { level: 'full' }, expiresAt: END, grantees: [] }, 1),
    ])!;
    expect(sessionCovered(team, started('eve', 'eve@vendor.test'))).toBe(true);
  });
});
