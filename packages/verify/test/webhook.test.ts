/**
 * The webhook handler: deliveries signed by the `standardwebhooks` package (as support-access's
 * sender signs them) are taken and revoke; a wrong or missing signature, another secret, a body
 * changed after signing and a timestamp outside 5 minutes are refused and change nothing.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { checkWebhook, createVerifier, createWebhookHandler, WebhookRefusedError } from '../src/index.ts';
import { settings } from './helpers/keys.ts';

const secret = `whsec_${randomBytes(24).toString('base64')}`;
const clock = new Date('2026-12-01T10:00:00.000Z');
const now = () => clock;
const setup = () => {
  const verifier = createVerifier({ jwksUrl: 'http://127.0.0.1:9/unused', ...settings, now });
  return { verifier, handle: createWebhookHandler({ secret, verifier, now }) };
};
const body = (grantId = 'G1') => JSON.stringify({ type: 'Grant Revoked', timestamp: clock.toISOString(), data: { grant: { grantId } } });
/** The headers a Standard Webhooks sender sends for `payload`, signed with `key` at `at`. */
const signed = (payload: string, at = clock, key = secret, id = `msg_${Math.random()}`) => ({
  'webhook-id': id,
  'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
  'webhook-signature': new Webhook(key).sign(id, at, payload),
});

describe('the webhook handler', () => {
  it('takes a delivery signed with the secret and revokes its grant; a redelivery (same webhook-id) is a 204 that does nothing more', async () => {
    // Prepare
    const { verifier, handle } = setup();
    const headers = signed(body());
    // Act
    const first = await handle(body(), headers);
    const again = await handle(Buffer.from(body()), headers);
    // Assess
    expect(first).toEqual({ status: 204 });
    expect(again).toEqual({ status: 204 });
    expect(await verifier.store.isRevoked('any', 'G1')).toBe(true);
  });

  it('refuses (401, nothing revoked) another secret, a changed body, no signature and a signature that is not v1', async () => {
    const { verifier, handle } = setup();
    const other = `whsec_${randomBytes(24).toString('base64')}`;
    const good = signed(body());
    const cases = [
      ['another secret', body(), signed(body(), clock, other)],
      ['a changed body', body('G2'), good],
      ['no signature', body(), { ...good, 'webhook-signature': undefined }],
      ['no id', body(), { ...good, 'webhook-id': undefined }],
      ['v2 only', body(), { ...good, 'webhook-signature': good['webhook-signature'].replace('v1,', 'v2,') }],
      ['a truncated signature', body(), { ...good, 'webhook-signature': good['webhook-signature'].slice(0, 20) }],
    ] as const;
    for (const [what, b, h] of cases) {
      const answer = await handle(b, h);
      expect(answer.status, what).toBe(401);
    }
    expect(await verifier.store.isRevoked('any', 'G1')).toBe(false);
    expect(await verifier.store.isRevoked('any', 'G2')).toBe(false);
  });

  it('refuses a timestamp more than 5 minutes from now, either way (a replayed old delivery), and takes one within', async () => {
    const { verifier, handle } = setup();
    const at = (seconds: number) => new Date(clock.getTime() + seconds * 1000);
    expect((await handle(body(), signed(body(), at(-301)))).body?.reason).toBe('stale-timestamp');
    expect((await handle(body(), signed(body(), at(301)))).body?.reason).toBe('stale-timestamp');
    expect(await verifier.store.isRevoked('any', 'G1')).toBe(false);
    expect((await handle(body(), signed(body(), at(-299)))).status).toBe(204);
    expect(await verifier.store.isRevoked('any', 'G1')).toBe(true);
  });

  it('during a rotation takes a delivery signed with either secret (several signatures in the header)', async () => {
    const old = `whsec_${randomBytes(24).toString('base64')}`;
    const id = 'msg_rot';
    const ts = String(Math.floor(clock.getTime() / 1000));
    const both = `${new Webhook(old).sign(id, clock, body())} ${new Webhook(secret).sign(id, clock, body())}`;
    expect(checkWebhook(body(), { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': both }, { secret, now })).toEqual({ id });
    const onlyOld = new Webhook(old).sign(id, clock, body());
    expect(
      checkWebhook(body(), { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': onlyOld }, { secret: [secret, old], now }),
    ).toEqual({ id });
  });

  it('answers 400 to a signed body that is not an event, and a secret without whsec_ is refused at once', async () => {
    const { handle } = setup();
    for (const b of ['{not json', '[]', '{"data":{}}']) expect((await handle(b, signed(b))).status, b).toBe(400);
    expect(() => createWebhookHandler({ secret: 'plain', verifier: setup().verifier })).toThrow(WebhookRefusedError);
  });
});
