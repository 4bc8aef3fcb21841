/**
 * Email when SES fails: the SES mailer of the local stack is wrapped so that sends to one test's
 * tenant throw a throttling error for a while. Nothing is lost, each retry waits its backoff on the
 * local clock, nobody gets a copy twice, and a message that fails every try is kept as FAILED
 * (the dead letter) until it is re-driven.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupTenant, startTestApi, type People, type TestApi } from '../helpers/http.ts';
import { APP_BASE_URL, contactsOf, deliver, FaultyMail, mailOf, onlyMail } from '../helpers/mail.ts';

const faults = new FaultyMail();
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ appBaseUrl: APP_BASE_URL, wrapMailer: faults.wrap });
});
afterAll(async () => api?.stop());

const GRANTED = /access granted/;
const BACKOFFS = [30, 60, 120, 240];

const grant = (p: People) =>
  api.call('POST', `/v1/tenants/${p.tenantId}/grants`, {
    as: p.admin,
    body: { ticketId: 'TCK-F', reason: 'ses trouble', scope: { level: 'read-only' }, durationHours: 2 },
  });
/** The send attempts for a tenant's addresses so far. */
const attemptsOf = (p: People) => faults.attempts.filter((a) => a.to.includes(p.tenantId));
const failedOf = (p: People) => attemptsOf(p).filter((a) => !a.ok).length;

interface FailedMessage {
  messageId: string;
  tenantId: string;
  kind: string;
  status: string;
  attempts: number;
  lastError: string | null;
}
const failedList = async () => (await api.call<{ items: FailedMessage[] }>('GET', '/_local/outbox/failed')).body.items;

describe('SES failing for a while', () => {
  it('delivers nothing while SES fails, retries after 30 s then 60 s, and sends one copy each once it recovers', async () => {
    // Prepare
    const p = await setupTenant(api);
    faults.failNext(p.tenantId, 3);
    expect((await grant(p)).status).toBe(201);

    // Act: the first try fails
    await deliver(api);
    // Assess
    expect(failedOf(p)).toBe(1);
    for (const c of contactsOf(p)) expect(await mailOf(api, c)).toEqual([]);

    // Act: no retry before the first backoff (30 s) has passed (the local clock also moves with
    // real time, so the early looks keep a margin of some seconds)
    await deliver(api);
    await api.advance(20);
    await deliver(api);
    // Assess
    expect(attemptsOf(p)).toHaveLength(1);

    // Act: the second try, 30 s after the first, fails too
    await api.advance(10);
    await deliver(api);
    // Assess
    expect(failedOf(p)).toBe(2);

    // Act: the next backoff is 60 s
    await api.advance(45);
    await deliver(api);
    expect(attemptsOf(p)).toHaveLength(2);
    await api.advance(15);
    await deliver(api);
    // Assess: the third try failed; nothing delivered yet
    expect(failedOf(p)).toBe(3);
    for (const c of contactsOf(p)) expect(await mailOf(api, c)).toEqual([]);

    // Act: SES has recovered; the fourth try after 120 s delivers
    await api.advance(120);
    const report = await deliver(api);
    for (let i = 0; i < 3; i++) {
      await api.advance(600);
      await deliver(api);
    }
    // Assess
    expect(report.sent).toBeGreaterThanOrEqual(1);
    for (const c of contactsOf(p)) {
      const m = await onlyMail(api, c, GRANTED);
      expect(m.body.text).toContain('ses trouble');
      expect(await mailOf(api, c)).toHaveLength(1);
    }
    expect(attemptsOf(p).filter((a) => a.ok)).toHaveLength(contactsOf(p).length);
    expect((await failedList()).filter((m) => m.tenantId === p.tenantId)).toEqual([]);
  });

  it('after a partial failure resends only to the recipients who did not get it', async () => {
    // Prepare
    const p = await setupTenant(api);
    faults.failNext(p.contact.email, 1);
    expect((await grant(p)).status).toBe(201);
    // Act
    await deliver(api);
    await api.advance(30);
    await deliver(api);
    await api.advance(600);
    await deliver(api);
    // Assess
    for (const c of contactsOf(p)) expect(await mailOf(api, c, GRANTED)).toHaveLength(1);
    expect(faults.attemptsTo(p.admin.email)).toEqual([expect.objectContaining({ ok: true })]);
    expect(faults.attemptsTo(p.contact.email).map((a) => a.ok)).toEqual([false, true]);
  });

  it('sends one copy each with several deliveries running in parallel while SES recovers', async () => {
    // Prepare
    const p = await setupTenant(api);
    faults.failNext(p.tenantId, 2);
    const req = await api.call('POST', `/v1/tenants/${p.tenantId}/access-requests`, {
      as: p.agent,
      body: { ticketId: 'TCK-P', reason: 'parallel', scope: { level: 'read-only' }, durationHours: 1 },
    });
    const approved = await api.call('POST', `/v1/tenants/${p.tenantId}/access-requests/${req.body.requestId}/approve`, {
      as: p.contact,
      body: {},
    });
    expect(approved.status).toBe(200);
    // Act
    for (const wait of [0, ...BACKOFFS]) {
      await api.advance(wait);
      await Promise.all(Array.from({ length: 5 }, () => deliver(api)));
    }
    // Assess
    expect(failedOf(p)).toBe(2);
    for (const c of contactsOf(p)) {
      expect(await mailOf(api, c, /asks for access/)).toHaveLength(1);
      expect(await mailOf(api, c, GRANTED)).toHaveLength(1);
      expect(await mailOf(api, c)).toHaveLength(2);
    }
  });
});

describe('SES failing on every try', () => {
  it('keeps the message as FAILED with its error after 5 tries, and a redrive delivers it once', async () => {
    // Prepare
    const p = await setupTenant(api);
    faults.failNext(p.tenantId, 5);
    expect((await grant(p)).status).toBe(201);

    // Act: five tries, each after its backoff
    await deliver(api);
    for (const wait of BACKOFFS) {
      await api.advance(wait);
      await deliver(api);
    }
    // Assess
    expect(failedOf(p)).toBe(5);
    const failed = (await failedList()).filter((m) => m.tenantId === p.tenantId);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ kind: 'grant.activated', status: 'FAILED', attempts: 5 });
    expect(failed[0]!.lastError).toContain('Throttling');
    expect(failed[0]!.lastError).toContain('Maximum sending rate exceeded');
    for (const c of contactsOf(p)) expect(await mailOf(api, c)).toEqual([]);

    // Act: a dead letter is not retried on its own, however long one waits
    await api.advance(86_400);
    await deliver(api);
    // Assess
    expect(attemptsOf(p)).toHaveLength(5);

    // Act: SES is healthy again; re-drive it
    const redriven = await api.call('POST', `/_local/outbox/${failed[0]!.messageId}/redrive`);
    await deliver(api);
    const again = await api.call('POST', `/_local/outbox/${failed[0]!.messageId}/redrive`);
    await api.advance(600);
    await deliver(api);
    // Assess
    expect(redriven).toMatchObject({ status: 200, body: { redriven: true } });
    expect(again.status).toBe(409);
    for (const c of contactsOf(p)) {
      const m = await onlyMail(api, c, GRANTED);
      expect(m.body.text).toContain('ses trouble');
    }
    expect((await failedList()).filter((m) => m.tenantId === p.tenantId)).toEqual([]);
  });

  it('refuses to re-drive a message that is not FAILED', async () => {
    // Act
    const res = await api.call('POST', '/_local/outbox/01NOSUCHMESSAGE0000000000/redrive');
    // Assess
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('CONFLICT');
  });
});
