/** The jobs' shared dependencies: the HTTP runtime plus SES and the links the emails carry. */
import type { DeliveryDeps } from '../domain/delivery.ts';
import { linksFrom } from '../domain/mail.ts';
import type { Mailer } from '../domain/ports.ts';
import { getRuntime, requiredEnv } from '../http/runtime.ts';

let mailer: Mailer | undefined;

/** Replaces the mailer (the local stack and fault-injection tests use it). */
export function setMailer(next: Mailer | undefined): void {
  mailer = next;
}

/**
 * The SES mailer, with the SES client loaded when the first mail is sent, not at init: most runs of
 * the notifier (the every-minute drain) find nothing to send, and a cold start should not pay for
 * a client it does not use (docs/performance.md, "Loading on first use"). A failed load is retried
 * by the next send.
 */
export function sesMailerOnFirstSend(from: string): Mailer {
  let loading: Promise<Mailer> | undefined;
  return {
    async send(mail) {
      loading ??= import('./ses-mailer.ts')
        .then((m) => m.createSesMailer(m.sesClient(), from))
        .catch((e: unknown) => {
          loading = undefined;
          throw e;
        });
      return (await loading).send(mail);
    },
  };
}

export function deliveryDeps(): DeliveryDeps {
  const runtime = getRuntime();
  mailer ??= sesMailerOnFirstSend(requiredEnv('MAIL_FROM'));
  return { store: runtime.store, outbox: runtime.store, mailer, clock: runtime.clock, links: linksFrom(requiredEnv('APP_BASE_URL')) };
}
