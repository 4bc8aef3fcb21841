/** The `Mailer` port over SES (`SendEmail`), sending as the configured identity. */
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import type { Mailer } from '../kernel/ports.ts';

export function createSesMailer(ses: SESClient, from: string): Mailer {
  return {
    async send({ to, subject, text, html }) {
      const res = await ses.send(
        new SendEmailCommand({
          Source: from,
          Destination: { ToAddresses: to },
          Message: {
            Subject: { Data: subject, Charset: 'UTF-8' },
            Body: { Text: { Data: text, Charset: 'UTF-8' }, Html: { Data: html, Charset: 'UTF-8' } },
          },
        }),
      );
      return { providerId: res.MessageId ?? '' };
    },
  };
}

export function sesClient(endpoint?: string): SESClient {
  // Retries are the outbox's job (with backoff and a dead letter), not the SDK's.
  return new SESClient(endpoint ? { endpoint, maxAttempts: 1 } : { maxAttempts: 1 });
}
