/**
 * The notifier's mailer. Only the notifier imports this module, so only its bundle carries SES
 * (`createSesMailer` is loaded from here, on first send).
 */
import type { Mailer } from '../kernel/ports.ts';
import { required, settingsFromEnv, type Settings } from './settings.ts';

/**
 * The SES mailer, with the SES client loaded when the first mail is sent, not at init: most runs of
 * the notifier (the every-minute drain) find nothing to send, and a cold start should not pay for
 * a client it does not use (docs/performance.md, "Loading on first use"). A failed load is retried
 * by the next send.
 */
export function sesMailerOnFirstSend(from: string, endpoint: string | undefined = settingsFromEnv().sesEndpoint): Mailer {
  let loading: Promise<Mailer> | undefined;
  return {
    async send(mail) {
      loading ??= import('./ses-mailer.ts')
        .then((m) => m.createSesMailer(m.sesClient(endpoint), from))
        .catch((e: unknown) => {
          loading = undefined;
          throw e;
        });
      return (await loading).send(mail);
    },
  };
}

/** The notifier's wiring: the SES mailer as the settings describe it (`MAIL_FROM`, `SES_ENDPOINT`). */
export const sesWiring = (settings: Settings) => ({
  mailer: sesMailerOnFirstSend(required(settings.mailFrom, 'MAIL_FROM'), settings.sesEndpoint),
});
