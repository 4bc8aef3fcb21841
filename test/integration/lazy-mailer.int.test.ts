/**
 * The notifier's SES mailer loads its client on the first send (docs/performance.md, "Loading on
 * first use"): the mail still goes out through SES as the configured sender, every time.
 */
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sesMailerOnFirstSend } from '../../lambdas/runtime/mailer.ts';
import { freePort } from '../../local/ports.ts';

interface StoredMail {
  from: string;
  destination: { to: string[] };
  subject: string;
}

describe('the SES mailer loaded on first send', () => {
  let ses: Server;
  let sesUrl: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    const port = await freePort();
    const start = (await import('aws-ses-v2-local')).default as unknown as (c: { host: string; port: number }) => Promise<Server>;
    ses = await start({ host: '127.0.0.1', port });
    sesUrl = `http://127.0.0.1:${port}`;
    // What `sesClient()` reads in Lambda, pointed at the local SES server.
    Object.assign(process.env, {
      SES_ENDPOINT: sesUrl,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
  });

  afterAll(async () => {
    process.env = saved;
    await new Promise((r) => ses.close(() => r(undefined)));
  });

  it('sends the first mail and the next ones as the configured sender', async () => {
    // Prepare
    const mailer = sesMailerOnFirstSend('support-access@example.test');
    const to = `lazy-${Date.now()}@customer.test`;

    // Act
    const first = await mailer.send({ to: [to], subject: 'First', text: 'one', html: '<p>one</p>' });
    const second = await mailer.send({ to: [to], subject: 'Second', text: 'two', html: '<p>two</p>' });

    // Assess
    const { emails } = (await (await fetch(`${sesUrl}/store`)).json()) as { emails: StoredMail[] };
    const got = emails.filter((m) => m.destination.to.includes(to));
    expect(got.map((m) => [m.from, m.subject])).toEqual([
      ['support-access@example.test', 'First'],
      ['support-access@example.test', 'Second'],
    ]);
    expect(first.providerId).not.toBe('');
    expect(second.providerId).not.toBe(first.providerId);
  });
});
