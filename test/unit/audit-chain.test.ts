/** The link hash: one spelling per event, and every input it covers changes it. */
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../lambdas/contract/schemas.ts';
import { canonicalJson, GENESIS, linkHash } from '../../lambdas/domain/audit-chain.ts';

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
    const reordered = { details: event.details, targetId: event.targetId, action: event.action, actor: event.actor, at: event.at, eventId: event.eventId };
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
