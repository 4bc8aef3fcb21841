/**
 * Events over the real path: the table's stream (DynamoDB Local) → the publisher handler → the
 * bus, served at `GET /_local/events`. Every state change gives one event (its audit event's id),
 * a refused change gives none, and a bus that fails for a while loses nothing.
 */
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventDetails, type EventDetailType } from '../../lambdas/modules/events/schemas.ts';
import type { EventBus } from '../../lambdas/modules/events/rules.ts';
import { createHandler } from '../../lambdas/jobs/publish.ts';
import { lambdaContext } from '../../local/server.ts';
import { eventually, setupTenant, startTestApi, type TestApi } from '../helpers/http.ts';

/** EventBridge failing on demand: the one thing here that is not real (no AWS account). */
const outage = { calls: 0, failNext: 0 };
const flaky = (bus: EventBus): EventBus => ({
  put: async (events) => {
    outage.calls++;
    if (outage.failNext > 0) {
      outage.failNext--;
      throw Object.assign(new Error('Service Unavailable'), { name: 'InternalException' });
    }
    return bus.put(events);
  },
});

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ tableStream: true, eventsEveryMs: 100, wrapEventBus: flaky });
});
afterAll(async () => api?.stop());

interface Delivered {
  id: string;
  source: string;
  'detail-type': EventDetailType;
  time: string;
  detail: { eventId: string; tenantId: string; at: string; grant?: any; session?: any; request?: any; denial?: any };
}
const eventsOf = async (tenantId: string): Promise<Delivered[]> => {
  const res = await api.call('GET', '/_local/events');
  expect(res.status).toBe(200);
  return (res.body.items as Delivered[]).filter((e) => e.detail.tenantId === tenantId);
};

describe('every state change is published', () => {
  it('grant, sign-in, refused sign-in and revoke: one event each, in order, with the audit event ids and the resource as the API shows it', async () => {
    // Prepare
    const p = await setupTenant(api);
    const t = `/v1/tenants/${p.tenantId}`;
    // Act
    const g = (
      await api.call('POST', `${t}/grants`, {
        as: p.admin,
        body: {
          reason: 'export',
          scope: { level: 'read-only' },
          durationHours: 1,
          grantees: [{ id: p.agent.sub, email: p.agent.email, name: p.agent.name }],
        },
      })
    ).body;
    const s = (await api.call('POST', `${t}/sessions`, { as: p.agent, body: { reason: 'look' } })).body;
    expect((await api.call('POST', `${t}/sessions`, { as: p.agent2, body: { reason: 'me too' } })).status).toBe(403);
    const revoked = (await api.call('POST', `${t}/grants/${g.grantId}/revoke`, { as: p.admin, body: { reason: 'done' } })).body;
    // Assess: what the tenant's audit trail records, published once each (the denial by the timer)
    const audit = (await api.call('GET', `${t}/audit-events?limit=100`, { as: p.admin })).body.items as {
      eventId: string;
      action: string;
    }[];
    const published = audit.filter((a) => !a.action.startsWith('contact.') && !a.action.startsWith('policy.'));
    const events = await eventually(async () => {
      const e = await eventsOf(p.tenantId);
      expect(e).toHaveLength(published.length);
      return e;
    });
    expect(new Set(events.map((e) => e.detail.eventId))).toEqual(new Set(published.map((a) => a.eventId)));
    // In the order of the changes (a revoke's two events come from one transaction, in either order)
    expect(order(events, 'Grant Activated')).toBeLessThan(order(events, 'Session Started'));
    expect(order(events, 'Session Started')).toBeLessThan(Math.min(order(events, 'Grant Revoked'), order(events, 'Session Ended')));
    for (const e of events) {
      expect(e.source).toBe('support-access');
      const parsed = EventDetails[e['detail-type']].safeParse(e.detail);
      expect(parsed.error?.issues ?? [], e['detail-type']).toEqual([]);
    }
    const byType = (d: string) => events.find((e) => e['detail-type'] === d)!.detail;
    expect(byType('Grant Revoked').grant).toEqual(revoked);
    expect(byType('Session Ended').session).toMatchObject({ sessionId: s.sessionId, endedBy: 'revoked' });
    expect(byType('Session Denied').denial).toMatchObject({ agent: { id: p.agent2.sub }, reason: 'me too' });
  });

  it('publishes nothing for a change that did not happen (a second revoke, a bad body)', async () => {
    // Prepare
    const p = await setupTenant(api);
    const t = `/v1/tenants/${p.tenantId}`;
    const g = (
      await api.call('POST', `${t}/grants`, { as: p.admin, body: { reason: 'export', scope: { level: 'full' }, durationHours: 1 } })
    ).body;
    await api.call('POST', `${t}/grants/${g.grantId}/revoke`, { as: p.admin, body: {} });
    await eventually(async () => expect(await eventsOf(p.tenantId)).toHaveLength(2));
    // Act
    expect((await api.call('POST', `${t}/grants/${g.grantId}/revoke`, { as: p.admin, body: {} })).status).toBe(409);
    expect(
      (await api.call('POST', `${t}/grants`, { as: p.admin, body: { reason: 'x', scope: { level: 'everything' }, durationHours: 1 } }))
        .status,
    ).toBe(400);
    await api.stack.publishEvents();
    // Assess
    expect((await eventsOf(p.tenantId)).map((e) => e['detail-type'])).toEqual(['Grant Activated', 'Grant Revoked']);
  });

  it('publishes an event whose details are empty (a cancelled request), and the events after it', async () => {
    // Prepare: a request, cancelled by its requester (its audit event carries `details: {}`)
    const p = await setupTenant(api);
    const t = `/v1/tenants/${p.tenantId}`;
    const r = (
      await api.call('POST', `${t}/access-requests`, {
        as: p.agent,
        body: { ticketId: 'T-7', reason: 'look at exports', scope: { level: 'read-only' }, durationHours: 1 },
      })
    ).body;
    // Act
    expect((await api.call('POST', `${t}/access-requests/${r.requestId}/cancel`, { as: p.agent })).status).toBe(200);
    const g = await api.call('POST', `${t}/grants`, {
      as: p.admin,
      body: { reason: 'after', scope: { level: 'read-only' }, durationHours: 1 },
    });
    expect(g.status).toBe(201);
    // Assess: the cancel is published, and the grant after it is not held back behind it
    const events = await eventually(async () => {
      const e = await eventsOf(p.tenantId);
      expect(e.map((x) => x['detail-type'])).toEqual(['Access Request Created', 'Access Request Cancelled', 'Grant Activated']);
      return e;
    });
    expect(events[1]!.detail.request).toMatchObject({ requestId: r.requestId, status: 'CANCELLED' });
  });

  it("publishes the expiry job's changes", async () => {
    const p = await setupTenant(api);
    const t = `/v1/tenants/${p.tenantId}`;
    const g = (
      await api.call('POST', `${t}/grants`, { as: p.admin, body: { reason: 'export', scope: { level: 'full' }, durationHours: 1 } })
    ).body;
    await api.call('POST', `${t}/sessions`, { as: p.agent, body: { reason: 'look' } });
    await api.advance(3600);
    await api.call('POST', '/_local/jobs/expire');
    const events = await eventsOf(p.tenantId);
    expect(events.find((e) => e['detail-type'] === 'Grant Expired')?.detail.grant).toMatchObject({ grantId: g.grantId, status: 'EXPIRED' });
    expect(events.find((e) => e['detail-type'] === 'Session Ended')?.detail.session).toMatchObject({ endedBy: 'expired' });
  });
});

