/**
 * Logs and metrics as an operator reads them, from the real handlers and jobs of the local stack
 * with the deployed telemetry (`createTelemetry()`: Powertools' Logger at INFO and Metrics writing
 * EMF), captured where Lambda's runtime would read them (stdout and stderr):
 * - every line a request writes is JSON carrying its request id, its correlation id and its
 *   tenant, and no personal data (no email address, name, reason or IP address);
 * - the figures an operator watches arrive as EMF documents in the `SupportAccess` namespace with
 *   the `service` dimension, one per invocation, with the values of what happened.
 * The EMF names and dimensions are the constants `lib/alarms.ts` reads (`test/infra/stack.test.ts`).
 */
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_DIMENSIONS, METRICS, METRICS_NAMESPACE, SERVICE_NAME } from '../../lambdas/contract/metrics.ts';
import type { EventBus } from '../../lambdas/modules/events/rules.ts';
import { createHandler as createPublisher } from '../../lambdas/jobs/publish.ts';
import { createTelemetry } from '../../lambdas/runtime/index.ts';
import { lambdaContext } from '../../local/server.ts';
import { ulid } from 'ulid';
import { documentClient } from '../../lambdas/runtime/clients.ts';
import { localDynamoClient } from '../../local/dynamodb.ts';
import { putForgedAuditEvent } from '../helpers/forged-audit.ts';
import { setupTenant, startTestApi, type People, type TestApi } from '../helpers/http.ts';
import { deliver, FaultyMail } from '../helpers/mail.ts';
import { captured, metricValue, type Captured } from '../helpers/output.ts';

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The one EMF document that declares `name`, checked for the namespace and dimension the alarms read. */
function emfWith(out: Captured, name: string): Record<string, any> {
  const docs = out.emf().filter((d) => metricValue(d, name) !== undefined);
  expect(docs, `EMF documents with ${name}`).toHaveLength(1);
  const doc = docs[0]!;
  expect(doc._aws.CloudWatchMetrics).toEqual([
    { Namespace: METRICS_NAMESPACE, Dimensions: [Object.keys(METRIC_DIMENSIONS)], Metrics: expect.any(Array) },
  ]);
  expect(doc).toMatchObject(METRIC_DIMENSIONS);
  return doc;
}

