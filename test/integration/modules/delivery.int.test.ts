/** Delivery of the outbox: each email sent once, retried with backoff, kept when it keeps failing. */
import { describe, expect, it } from 'vitest';
import { createGrant } from '../../../lambdas/modules/grants/service.ts';
import {
  backoffSeconds,
  deliver,
  drainOutbox,
  LEASE_SECONDS,
  MAX_TRIES,
  type DeliveryDeps,
} from '../../../lambdas/modules/mail/delivery.ts';
import { linksFrom } from '../../../lambdas/modules/mail/templates.ts';
import type { Mailer } from '../../../lambdas/kernel/ports.ts';
import { denyRequest, createRequest } from '../../../lambdas/modules/requests/service.ts';
import { setupTenant, testDeps, type TestDeps, type Tenant } from '../../helpers/domain.ts';

interface Sent {
  to: string[];
  subject: string;
  text: string;
  html: string;
}

/** A mailer that records what it sent and fails when `fail` says so (before sending). */
function fakeMailer(fail: (to: string, call: number) => boolean = () => false) {
  const sent: Sent[] = [];
  let calls = 0;
  const mailer: Mailer = {
    async send(mail) {
      calls++;
      await new Promise((r) => setImmediate(r));
      if (fail(mail.to[0]!, calls)) throw new Error(`SES throttled ${mail.to[0]}`);
      sent.push(mail);
      return { providerId: `p-${calls}` };
    },
  };
  return { mailer, sent, calls: () => calls };
}

const CONTACTS = ['acme-admin@example.com', 'acme-carol@example.com', 'acme-dave@example.com'];

async function withGrantMail(): Promise<{ deps: TestDeps; t: Tenant; messageId: string }> {
  const deps = await testDeps();
  const t = await setupTenant(deps);
  await createGrant(deps, t.admin, t.tenantId, { reason: 'billing bug', scope: { level: 'read-only' }, durationHours: 4 });
  const [msg] = await await deps.store.outboxOf(t.tenantId);
  return { deps, t, messageId: msg!.messageId };
}

const delivery = (deps: TestDeps, mailer: Mailer): DeliveryDeps => ({
  store: deps.store,
  outbox: deps.store,
  mailer,
  clock: deps.clock,
  links: linksFrom('https://support.example.com'),
});

