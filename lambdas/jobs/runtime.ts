/** The jobs' shared dependencies: the HTTP runtime plus SES and the links the emails carry. */
import type { DeliveryDeps } from '../domain/delivery.ts';
import { linksFrom } from '../domain/mail.ts';
import type { Mailer } from '../domain/ports.ts';
import { getRuntime, requiredEnv } from '../http/runtime.ts';
import { createSesMailer, sesClient } from './ses-mailer.ts';

let mailer: Mailer | undefined;

/** Replaces the mailer (the local stack and fault-injection tests use it). */
export function setMailer(next: Mailer | undefined): void {
  mailer = next;
}

export function deliveryDeps(): DeliveryDeps {
  const runtime = getRuntime();
  mailer ??= createSesMailer(sesClient(), requiredEnv('MAIL_FROM'));
  return { store: runtime.store, outbox: runtime.store, mailer, clock: runtime.clock, links: linksFrom(requiredEnv('APP_BASE_URL')) };
}