describe('an HTTP request', () => {
  let api: TestApi;
  let p: People;
  beforeAll(async () => {
    api = await startTestApi({ telemetry: createTelemetry() });
    p = await setupTenant(api);
  });
  afterAll(async () => api?.stop());

  it('writes JSON lines with its request id, correlation id and tenant, and no email, name, reason or IP address', async () => {
    // Prepare
    const t = `/v1/tenants/${p.tenantId}`;
    const reasons = ['Customer Jane Doe cannot print invoice 4711', 'Reading the invoices of Jane Doe'];
    // Act
    const out = await captured(async () => {
      const contact = await api.call('PUT', `${t}/contacts/${encodeURIComponent(p.user.email)}`, {
        as: p.admin,
        body: { name: p.user.name },
        headers: { 'x-correlation-id': 'ticket-4711' },
      });
      expect(contact.status).toBe(201);
      const grant = await api.call('POST', `${t}/grants`, {
        as: p.admin,
        body: {
          reason: reasons[0],
          scope: { level: 'read-only' },
          durationHours: 1,
          grantees: [{ id: p.agent.sub, email: p.agent.email, name: p.agent.name }],
        },
      });
      expect(grant.status).toBe(201);
      expect((await api.call('POST', `${t}/sessions`, { as: p.agent, body: { reason: reasons[1] } })).status).toBe(201);
      // A correlation id that is not an id (here an email) is not taken: the request id stands in.
      const refused = await api.call('POST', `${t}/sessions`, {
        as: p.agent2,
        body: { reason: reasons[1] },
        headers: { 'x-correlation-id': p.agent2.email },
      });
      expect(refused.status).toBe(403);
    });
    // Assess
    const logs = out.logs(); // every line parses as JSON
    const requests = logs.filter((l) => l.message === 'request');
    expect(requests.map((l) => [l.route, l.status])).toEqual([
      ['PutContact', 201],
      ['CreateGrant', 201],
      ['SignIn', 201],
      ['SignIn', 403],
    ]);
    for (const line of logs) {
      expect(line).toMatchObject({ level: expect.any(String), service: SERVICE_NAME, tenantId: p.tenantId });
      expect(line.requestId).toMatch(UUID);
      expect(line.correlationId).toEqual(expect.any(String));
    }
    expect(requests.map((l) => (l.correlationId === l.requestId ? 'request id' : l.correlationId))).toEqual([
      'ticket-4711',
      'request id',
      'request id',
      'request id',
    ]);
    expect(new Set(requests.map((l) => l.requestId)).size).toBe(4);
    const text = out.lines.join('\n');
    expect(text).not.toMatch(EMAIL);
    for (const personal of [...reasons, 'Jane', p.admin.name, p.agent.name, p.user.name, '127.0.0.1']) expect(text).not.toContain(personal);
    // The figures: one grant switched on, one sign-in refused, each in its request's EMF document.
    expect(metricValue(emfWith(out, METRICS.grantsActivated), METRICS.grantsActivated)).toBe(1);
    expect(metricValue(emfWith(out, METRICS.signInsRefused), METRICS.signInsRefused)).toBe(1);
    expect(out.emf()).toHaveLength(2);
  });

  it("counts an access request's deciding approval as a grant switched on", async () => {
    // Prepare
    const t = `/v1/tenants/${p.tenantId}`;
    const request = await api.call('POST', `${t}/access-requests`, {
      as: p.agent,
      body: { ticketId: 'T-9', reason: 'Jane Doe again', scope: { level: 'read-only' }, durationHours: 2 },
    });
    expect(request.status).toBe(201);
    // Act
    const out = await captured(async () => {
      const approved = await api.call('POST', `${t}/access-requests/${request.body.requestId}/approve`, { as: p.contact, body: {} });
      expect(approved.status).toBe(200);
    });
    // Assess
    expect(metricValue(emfWith(out, METRICS.grantsActivated), METRICS.grantsActivated)).toBe(1);
    expect(out.logs().map((l) => [l.message, l.route, l.status, l.tenantId])).toEqual([
      ['request', 'ApproveAccessRequest', 200, p.tenantId],
    ]);
    expect(out.lines.join('\n')).not.toMatch(EMAIL);
  });
});

