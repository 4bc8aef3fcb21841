/** What a grant, session or request *is* at an instant, and how several grants combine. */
import { describe, expect, it } from 'vitest';
import type { GrantRecord, RequestRecord, SessionRecord } from '../../lambdas/kernel/ports.ts';
import { grantView, latestEnd, requestView, sessionView, widestScope } from '../../lambdas/kernel/model.ts';

const EXPIRES = '2026-11-23T18:00:00.000Z';
const at = (iso: string, deltaMs = 0) => new Date(Date.parse(iso) + deltaMs);
const lead = { id: 'lead-lee', email: 'lead-lee@example.com', name: 'Lee' };

function grant(over: Partial<GrantRecord> = {}): GrantRecord {
  return {
    grantId: 'g1',
    tenantId: 'acme',
    status: 'ACTIVE',
    origin: 'tenant-admin',
    requestId: null,
    ticketId: 'T-1',
    reason: 'billing bug',
    scope: { level: 'read-only' },
    audience: 'support-team',
    grantees: [],
    grantedBy: lead,
    approvedBy: [lead],
    createdAt: '2026-11-23T14:00:00.000Z',
    expiresAt: EXPIRES,
    endedAt: null,
    endedBy: null,
    endReason: null,
    version: 3,
    openSessions: ['s1'],
    ...over,
  };
}

function session(over: Partial<SessionRecord> = {}): SessionRecord {
  return {
    sessionId: 's1',
    tenantId: 'acme',
    grantId: 'g1',
    accessedBy: { id: 'agent-ann', email: 'agent-ann@example.com', name: 'Ann' },
    reason: 'looking',
    signInAt: '2026-11-23T15:00:00.000Z',
    signOutAt: null,
    endedBy: null,
    grantedBy: lead,
    sourceIp: '10.0.0.1',
    userAgent: 'vitest',
    grantExpiresAt: EXPIRES,
    ...over,
  };
}

function request(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    requestId: 'r1',
    tenantId: 'acme',
    kind: 'access',
    status: 'PENDING',
    ticketId: 'T-1',
    reason: 'billing bug',
    scope: { level: 'full' },
    durationHours: 4,
    requestedBy: { id: 'agent-ann', email: 'agent-ann@example.com', name: 'Ann' },
    requestedAt: '2026-11-23T06:00:00.000Z',
    expiresAt: EXPIRES,
    approvals: [],
    decidedAt: null,
    decidedBy: null,
    grantId: null,
    version: 1,
    ...over,
  };
}

describe('grantView', () => {
  it('shows an ACTIVE grant as ACTIVE 1 ms before its expiresAt, without the stored-only fields', () => {
    // Prepare
    const g = grant();
    // Act
    const view = grantView(g, at(EXPIRES, -1));
    // Assess
    expect(view.status).toBe('ACTIVE');
    expect(view.endedAt).toBeNull();
    expect(view).not.toHaveProperty('version');
    expect(view).not.toHaveProperty('openSessions');
  });

  it('shows the grant EXPIRED at exactly its expiresAt, ended then by the system', () => {
    // Prepare
    const g = grant();
    // Act
    const view = grantView(g, at(EXPIRES));
    // Assess
    expect(view).toMatchObject({ status: 'EXPIRED', endedAt: EXPIRES, endedBy: null, endReason: 'expired' });
  });

  it('never expires a standing grant', () => {
    // Prepare
    const g = grant({ expiresAt: null });
    // Act
    const view = grantView(g, at('2099-01-01T00:00:00.000Z'));
    // Assess
    expect(view.status).toBe('ACTIVE');
  });

  it('keeps a REVOKED grant REVOKED after its expiresAt', () => {
    // Prepare
    const g = grant({ status: 'REVOKED', endedAt: '2026-11-23T16:00:00.000Z', endedBy: lead, endReason: 'done' });
    // Act
    const view = grantView(g, at(EXPIRES, 1000));
    // Assess
    expect(view).toMatchObject({ status: 'REVOKED', endedAt: '2026-11-23T16:00:00.000Z', endReason: 'done' });
  });
});