describe('deliver', () => {
  it('sends one email to each authorized contact, marks it SENT, and never sends it again', async () => {
    // Prepare
    const { deps, messageId } = await withGrantMail();
    const m = fakeMailer();
    // Act
    const first = await deliver(delivery(deps, m.mailer), messageId);
    deps.clock.advanceHours(1);
    const second = await deliver(delivery(deps, m.mailer), messageId);
    // Assess
    expect(first).toBe('sent');
    expect(second).toBe('skipped');
    expect(m.sent.map((s) => s.to)).toEqual(CONTACTS.map((c) => [c]));
    expect(m.sent[0]!.subject).toBe('Support access granted to acme');
    expect(await deps.store.getOutbox(messageId)).toMatchObject({
      status: 'SENT',
      attempts: 1,
      sentAt: '2026-11-23T14:00:00.000Z',
      lastError: null,
      sentTo: CONTACTS,
    });
    expect(await deps.store.dueOutbox(0, '2099-01-01T00:00:00.000Z', 100)).not.toContain(messageId);
  });

  it('sends to the explicit recipients only when the message names them', async () => {
    // Prepare
    const deps = await testDeps();
    const t = await setupTenant(deps);
    const r = await createRequest(deps, t.agent, t.tenantId, {
      ticketId: 'T-1',
      reason: 'x',
      scope: { level: 'read-only' },
      durationHours: 1,
    });
    await denyRequest(deps, t.admin, t.tenantId, r.requestId, undefined);
    const denied = (await deps.store.outboxOf(t.tenantId)).find((x) => x.kind === 'request.denied')!;
    const m = fakeMailer();
    // Act
    const result = await deliver(delivery(deps, m.mailer), denied.messageId);
    // Assess
    expect(result).toBe('sent');
    expect(m.sent.map((s) => s.to)).toEqual([[t.agent.email]]);
  });

  it('retries after 30 s, 60 s, 120 s... and then sends exactly once per recipient', async () => {
    // Prepare
    const { deps, messageId } = await withGrantMail();
    let failing = 3;
    const m = fakeMailer(() => failing > 0);
    const d = delivery(deps, m.mailer);
    const results: string[] = [];
    const nextAttempts: string[] = [];
    // Act
    for (let i = 0; i < 3; i++) {
      results.push(await deliver(d, messageId));
      failing--;
      const rec = (await deps.store.getOutbox(messageId))!;
      nextAttempts.push(rec.nextAttemptAt);
      // Not due, and not deliverable, 1 ms before its backoff passes.
      deps.clock.set(new Date(Date.parse(rec.nextAttemptAt) - 1));
      expect(await deliver(d, messageId)).toBe('skipped');
      expect(await drainOutbox(d)).toEqual({ sent: 0, retry: 0, failed: 0, skipped: 0 });
      deps.clock.advanceMs(1);
    }
    const final = await drainOutbox(d);
    // Assess
    expect(results).toEqual(['retry', 'retry', 'retry']);
    expect(nextAttempts).toEqual([
      '2026-11-23T14:00:30.000Z', // now + 30 s
      '2026-11-23T14:01:30.000Z', // + 60 s
      '2026-11-23T14:03:30.000Z', // + 120 s
    ]);
    expect(final).toEqual({ sent: 1, retry: 0, failed: 0, skipped: 0 });
    expect(m.sent.map((s) => s.to[0])).toEqual(CONTACTS);
    expect(await deps.store.getOutbox(messageId)).toMatchObject({ status: 'SENT', attempts: 4, lastError: null });
  });

  it('after a partial failure, resends only to the recipients who did not get it', async () => {
    // Prepare
    const { deps, messageId } = await withGrantMail();
    let carolDown = true;
    const m = fakeMailer((to) => carolDown && to === 'acme-carol@example.com');
    const d = delivery(deps, m.mailer);
    // Act
    const first = await deliver(d, messageId);
    const afterFirst = await deps.store.getOutbox(messageId);
    carolDown = false;
    deps.clock.advanceSeconds(backoffSeconds(1));
    const second = await deliver(d, messageId);
    // Assess
    expect(first).toBe('retry');
    expect(afterFirst).toMatchObject({
      status: 'PENDING',
      sentTo: ['acme-admin@example.com'],
      lastError: expect.stringContaining('SES throttled acme-carol@example.com'),
    });
    expect(second).toBe('sent');
    expect(m.sent.map((s) => s.to[0])).toEqual(CONTACTS); // admin once, then carol and dave
  });

  it(`keeps the message as FAILED with the last error after ${MAX_TRIES} failed tries; a redrive delivers it`, async () => {
    // Prepare
    const { deps, messageId } = await withGrantMail();
    let down = true;
    const m = fakeMailer(() => down);
    const d = delivery(deps, m.mailer);
    const results: string[] = [];
    // Act
    for (let i = 1; i <= MAX_TRIES; i++) {
      results.push(await deliver(d, messageId));
      deps.clock.advanceSeconds(backoffSeconds(i));
    }
    const failed = await deps.store.listFailedOutbox(10);
    const sixth = await deliver(d, messageId);
    down = false;
    const redriven = await deps.store.redriveOutbox(messageId, deps.clock.now().toISOString());
    const again = await deps.store.redriveOutbox(messageId, deps.clock.now().toISOString());
    const afterRedrive = await drainOutbox(d);
    // Assess
    expect(results).toEqual(['retry', 'retry', 'retry', 'retry', 'failed']);
    expect(failed.map((f) => f.messageId)).toEqual([messageId]);
    expect(failed[0]).toMatchObject({ status: 'FAILED', attempts: MAX_TRIES, lastError: 'Error: SES throttled acme-admin@example.com' });
    expect(sixth).toBe('skipped'); // the dead letter is not retried on its own
    expect(redriven).toBe(true);
    expect(again).toBe(false); // only a FAILED message can be redriven
    expect(afterRedrive.sent).toBe(1);
    expect(m.sent.map((s) => s.to[0])).toEqual(CONTACTS);
    expect(await deps.store.getOutbox(messageId)).toMatchObject({ status: 'SENT', attempts: 1 });
    expect(await deps.store.listFailedOutbox(10)).toEqual([]);
  });

  it('sends once when two deliveries of the same message run at the same time', async () => {
    // Prepare
    const { deps, messageId } = await withGrantMail();
    const m = fakeMailer();
    const d = delivery(deps, m.mailer);
    // Act
    const results = await Promise.all([deliver(d, messageId), deliver(d, messageId), drainOutbox(d)]);
    // Assess
    expect(results.slice(0, 2).sort()).toEqual(['sent', 'skipped']);
    expect(results[2]).toMatchObject({ sent: 0 });
    expect(m.sent.map((s) => s.to[0])).toEqual(CONTACTS);
  });

  it("takes over a crashed sender's message only once its lease has lapsed", async () => {
    // Prepare
    const { deps, messageId } = await withGrantMail();
    const now = deps.clock.now();
    await deps.store.claimOutbox(messageId, now.toISOString(), new Date(now.getTime() + LEASE_SECONDS * 1000).toISOString());
    const m = fakeMailer();
    const d = delivery(deps, m.mailer);
    // Act
    deps.clock.advanceSeconds(LEASE_SECONDS);
    const whileLeased = await deliver(d, messageId);
    deps.clock.advanceMs(1);
    const afterLease = await deliver(d, messageId);
    // Assess
    expect(whileLeased).toBe('skipped');
    expect(afterLease).toBe('sent');
    expect(m.sent).toHaveLength(CONTACTS.length);
  });

  it('drains every due message of every tenant, each once', async () => {
    // Prepare
    const deps = await testDeps();
    const tenants = await Promise.all(['t1', 't2', 't3'].map((tenantId) => setupTenant(deps, { tenantId })));
    for (const t of tenants) await createGrant(deps, t.admin, t.tenantId, { reason: 'r', scope: { level: 'read-only' }, durationHours: 1 });
    const m = fakeMailer();
    const d = delivery(deps, m.mailer);
    // Act
    const first = await drainOutbox(d);
    const second = await drainOutbox(d);
    // Assess
    expect(first).toEqual({ sent: 3, retry: 0, failed: 0, skipped: 0 });
    expect(second).toEqual({ sent: 0, retry: 0, failed: 0, skipped: 0 });
    expect(m.sent).toHaveLength(9); // three contacts each
  });
});