describe('the expiry-and-seal job', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ telemetry: createTelemetry() });
  });
  afterAll(async () => api?.stop());

  it('writes the size of each run: warnings, then grants and requests expired, and events sealed', async () => {
    // Prepare: three grants (two of 1 h, one of 4 h), a session under one, a PENDING request (12 h).
    const p = await setupTenant(api);
    const t = `/v1/tenants/${p.tenantId}`;
    const grantFor = async (who: typeof p.agent, durationHours: number) => {
      const res = await api.call('POST', `${t}/grants`, {
        as: p.admin,
        body: { reason: 'r', scope: { level: 'read-only' }, durationHours, grantees: [{ id: who.sub, email: who.email, name: who.name }] },
      });
      expect(res.status).toBe(201);
    };
    await grantFor(p.agent, 1);
    await grantFor(p.agent2, 1);
    await grantFor(p.agent, 4);
    expect((await api.call('POST', `${t}/sessions`, { as: p.agent2, body: { reason: 'look' } })).status).toBe(201);
    const request = await api.call('POST', `${t}/access-requests`, {
      as: p.lead,
      body: { ticketId: 'T-1', reason: 'r', scope: { level: 'read-only' }, durationHours: 1 },
    });
    expect(request.status).toBe(201);

    // Act 1: 45 minutes on, the two short grants are inside their 30-minute warning.
    await api.advance(45 * 60);
    let first: any;
    const run1 = await captured(async () => {
      first = await api.stack.runExpiry();
    });
    // Act 2: 13 hours on, every grant has ended and the request has lapsed.
    await api.advance(13 * 3600);
    let second: any;
    const run2 = await captured(async () => {
      second = await api.stack.runExpiry();
    });

    // Assess
    const figures = (out: Captured) => {
      const doc = emfWith(out, METRICS.grantsExpired);
      return Object.fromEntries(
        [
          METRICS.expiryWarningsSent,
          METRICS.grantsExpired,
          METRICS.requestsExpired,
          METRICS.escalationsSent,
          METRICS.expiryRunsIncomplete,
          METRICS.auditEventsSealed,
        ].map((m) => [m, metricValue(doc, m)]),
      );
    };
    // Everything written so far was sealed by the first run: contacts, grants, session, request.
    expect(first.audit.sealed).toBeGreaterThanOrEqual(7);
    expect(figures(run1)).toEqual({
      ExpiryWarningsSent: 2,
      GrantsExpired: 0,
      RequestsExpired: 0,
      EscalationsSent: 0,
      ExpiryRunsIncomplete: 0,
      AuditEventsSealed: first.audit.sealed,
    });
    expect(figures(run2)).toEqual({
      ExpiryWarningsSent: 0,
      GrantsExpired: 3,
      RequestsExpired: 1,
      EscalationsSent: 0,
      ExpiryRunsIncomplete: 0,
      AuditEventsSealed: second.audit.sealed,
    });
    // Its log: the run's report and the new chain head of the tenant, as JSON lines.
    const lines = run2.logs();
    expect(lines.find((l) => l.message === 'expiry run')).toMatchObject({
      level: 'INFO',
      expiry: { grantsExpired: 3, requestsExpired: 1, sessionsEnded: 1 },
      audit: { sealed: second.audit.sealed },
    });
    // The new head of the tenant's chain, as verify reads it: the copy outside the table that shows a chain cut at its end
    const head = (await api.call('GET', `${t}/audit-events/verify`, { as: p.admin })).body.head;
    expect(lines.filter((l) => l.message === 'audit chain head')).toContainEqual(
      expect.objectContaining({ level: 'INFO', tenantId: p.tenantId, seq: head.seq, hash: head.hash }),
    );
    expect(run2.lines.join('\n')).not.toMatch(EMAIL);
  });
});

describe('the audit trail watch', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ telemetry: createTelemetry() });
  });
  afterAll(async () => api?.stop());

  it('counts a tenant whose trail holds an event the API did not write, in every run until mended', async () => {
    // Prepare: a tenant with a sealed, verified history
    const p = await setupTenant(api);
    await api.stack.runExpiry();
    // Act: an audit event put by hand with the sealing marker (no MAC), then two runs
    const doc = documentClient(localDynamoClient(api.stack.dynamoEndpoint));
    const at = api.stack.clock.now();
    const eventId = ulid(at.getTime());
    await putForgedAuditEvent(doc, api.stack.tableName, { tenantId: p.tenantId, eventId, at: at.toISOString(), actor: p.admin });
    const run1 = await captured(async () => void (await api.stack.runExpiry()));
    const run2 = await captured(async () => void (await api.stack.runExpiry()));
    // Assess: the alarm's metric says 1 each time; the run's log line names the tenant and the kind
    for (const run of [run1, run2]) {
      expect(metricValue(emfWith(run, METRICS.auditTrailProblems), METRICS.auditTrailProblems)).toBe(1);
      expect(run.logs().find((l) => l.message === 'expiry run')).toMatchObject({
        audit: { verify: { problems: [{ tenantId: p.tenantId, kinds: { forged: 1 } }] } },
      });
    }
  });
});