describe('when EventBridge fails for a while', () => {
  it('retries, then leaves the batch to be read again, and every event arrives with its stable eventId', async () => {
    // Prepare: the bus refuses the next 7 puts (more than one delivery's tries)
    const p = await setupTenant(api);
    const t = `/v1/tenants/${p.tenantId}`;
    outage.failNext = 7;
    // Act: changes while the bus is down
    const g = (
      await api.call('POST', `${t}/grants`, { as: p.admin, body: { reason: 'export', scope: { level: 'full' }, durationHours: 1 } })
    ).body;
    await api.call('POST', `${t}/sessions`, { as: p.agent, body: { reason: 'look' } });
    await api.call('POST', `${t}/grants/${g.grantId}/revoke`, { as: p.admin, body: {} });
    // Assess: once it is back, all four are there; a redelivery repeats an eventId, never invents one
    const events = await eventually(async () => {
      const e = await eventsOf(p.tenantId);
      expect(new Set(e.map((x) => x['detail-type']))).toEqual(
        new Set(['Grant Activated', 'Session Started', 'Grant Revoked', 'Session Ended']),
      );
      return e;
    }, 10_000);
    expect(outage.failNext).toBe(0);
    const audit = (await api.call('GET', `${t}/audit-events?limit=100`, { as: p.admin })).body.items as {
      eventId: string;
      action: string;
    }[];
    expect(new Set(events.map((e) => e.detail.eventId))).toEqual(
      new Set(audit.filter((a) => !a.action.startsWith('contact.')).map((a) => a.eventId)),
    );
  });

  it('the publisher reports the records it could not publish, so the stream mapping retries them and then dead-letters them', async () => {
    // Prepare: an audit item as the stream carries it
    const p = await setupTenant(api);
    const g = (
      await api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
        as: p.admin,
        body: { reason: 'export', scope: { level: 'full' }, durationHours: 1 },
      })
    ).body;
    const audit = (await api.call('GET', `/v1/tenants/${p.tenantId}/audit-events`, { as: p.admin })).body.items.find(
      (a: any) => a.action === 'grant.activated',
    );
    const record = {
      eventName: 'INSERT',
      dynamodb: {
        SequenceNumber: '42',
        NewImage: {
          type: { S: 'audit' },
          tenantId: { S: p.tenantId },
          eventId: { S: audit.eventId },
          at: { S: audit.at },
          action: { S: 'grant.activated' },
          targetId: { S: g.grantId },
          actor: { M: { id: { S: p.admin.sub }, email: { S: p.admin.email }, name: { S: p.admin.name } } },
          details: { M: {} },
        },
      },
    } as unknown as DynamoDBStreamEvent['Records'][number];
    outage.failNext = 1_000;
    try {
      // Act
      // The publisher over the stack's dependencies: its (flaky) bus.
      const publish = createHandler(() => api.stack.runtime);
      const res = await publish({ Records: [record] }, lambdaContext('support-access-publisher'));
      // Assess
      expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: '42' }] });
    } finally {
      outage.failNext = 0;
    }
  });
});

function order(events: Delivered[], type: string): number {
  return events.findIndex((e) => e['detail-type'] === type);
}
