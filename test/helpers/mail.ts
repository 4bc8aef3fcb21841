/**
 * Mail test helpers: running the outbox delivery over HTTP, reading what the local SES server got
 * for one address, and a mailer wrapper that fails chosen sends (as SES does when it throttles).
 */
import { expect } from 'vitest';
import type { Mailer } from '../../lambdas/kernel/ports.ts';
import type { Mail, People, TestApi, Who } from './http.ts';

/** The base URL of the tenant's support-access page that the mail tests configure. */
export const APP_BASE_URL = 'https://support.example.test/app';
export const pageUrl = (tenantId: string) => `${APP_BASE_URL}/tenants/${encodeURIComponent(tenantId)}`;
export const sessionsUrl = (tenantId: string) => `${pageUrl(tenantId)}/sessions`;

export interface DrainReport {
  sent: number;
  retry: number;
  failed: number;
  skipped: number;
}

/** Runs the delivery job once, through `POST /_local/jobs/deliver`. */
export async function deliver(api: TestApi): Promise<DrainReport> {
  const res = await api.call<DrainReport>('POST', '/_local/jobs/deliver');
  expect(res.status).toBe(200);
  return res.body;
}

/** The mail of one address, of one kind when `subject` is given. */
export async function mailOf(api: TestApi, who: Who | string, subject?: RegExp): Promise<Mail[]> {
  const all = await api.mailTo(typeof who === 'string' ? who : who.email);
  return subject ? all.filter((m) => subject.test(m.subject)) : all;
}

/** The one mail of a kind that an address holds; fails when there is none or more than one. */
export async function onlyMail(api: TestApi, who: Who | string, subject: RegExp): Promise<Mail> {
  const found = await mailOf(api, who, subject);
  expect(found, `mail ${String(subject)} to ${typeof who === 'string' ? who : who.email}`).toHaveLength(1);
  return found[0]!;
}

/** The authorized contacts that `setupTenant` puts on file. */
export const contactsOf = (p: People) => [p.admin, p.contact];

/** Adds a tenant user with its email on the contact list. */
export async function addContact(api: TestApi, p: People, who: Who): Promise<void> {
  const res = await api.call('PUT', `/v1/tenants/${p.tenantId}/contacts/${encodeURIComponent(who.email)}`, {
    as: p.admin,
    body: { name: who.name },
  });
  expect(res.status).toBe(201);
}

/**
 * A time as the v1.1 emails show it to a tenant on the default zone (UTC):
 * `Tue 1 Dec 2026, 10:26 UTC`. Written here on its own, not taken from the templates, so a test
 * that expects it checks what the reader sees.
 */
export function shownTime(isoTime: string): string {
  const d = new Date(isoTime);
  return `${dayName(d)} ${d.getUTCFullYear()}, ${hhmm(d)} UTC`;
}

const two = (n: number) => String(n).padStart(2, '0');
const hhmm = (d: Date) => `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
/** `Tue 1 Dec` of a date's UTC fields. */
const dayName = (d: Date) =>
  `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]} ${d.getUTCDate()} ${
    ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()]
  }`;

/** 01:00 UTC on the last Sunday of a month: when the EU changes its clocks. */
const lastSundayOneUtc = (year: number, month: number) => {
  const last = new Date(Date.UTC(year, month + 1, 0, 1));
  return last.getTime() - last.getUTCDay() * 86_400_000;
};

/**
 * Prague's offset from UTC in ms by the EU's rule (CET +1 h; CEST +2 h from 01:00 UTC on the last
 * Sunday of March to 01:00 UTC on the last Sunday of October), worked out here rather than by Intl
 * as the templates do, so the tests check the rule and not the formatter against itself.
 */
export function pragueOffsetMs(at: Date): number {
  const y = at.getUTCFullYear();
  const summer = at.getTime() >= lastSundayOneUtc(y, 2) && at.getTime() < lastSundayOneUtc(y, 9);
  return (summer ? 2 : 1) * 3_600_000;
}

/**
 * A time as the emails show it to a tenant on `Europe/Prague`: `Tue 1 Dec 2026, 10:26 UTC (11:26
 * Europe/Prague)`, with Prague's day named when it is not the UTC day (`(Tue 8 Dec, 00:15 …)`).
 */
export function shownPragueTime(isoTime: string): string {
  const d = new Date(isoTime);
  const local = new Date(d.getTime() + pragueOffsetMs(d));
  const otherDay = local.getUTCDate() !== d.getUTCDate();
  return `${shownTime(isoTime)} (${otherDay ? `${dayName(local)}, ` : ''}${hhmm(local)} Europe/Prague)`;
}

export const asGrantee = (w: Who) => ({ id: w.sub, email: w.email, name: w.name });

/** An error shaped like the one the SES client throws when the sending rate is exceeded. */
export function throttling(): Error {
  return Object.assign(new Error('Maximum sending rate exceeded.'), {
    name: 'Throttling',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

export interface SendAttempt {
  to: string;
  subject: string;
  ok: boolean;
}

/**
 * Wraps the SES mailer: a send to an address that a rule matches fails while the rule has failures
 * left, so each test breaks SES for its own tenant only. Every attempt is recorded.
 */
export class FaultyMail {
  readonly attempts: SendAttempt[] = [];
  private rules: { match: (to: string) => boolean; left: number }[] = [];

  /** The next `times` sends to an address containing `part` throw a throttling error. */
  failNext(part: string, times: number): void {
    this.rules.push({ match: (to) => to.includes(part), left: times });
  }

  /** The attempts to send to an address. */
  attemptsTo(email: string): SendAttempt[] {
    return this.attempts.filter((a) => a.to === email);
  }

  readonly wrap = (inner: Mailer): Mailer => ({
    send: async (mail) => {
      const to = mail.to.join(',');
      const rule = this.rules.find((r) => r.left > 0 && mail.to.some(r.match));
      if (rule) {
        rule.left--;
        this.attempts.push({ to, subject: mail.subject, ok: false });
        throw throttling();
      }
      const res = await inner.send(mail);
      this.attempts.push({ to, subject: mail.subject, ok: true });
      return res;
    },
  });
}