describe('the notifier and the publisher', () => {
  let api: TestApi;
  const mailer = new FaultyMail();
  /** EventBridge refusing everything while `down`: the one thing here that is not real (no AWS account). */
  let down = false;
  const flaky = (bus: EventBus): EventBus => ({
    put: async (events) => {
      if (down) throw Object.assign(new Error('Service Unavailable'), { name: 'InternalException' });
      return bus.put(events);
    },
  });
  beforeAll(async () => {
    api = await startTestApi({
      telemetry: createTelemetry(),
      wrapMailer: mailer.wrap,
      tableStream: true,
      eventsEveryMs: 0,
      wrapEventBus: flaky,
    });
  });
  afterAll(async () => api?.stop());

  it('writes the emails sent and given up on, run by run', async () => {
    // Prepare: the setup's mail delivered, then SES refusing the admin's mail five times.
    const p = await setupTenant(api);
    await deliver(api);
    mailer.failNext(p.admin.email, 5);
    const grant = await api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
      as: p.admin,
      body: { reason: 'r', scope: { level: 'read-only' }, durationHours: 8 },
    });
    expect(grant.status).toBe(201);
    // Act: five deliveries, each after the backoff of the one before.
    const runs: Captured[] = [];
    for (let i = 0; i < 5; i++) {
      runs.push(await captured(async () => void (await deliver(api))));
      await api.advance(600);
    }
    // Assess: tries 1-4 put it back in line (none sent: the admin's copy failed); the fifth gives
    // up on it (an alarm reads EmailsFailed).
    const figures = runs.map((out) => {
      const doc = emfWith(out, METRICS.emailsFailed);
      return [metricValue(doc, METRICS.emailsSent), metricValue(doc, METRICS.emailsFailed)];
    });
    expect(figures).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 1],
    ]);
    expect(
      runs
        .at(-1)!
        .logs()
        .find((l) => l.message === 'outbox drained'),
    ).toMatchObject({ failed: 1 });
  });

  it('writes each failure to publish, with its event id, and nothing while the bus takes them', async () => {
    // Prepare: stream records of new audit items of a real grant, as the table's stream hands them over.
    const p = await setupTenant(api);
    const grant = await api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
      as: p.admin,
      body: { reason: 'r', scope: { level: 'read-only' }, durationHours: 1 },
    });
    expect(grant.status).toBe(201);
    const record = (eventId: string) =>
      ({
        eventName: 'INSERT',
        dynamodb: {
          SequenceNumber: eventId,
          NewImage: {
            type: { S: 'audit' },
            tenantId: { S: p.tenantId },
            eventId: { S: eventId },
            at: { S: new Date().toISOString() },
            action: { S: 'grant.activated' },
            targetId: { S: grant.body.grantId },
            actor: { M: { id: { S: p.admin.sub }, email: { S: p.admin.email }, name: { S: p.admin.name } } },
            details: { M: {} },
          },
        },
      }) as unknown as DynamoDBStreamEvent['Records'][number];
    const publish = createPublisher(() => api.stack.runtime);
    // Act
    const ok = await captured(async () => {
      await publish({ Records: [record('01JAAAAAAAAAAAAAAAAAAAAAA1'), record('01JAAAAAAAAAAAAAAAAAAAAAA2')] }, lambdaContext('publisher'));
    });
    down = true;
    const failed = await captured(async () => {
      try {
        const res = await publish({ Records: [record('01JAAAAAAAAAAAAAAAAAAAAAA3')] }, lambdaContext('publisher'));
        expect(res.batchItemFailures).toHaveLength(1);
      } finally {
        down = false;
      }
    });
    // Assess
    expect(ok.emf()).toEqual([]);
    expect(metricValue(emfWith(failed, METRICS.eventPublishFailures), METRICS.eventPublishFailures)).toBe(1);
    expect(failed.logs().find((l) => l.level === 'ERROR')).toMatchObject({
      message: 'publishing failed',
      eventId: '01JAAAAAAAAAAAAAAAAAAAAAA3',
      tenantId: p.tenantId,
      error: { name: 'InternalException' },
    });
  });
});