describe('sessionView', () => {
  it('shows a session open 1 ms before its grant ends', () => {
    // Prepare
    const s = session();
    // Act
    const view = sessionView(s, at(EXPIRES, -1));
    // Assess
    expect(view).toMatchObject({ signOutAt: null, endedBy: null });
    expect(view).not.toHaveProperty('grantExpiresAt');
  });

  it('shows an open session ended by expiry at exactly the end of its grant', () => {
    // Prepare
    const s = session();
    // Act
    const view = sessionView(s, at(EXPIRES));
    // Assess
    expect(view).toMatchObject({ signOutAt: EXPIRES, endedBy: 'expired' });
  });

  it('keeps the sign-out of a session the agent ended before the grant did', () => {
    // Prepare
    const s = session({ signOutAt: '2026-11-23T16:00:00.000Z', endedBy: 'agent' });
    // Act
    const view = sessionView(s, at(EXPIRES, 1000));
    // Assess
    expect(view).toMatchObject({ signOutAt: '2026-11-23T16:00:00.000Z', endedBy: 'agent' });
  });

  it('keeps a session under a standing grant open', () => {
    // Prepare
    const s = session({ grantExpiresAt: null });
    // Act
    const view = sessionView(s, at('2099-01-01T00:00:00.000Z'));
    // Assess
    expect(view.signOutAt).toBeNull();
  });
});

describe('requestView', () => {
  it('shows a request PENDING 1 ms before its expiresAt', () => {
    // Prepare
    const r = request();
    // Act
    const view = requestView(r, at(EXPIRES, -1));
    // Assess
    expect(view.status).toBe('PENDING');
    expect(view).not.toHaveProperty('version');
  });

  it('shows a PENDING request EXPIRED at exactly its expiresAt', () => {
    // Prepare
    const r = request();
    // Act
    const view = requestView(r, at(EXPIRES));
    // Assess
    expect(view.status).toBe('EXPIRED');
  });

  it('keeps a decided request as it was decided after its expiresAt', () => {
    // Prepare
    const r = request({ status: 'APPROVED', grantId: 'g1' });
    // Act
    const view = requestView(r, at(EXPIRES, 1000));
    // Assess
    expect(view.status).toBe('APPROVED');
  });
});

describe('widestScope', () => {
  it('is null when there is no grant', () => {
    // Act
    const scope = widestScope([]);
    // Assess
    expect(scope).toBeNull();
  });

  it('takes the highest level, and only the modules given at that level', () => {
    // Act
    const scope = widestScope([
      { level: 'read-only', modules: ['billing'] },
      { level: 'full', modules: ['users'] },
      { level: 'read-only' },
    ]);
    // Assess
    expect(scope).toEqual({ level: 'full', modules: ['users'] });
  });

  it('unites and sorts the modules of grants at the same level, without repeats', () => {
    // Act
    const scope = widestScope([
      { level: 'read-only', modules: ['users', 'billing'] },
      { level: 'read-only', modules: ['billing', 'audit'] },
    ]);
    // Assess
    expect(scope).toEqual({ level: 'read-only', modules: ['audit', 'billing', 'users'] });
  });

  it('gives every module when one grant at the top level leaves modules open', () => {
    // Act
    const scope = widestScope([{ level: 'full', modules: ['billing'] }, { level: 'full' }]);
    // Assess
    expect(scope).toEqual({ level: 'full' });
    expect(scope).not.toHaveProperty('modules');
  });
});

describe('latestEnd', () => {
  it('is the latest expiry of the live grants', () => {
    // Act
    const end = latestEnd(['2026-11-23T18:00:00.000Z', '2026-11-24T09:00:00.000Z', '2026-11-23T20:00:00.000Z']);
    // Assess
    expect(end).toBe('2026-11-24T09:00:00.000Z');
  });

  it('is null when a standing grant is among them', () => {
    // Act
    const end = latestEnd(['2026-11-23T18:00:00.000Z', null]);
    // Assess
    expect(end).toBeNull();
  });

  it('is null with no grant', () => {
    // Act / Assess
    expect(latestEnd([])).toBeNull();
  });
});
